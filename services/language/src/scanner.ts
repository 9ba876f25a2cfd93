/**
 * The token cursor the grammar works on, and the small phrases everything else is built from:
 * times of day, dates, durations, weekday lists, ordinals and month-day pairs. Every matcher takes a
 * token index and returns what it read plus the index just after it, or undefined; it only ever
 * reads tokens that no earlier phrase has claimed.
 */
import type { ParsedResult } from "chrono-node";
import { casual } from "chrono-node/en";
import {
  addMonths,
  type CivilDate,
  civilDate,
  dayNumber,
  daysInMonth,
  isRealDate,
  type TimeOfDay,
  toDayNumber,
  type WallClock,
  weekdayOf,
} from "./calendar.ts";
import {
  monthWord,
  numberWord,
  ordinalWord,
  PART_OF_DAY,
  tensWord,
  type Unit,
  unitWord,
  weekdayWord,
} from "./lexicon.ts";
import type { Token } from "./tokenize.ts";

/** A time of day as typed. */
export interface TimeAtom {
  readonly start: number;
  readonly end: number;
  readonly hour: number;
  readonly minute: number;
  /** "at 6", "6:30": no am/pm and an hour from 1 to 12, so a nearby "morning"/"evening" or a default decides. */
  readonly ambiguous: boolean;
  /** "morning", "tonight": a part of the day standing for a default time. */
  readonly vague: boolean;
  /** For a vague time: whether it lies after noon (it decides an ambiguous hour next to it). */
  readonly pm?: boolean;
}

/** A calendar date as typed, already resolved against today. */
export interface DateAtom {
  readonly start: number;
  readonly end: number;
  /** Day number (days since 1970-01-01). */
  readonly day: number;
  /** A bare weekday ("Friday"): when it is today and the time has passed, it means next week. */
  readonly weekly: boolean;
  /** A time that came with the date ("tonight", "tomorrow morning", "Dec 24 at noon" from chrono). */
  readonly time?: TimeAtom;
  /**
   * How the date was named, so that a rule without its own day can take it ("on the 25th every
   * month" → BYMONTHDAY=25): a weekday, a day of the month, a month and day, or anything else.
   */
  readonly named: "weekday" | "monthday" | "date" | "other";
}

/** A moment relative to now ("in 2 hours"). */
export interface InstantAtom {
  readonly start: number;
  readonly end: number;
  readonly at: Date;
}

/** A length of time: fixed milliseconds plus calendar months (months and years have no fixed length). */
export interface Duration {
  readonly end: number;
  readonly ms: number;
  readonly months: number;
  /** Only days, weeks, months and years: it moves a date, not a clock. */
  readonly wholeDays: boolean;
  readonly days: number;
}

/**
 * Words that announce a date ("on sat", "by 12/24"): after one of them, a weekday abbreviation that
 * is also an English word, or a day/month pair without a year, is read as a date.
 */
export const DATE_CONNECTORS = new Set([
  "on",
  "at",
  "@",
  "by",
  "due",
  "for",
  "before",
  "until",
  "till",
  "from",
  "starting",
  "beginning",
]);

interface ChronoAtom {
  readonly end: number;
  readonly date?: { month: number; day: number; year?: number };
  readonly time?: { hour: number; minute: number; meridiem: boolean };
  readonly slash: boolean;
}

const TIME_TOKEN = /^(\d{1,2})(?:([:.])(\d{2}))?(am|pm|a|p)?$/;
const GLUED_DURATION = /^(?:\d+(?:\.\d+)?[a-z]+)+$/;
const GLUED_PART = /(\d+(?:\.\d+)?)([a-z]+)/g;
const MAYBE_CHRONO = /\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|noon|midnight/i;

/** The token cursor of one parse, with "today" and "now" in the user's zone. */
export class Scanner {
  readonly used: boolean[];
  private chronoAtoms: Map<number, ChronoAtom> | undefined;

  constructor(
    readonly text: string,
    readonly tokens: readonly Token[],
    /** Now, as a wall clock in the user's zone. */
    readonly wall: WallClock,
    readonly now: Date,
  ) {
    this.used = tokens.map((t) => t.kind === "quoted");
  }

