/**
 * Calendar dates as typed, resolved against the scanner's today: "today", "tomorrow", "tonight",
 * "the day after tomorrow", "Friday", "next Friday", "last Friday", "Friday next week", "this
 * weekend", "next week", "next month", "end of month", "in 3 days", "3 days from now", "2 days ago",
 * "on the 5th", "Dec 24", "24th of December 2027", and through chrono-node "24/12/2027", optionally
 * followed by a part of the day ("tomorrow morning").
 */
import { civilDate, dayNumber, daysInMonth, isRealDate, toDayNumber, weekdayOf } from "./calendar.ts";
import { chronoDate } from "./chrono-dates.ts";
import { DUE_CONNECTORS } from "./connectors.ts";
import {
  endOfMonth,
  monthStart,
  nextDayOfMonth,
  nextMonthDay,
  nextWeekMonday,
  shiftDay,
} from "./day-arithmetic.ts";
import { monthWord, ordinalWord, weekdayWord } from "./lexicon.ts";
import type { DateAtom, Scanner, TimeAtom } from "./scanner.ts";
import { partOfDay } from "./time-phrases.ts";

/** A date at `i` (see the module comment), with a part of the day after it when one follows. */
export function readDate(s: Scanner, i: number): DateAtom | undefined {
  const atom = dateCore(s, i) ?? chronoDate(s, i);
  if (!atom || atom.time) return atom;
  // "tomorrow morning", "Friday evening", "Monday night"
  const next = s.w(atom.end);
  if (next === "morning" || next === "afternoon" || next === "evening" || next === "night") {
    const time = partOfDay(atom.end, atom.end + 1, next);
    if (time) return { ...atom, end: atom.end + 1, time };
  }
  return atom;
}

/** A date atom over tokens [start, end). */
function atom(
  start: number,
  end: number,
  day: number,
  named: DateAtom["named"] = "other",
  weekly = false,
  time?: TimeAtom,
): DateAtom {
  return time ? { start, end, day, weekly, time, named } : { start, end, day, weekly, named };
}

/** The grammar's own date phrases at `i`, tried in order; chrono-node's numeric forms are not among them. */
function dateCore(s: Scanner, i: number): DateAtom | undefined {
  const w = s.w(i);
  if (w === undefined) return undefined;
  const named = dayWord(s, i, w) ?? periodPhrase(s, i, w);
  if (named) return named;
  // "(the) end of (the|this|next) month|year"
  const e = w === "the" && s.is(i + 1, "end") ? i + 1 : i;
  if (s.is(e, "end") && s.is(e + 1, "of")) return endOfPhrase(s, i, e);
  const weekday = weekdayPhrase(s, i, w);
  if (weekday) return weekday;
  // "in 3 days", "in a week", "in 2 months"
  if (w === "in" || w === "within") {
    const d = s.duration(i + 1);
    return d?.wholeDays ? atom(i, d.end, shiftDay(s.today, d, 1)) : undefined;
  }
  return offsetPhrase(s, i) ?? monthDayPhrase(s, i) ?? dayOfMonthPhrase(s, i, w);
}

/** One word for a day: "today", "tonight", "tomorrow" (and its misspellings), "yesterday", "eom", … */
function dayWord(s: Scanner, i: number, w: string): DateAtom | undefined {
  const today = s.today;
  switch (w) {
    case "today":
    case "tod":
      return atom(i, i + 1, today);
    case "tonight":
    case "tonite":
      return atom(i, i + 1, today, "other", false, partOfDay(i, i + 1, "tonight"));
    case "tomorrow":
    case "tmrw":
    case "tmr":
    case "tomorow":
    case "tommorow":
    case "tommorrow":
      return atom(i, i + 1, today + 1);
    case "yesterday":
      return atom(i, i + 1, today - 1);
    case "overmorrow":
      return atom(i, i + 1, today + 2);
    case "eom":
      return atom(i, i + 1, endOfMonth(today, 0));
    case "eoy":
      return atom(i, i + 1, dayNumber(civilDate(today).year, 12, 31));
  }
  return undefined;
}

