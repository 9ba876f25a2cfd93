/**
 * Words for times, priorities, recurrences and reminders, as the task list shows them. Everything
 * takes the instant *and* the IANA time zone it is meant in, and never reads the browser's own zone,
 * so the app says the same thing on any machine and the tests run the same under any `TZ`.
 */
import type { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { PRIORITY_LABELS, type PriorityKey } from "@todo/language/priority";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The calendar fields of an instant as a wall clock in some zone shows them. */
export interface WallClock {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  readonly day: number;
  /** 0–23. */
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/**
 * The part of TC39 Temporal this module uses (not yet in TypeScript's library). Chromium has it
 * built in; elsewhere `Intl.DateTimeFormat` does the same job.
 */
interface TemporalLike {
  readonly Instant: {
    fromEpochMilliseconds(ms: number): {
      /** The wall clock; its `dayOfWeek` is 1 = Monday … 7 = Sunday. */
      toZonedDateTimeISO(timeZone: string): Omit<WallClock, "weekday"> & { readonly dayOfWeek: number };
    };
  };
}

/**
 * Temporal, where the browser has it. Its time-zone arithmetic reads ICU's zone data only, while the
 * first `Intl.DateTimeFormat` also builds the locale's date patterns: 30–50 ms on the first visit
 * (docs/benchmarks-web.md), spent before the first row could show its due date.
 */
const temporal = (globalThis as { Temporal?: TemporalLike }).Temporal;

/** Whether `timeZone` is an IANA zone this browser knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    if (temporal) temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone);
    else partsFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
    });
    partsFormatters.set(timeZone, f);
  }
  return f;
}

/** {@link wallClock} with Temporal; throws a RangeError for a zone it does not know. */
function temporalWallClock(t: TemporalLike, date: Date, timeZone: string): WallClock {
  const z = t.Instant.fromEpochMilliseconds(date.getTime()).toZonedDateTimeISO(timeZone);
  return {
    year: z.year,
    month: z.month,
    day: z.day,
    hour: z.hour,
    minute: z.minute,
    second: z.second,
    weekday: z.dayOfWeek % 7,
  };
}

/** The wall clock of `date` in `timeZone` (an unknown zone falls back to UTC rather than throwing). */
export function wallClock(date: Date, timeZone: string): WallClock {
  if (!temporal) return intlWallClock(date, timeZone);
  try {
    return temporalWallClock(temporal, date, timeZone);
  } catch {
    return temporalWallClock(temporal, date, "UTC");
  }
}

/**
 * {@link wallClock} as `Intl.DateTimeFormat` reads it: what it uses where there is no Temporal
 * (exported so that a test can hold the two against each other).
 */
export function intlWallClock(date: Date, timeZone: string): WallClock {
  let f: Intl.DateTimeFormat;
  try {
    f = partsFormatter(timeZone);
  } catch {
    f = partsFormatter("UTC");
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(date)) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour) % 24,
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS.indexOf(out.weekday ?? "Sun"),
  };
}