  /** Today's day number in the user's zone. */
  get today(): number {
    return dayNumber(this.wall.year, this.wall.month, this.wall.day);
  }

  /** The lower-case text of token `i` if it is an unclaimed word. */
  w(i: number): string | undefined {
    const t = this.tokens[i];
    return t && !this.used[i] && t.kind === "word" ? t.lower : undefined;
  }

  /** The text of token `i` if it is unclaimed punctuation. */
  p(i: number): string | undefined {
    const t = this.tokens[i];
    return t && !this.used[i] && t.kind === "punct" ? t.text : undefined;
  }

  /** Whether token `i` is an unclaimed word among `words`. */
  is(i: number, ...words: string[]): boolean {
    const w = this.w(i);
    return w !== undefined && words.includes(w);
  }

  /** Whether token `i` directly touches token `i - 1` (no space between). */
  glued(i: number): boolean {
    const a = this.tokens[i - 1];
    const b = this.tokens[i];
    return a !== undefined && b !== undefined && a.end === b.start;
  }

  /** The lower-case text of the nearest unclaimed token before `i` (word or punctuation). */
  before(i: number): string | undefined {
    const t = this.tokens[i - 1];
    return t && !this.used[i - 1] ? t.lower : undefined;
  }

  /** Claims tokens [start, end). */
  claim(start: number, end: number): void {
    for (let i = start; i < end; i++) this.used[i] = true;
  }

  /** Whether all tokens in [start, end) are unclaimed. */
  free(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (this.used[i]) return false;
    return true;
  }

  // ---------------------------------------------------------------- numbers and durations

  /** A cardinal number at `i` ("3", "three", "twenty five", "a"), with the index after it. */
  number(i: number, allowArticle = true): { value: number; end: number } | undefined {
    const w = this.w(i);
    if (w === undefined) return undefined;
    if (!allowArticle && (w === "a" || w === "an")) return undefined;
    const tens = tensWord(w);
    if (tens !== undefined) {
      const unit = this.w(i + 1);
      const n = unit === undefined ? undefined : numberWord(unit);
      if (n !== undefined && n >= 1 && n <= 9 && /^[a-z]+$/.test(unit ?? ""))
        return { value: tens + n, end: i + 2 };
      return { value: tens, end: i + 1 };
    }
    if (w === "couple" || w === "few") return undefined;
    if ((w === "a" || w === "an") && this.is(i + 1, "couple", "few")) {
      const n = w === "a" && this.is(i + 1, "couple") ? 2 : 3;
      return { value: n, end: this.is(i + 2, "of") ? i + 3 : i + 2 };
    }
    const value = numberWord(w);
    return value === undefined ? undefined : { value, end: i + 1 };
  }

  /**
   * A duration at `i`: "30 minutes", "1 hour 30 minutes", "1h30m", "90 min", "an hour", "half an
   * hour", "an hour and a half", "1.5 hours", "2 days", "a week", "3 months".
   */
  duration(i: number): Duration | undefined {
    const parts: { n: number; unit: Unit }[] = [];
    let j = i;
    for (;;) {
      const part = this.durationPart(j);
      if (!part) break;
      parts.push(...part.parts);
      j = part.end;
      // "an hour and a half"
      if (this.is(j, "and") && this.is(j + 1, "a") && this.is(j + 2, "half")) {
        const last = parts[parts.length - 1];
        if (last) parts.push({ n: 0.5, unit: last.unit });
        j += 3;
        break;
      }
    }
    if (parts.length === 0) return undefined;
    let ms = 0;
    let months = 0;
    let days = 0;
    let wholeDays = true;
    for (const { n, unit } of parts) {
      if (unit === "month" || unit === "quarter" || unit === "year") {
        const m = n * (unit === "month" ? 1 : unit === "quarter" ? 3 : 12);
        if (!Number.isInteger(m)) return undefined;
        months += m;
      } else {
        const perDay = unit === "day" ? 1 : unit === "week" ? 7 : unit === "fortnight" ? 14 : 0;
        if (perDay === 0 || !Number.isInteger(n * perDay)) wholeDays = false;
        else days += n * perDay;
        ms += n * unitMs(unit);
      }
    }
    return { end: j, ms: Math.round(ms), months, wholeDays, days };
  }

