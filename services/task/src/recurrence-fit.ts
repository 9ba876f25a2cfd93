/**
 * Refuses rules that can never repeat, so a "recurring" task is never silently a one-off: a rule
 * whose UNTIL lies before the due time (`FREQ=DAILY;UNTIL=` yesterday), or whose pattern matches
 * nothing after it (`FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30`). The due time itself is always the first
 * occurrence, so a series at its end — the last instance the scheduler creates, COUNT=1 or the final
 * day before UNTIL — is still a valid task. The occurrences come from the `rrule` package, through
 * the same bounded expansion the scheduler uses (recurrence-expand.ts).
 */
import {
  parseRule,
  pastUntil,
  RecurrenceError,
  RecurrenceLimitError,
  walk,
  zonedIn,
} from "./recurrence-expand";

/**
 * What keeps `rrule` (already valid for `rruleProblem`) from repeating after `due` in `timeZone`, as
 * a message for the person who wrote it; undefined when it repeats.
 */
export function neverRepeatsProblem(rrule: string, due: Date, timeZone: string): string | undefined {
  try {
    const rule = parseRule(rrule);
    const start = zonedIn(due, timeZone);
    if (rule.until && pastUntil(rule.until, { wall: start.toPlainDateTime(), zoned: start })) {
      return "its UNTIL is before the due time, so the task would never repeat; move UNTIL after the due time or remove it";
    }
    let repeats = false;
    // The pattern alone (COUNT and UNTIL aside): does anything match after the due time?
    walk({ ...rule, count: undefined, until: undefined }, start, (_occurrence, index) => {
      if (index === 0) return true;
      repeats = true;
      return false;
    });
    if (repeats) return undefined;
  } catch (err) {
    if (!(err instanceof RecurrenceLimitError)) {
      if (err instanceof RecurrenceError) return err.message;
      throw err;
    }
  }
  return "no date matches this rule after the due time, so the task would never repeat; check its BY parts (BYMONTH=2;BYMONTHDAY=30, for one, never happens)";
}