/** "the day after tomorrow", "this morning", "this weekend", "next week|month|year". */
function periodPhrase(s: Scanner, i: number, w: string): DateAtom | undefined {
  const today = s.today;
  const d0 = w === "the" ? i + 1 : i;
  if (s.is(d0, "day") && s.is(d0 + 1, "after") && s.is(d0 + 2, "tomorrow")) return atom(i, d0 + 3, today + 2);
  if (w === "this" && s.is(i + 1, "morning", "afternoon", "evening")) {
    return atom(i, i + 2, today, "other", false, partOfDay(i + 1, i + 2, s.w(i + 1) as string));
  }
  // "(this|next|the) weekend"
  const weekendAt = w === "this" || w === "next" || w === "the" ? i + 1 : i;
  if (s.is(weekendAt, "weekend")) {
    if (w === "next") return atom(i, i + 2, nextWeekMonday(today) + 5);
    const wd = weekdayOf(today);
    return atom(i, weekendAt + 1, wd === 7 ? today : today + ((6 - wd + 7) % 7));
  }
  // "next week|month|year"; "this week" is left alone (no single day)
  if (w !== "next") return undefined;
  if (s.is(i + 1, "week")) return atom(i, i + 2, nextWeekMonday(today));
  if (s.is(i + 1, "month")) return atom(i, i + 2, toDayNumber(monthStart(today, 1)));
  if (s.is(i + 1, "year")) return atom(i, i + 2, dayNumber(civilDate(today).year + 1, 1, 1));
  return undefined;
}

/** "end of (the|this|next) month|year", whose "end" is at `e`; undefined for "end of" anything else. */
function endOfPhrase(s: Scanner, i: number, e: number): DateAtom | undefined {
  let j = e + 2;
  let ahead = 0;
  if (s.is(j, "the", "this")) j++;
  else if (s.is(j, "next")) {
    ahead = 1;
    j++;
  }
  if (s.is(j, "month")) return atom(i, j + 1, endOfMonth(s.today, ahead));
  if (s.is(j, "year")) return atom(i, j + 1, dayNumber(civilDate(s.today).year + ahead, 12, 31));
  return undefined;
}

/**
 * A weekday, with "this|next|coming|last" before it or "next week|this week" after it. An
 * abbreviation that is also a word ("sat") counts only after a modifier or a due connector, or
 * before a time.
 */
function weekdayPhrase(s: Scanner, i: number, w: string): DateAtom | undefined {
  const today = s.today;
  const modifier = w === "this" || w === "next" || w === "coming" || w === "last" ? w : undefined;
  const wdAt = modifier ? i + 1 : i;
  const loose =
    modifier !== undefined || DUE_CONNECTORS.has(s.before(i) ?? "") || s.time(wdAt + 1) !== undefined;
  const wd = readWeekday(s, wdAt, loose);
  if (!wd || wd.plural) return undefined;
  // "Friday next week", "Friday this week"
  if (!modifier && s.is(wdAt + 1, "next", "this") && s.is(wdAt + 2, "week")) {
    const monday = s.is(wdAt + 1, "next") ? nextWeekMonday(today) : today - weekdayOf(today) + 1;
    return atom(i, wdAt + 3, monday + wd.weekday - 1, "weekday");
  }
  const todayWd = weekdayOf(today);
  if (modifier === "next") return atom(i, wdAt + 1, nextWeekMonday(today) + wd.weekday - 1, "weekday");
  if (modifier === "last") return atom(i, wdAt + 1, today - ((todayWd - wd.weekday + 7) % 7 || 7), "weekday");
  return atom(i, wdAt + 1, today + ((wd.weekday - todayWd + 7) % 7), "weekday", true);
}

