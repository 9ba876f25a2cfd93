/**
 * Recurring tasks: the occurrences of an RFC 5545 RRULE in a task's time zone, and the next
 * instance of a completed recurring task (ARCHITECTURE §5; the rules with examples are in
 * docs/recurrence.md). Pure functions: no I/O, no clock, no dependence on the process's `TZ`.
 */
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { RRule } from "rrule";
import { Temporal } from "temporal-polyfill";
import {
  type Occurrence,
  parseRule,
  placeWall,
  RecurrenceError,
  walk,
  withCount,
  withTimeOfDay,
  zonedIn,
} from "./expand";

/** The most occurrences {@link previewOccurrences} returns in one call. */
export const MAX_PREVIEW = 1000;

/**
 * The first `count` occurrences of `rrule` for a series starting at `start` in `timeZone`, keeping
 * `start`'s local wall-clock time (so 09:00 stays 09:00 across DST): the rule's occurrences at or
 * after `start`, as python-dateutil gives them — `start` itself only when it fits the rule (a task
 * due on a Thursday that repeats on the last Friday starts on the last Friday, where CreateTask
 * moves its due time). Each instant occurs once, also where a DST gap moves one wall-clock time
 * onto the next. Fewer than `count` come back when COUNT or UNTIL ends the series first, or when
 * the rest lie more than {@link HORIZON_YEARS} years after `start`.
 *
 * @param rrule a rule without `RRULE:` or DTSTART, e.g. `FREQ=MONTHLY;BYDAY=2FR`
 * @param count 0 to {@link MAX_PREVIEW}
 * @throws RecurrenceError for a bad rule, zone, date or count; RecurrenceLimitError when the rule
 *   matches (almost) never.
 */
export function previewOccurrences(rrule: string, start: Date, timeZone: string, count: number): Date[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_PREVIEW) {
    throw new RecurrenceError(`count must be a whole number from 0 to ${MAX_PREVIEW}`);
  }
  const rule = parseRule(rrule);
  const first = zonedIn(start, timeZone);
  const out: Date[] = [];
  if (count === 0) return out;
  walk(rule, first, (occurrence) => {
    out.push(new Date(occurrence.zoned.epochMilliseconds));
    return out.length < count;
  });
  return out;
}

/** What {@link nextOccurrence} needs to know about a completed instance of a recurring task. */
export interface NextOccurrenceInput {
  /** The instance's rule: an RFC 5545 RRULE without `RRULE:` or DTSTART, valid for `rruleProblem` (services/task). */
  rrule: string;
  /** SCHEDULE (or UNSPECIFIED) counts from the due time; COMPLETION from the completion. */
  anchor: RecurrenceAnchor;
  /** The task's IANA time zone, in which the rule is evaluated. */
  timeZone: string;
  /** The completed instance's due time: the DTSTART of its rule. */
  due: Date;
  /** When the instance was completed (COMPLETION counts from here). */
  completedAt: Date;
  /** The current time: SCHEDULE rolls forward past occurrences before it. */
  now: Date;
}

/** The next instance of a series. */
export interface NextOccurrence {
  /** Its due time (and the DTSTART of its rule). */
  due: Date;
  /** Its rule: the completed instance's rule with COUNT reduced by the occurrences consumed. */
  rrule: string;
}

/**
 * The next instance of a completed recurring task, or undefined when the series has ended (COUNT
 * used up, UNTIL passed, or no occurrence within {@link HORIZON_YEARS} years).
 *
 * - SCHEDULE / UNSPECIFIED ("every"): the first occurrence after `due`; when that is already in the
 *   past (before `now`) the series is overdue and rolls forward to the first occurrence at or after
 *   `now`. COUNT drops by one (the completed instance) plus the number of occurrences skipped. (A
 *   due time that does not fit the rule, stored before CreateTask moved such due times to the
 *   rule's first occurrence, is followed by the rule's first occurrence after it.)
 * - COMPLETION ("every!"): the rule restarts from the completion: DTSTART becomes the completion's
 *   local date at the due time's local time of day (for FREQ=HOURLY: the completion's local time,
 *   to the minute). That slot stands for the completion itself, so the next due is the first
 *   occurrence after it that is also after `completedAt`. COUNT drops by one.
 *
 * When the next due's local time does not exist (a DST gap turned 02:30 into 03:30), the returned
 * rule spells out the series' time of day (BYHOUR/BYMINUTE/BYSECOND, where missing) so that the
 * instance after it is back at 02:30.
 *
 * @throws RecurrenceError for a bad rule, zone or date; RecurrenceLimitError when the rule matches
 *   (almost) never.
 */
export function nextOccurrence(input: NextOccurrenceInput): NextOccurrence | undefined {
  const rule = parseRule(input.rrule);
  const due = zonedIn(input.due, input.timeZone);
  const completedAt = zonedIn(input.completedAt, input.timeZone);
  const now = zonedIn(input.now, input.timeZone);
  if (rule.count === 1) return undefined;

  let found: { occurrence: Occurrence; consumed: number } | undefined;
  if (input.anchor === RecurrenceAnchor.COMPLETION) {
    const time =
      rule.freq === RRule.HOURLY
        ? completedAt.toPlainTime().round({ smallestUnit: "minute", roundingMode: "trunc" })
        : due.toPlainTime();
    const restart = placeWall(completedAt.toPlainDate().toPlainDateTime(time), input.timeZone);
    // The restarted series has no COUNT of its own: the completion used up exactly one occurrence.
    walk({ ...rule, count: undefined }, restart, (occurrence) => {
      if (!after(occurrence, restart) || !after(occurrence, completedAt)) return true;
      found = { occurrence, consumed: 1 };
      return false;
    });
  } else {
    let dueFits = false;
    walk(rule, due, (occurrence, index) => {
      // The completed instance is index 0 when it fits the rule; an occurrence before `now` is
      // overdue and skipped (it still counts towards COUNT).
      if (!after(occurrence, due)) {
        dueFits = true;
        return true;
      }
      if (Temporal.ZonedDateTime.compare(occurrence.zoned, now) < 0) return true;
      // Consumed: the completed instance, and the occurrences skipped before this one.
      found = { occurrence, consumed: dueFits ? index : index + 1 };
      return false;
    });
  }
  if (!found) return undefined;
  const { occurrence, consumed } = found;
  if (rule.count !== undefined && rule.count - consumed < 1) return undefined;
  let text = rule.count === undefined ? input.rrule : withCount(input.rrule, rule.count - consumed);
  if (!occurrence.zoned.toPlainDateTime().equals(occurrence.wall))
    text = withTimeOfDay(rule, text, occurrence.wall);
  return { due: new Date(occurrence.zoned.epochMilliseconds), rrule: text };
}

function after(occurrence: Occurrence, than: Temporal.ZonedDateTime): boolean {
  return Temporal.ZonedDateTime.compare(occurrence.zoned, than) > 0;
}
