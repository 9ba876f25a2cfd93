/**
 * Where a task's due time goes when it is moved to a day without a time ("move call mom to Friday",
 * an MCP `update_task` with `due: "friday"`). Such a move keeps the task's time of day: a task due
 * Wednesday 18:00 becomes due Friday 18:00, not Friday 23:59 (the end of the day, which
 * `parseQuickAdd` gives a date typed alone). A task that had no time of its own — no due date,
 * or due at the end of its day ({@link DEFAULT_DATE_ONLY_TIME}) — stays date-only.
 *
 * Its own entry (`@todo/language/due-move`) so the browser bundle of the quick-add parser does not
 * carry it; the assistant and the MCP tools both use it, so the two agree.
 */
import { Temporal } from "temporal-polyfill";
import { DEFAULT_DATE_ONLY_TIME } from "./quick-add.ts";

/** A new due time as read from text: the instant, and whether a time of day was given. */
export interface DueChange {
  /** The instant (a `Date` or an ISO 8601 string); for a date alone, that day at 23:59. */
  readonly time: Date | string;
  /** False when only a date was given ("friday", "2027-03-12"). */
  readonly hasTime: boolean;
}

/**
 * The new due instant for `change`, given the task's current due time (if any), the zone that due
 * time is meant in (`taskZone`, the task's own), and the zone `change` was read in (`readZone`, the
 * user's, or the task's when the caller read it there). `newTaskZone` is the zone the task will be
 * meant in after the change (default `taskZone`): the time of day read in the old zone is placed on
 * the new day in that zone, so "18:00" stays 18:00 on the clock the task is meant by.
 *
 * A change with a time of day, a task without a due date, and a date-only task (due 23:59:00 in its
 * zone) take `change.time` as it is.
 */
export function movedDue(
  change: DueChange,
  current: Date | undefined,
  taskZone: string,
  readZone: string,
  newTaskZone: string = taskZone,
): Date {
  const target = new Date(change.time);
  if (change.hasTime || !current) return target;
  const was = Temporal.Instant.fromEpochMilliseconds(current.getTime()).toZonedDateTimeISO(taskZone);
  if (
    was.hour === DEFAULT_DATE_ONLY_TIME.hour &&
    was.minute === DEFAULT_DATE_ONLY_TIME.minute &&
    was.second === 0
  )
    return target;
  const day = Temporal.Instant.fromEpochMilliseconds(target.getTime())
    .toZonedDateTimeISO(readZone)
    .toPlainDate();
  const moved = day.toZonedDateTime({ timeZone: newTaskZone, plainTime: was.toPlainTime() });
  return new Date(moved.epochMilliseconds);
}
