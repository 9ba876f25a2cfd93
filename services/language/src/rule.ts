/**
 * The recurrence rules quick add produces, as a structure: written out as RFC 5545 RRULE text
 * (without `RRULE:` and DTSTART, as the task service stores it), read back for
 * {@link describeRecurrence}, and matched against dates to find a series' first occurrence.
 * The full expansion engine is `@todo/recurrence`; this module
 * only needs "does this date match the rule's BY-parts", which is enough to place DTSTART.
 */
import { civilDate, dayNumber, daysInMonth, weekdayOf } from "./calendar.ts";
import { WEEKDAY_CODES } from "./lexicon.ts";

export type Freq = "HOURLY" | "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY";

/** A BYDAY entry: an ISO weekday (1 = Monday) and, for MONTHLY/YEARLY, an ordinal (2 = second, -1 = last). */
export interface ByDay {
  readonly weekday: number;
  readonly n?: number;
}

export interface RuleSpec {
  freq: Freq;
  interval: number;
  byMonth?: number[];
  byMonthDay?: number[];
  byDay?: ByDay[];
  bySetPos?: number[];
  byHour?: number[];
  byMinute?: number[];
  count?: number;
  /** The UNTIL value as RFC 5545 writes it: `20271231` or `20271231T235959Z`. */
  until?: string;
  /** Parts this module does not model (BYWEEKNO, WKST, …): kept so a description can say "custom". */
  other?: string[];
}

/** The RRULE text of `spec`: FREQ first, then INTERVAL, the BY-parts, and COUNT or UNTIL. */
export function formatRule(spec: RuleSpec): string {
  const parts = [`FREQ=${spec.freq}`];
  if (spec.interval > 1) parts.push(`INTERVAL=${spec.interval}`);
  if (spec.byMonth?.length) parts.push(`BYMONTH=${spec.byMonth.join(",")}`);
  if (spec.byMonthDay?.length) parts.push(`BYMONTHDAY=${spec.byMonthDay.join(",")}`);
  if (spec.byDay?.length) {
    parts.push(`BYDAY=${spec.byDay.map((d) => `${d.n ?? ""}${WEEKDAY_CODES[d.weekday - 1]}`).join(",")}`);
  }
  if (spec.bySetPos?.length) parts.push(`BYSETPOS=${spec.bySetPos.join(",")}`);
  if (spec.byHour?.length) parts.push(`BYHOUR=${spec.byHour.join(",")}`);
  if (spec.byMinute?.length) parts.push(`BYMINUTE=${spec.byMinute.join(",")}`);
  if (spec.count !== undefined) parts.push(`COUNT=${spec.count}`);
  else if (spec.until !== undefined) parts.push(`UNTIL=${spec.until}`);
  if (spec.other) parts.push(...spec.other);
  return parts.join(";");
}

const INT_LIST = /^[+-]?\d{1,3}(,[+-]?\d{1,3})*$/;

/** RFC 5545's range of each modelled part, `[min, max, negatives allowed]`: 0 only for hours and minutes. */
const RANGES = {
  BYDAY: [1, 53, true],
  BYMONTH: [1, 12, false],
  BYMONTHDAY: [1, 31, true],
  BYSETPOS: [1, 366, true],
  BYHOUR: [0, 23, false],
  BYMINUTE: [0, 59, false],
} as const satisfies Record<string, readonly [number, number, boolean]>;

/** Whether `value` is an UNTIL of RFC 5545's form naming a real date (and time of day). */
function realUntil(value: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return m[4] === undefined || (Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 59);
}

function inRange(n: number, [min, max, negative]: readonly [number, number, boolean]): boolean {
  if (n < 0 && !negative) return false;
  if (Object.is(n, -0)) return false;
  return Math.abs(n) >= min && Math.abs(n) <= max;
}

/**
 * Reads RRULE text back into a {@link RuleSpec}; undefined when it is not a rule at all — including,
 * as RFC 5545 says and the task service refuses, a part given twice or COUNT together with UNTIL.
 */
