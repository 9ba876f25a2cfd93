/**
 * Day-number arithmetic the date phrases resolve with: the next time a month and day comes round,
 * the next day of the month, next week's Monday, the end of a month, a shift by a duration. Days are
 * day numbers (days since 1970-01-01); weeks start on Monday.
 */
import {
  addMonths,
  type CivilDate,
  civilDate,
  dayNumber,
  daysInMonth,
  isRealDate,
  toDayNumber,
  weekdayOf,
} from "./calendar.ts";
import type { Duration } from "./scanner.ts";

/** The first date on or after `today` with this month and day (29 February waits for a leap year). */
export function nextMonthDay(today: number, month: number, day: number): number {
  const c = civilDate(today);
  for (let year = c.year; year < c.year + 9; year++) {
    if (!isRealDate(year, month, day)) continue;
    const n = dayNumber(year, month, day);
    if (n >= today) return n;
  }
  return dayNumber(c.year, month, Math.min(day, daysInMonth(c.year, month)));
}

/** The first date on or after `from` whose day of the month is `day` (skipping months too short). */
export function nextDayOfMonth(day: number, from: number): number {
  let c = civilDate(from);
  for (let k = 0; k < 13; k++) {
    if (isRealDate(c.year, c.month, day)) {
      const n = dayNumber(c.year, c.month, day);
      if (n >= from) return n;
    }
    c = addMonths({ year: c.year, month: c.month, day: 1 }, 1);
  }
  return from;
}

/** Monday of the week after the one `today` is in. */
export function nextWeekMonday(today: number): number {
  return today + 8 - weekdayOf(today);
}

/** The first day of the month `ahead` months after `today`'s. */
export function monthStart(today: number, ahead: number): CivilDate {
  return addMonths({ ...civilDate(today), day: 1 }, ahead);
}

/** The last day of the month `ahead` months after `today`'s. */
export function endOfMonth(today: number, ahead: number): number {
  const c = monthStart(today, ahead);
  return dayNumber(c.year, c.month, daysInMonth(c.year, c.month));
}

/** `day` moved by a whole-day duration, forwards (`sign` 1) or back (-1). */
export function shiftDay(day: number, d: Duration, sign: 1 | -1): number {
  let n = day + sign * d.days;
  if (d.months) n = toDayNumber(addMonths(civilDate(n), sign * d.months));
  return n;
}
