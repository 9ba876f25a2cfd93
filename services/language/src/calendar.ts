/**
 * Calendar arithmetic on plain dates (no time zone) and the one place where wall-clock times become
 * instants. Dates are counted as whole days since 1970-01-01 so that stepping through a calendar is
 * integer arithmetic; only the final "this wall-clock time in this zone" step uses the Temporal
 * polyfill, so nothing here ever reads the process's (or the browser's) own time zone.
 */
import { Temporal } from "temporal-polyfill";

/** A calendar date: `month` 1–12, `day` 1–31. */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** A time of day on a 24-hour clock. */
export interface TimeOfDay {
  readonly hour: number;
  readonly minute: number;
}

/** A wall-clock reading in some zone: the date, the time and the ISO weekday (1 = Monday … 7 = Sunday). */
export interface WallClock extends CivilDate, TimeOfDay {
  readonly weekday: number;
}

/** Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function dayNumber(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date `n` days after 1970-01-01 (the inverse of {@link dayNumber}). */
export function civilDate(n: number): CivilDate {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** `dayNumber` of a {@link CivilDate}. */
export function toDayNumber(date: CivilDate): number {
  return dayNumber(date.year, date.month, date.day);
}

/** ISO weekday of a day number: 1 = Monday … 7 = Sunday. */
export function weekdayOf(n: number): number {
  // 1970-01-01 was a Thursday (4).
  return ((((n + 3) % 7) + 7) % 7) + 1;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Whether year/month/day name a real date (31 April and 29 February 2027 do not). */
export function isRealDate(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) &&
    month >= 1 &&
    month <= 12 &&
    Number.isInteger(day) &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  );
}

/**
 * `date` moved by whole months, keeping the day of the month where it exists and otherwise taking
 * the month's last day (31 January + 1 month = 28 or 29 February), as Temporal's "constrain" does.
 */
export function addMonths(date: CivilDate, months: number): CivilDate {
  const index = date.year * 12 + (date.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return { year, month, day: Math.min(date.day, daysInMonth(year, month)) };
}

/** `YYYYMMDD`, the RFC 5545 DATE form. */
export function basicDate(date: CivilDate): string {
  return `${String(date.year).padStart(4, "0")}${String(date.month).padStart(2, "0")}${String(date.day).padStart(2, "0")}`;
}

/**
 * Throws a RangeError unless `timeZone` is an IANA zone the Temporal polyfill knows. Done once per
 * parse so that a typo in the caller's zone fails loudly instead of silently meaning UTC.
 */
export function checkTimeZone(timeZone: string): void {
  Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(timeZone);
}

/** The wall clock of `instant` in `timeZone`. */
export function wallClockAt(instant: Date, timeZone: string): WallClock {
  const z = Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(timeZone);
  return { year: z.year, month: z.month, day: z.day, hour: z.hour, minute: z.minute, weekday: z.dayOfWeek };
}

/**
 * The instant at which clocks in `timeZone` show `date` `time`. A time skipped by a daylight-saving
 * gap moves forward by the length of the gap (02:30 → 03:30), a time that happens twice is the
 * first one — Temporal's "compatible" disambiguation, the same choice as RFC 5545 and the scheduler.
 */
export function instantAt(date: CivilDate, time: TimeOfDay, timeZone: string): Date {
  const zoned = Temporal.PlainDateTime.from({
    year: date.year,
    month: date.month,
    day: date.day,
    hour: time.hour,
    minute: time.minute,
  }).toZonedDateTime(timeZone, { disambiguation: "compatible" });
  return new Date(zoned.epochMilliseconds);
}