  private durationPart(i: number): { parts: { n: number; unit: Unit }[]; end: number } | undefined {
    const w = this.w(i);
    if (w === undefined) return undefined;
    if (GLUED_DURATION.test(w)) {
      const parts: { n: number; unit: Unit }[] = [];
      for (const m of w.matchAll(GLUED_PART)) {
        const unit = unitWord(m[2] ?? "", true);
        if (!unit) return undefined;
        parts.push({ n: Number(m[1]), unit });
      }
      return { parts, end: i + 1 };
    }
    // "half an hour", "half a day"
    if (w === "half" && this.is(i + 1, "a", "an")) {
      const unit = unitWord(this.w(i + 2) ?? "");
      return unit ? { parts: [{ n: 0.5, unit }], end: i + 3 } : undefined;
    }
    let n: { value: number; end: number } | undefined;
    if (/^\d+\.\d+$/.test(w)) n = { value: Number(w), end: i + 1 };
    else n = this.number(i);
    if (!n) return undefined;
    const unit = unitWord(this.w(n.end) ?? "");
    if (!unit) return undefined;
    return { parts: [{ n: n.value, unit }], end: n.end + 1 };
  }

  // ---------------------------------------------------------------- times of day

  /**
   * A time of day at `i`: "6pm", "6:30 p.m.", "18:00", "at 9", "@ 9:30", "noon", "midnight",
   * "in the morning", "at night". A bare hour needs "at": "at 6" is a time, "6" is not — unless
   * `afterAt` says an "at" came earlier ("at 8, 14 and 20").
   */
  time(i: number, afterAt = false): TimeAtom | undefined {
    let j = i;
    let at = afterAt;
    if (this.is(j, "at", "around") || this.p(j) === "@") {
      at = true;
      j++;
    }
    const w = this.w(j);
    if (w === undefined) return undefined;
    if (w === "noon" || w === "midday")
      return { start: i, end: j + 1, hour: 12, minute: 0, ambiguous: false, vague: false };
    if (w === "midnight")
      return { start: i, end: j + 1, hour: 23, minute: 59, ambiguous: false, vague: false };
    if (at && w === "night") return this.partOfDay(i, j + 1, "night");
    if (!at && w === "in" && this.is(j + 1, "the") && this.is(j + 2, "morning", "afternoon", "evening")) {
      return this.partOfDay(i, j + 3, this.w(j + 2) as string);
    }
    const m = TIME_TOKEN.exec(w);
    if (!m) return undefined;
    let hour = Number(m[1]);
    const minute = m[3] === undefined ? 0 : Number(m[3]);
    let meridiem = m[4];
    j++;
    if (meridiem === undefined) {
      const next = this.w(j);
      if (next === "am" || next === "pm" || next === "a.m" || next === "p.m") {
        meridiem = next[0];
        j++;
        if (next.length === 3 && this.p(j) === "." && this.glued(j)) j++;
      }
    }
    const separator = m[2];
    if (meridiem === undefined && !at && separator !== ":") return undefined;
    if (minute > 59) return undefined;
    if (this.is(j, "o'clock", "oclock")) j++;
    if (meridiem !== undefined) {
      if (hour < 1 || hour > 12) return undefined;
      const pm = meridiem.startsWith("p");
      hour = (hour % 12) + (pm ? 12 : 0);
      return { start: i, end: j, hour, minute, ambiguous: false, vague: false };
    }
    if (hour > 23) return undefined;
    const leadingZero = (m[1] ?? "").length === 2 && (m[1] ?? "").startsWith("0");
    return {
      start: i,
      end: j,
      hour,
      minute,
      ambiguous: hour >= 1 && hour <= 12 && !leadingZero,
      vague: false,
    };
  }

