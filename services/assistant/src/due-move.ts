/**
 * Where a task's due time goes when it is moved. A move to a day without a time ("move call mom to
 * Friday") keeps the task's time of day: a task due Wednesday 18:00 becomes due Friday 18:00, not
 * Friday 23:59 (the end of the day, which the quick-add parser gives a date typed alone). A task that
 * had no time of its own — no due date, or the end of its day — stays date-only.
 */
import { DEFAULT_DATE_ONLY_TIME } from "@todo/language";
import { Temporal } from "temporal-polyfill";
import type { DueSpec } from "./intent";

/**
 * The new due instant for `change`, given the task's current due time (if any), the zone its due
 * time is meant in (`taskZone`, the task's own) and the zone `change` was read in (the user's).
 */
export function movedDue(
  change: DueSpec,
  current: Date | undefined,
  taskZone: string,
  userZone: string,
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
    .toZonedDateTimeISO(userZone)
    .toPlainDate();
  const moved = day.toZonedDateTime({ timeZone: taskZone, plainTime: was.toPlainTime() });
  return new Date(moved.epochMilliseconds);
}
