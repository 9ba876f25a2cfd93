/**
 * Wall-clock dates and times in an IANA time zone, and the instants they stand for — computed with
 * `Intl` only, so nothing depends on the browser's own time zone and no time-zone library is
 * shipped. Calendar dates are plain `YYYY-MM-DD` strings (what `<input type="date">` uses) and
 * times `HH:MM`; date arithmetic works on UTC fields, which have no daylight-saving gaps.
 */

/** A local date (`YYYY-MM-DD`) and time of day (`HH:MM`) in some time zone. */
export interface WallClock {
  readonly date: string;
  readonly time: string;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The local fields of instant `ms` in `zone`, packed as a UTC epoch (a "floating" time). */
function floatingMs(ms: number, zone: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(ms)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = p;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour % 24, minute, second, 0);
  return d.getTime();
}

/** The offset of `zone` from UTC at instant `ms`, in milliseconds (east positive). */
export function zoneOffsetMs(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return floatingMs(whole, zone) - whole;
}

/** True when `zone` is a time zone this browser knows. */
export function isTimeZone(zone: string): boolean {
  if (zone === "") return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The browser's own time zone (the default for new tasks). */
export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * Current names of zones that ICU (and so `Intl.supportedValuesOf`) still lists under an old name:
 * people search for "Kolkata" and "Kyiv", not "Calcutta" and "Kiev".
 */
const CURRENT_NAMES: Record<string, string> = {
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Asia/Ulan_Bator": "Asia/Ulaanbaatar",
  "Europe/Kiev": "Europe/Kyiv",
  "America/Godthab": "America/Nuuk",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

let zoneList: string[] | undefined;
/**
 * Every IANA time zone the browser knows, sorted, with `UTC` and the current names of renamed zones
 * (`Asia/Kolkata` beside ICU's `Asia/Calcutta`) included.
 */
export function timeZones(): readonly string[] {
  if (!zoneList) {
    const list = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const current = list.flatMap((z) => {
      const now = CURRENT_NAMES[z];
      return now && isTimeZone(now) ? [now] : [];
    });
    zoneList = [...new Set([...list, ...current, "UTC"])].sort();
  }
  return zoneList;
}

/** `UTC+05:30`-style label of `zone`'s offset at `at`. */
export function formatOffset(zone: string, at: number = Date.now()): string {
  const minutes = Math.round(zoneOffsetMs(at, zone) / 60_000);
  const sign = minutes < 0 ? "−" : "+";
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Parses `YYYY-MM-DD` into a UTC-midnight epoch, or NaN. */
export function dateMs(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return Number.NaN;
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const ok = d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  return ok ? d.getTime() : Number.NaN;
}

/** Formats a UTC epoch's date fields as `YYYY-MM-DD`. */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** True when `date` is a real `YYYY-MM-DD` date. */
export function isDate(date: string): boolean {
  return !Number.isNaN(dateMs(date));
}

/** True when `time` is a `HH:MM` time of day. */
export function isTime(time: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(time);
}

/** `date` moved by `days` days. */
export function addDays(date: string, days: number): string {
  return formatDate(dateMs(date) + days * DAY_MS);
}

/** `date` moved by `months` months, clamped to the end of the target month (31 Jan + 1 = 28/29 Feb). */
export function addMonths(date: string, months: number): string {
  const d = new Date(dateMs(date));
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + months);
  d.setUTCDate(Math.min(day, daysInMonth(d.getUTCFullYear(), d.getUTCMonth() + 1)));
  return formatDate(d.getTime());
}

/** How many days month `month` (1–12) of `year` has. */
export function daysInMonth(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

/** The weekday of `date`: 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  return new Date(dateMs(date)).getUTCDay();
}

/** The day of the month (1–31) of `date`. */
export function dayOfMonth(date: string): number {
  return new Date(dateMs(date)).getUTCDate();
}

/** The local wall-clock date and time of `instant` in `zone`. */
export function instantToWallClock(instant: Date | number, zone: string): WallClock {
  const ms = typeof instant === "number" ? instant : instant.getTime();
  const f = new Date(floatingMs(ms, zone));
  return { date: formatDate(f.getTime()), time: `${pad(f.getUTCHours())}:${pad(f.getUTCMinutes())}` };
}

/** Today's date in `zone`. */
export function todayIn(zone: string, now: Date | number = Date.now()): string {
  return instantToWallClock(now, zone).date;
}

/**
 * The instant at which the clocks in `zone` show `date` `time`. A time skipped by a daylight-saving
 * gap moves forward by the gap's length (02:30 → 03:30 CEST) and a time that happens twice is the
 * earlier one — Temporal's "compatible" disambiguation, which the scheduler uses too.
 */
export function wallClockToInstant(date: string, time: string, zone: string): Date {
  const day = dateMs(date);
  const t = /^(\d{2}):(\d{2})$/.exec(time);
  if (Number.isNaN(day) || !t) return new Date(Number.NaN);
  const local = day + (Number(t[1]) * 60 + Number(t[2])) * 60_000;
  const before = zoneOffsetMs(local - DAY_MS, zone);
  const after = zoneOffsetMs(local + DAY_MS, zone);
  const candidates = [local - before, local - after].filter((c) => c + zoneOffsetMs(c, zone) === local);
  if (candidates.length > 0) return new Date(Math.min(...candidates));
  // In a gap: the offset before the transition lands the same distance past it.
  return new Date(local - before);
}
