/**
 * The token cursor the grammar works on, and the atoms its small phrases read: times of day, dates,
 * instants and durations. Every reader takes a token index and returns what it read plus the index
 * just after it, or undefined; it only ever reads tokens that no earlier phrase has claimed. The
 * readers themselves live by concept — `duration-phrases.ts`, `time-phrases.ts`, `date-phrases.ts`
 * (with `chrono-dates.ts` for numeric forms) — and the scanner's methods are their one entry.
 */
import { type CivilDate, dayNumber, type TimeOfDay, type WallClock } from "./calendar.ts";
import { readDate, readMonthDay, readWeekday } from "./date-phrases.ts";
import { readDuration, readInstant, readNumber } from "./duration-phrases.ts";
import { partOfDay, readTime } from "./time-phrases.ts";
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

/** The cursor of one parse over its tokens: which are claimed, and "today" and "now" in the user's zone. */
export class Scanner {
  /** Which tokens a phrase has claimed; quoted text is claimed from the start (never interpreted). */
  readonly used: boolean[];

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

  // ---------------------------------------------------------------- the phrase readers

  /** A cardinal number at `i` ("3", "three", "twenty five", "a"), with the index after it. */
  number(i: number, allowArticle = true): { value: number; end: number } | undefined {
    return readNumber(this, i, allowArticle);
  }

  /** A duration at `i` ("30 minutes", "1h30m", "half an hour", "3 months"): {@link readDuration}. */
  duration(i: number): Duration | undefined {
    return readDuration(this, i);
  }

  /** A time of day at `i` ("6pm", "at 9", "noon"); `afterAt` when an "at" came earlier: {@link readTime}. */
  time(i: number, afterAt = false): TimeAtom | undefined {
    return readTime(this, i, afterAt);
  }

  /** A part of the day as a vague time ("morning" → 09:00). */
  partOfDay(start: number, end: number, word: string): TimeAtom | undefined {
    return partOfDay(start, end, word);
  }

  /** A weekday name at `i` (abbreviations that are also words only when `loose`). */
  weekday(i: number, loose: boolean): { weekday: number; plural: boolean } | undefined {
    return readWeekday(this, i, loose);
  }

  /** A month and day at `i` ("Dec 24", "24th of December 2027"): {@link readMonthDay}. */
  monthDay(i: number): { month: number; day: number; year?: number; end: number } | undefined {
    return readMonthDay(this, i);
  }

  /** A date at `i` ("tomorrow", "next Friday", "Dec 24", "24/12/2027"): {@link readDate}. */
  date(i: number): DateAtom | undefined {
    return readDate(this, i);
  }

  /** "in 2 hours", "2 hours from now": an instant (clock units; whole days are dates). */
  instant(i: number): InstantAtom | undefined {
    return readInstant(this, i);
  }
}

/** Combines a date and a time of day. */
export type Slot = { date: CivilDate; time: TimeOfDay };
