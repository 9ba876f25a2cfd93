/**
 * The expansion engine of recurring tasks: parses a stored RRULE and walks its occurrences in a
 * time zone, independent of the process's own time zone. The task service uses it to refuse rules
 * that can never repeat and to fit a due time to its rule (fit.ts); the scheduler to preview a rule
 * and to find a series' next instance (occurrences.ts).
 *
 * How: the `rrule` package computes correct instants only when the process runs in UTC (see
 * STACK.md). So it is never given a zone. Its `dtstart` is a "floating" Date whose UTC fields are
 * the task's local wall-clock fields; every result's UTC fields are read back as a
 * `Temporal.PlainDateTime` and placed in the task's zone with Temporal ("compatible"
 * disambiguation). Wall-clock time therefore survives DST changes, and the host's `TZ` never
 * enters the computation.
 *
 * The series that starts at a due time is the rule's occurrences **at or after** it, as
 * python-dateutil and Todoist have it: a due time that does not fit the rule (a Thursday for "the
 * last Friday") is not an occurrence, and the series begins at the rule's first one after it.
 * CreateTask and UpdateTask move a recurring task's due time there (fit.ts), so a stored
 * instance always fits its rule. Occurrences are distinct instants: a wall-clock time that a DST gap
 * moves onto the next one (HOURLY 02:30 → 03:30) occurs once (RFC 5545 §3.8.5.3).
 *
 * COUNT and UNTIL are taken out of the rule and applied here, because COUNT counts those distinct
 * instants, and because a UTC UNTIL must be compared with real instants, not with floating
 * wall-clock times.
 */

import { type Options, RRule } from "rrule";
import { Temporal } from "temporal-polyfill";
import { rruleProblem } from "./rrule-syntax";

/** A rule or argument Todo cannot expand (bad syntax, unknown time zone, count out of range). */
export class RecurrenceError extends Error {
  override name = "RecurrenceError";
}

/**
 * The expansion needed more work than Todo allows ({@link MAX_STEPS} periods of the rule's FREQ)
 * before reaching an occurrence or the horizon: a DAILY or HOURLY rule that matches (almost) never,
 * e.g. `FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`. Without this bound the `rrule` package would walk day
 * by day to the year 9999 (about 20 s of CPU). Coarser rules reach the horizon first and just end.
 */
export class RecurrenceLimitError extends RecurrenceError {
  override name = "RecurrenceLimitError";
}

/** Occurrences later than this many years after the series' start are never produced. */
export const HORIZON_YEARS = 1000;

/**
 * At most this many periods of the rule's frequency (days for DAILY, hours for HOURLY, …) are
 * examined per expansion. Ordinary rules need a few per occurrence (a weekday rule 1.4, "the 31st"
 * about 50 days); 100 000 periods cost well under a second even when nothing matches.
 */
export const MAX_STEPS = 100_000;

/** How a rule's UNTIL bounds it (RFC 5545: inclusive). */
export type Until =
  /** `UNTIL=20271231T235959Z`: a real instant, compared with each occurrence's instant. */
  | { readonly kind: "utc"; readonly instant: Temporal.Instant }
  /** `UNTIL=20271231`: every occurrence whose local date (in the task's zone) is on or before it. */
  | { readonly kind: "date"; readonly date: Temporal.PlainDate }
  /** `UNTIL=20271231T120000`: compared with each occurrence's local wall-clock time. */
  | { readonly kind: "floating"; readonly wall: Temporal.PlainDateTime };

/** A stored rule taken apart: COUNT and UNTIL separately, everything else as `rrule` options. */
export interface ParsedRule {
  /** The rule exactly as given (the next instance's rule is this text with COUNT changed). */
  readonly text: string;
  readonly freq: Options["freq"];
  readonly count: number | undefined;
  readonly until: Until | undefined;
  /** The options for `rrule`, without COUNT, UNTIL, DTSTART and TZID. */
  readonly options: Partial<Options>;
}

/** One occurrence: its local wall-clock time in the task's zone and its instant. */
export interface Occurrence {
  readonly wall: Temporal.PlainDateTime;
  readonly zoned: Temporal.ZonedDateTime;
}

const UNTIL_VALUE = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/;

function parseUntil(value: string): Until {
  const m = UNTIL_VALUE.exec(value);
  if (!m) throw new RecurrenceError(`UNTIL: "${value}" is not a date or date-time`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  try {
    const date = Temporal.PlainDate.from({ year, month, day }, { overflow: "reject" });
    if (m[4] === undefined) return { kind: "date", date };
    const wall = date.toPlainDateTime(
      Temporal.PlainTime.from(
        { hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]) },
        { overflow: "reject" },
      ),
    );
    return m[7] === "Z"
      ? { kind: "utc", instant: wall.toZonedDateTime("UTC").toInstant() }
      : { kind: "floating", wall };
  } catch {
    throw new RecurrenceError(`UNTIL: "${value}" is not a real date and time`);
  }
}