  /** A part of the day as a vague time ("morning" → 09:00). */
  partOfDay(start: number, end: number, word: string): TimeAtom | undefined {
    const p = PART_OF_DAY[word];
    if (!p) return undefined;
    return { start, end, hour: p.hour, minute: p.minute, ambiguous: false, vague: true, pm: p.pm };
  }

  // ---------------------------------------------------------------- dates

  /** A weekday name at `i` (abbreviations that are also words only when `loose`). */
  weekday(i: number, loose: boolean): { weekday: number; plural: boolean } | undefined {
    const w = this.w(i);
    const wd = w === undefined ? undefined : weekdayWord(w);
    if (!wd || (wd.ambiguous && !loose)) return undefined;
    return { weekday: wd.weekday, plural: wd.plural };
  }

  /**
   * A month and day at `i`: "Dec 24", "December 24th, 2027", "March the 5th", "24 Dec",
   * "24th of December", "the 5th of March 2028". The year is given only when typed.
   */
  monthDay(i: number): { month: number; day: number; year?: number; end: number } | undefined {
    let j = i;
    const first = this.w(j);
    if (first === undefined) return undefined;
    let month = monthWord(first);
    let day: number | undefined;
    if (month !== undefined) {
      j++;
      if (this.p(j) === "." && this.glued(j)) j++;
      if (this.is(j, "the")) j++;
      day = this.dayOfMonth(j);
      if (day === undefined) return undefined;
      j++;
    } else {
      if (first === "the") j++;
      day = this.dayOfMonth(j);
      if (day === undefined) return undefined;
      j++;
      if (this.is(j, "of")) j++;
      month = monthWord(this.w(j) ?? "");
      if (month === undefined) return undefined;
      j++;
      if (this.p(j) === "." && this.glued(j)) j++;
    }
    let year: number | undefined;
    const comma = this.p(j) === "," ? 1 : 0;
    const y = this.w(j + comma);
    if (y !== undefined && /^(19|20|21)\d\d$/.test(y)) {
      year = Number(y);
      j += comma + 1;
    }
    if (!isRealDate(year ?? 2028, month, day)) return undefined;
    return year === undefined ? { month, day, end: j } : { month, day, year, end: j };
  }

  /** A day of the month written "5", "05", "5th" or "fifth". */
  private dayOfMonth(i: number): number | undefined {
    const w = this.w(i);
    if (w === undefined) return undefined;
    if (/^\d{1,2}$/.test(w)) {
      const n = Number(w);
      return n >= 1 && n <= 31 ? n : undefined;
    }
    return ordinalWord(w);
  }

  /** The first date on or after today with this month and day (29 February waits for a leap year). */
  nextMonthDay(month: number, day: number): number {
    const today = civilDate(this.today);
    for (let year = today.year; year < today.year + 9; year++) {
      if (!isRealDate(year, month, day)) continue;
      const n = dayNumber(year, month, day);
      if (n >= this.today) return n;
    }
    return dayNumber(today.year, month, Math.min(day, daysInMonth(today.year, month)));
  }

