/**
 * Fits a recurring task's due time to its rule. The series that starts at a due time is the rule's
 * occurrences at or after it (expand.ts), as python-dateutil and Todoist have it; so a
 * due time that does not fit the rule — a Thursday for "monthly on the last Friday", 1 January for
 * "yearly on 29 February" — is not an occurrence, and CreateTask and UpdateTask store the rule's
 * first occurrence instead (the response shows it): the task shows its real first date, and the
 * scheduler's next instance, PreviewRecurrence and the stored due time all agree.
 *
 * It also refuses rules that can never happen, so a "recurring" task is never silently a one-off:
 * a rule whose UNTIL lies before its first occurrence (`FREQ=DAILY;UNTIL=` yesterday), or whose
 * pattern matches nothing at or after the due time (`FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30`). A series
 * at its end — the last instance the scheduler creates, COUNT=1 or the final day before UNTIL — is
 * still a valid task. The occurrences come from the `rrule` package, through the same bounded
 * expansion the scheduler uses.
 */
import {
  type Occurrence,
  type ParsedRule,
  parseRule,
  pastUntil,
  RecurrenceError,
  RecurrenceLimitError,
  walk,
  withTimeOfDay,
  zonedIn,
} from "./expand";

/**
 * The rule's first occurrence at or after the due time and the rule to store with it, or why there
 * is none. The rule is the one given, unless the first occurrence's wall-clock time does not exist
 * (a DST gap moved 02:30 to 03:30): then it has the series' time of day spelled out
 * (`BYHOUR`/`BYMINUTE`/`BYSECOND`, where missing), exactly as the scheduler does for a next
 * instance in a gap, so the occurrences after it are at 02:30 again.
 */
export type RecurrenceFit = { readonly first: Date; readonly rrule: string } | { readonly problem: string };

const NEVER_MATCHES =
  "no date matches this rule at or after the due time, so the task would never happen; check its BY parts (BYMONTH=2;BYMONTHDAY=30, for one, never happens)";

/**
 * The first occurrence of `rrule` (already valid for `rruleProblem`) at or after `due` in
 * `timeZone` — `due` itself when it fits the rule — or, as a message for the person who wrote the
 * rule, why the task would never happen or never repeat.
 */
export function fitRecurrence(rrule: string, due: Date, timeZone: string): RecurrenceFit {
  let rule: ParsedRule;
  let start: ReturnType<typeof zonedIn>;
  try {
    rule = parseRule(rrule);
    start = zonedIn(due, timeZone);
  } catch (err) {
    if (err instanceof RecurrenceError) return { problem: err.message };
    throw err;
  }
  const pattern: Occurrence[] = [];
  try {
    // The pattern alone (COUNT and UNTIL aside): its first two occurrences at or after the due time.
    walk({ ...rule, count: undefined, until: undefined }, start, (occurrence) => {
      pattern.push(occurrence);
      return pattern.length < 2;
    });
  } catch (err) {
    // A limit error means nothing (more) matches within MAX_STEPS periods: judged below.
    if (!(err instanceof RecurrenceLimitError)) {
      if (err instanceof RecurrenceError) return { problem: err.message };
      throw err;
    }
  }
  const [first] = pattern;
  if (!first) return { problem: NEVER_MATCHES };
  if (rule.until && pastUntil(rule.until, first)) {
    return {
      problem: `its UNTIL is before the rule's first date at or after the due time (${describe(first)}), so the task would never happen; move UNTIL later or remove it`,
    };
  }
  if (pattern.length < 2) {
    return {
      problem: `this rule matches ${describe(first)} and then never again, so the task would never repeat; check its BY parts`,
    };
  }
  const moved = !first.zoned.toPlainDateTime().equals(first.wall);
  return {
    first: new Date(first.zoned.epochMilliseconds),
    rrule: moved ? withTimeOfDay(rule, rrule, first.wall) : rrule,
  };
}

/**
 * What keeps `rrule` from happening and repeating from `due` in `timeZone` (see
 * {@link fitRecurrence}); undefined when it does.
 */
export function neverRepeatsProblem(rrule: string, due: Date, timeZone: string): string | undefined {
  const fit = fitRecurrence(rrule, due, timeZone);
  return "problem" in fit ? fit.problem : undefined;
}

/** An occurrence as a person reads it: `2028-02-29 09:00 Europe/Berlin`. */
function describe(occurrence: Occurrence): string {
  const wall = occurrence.zoned.toPlainDateTime();
  return `${wall.toPlainDate().toString()} ${wall.toPlainTime().toString({ smallestUnit: "minute" })} ${occurrence.zoned.timeZoneId}`;
}