/**
 * Parses a stored rule (RFC 5545 RRULE value without `RRULE:` or DTSTART). It must pass the task
 * service's `rruleProblem`, the one definition of the rules Todo accepts (the `rrule` package alone
 * is lenient: `INTERVAL=abc` would make it loop for ever). Throws {@link RecurrenceError}.
 */
export function parseRule(text: string): ParsedRule {
  const problem = rruleProblem(text);
  if (problem !== undefined) throw new RecurrenceError(`invalid rule "${text}": ${problem}`);
  let count: number | undefined;
  let until: Until | undefined;
  const rest: string[] = [];
  for (const part of text.toUpperCase().split(";")) {
    const [name, value] = part.split("=", 2) as [string, string];
    if (name === "COUNT") count = Number(value);
    else if (name === "UNTIL") until = parseUntil(value);
    else rest.push(part);
  }
  const options = RRule.parseString(rest.join(";"));
  if (options.freq === undefined || options.freq === null)
    throw new RecurrenceError(`invalid rule "${text}": no FREQ`);
  return { text, freq: options.freq, count, until, options };
}

/** The rule text with COUNT set to `count` (the other parts keep their original spelling). */
export function withCount(text: string, count: number): string {
  return text
    .split(";")
    .map((part) => (/^\s*COUNT\s*=/i.test(part) ? `${part.slice(0, part.indexOf("="))}=${count}` : part))
    .join(";");
}

/**
 * The rule text with the time-of-day parts that `wall` implies (BYHOUR, BYMINUTE, BYSECOND) written
 * out, where the rule does not give them. Used when an occurrence's wall-clock time does not exist
 * (a DST gap moved 02:30 to 03:30): the next instance's DTSTART is then 03:30, and without these
 * parts its series would keep 03:30 for ever instead of returning to 02:30.
 */
export function withTimeOfDay(rule: ParsedRule, text: string, wall: Temporal.PlainDateTime): string {
  if (rule.freq === RRule.HOURLY) return text; // the hour is the rule's own step; see docs/recurrence.md
  const parts = timeOfDayParts(rule, wall);
  const missing: string[] = [];
  if (parts.byhour) missing.push(`BYHOUR=${wall.hour}`);
  if (parts.byminute) missing.push(`BYMINUTE=${wall.minute}`);
  if (parts.bysecond) missing.push(`BYSECOND=${wall.second}`);
  return missing.length === 0 ? text : `${text};${missing.join(";")}`;
}

/**
 * The time-of-day parts (`byhour`, `byminute`, `bysecond`) that `rrule` would take from a DTSTART
 * of `wall` because the rule does not give them: the hour for DAILY and coarser rules, the minute
 * and second for HOURLY too (RFC 5545 §3.3.10: missing BY parts come from DTSTART).
 */
function timeOfDayParts(rule: ParsedRule, wall: Temporal.PlainDateTime): Partial<Options> {
  const parts: Partial<Options> = {};
  if (rule.freq !== RRule.HOURLY && rule.options.byhour == null) parts.byhour = [wall.hour];
  if (rule.options.byminute == null) parts.byminute = [wall.minute];
  if (rule.options.bysecond == null) parts.bysecond = [wall.second];
  return parts;
}

/**
 * Where the expansion of a series starting at `startWall` begins. An occurrence can have an
 * earlier wall-clock time than the start and still be at the same instant: 02:30 on a spring-forward
 * day is placed at 03:30, so a task due 03:30 CEST with `BYHOUR=2;BYMINUTE=30` is that occurrence.
 * So `rrule` starts earlier — at midnight of the same date for DAILY and coarser rules (the date,
 * and with it the weekday, month day and week the rule takes from DTSTART, stays the same), a few
 * whole INTERVALs earlier for HOURLY (the hours keep their step) — with the time-of-day parts
 * DTSTART implies spelled out, and occurrences before the start instant are dropped.
 */
function expansionStart(rule: ParsedRule, startWall: Temporal.PlainDateTime): Temporal.PlainDateTime {
  if (rule.freq === RRule.HOURLY) {
    const interval = rule.options.interval ?? 1;
    return startWall.subtract({ hours: interval * Math.ceil(LONGEST_GAP_HOURS / interval) });
  }
  return startWall.with({ hour: 0, minute: 0, second: 0 });
}

/** More than the longest DST gap of any zone (Antarctica/Troll skips 2 hours). */
const LONGEST_GAP_HOURS = 3;

/** The Temporal form of `date` in `timeZone`; throws {@link RecurrenceError} for a bad zone or date. */
export function zonedIn(date: Date, timeZone: string): Temporal.ZonedDateTime {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new RecurrenceError("not a valid date");
  try {
    return Temporal.Instant.fromEpochMilliseconds(date.getTime()).toZonedDateTimeISO(timeZone);
  } catch {
    throw new RecurrenceError(`"${timeZone}" is not an IANA time zone`);
  }
}

/** Local wall-clock time → zoned time; a time skipped by DST moves forward by the gap. */
export function placeWall(wall: Temporal.PlainDateTime, timeZone: string): Temporal.ZonedDateTime {
  return wall.toZonedDateTime(timeZone, { disambiguation: "compatible" });
}