  /** The first date on or after `from` whose day of the month is `day` (skipping months too short). */
  nextDayOfMonth(day: number, from = this.today): number {
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

  /**
   * A date at `i`: "today", "tomorrow", "tonight", "the day after tomorrow", "Friday", "next
   * Friday", "last Friday", "Friday next week", "this weekend", "next week", "next month", "end of
   * month", "in 3 days", "3 days from now", "2 days ago", "on the 5th", "Dec 24", "24/12/2027" (via
   * chrono), optionally followed by a part of the day ("tomorrow morning").
   */
  date(i: number): DateAtom | undefined {
    const atom = this.dateCore(i) ?? this.chronoDate(i);
    if (!atom || atom.time) return atom;
    // "tomorrow morning", "Friday evening", "Monday night"
    const next = this.w(atom.end);
    if (next === "morning" || next === "afternoon" || next === "evening" || next === "night") {
      const time = this.partOfDay(atom.end, atom.end + 1, next);
      if (time) return { ...atom, end: atom.end + 1, time };
    }
    return atom;
  }

  private dateCore(i: number): DateAtom | undefined {
    const w = this.w(i);
    if (w === undefined) return undefined;
    const today = this.today;
    let named: DateAtom["named"] = "other";
    const at = (day: number, end: number, weekly = false, time?: TimeAtom): DateAtom =>
      time ? { start: i, end, day, weekly, time, named } : { start: i, end, day, weekly, named };
    switch (w) {
      case "today":
      case "tod":
        return at(today, i + 1);
      case "tonight":
      case "tonite":
        return at(today, i + 1, false, this.partOfDay(i, i + 1, "tonight"));
      case "tomorrow":
      case "tmrw":
      case "tmr":
      case "tomorow":
      case "tommorow":
      case "tommorrow":
        return at(today + 1, i + 1);
      case "yesterday":
        return at(today - 1, i + 1);
      case "overmorrow":
        return at(today + 2, i + 1);
      case "eom":
        return at(this.endOfMonth(0), i + 1);
      case "eoy":
        return at(dayNumber(civilDate(today).year, 12, 31), i + 1);
    }
    // "the day after tomorrow", "day after tomorrow"
    const d0 = w === "the" ? i + 1 : i;
    if (this.is(d0, "day") && this.is(d0 + 1, "after") && this.is(d0 + 2, "tomorrow"))
      return at(today + 2, d0 + 3);
    // "this morning", "this evening"
    if (w === "this" && this.is(i + 1, "morning", "afternoon", "evening")) {
      return at(today, i + 2, false, this.partOfDay(i + 1, i + 2, this.w(i + 1) as string));
    }
    // "(this|next|the) weekend"
    const weekendAt = w === "this" || w === "next" || w === "the" ? i + 1 : i;
    if (this.is(weekendAt, "weekend")) {
      if (w === "next") return at(this.nextWeekMonday() + 5, i + 2);
      const wd = weekdayOf(today);
      return at(wd === 7 ? today : today + ((6 - wd + 7) % 7), weekendAt + 1);
    }
    // "next week|month|year", "this week" is left alone (no single day)
    if (w === "next" && this.is(i + 1, "week")) return at(this.nextWeekMonday(), i + 2);
    if (w === "next" && this.is(i + 1, "month")) {
      const c = addMonths({ ...civilDate(today), day: 1 }, 1);
      return at(toDayNumber(c), i + 2);
    }
    if (w === "next" && this.is(i + 1, "year")) return at(dayNumber(civilDate(today).year + 1, 1, 1), i + 2);
    // "(the) end of (the|this|next) month|year"
    const e = w === "the" && this.is(i + 1, "end") ? i + 1 : i;
    if (this.is(e, "end") && this.is(e + 1, "of")) {
      let j = e + 2;
      let ahead = 0;
      if (this.is(j, "the", "this")) j++;
      else if (this.is(j, "next")) {
        ahead = 1;
        j++;
      }
      if (this.is(j, "month")) return at(this.endOfMonth(ahead), j + 1);
      if (this.is(j, "year")) return at(dayNumber(civilDate(today).year + ahead, 12, 31), j + 1);
      return undefined;
    }
    // weekdays with a modifier
    const modifier = w === "this" || w === "next" || w === "coming" || w === "last" ? w : undefined;
    const wdAt = modifier ? i + 1 : i;
    const loose =
      modifier !== undefined ||
      DATE_CONNECTORS.has(this.before(i) ?? "") ||
      this.time(wdAt + 1) !== undefined;
    const wd = this.weekday(wdAt, loose);
    if (wd && !wd.plural) {
      named = "weekday";
      // "Friday next week", "Friday this week"
      if (!modifier && this.is(wdAt + 1, "next", "this") && this.is(wdAt + 2, "week")) {
        const monday = this.is(wdAt + 1, "next") ? this.nextWeekMonday() : today - weekdayOf(today) + 1;
        return at(monday + wd.weekday - 1, wdAt + 3);
      }
      const todayWd = weekdayOf(today);
      if (modifier === "next") return at(this.nextWeekMonday() + wd.weekday - 1, wdAt + 1);
      if (modifier === "last") return at(today - ((todayWd - wd.weekday + 7) % 7 || 7), wdAt + 1);
      return at(today + ((wd.weekday - todayWd + 7) % 7), wdAt + 1, true);
    }
    // "in 3 days", "in a week", "in 2 months"
    if (w === "in" || w === "within") {
      const d = this.duration(i + 1);
      if (d?.wholeDays) return at(this.shift(today, d, 1), d.end);
      return undefined;
    }
    // "3 days from now|today", "2 weeks ago", "a week from tomorrow"
    const d = this.duration(i);
    if (d?.wholeDays) {
      if (this.is(d.end, "from") && this.is(d.end + 1, "now", "today"))
        return at(this.shift(today, d, 1), d.end + 2);
      if (this.is(d.end, "from") && this.is(d.end + 1, "tomorrow"))
        return at(this.shift(today + 1, d, 1), d.end + 2);
      if (this.is(d.end, "ago")) return at(this.shift(today, d, -1), d.end + 1);
      if (this.is(d.end, "later")) return at(this.shift(today, d, 1), d.end + 1);
    }
    // "Dec 24", "24th of December 2027"
    const md = this.monthDay(i);
    if (md) {
      named = "date";
      const day =
        md.year !== undefined ? dayNumber(md.year, md.month, md.day) : this.nextMonthDay(md.month, md.day);
      return at(day, md.end);
    }
    // "on the 5th", "by the 21st": a day of the month needs a connector before it
    const ordAt = w === "the" ? i + 1 : i;
    const ord = ordinalWord(this.w(ordAt) ?? "");
    if (ord !== undefined && /^(on|by|due|for|until|till|before|from|starting)$/.test(this.before(i) ?? "")) {
      named = "monthday";
      if (this.is(ordAt + 1, "of") && this.is(ordAt + 2, "next") && this.is(ordAt + 3, "month")) {
        const c = addMonths({ ...civilDate(today), day: 1 }, 1);
        const n = Math.min(ord, daysInMonth(c.year, c.month));
        return at(dayNumber(c.year, c.month, n), ordAt + 4);
      }
      return at(this.nextDayOfMonth(ord), ordAt + 1);
    }
    return undefined;
  }

  private shift(day: number, d: Duration, sign: 1 | -1): number {
    let n = day + sign * d.days;
    if (d.months) n = toDayNumber(addMonths(civilDate(n), sign * d.months));
    return n;
  }

  /** Monday of next week (weeks start on Monday). */
  nextWeekMonday(): number {
    return this.today + 8 - weekdayOf(this.today);
  }

  private endOfMonth(ahead: number): number {
    const c = addMonths({ ...civilDate(this.today), day: 1 }, ahead);
    return dayNumber(c.year, c.month, daysInMonth(c.year, c.month));
  }

  /** "in 2 hours", "in 30 min", "2 hours from now": an instant (clock units; whole days are dates). */
  instant(i: number): InstantAtom | undefined {
    if (this.is(i, "in", "within")) {
      const d = this.duration(i + 1);
      if (d && !d.wholeDays && d.months === 0) return { start: i, end: d.end, at: this.after(d.ms) };
      return undefined;
    }
    const d = this.duration(i);
    if (d && !d.wholeDays && d.months === 0) {
      if (this.is(d.end, "from") && this.is(d.end + 1, "now"))
        return { start: i, end: d.end + 2, at: this.after(d.ms) };
      if (this.is(d.end, "later")) return { start: i, end: d.end + 1, at: this.after(d.ms) };
    }
    return undefined;
  }

  /** `ms` after now, to the whole minute. */
  after(ms: number): Date {
    const base = Math.floor(this.now.getTime() / 60_000) * 60_000;
    return new Date(base + ms);
  }

  // ---------------------------------------------------------------- chrono-node

  /**
   * A date chrono-node recognises at `i` that the grammar above does not: numeric forms such as
   * "12/24", "24.12.2027", "2027-12-24". chrono is given calendar fields only (no instant), and its
   * answers are read as fields, so the process's time zone never enters. A day/month pair without a
   * year needs a connector before it or a time next to it ("1/2 cup" is not a date).
   */
  private chronoDate(i: number): DateAtom | undefined {
    const c = this.chrono().get(i);
    if (!c?.date || !this.free(i, c.end)) return undefined;
    if (c.slash && c.date.year === undefined) {
      const connected = DATE_CONNECTORS.has(this.before(i) ?? "") || this.time(c.end) !== undefined;
      if (!connected) return undefined;
    }
    const { month, day, year } = c.date;
    if (!isRealDate(year ?? 2028, month, day)) return undefined;
    const n = year !== undefined ? dayNumber(year, month, day) : this.nextMonthDay(month, day);
    if (c.time) {
      // chrono merges "12/24 at noon"; when the time part is one this grammar reads itself, keep
      // only the date so the time is read (and reported) the same way everywhere.
      for (let k = i + 1; k < c.end; k++) {
        if (this.time(k)?.end === c.end) return { start: i, end: k, day: n, weekly: false, named: "date" };
      }
    }
    const time = c.time
      ? {
          start: i,
          end: c.end,
          hour: c.time.hour,
          minute: c.time.minute,
          ambiguous: !c.time.meridiem,
          vague: false,
        }
      : undefined;
    const atom: DateAtom = { start: i, end: c.end, day: n, weekly: false, named: "date" };
    return time ? { ...atom, time } : atom;
  }

  /** chrono-node's results on the text with quotes, tags and priorities blanked, by start token. */
  private chrono(): Map<number, ChronoAtom> {
    if (this.chronoAtoms) return this.chronoAtoms;
    const atoms = new Map<number, ChronoAtom>();
    this.chronoAtoms = atoms;
    if (!MAYBE_CHRONO.test(this.text)) return atoms;
    let masked = "";
    let last = 0;
    for (const t of this.tokens) {
      if (t.kind === "word" || t.kind === "punct") continue;
      masked += this.text.slice(last, t.start) + " ".repeat(t.end - t.start);
      last = t.end;
    }
    masked += this.text.slice(last);
    // A reference made of calendar fields only: noon today as chrono's own (local) clock shows it.
    const { year, month, day } = this.wall;
    const reference = new Date(year, month - 1, day, 12, 0, 0, 0);
    let results: ParsedResult[];
    try {
      results = casual.parse(masked, reference);
    } catch {
      return atoms;
    }
    const byStart = new Map<number, number>();
    const byEnd = new Map<number, number>();
    this.tokens.forEach((t, k) => {
      byStart.set(t.start, k);
      byEnd.set(t.end, k + 1);
    });
    for (const r of results) {
      const start = byStart.get(r.index);
      const end = byEnd.get(r.index + r.text.length);
      if (start === undefined || end === undefined) continue;
      const c = r.start;
      if (c.isCertain("weekday") && !c.isCertain("day")) continue;
      const tags = r.tags();
      if (tags.has("result/relativeDate")) continue;
      const hasDate = c.isCertain("month") && c.isCertain("day");
      const hasTime = c.isCertain("hour");
      if (!hasDate) continue;
      atoms.set(start, {
        end,
        date: {
          month: c.get("month") as number,
          day: c.get("day") as number,
          ...(c.isCertain("year") ? { year: c.get("year") as number } : {}),
        },
        ...(hasTime
          ? {
              time: {
                hour: c.get("hour") as number,
                minute: c.get("minute") ?? 0,
                meridiem: c.isCertain("meridiem"),
              },
            }
          : {}),
        slash: /^\d{1,2}[/.-]\d{1,2}$/.test(r.text.trim()),
      });
    }
    return atoms;
  }
}

function unitMs(unit: Unit): number {
  switch (unit) {
    case "minute":
      return 60_000;
    case "hour":
      return 3_600_000;
    case "day":
      return 86_400_000;
    case "week":
      return 7 * 86_400_000;
    case "fortnight":
      return 14 * 86_400_000;
    default:
      return 0;
  }
}

/** Combines a date and a time of day. */
export type Slot = { date: CivilDate; time: TimeOfDay };