/** "3 days from now|today|tomorrow", "2 weeks ago", "a week later". */
function offsetPhrase(s: Scanner, i: number): DateAtom | undefined {
  const d = s.duration(i);
  if (!d?.wholeDays) return undefined;
  const today = s.today;
  if (s.is(d.end, "from") && s.is(d.end + 1, "now", "today"))
    return atom(i, d.end + 2, shiftDay(today, d, 1));
  if (s.is(d.end, "from") && s.is(d.end + 1, "tomorrow"))
    return atom(i, d.end + 2, shiftDay(today + 1, d, 1));
  if (s.is(d.end, "ago")) return atom(i, d.end + 1, shiftDay(today, d, -1));
  if (s.is(d.end, "later")) return atom(i, d.end + 1, shiftDay(today, d, 1));
  return undefined;
}

/** "Dec 24", "24th of December 2027": the next such day unless a year is typed. */
function monthDayPhrase(s: Scanner, i: number): DateAtom | undefined {
  const md = readMonthDay(s, i);
  if (!md) return undefined;
  const day =
    md.year !== undefined ? dayNumber(md.year, md.month, md.day) : nextMonthDay(s.today, md.month, md.day);
  return atom(i, md.end, day, "date");
}

/** "on the 5th", "by the 21st", "on the 31st of next month": a day of the month needs a connector before it. */
function dayOfMonthPhrase(s: Scanner, i: number, w: string): DateAtom | undefined {
  const ordAt = w === "the" ? i + 1 : i;
  const ord = ordinalWord(s.w(ordAt) ?? "");
  if (ord === undefined || !/^(on|by|due|for|until|till|before|from|starting)$/.test(s.before(i) ?? "")) {
    return undefined;
  }
  if (s.is(ordAt + 1, "of") && s.is(ordAt + 2, "next") && s.is(ordAt + 3, "month")) {
    const c = monthStart(s.today, 1);
    const n = Math.min(ord, daysInMonth(c.year, c.month));
    return atom(i, ordAt + 4, dayNumber(c.year, c.month, n), "monthday");
  }
  return atom(i, ordAt + 1, nextDayOfMonth(ord, s.today), "monthday");
}

/** A weekday name at `i` (abbreviations that are also words only when `loose`). */
export function readWeekday(
  s: Scanner,
  i: number,
  loose: boolean,
): { weekday: number; plural: boolean } | undefined {
  const w = s.w(i);
  const wd = w === undefined ? undefined : weekdayWord(w);
  if (!wd || (wd.ambiguous && !loose)) return undefined;
  return { weekday: wd.weekday, plural: wd.plural };
}

/**
 * A month and day at `i`: "Dec 24", "December 24th, 2027", "March the 5th", "24 Dec",
 * "24th of December", "the 5th of March 2028". The year is given only when typed.
 */
export function readMonthDay(
  s: Scanner,
  i: number,
): { month: number; day: number; year?: number; end: number } | undefined {
  let j = i;
  const first = s.w(j);
  if (first === undefined) return undefined;
  let month = monthWord(first);
  let day: number | undefined;
  if (month !== undefined) {
    j++;
    if (s.p(j) === "." && s.glued(j)) j++;
    if (s.is(j, "the")) j++;
    day = dayOfMonth(s, j);
    if (day === undefined) return undefined;
    j++;
  } else {
    if (first === "the") j++;
    day = dayOfMonth(s, j);
    if (day === undefined) return undefined;
    j++;
    if (s.is(j, "of")) j++;
    month = monthWord(s.w(j) ?? "");
    if (month === undefined) return undefined;
    j++;
    if (s.p(j) === "." && s.glued(j)) j++;
  }
  let year: number | undefined;
  const comma = s.p(j) === "," ? 1 : 0;
  const y = s.w(j + comma);
  if (y !== undefined && /^(19|20|21)\d\d$/.test(y)) {
    year = Number(y);
    j += comma + 1;
  }
  if (!isRealDate(year ?? 2028, month, day)) return undefined;
  return year === undefined ? { month, day, end: j } : { month, day, year, end: j };
}

/** A day of the month written "5", "05", "5th" or "fifth". */
function dayOfMonth(s: Scanner, i: number): number | undefined {
  const w = s.w(i);
  if (w === undefined) return undefined;
  if (/^\d{1,2}$/.test(w)) {
    const n = Number(w);
    return n >= 1 && n <= 31 ? n : undefined;
  }
  return ordinalWord(w);
}