/** A Date whose UTC fields are `wall`'s fields: the "floating" form `rrule` computes with. */
function toFloating(wall: Temporal.PlainDateTime): Date {
  return new Date(
    Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond),
  );
}

function fromFloating(date: Date): Temporal.PlainDateTime {
  return new Temporal.PlainDateTime(
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    date.getUTCMilliseconds(),
  );
}

/** True when `occurrence` lies beyond the rule's UNTIL (RFC 5545: UNTIL itself is inside). */
export function pastUntil(until: Until, occurrence: Occurrence): boolean {
  switch (until.kind) {
    case "utc":
      return Temporal.Instant.compare(occurrence.zoned.toInstant(), until.instant) > 0;
    case "date":
      return Temporal.PlainDate.compare(occurrence.wall.toPlainDate(), until.date) > 0;
    case "floating":
      return Temporal.PlainDateTime.compare(occurrence.wall, until.wall) > 0;
  }
}

const budgetExceeded = Symbol("budget exceeded");

/** The most periods of each frequency one year can hold. */
const PERIODS_PER_YEAR: Partial<Record<Options["freq"], number>> = {
  [RRule.YEARLY]: 1,
  [RRule.MONTHLY]: 12,
  [RRule.WEEKLY]: 53,
  [RRule.DAILY]: 366,
  [RRule.HOURLY]: 366 * 24,
};

/** How many periods of `rule`'s frequency fit in {@link HORIZON_YEARS} years. */
function horizonSteps(rule: ParsedRule): number {
  const perYear = PERIODS_PER_YEAR[rule.freq] ?? 366 * 24;
  return Math.ceil((HORIZON_YEARS * perYear) / (rule.options.interval ?? 1)) + 1;
}

/**
 * Stops `rule`'s expansion after about `steps` periods. `rrule` has no limit of its own and calls
 * back only on matches, so a rule that never matches would loop to the year 9999 (its own `until`
 * is checked on matches only); its main loop reads `options.interval` twice per period (rrule
 * 2.8.1), which is counted here. The tests that give up on never-matching rules prove the guard
 * still trips after an upgrade.
 */
function limitSteps(rule: RRule, steps: number): void {
  const interval = rule.options.interval;
  let reads = 0;
  Object.defineProperty(rule.options, "interval", {
    get() {
      reads += 1;
      if (reads > 2 * steps + 1) throw budgetExceeded;
      return interval;
    },
  });
}

/**
 * Walks the series that starts at `start` (in `start`'s zone): the rule's occurrences at or after
 * `start`'s instant, in order — `start` itself only when it fits the rule — until COUNT or UNTIL
 * ends the series, {@link HORIZON_YEARS} pass, or `visit` returns false. Each instant occurs once:
 * a wall-clock time that lands on an instant already visited (a DST gap moved it there) is
 * skipped and not counted. `visit` receives each occurrence and its index (0 for the first). Throws
 * {@link RecurrenceLimitError} when {@link MAX_STEPS} periods pass before the horizon is reached
 * (possible for DAILY and HOURLY rules only).
 */
export function walk(
  rule: ParsedRule,
  start: Temporal.ZonedDateTime,
  visit: (occurrence: Occurrence, index: number) => boolean,
): void {
  const timeZone = start.timeZoneId;
  const startWall = start.toPlainDateTime();
  // The `rrule` package computes years 1000 to 9999 only (two-digit years and its MAXYEAR).
  if (startWall.year < 1000 || startWall.year > 9999) {
    throw new RecurrenceError(`a series must start between the years 1000 and 9999, not ${startWall.year}`);
  }
  if (rule.count !== undefined && rule.count < 1) return;
  const expander = new RRule(
    {
      ...rule.options,
      ...timeOfDayParts(rule, startWall),
      dtstart: toFloating(expansionStart(rule, startWall)),
      until: toFloating(startWall.add({ years: HORIZON_YEARS })),
      tzid: null,
    },
    true,
  );
  const horizon = horizonSteps(rule);
  limitSteps(expander, Math.min(horizon, MAX_STEPS));
  let last = start.epochNanoseconds - 1n; // the instant visited last; the next must be later
  let index = 0;
  try {
    expander.all((date) => {
      const wall = fromFloating(date);
      const occurrence = { wall, zoned: placeWall(wall, timeZone) };
      if (occurrence.zoned.epochNanoseconds <= last) return true; // before the start, or a repeat
      if (rule.until && pastUntil(rule.until, occurrence)) return false;
      last = occurrence.zoned.epochNanoseconds;
      if (!visit(occurrence, index)) return false;
      index += 1;
      return rule.count === undefined || index < rule.count;
    });
  } catch (err) {
    if (err === budgetExceeded) {
      if (horizon <= MAX_STEPS) return; // the horizon has passed: the series ends here
      throw new RecurrenceLimitError(
        `"${rule.text}" needs more than ${MAX_STEPS} steps to find its next occurrence; it matches (almost) never`,
      );
    }
    throw err;
  }
}