export function parseRule(text: string): RuleSpec | undefined {
  const body = text.trim().replace(/^RRULE:/i, "");
  if (body === "") return undefined;
  let freq: Freq | undefined;
  const spec: Omit<RuleSpec, "freq"> = { interval: 1 };
  const ints = (v: string) => (INT_LIST.test(v) ? v.split(",").map(Number) : undefined);
  const seen = new Set<string>();
  for (const part of body.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) return undefined;
    const name = part.slice(0, eq).toUpperCase();
    const value = part.slice(eq + 1).toUpperCase();
    if (seen.has(name)) return undefined;
    seen.add(name);
    const keep = () => {
      spec.other = [...(spec.other ?? []), `${name}=${value}`];
    };
    switch (name) {
      case "FREQ":
        if (!["HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"].includes(value)) return undefined;
        freq = value as Freq;
        break;
      case "INTERVAL": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) return undefined;
        spec.interval = n;
        break;
      }
      case "COUNT": {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) return undefined;
        spec.count = n;
        break;
      }
      case "UNTIL":
        if (!realUntil(value)) return undefined;
        spec.until = value;
        break;
      case "BYDAY": {
        const days: ByDay[] = [];
        for (const d of value.split(",")) {
          const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(d);
          if (!m) return undefined;
          const weekday = WEEKDAY_CODES.indexOf(m[2] as (typeof WEEKDAY_CODES)[number]) + 1;
          const n = m[1] === undefined ? undefined : Number(m[1]);
          if (n !== undefined && !inRange(n, RANGES.BYDAY)) return undefined;
          days.push(n === undefined ? { weekday } : { weekday, n });
        }
        spec.byDay = days;
        break;
      }
      case "BYMONTH":
      case "BYMONTHDAY":
      case "BYSETPOS":
      case "BYHOUR":
      case "BYMINUTE": {
        const list = ints(value);
        if (!list?.every((n) => inRange(n, RANGES[name]))) return undefined;
        const key = {
          BYMONTH: "byMonth",
          BYMONTHDAY: "byMonthDay",
          BYSETPOS: "bySetPos",
          BYHOUR: "byHour",
          BYMINUTE: "byMinute",
        }[name] as "byMonth" | "byMonthDay" | "bySetPos" | "byHour" | "byMinute";
        spec[key] = list;
        break;
      }
      default:
        keep();
    }
  }
  if (spec.count !== undefined && spec.until !== undefined) return undefined;
  return freq ? { freq, ...spec } : undefined;
}

/** The day of the month of the `n`th (or, negative, from the end) `weekday` of a month, if it exists. */
export function nthWeekday(year: number, month: number, weekday: number, n: number): number | undefined {
  const dim = daysInMonth(year, month);
  if (n > 0) {
    const firstWd = weekdayOf(dayNumber(year, month, 1));
    const day = 1 + ((weekday - firstWd + 7) % 7) + 7 * (n - 1);
    return day <= dim ? day : undefined;
  }
  const lastWd = weekdayOf(dayNumber(year, month, dim));
  const day = dim - ((lastWd - weekday + 7) % 7) - 7 * (-n - 1);
  return day >= 1 ? day : undefined;
}

/**
 * Whether the date `day` (a day number) is picked by the rule's BY-parts — the question "can a
 * series of this rule have an occurrence on this date". INTERVAL is not considered: it counts from
 * DTSTART, and this is used to choose DTSTART.
 */
export function matchesDate(spec: RuleSpec, day: number): boolean {
  const c = civilDate(day);
  const wd = weekdayOf(day);
  if (spec.byMonth && !spec.byMonth.includes(c.month)) return false;
  const dim = daysInMonth(c.year, c.month);
  const monthDayOk = (list: number[]) => list.some((n) => (n > 0 ? n === c.day : dim + n + 1 === c.day));
  const inMonth = spec.freq === "MONTHLY" || (spec.freq === "YEARLY" && spec.byMonth !== undefined);
  if (spec.bySetPos && spec.byDay) {
    // The month's days that match BYDAY, then the positions among them ("the last weekday").
    const candidates: number[] = [];
    for (let d = 1; d <= dim; d++) {
      const n = dayNumber(c.year, c.month, d);
      if (spec.byDay.some((b) => b.weekday === weekdayOf(n))) candidates.push(d);
    }
    return spec.bySetPos.some((pos) => {
      const pick = pos > 0 ? candidates[pos - 1] : candidates[candidates.length + pos];
      return pick === c.day;
    });
  }
  if (spec.byMonthDay && !monthDayOk(spec.byMonthDay)) return false;
  if (spec.byDay) {
    const ok = spec.byDay.some((b) => {
      if (b.weekday !== wd) return false;
      if (b.n === undefined || !inMonth) return true;
      return nthWeekday(c.year, c.month, b.weekday, b.n) === c.day;
    });
    if (!ok) return false;
  }
  return true;
}