/** The zone's offset from UTC at `date`, in milliseconds (positive east of Greenwich). */
export function zoneOffset(date: Date, timeZone: string): number {
  const w = wallClock(date, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - (date.getTime() - date.getUTCMilliseconds());
}

/**
 * The instant at which the calendar day `days` after the one containing `date` begins in
 * `timeZone` (days step through the calendar, so DST changes do not shift the result). This is
 * the client's copy of the filter language's `today+Nd`.
 */
export function startOfDay(date: Date, timeZone: string, days = 0): Date {
  const w = wallClock(date, timeZone);
  const target = Date.UTC(w.year, w.month - 1, w.day + days);
  // Two passes settle the offset even when the guess and the answer straddle a DST change.
  let guess = target - zoneOffset(new Date(target), timeZone);
  guess = target - zoneOffset(new Date(guess), timeZone);
  // On a day whose midnight is skipped, the day starts at the first moment that exists.
  const check = wallClock(new Date(guess), timeZone);
  if (Date.UTC(check.year, check.month - 1, check.day) < target) guess += HOUR;
  return new Date(guess);
}

/** Calendar days from the day of `from` to the day of `to`, both as seen in `timeZone`. */
export function calendarDaysBetween(from: Date, to: Date, timeZone: string): number {
  const a = wallClock(from, timeZone);
  const b = wallClock(to, timeZone);
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / DAY);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** Whether a wall-clock time is 23:59, the "whole day" due time of a date typed without a time. */
export function isEndOfDay(w: WallClock): boolean {
  return w.hour === 23 && w.minute === 59;
}

/** `09:00`: a 24-hour clock, the same in every locale. */
export function formatClock(w: WallClock): string {
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

/** A due time in words, and how the row should show it. */
export interface DueText {
  /** Short words: `today 09:00`, `tomorrow`, `yesterday 18:00`, `Fri 11 Dec, 18:00`, `20 Jan 2027`. */
  readonly text: string;
  /** The full moment, for a tooltip and screen readers: `Monday 14 December 2026, 09:00 (Europe/Berlin)`. */
  readonly full: string;
  /** The due time has passed (for a date without a time: the day is over). */
  readonly overdue: boolean;
  /** Due today and not yet overdue. */
  readonly today: boolean;
  /** Whether a time of day was shown (a due time at 23:59 reads as a whole day). */
  readonly hasTime: boolean;
}

/**
 * Describes `due` relative to `now` in `timeZone`, the way Todoist does: `today 09:00`,
 * `tomorrow 09:00`, `yesterday`, and beyond those a date — `Fri 11 Dec, 18:00`, with the year
 * instead of the weekday when it is not this year's (`20 Jan 2027, 09:00`). The time of day is shown
 * at every distance (issue 13: "in 3 days" used to hide it in a tooltip). A due time of 23:59 local
 * is how quick add stores a date typed without a time ("due by the end of the day"), so it reads as
 * the day alone. Overdue means the due time has passed, exactly as the filter `due_time < now`.
 */
export function formatDue(due: Date, now: Date, timeZone: string): DueText {
  const w = wallClock(due, timeZone);
  const hasTime = !isEndOfDay(w);
  const days = calendarDaysBetween(now, due, timeZone);
  const overdue = due.getTime() < now.getTime();
  let text: string;
  if (days >= -1 && days <= 1) {
    const word = days === 0 ? "today" : days === 1 ? "tomorrow" : "yesterday";
    text = hasTime ? `${word} ${formatClock(w)}` : word;
  } else {
    const thisYear = wallClock(now, timeZone).year === w.year;
    const date = thisYear
      ? `${WEEKDAYS[w.weekday]} ${w.day} ${MONTHS[w.month - 1]}`
      : `${w.day} ${MONTHS[w.month - 1]} ${w.year}`;
    text = hasTime ? `${date}, ${formatClock(w)}` : date;
  }
  return { text, full: formatFull(due, timeZone, hasTime), overdue, today: days === 0 && !overdue, hasTime };
}

const WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/**
 * `Monday, 14 December 2026 at 09:00 (Europe/Berlin)` (British English, as `Intl`'s `en-GB` full
 * date style writes it), or without ` at 09:00`. Written from {@link wallClock} rather than by an
 * `Intl.DateTimeFormat`, whose creation costs the first screen tens of milliseconds; an unknown zone
 * shows UTC's time with the name it was given.
 */
export function formatFull(date: Date, timeZone: string, withTime = true): string {
  const w = wallClock(date, timeZone);
  const day = `${WEEKDAY_NAMES[w.weekday]}, ${w.day} ${MONTH_NAMES[w.month - 1]} ${w.year}`;
  return `${withTime ? `${day} at ${formatClock(w)}` : day} (${timeZone})`;
}

/** How long ago or ahead `date` is from `now`, briefly: `just now`, `5 min ago`, `3 h ago`, `2 days ago`. */
export function formatRelative(date: Date, now: Date): string {
  const ms = now.getTime() - date.getTime();
  const ahead = ms < 0;
  const abs = Math.abs(ms);
  let amount: string;
  if (abs < MINUTE) return "just now";
  if (abs < HOUR) amount = `${Math.floor(abs / MINUTE)} min`;
  else if (abs < DAY) amount = `${Math.floor(abs / HOUR)} h`;
  else {
    const d = Math.floor(abs / DAY);
    amount = `${d} ${d === 1 ? "day" : "days"}`;
  }
  return ahead ? `in ${amount}` : `${amount} ago`;
}

/** A priority's name, colour class and rank, for badges and the checkbox ring. */
export interface PriorityInfo {
  /** `Urgent`, `High`, `Medium`, `Low`, or `None`. */
  readonly label: string;
  /** A short word for CSS classes and URLs: `urgent`, `high`, `medium`, `low`, `none`. */
  readonly key: PriorityKey;
}

/** The URL and CSS name of a priority (the vocabulary is `@todo/language/priority`). */
export type { PriorityKey };

/** Every priority from the most important down, with its enum value and label. */
export const PRIORITIES = PRIORITY_LABELS;

/** The name and colour key of `priority`. */
export function priorityInfo(priority: Priority): PriorityInfo {
  const p = PRIORITIES.find((x) => x.value === priority) ?? PRIORITIES[4];
  return { label: p?.label ?? "None", key: p?.key ?? "none" };
}

/** `30 min before`, `1 h before`, `1 day before`, `at due time`: a relative reminder in words. */
export function formatBeforeDue(ms: number): string {
  if (ms <= 0) return "at due time";
  const unit = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many} before`;
  if (ms % DAY === 0) return unit(ms / DAY, "day", "days");
  if (ms % HOUR === 0) return unit(ms / HOUR, "hour", "hours");
  if (ms % MINUTE === 0) return unit(ms / MINUTE, "minute", "minutes");
  return unit(Math.round(ms / 1000), "second", "seconds");
}

const DAY_NAMES: Record<string, string> = {
  MO: "Monday",
  TU: "Tuesday",
  WE: "Wednesday",
  TH: "Thursday",
  FR: "Friday",
  SA: "Saturday",
  SU: "Sunday",
};
const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

function ordinal(n: number): string {
  if (n === -1) return "last day";
  if (n < 0) return `${ordinal(-n)} to last day`;
  if (n % 100 >= 11 && n % 100 <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

function listWords(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/**
 * A short English reading of an RRULE (`FREQ=WEEKLY;BYDAY=MO` → `every Monday`). The shared
 * `describeRecurrence` of `@todo/language` is the real one; this covers the common rules so the row
 * can show text before that module has loaded, and says `repeats` for anything it cannot read.
 */
export function describeRRuleFallback(rrule: string): string {
  const parts = new Map<string, string>();
  for (const piece of rrule.replace(/^RRULE:/i, "").split(";")) {
    const [k, v] = piece.split("=");
    if (k && v) parts.set(k.toUpperCase(), v.toUpperCase());
  }
  const freq = parts.get("FREQ");
  const interval = Number(parts.get("INTERVAL") ?? "1") || 1;
  const byDay = parts.get("BYDAY")?.split(",") ?? [];
  const byMonthDay = parts.get("BYMONTHDAY")?.split(",").map(Number) ?? [];
  const byMonth = parts.get("BYMONTH")?.split(",").map(Number) ?? [];
  const every = (one: string, many: string) =>
    interval === 1 ? `every ${one}` : `every ${interval} ${many}`;
  let text: string;
  switch (freq) {
    case "DAILY":
      text = every("day", "days");
      break;
    case "WEEKLY": {
      const days = byDay.map((d) => DAY_NAMES[d.replace(/^[+-]?\d+/, "")] ?? d);
      const weekdays = ["MO", "TU", "WE", "TH", "FR"];
      if (byDay.length === 5 && weekdays.every((d) => byDay.includes(d)) && interval === 1)
        text = "every weekday";
      else if (days.length > 0)
        text = interval === 1 ? `every ${listWords(days)}` : `every ${interval} weeks on ${listWords(days)}`;
      else text = every("week", "weeks");
      break;
    }
    case "MONTHLY": {
      const base = every("month", "months");
      if (byMonthDay.length > 0) text = `${base} on the ${listWords(byMonthDay.map(ordinal))}`;
      else if (byDay.length === 1) {
        const m = /^([+-]?\d+)?([A-Z]{2})$/.exec(byDay[0] ?? "");
        const n = Number(m?.[1] ?? parts.get("BYSETPOS") ?? "1");
        const day = DAY_NAMES[m?.[2] ?? ""] ?? "";
        text = `${base} on the ${n === -1 ? "last" : ordinal(n)} ${day}`;
      } else text = base;
      break;
    }
    case "YEARLY": {
      const base = every("year", "years");
      const month = byMonth[0] ? MONTH_NAMES[byMonth[0] - 1] : undefined;
      text = month && byMonthDay[0] ? `${base} on ${month} ${byMonthDay[0]}` : base;
      break;
    }
    case "HOURLY":
      text = every("hour", "hours");
      break;
    case "MINUTELY":
      text = every("minute", "minutes");
      break;
    default:
      return "repeats";
  }
  const count = parts.get("COUNT");
  if (count) text += `, ${count} times`;
  const until = parts.get("UNTIL");
  if (until && /^\d{8}/.test(until)) {
    const y = Number(until.slice(0, 4));
    const mo = Number(until.slice(4, 6));
    const d = Number(until.slice(6, 8));
    text += `, until ${d} ${MONTHS[mo - 1]} ${y}`;
  }
  return text;
}
