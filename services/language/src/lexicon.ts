/** The English words the quick-add grammar knows: weekdays, months, numbers, ordinals, units. */

import { newWordTable, wordTable } from "./word-table.ts";

/** RFC 5545 weekday codes in ISO order: index 0 is Monday (ISO weekday 1). */
export const WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type WeekdayCode = (typeof WEEKDAY_CODES)[number];

export const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
export const MONTH_NAMES = [
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

const WEEKDAY_WORDS = newWordTable<number>();
[
  ["monday", "mon"],
  ["tuesday", "tue", "tues"],
  ["wednesday", "wed", "weds"],
  ["thursday", "thu", "thur", "thurs"],
  ["friday", "fri"],
  ["saturday", "sat"],
  ["sunday", "sun"],
].forEach((words, i) => {
  for (const w of words) WEEKDAY_WORDS[w] = i + 1;
});

/**
 * Abbreviations that are also ordinary English words ("sat an exam", "the sun"): they count as
 * weekdays only where the grammar expects a weekday (after "on", "next", "every", …).
 */
export const AMBIGUOUS_WEEKDAYS = new Set(["mon", "wed", "sat", "sun"]);

export interface WeekdayWord {
  /** ISO weekday, 1 = Monday. */
  readonly weekday: number;
  /** "mondays": a plural, which reads as a habit ("on Mondays"). */
  readonly plural: boolean;
  readonly ambiguous: boolean;
}

/** A weekday name ("monday", "mon", "mondays"), or undefined. */
export function weekdayWord(lower: string): WeekdayWord | undefined {
  const exact = WEEKDAY_WORDS[lower];
  if (exact !== undefined) return { weekday: exact, plural: false, ambiguous: AMBIGUOUS_WEEKDAYS.has(lower) };
  if (lower.endsWith("s") && lower.length > 4) {
    const singular = WEEKDAY_WORDS[lower.slice(0, -1)];
    if (singular !== undefined && lower.slice(0, -1).endsWith("day")) {
      return { weekday: singular, plural: true, ambiguous: false };
    }
  }
  return undefined;
}

const MONTH_WORDS = newWordTable<number>();
[
  ["january", "jan"],
  ["february", "feb"],
  ["march", "mar"],
  ["april", "apr"],
  ["may"],
  ["june", "jun"],
  ["july", "jul"],
  ["august", "aug"],
  ["september", "sep", "sept"],
  ["october", "oct"],
  ["november", "nov"],
  ["december", "dec"],
].forEach((words, i) => {
  for (const w of words) MONTH_WORDS[w] = i + 1;
});

/** 1–12 for a month name or abbreviation, or undefined. */
export function monthWord(lower: string): number | undefined {
  return MONTH_WORDS[lower];
}

const SMALL_NUMBERS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
];
const TENS = wordTable<number>({ twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, ninety: 90 });
const NUMBER_WORDS = Object.assign(newWordTable<number>(), { a: 1, an: 1, couple: 2, few: 3, dozen: 12 });
SMALL_NUMBERS.forEach((w, i) => {
  NUMBER_WORDS[w] = i;
});
for (const [w, n] of Object.entries(TENS)) {
  NUMBER_WORDS[w] = n;
  for (let i = 1; i <= 9; i++) NUMBER_WORDS[`${w}-${SMALL_NUMBERS[i]}`] = n + i;
}

/** A cardinal number written in digits (up to 4) or words ("three", "twenty-five", "a"), or undefined. */
export function numberWord(lower: string): number | undefined {
  if (/^\d{1,4}$/.test(lower)) return Number(lower);
  return NUMBER_WORDS[lower];
}

/** The tens words, so that "twenty five" (two tokens) can be read as 25. */
export function tensWord(lower: string): number | undefined {
  return TENS[lower];
}

const ORDINAL_UNITS = [
  "zeroth",
  "first",
  "second",
  "third",
  "fourth",
  "fifth",
  "sixth",
  "seventh",
  "eighth",
  "ninth",
  "tenth",
  "eleventh",
  "twelfth",
  "thirteenth",
  "fourteenth",
  "fifteenth",
  "sixteenth",
  "seventeenth",
  "eighteenth",
  "nineteenth",
];
const ORDINAL_WORDS = Object.assign(newWordTable<number>(), { twentieth: 20, thirtieth: 30 });
ORDINAL_UNITS.forEach((w, i) => {
  if (i > 0) ORDINAL_WORDS[w] = i;
});
for (let i = 1; i <= 9; i++) ORDINAL_WORDS[`twenty-${ORDINAL_UNITS[i]}`] = 20 + i;
ORDINAL_WORDS["thirty-first"] = 31;

/** An ordinal 1–31 ("1st", "22nd", "third", "twenty-first"), or undefined. "last" is handled by callers. */
export function ordinalWord(lower: string): number | undefined {
  const m = /^(\d{1,2})(st|nd|rd|th)$/.exec(lower);
  if (m) {
    const n = Number(m[1]);
    return n >= 1 && n <= 31 ? n : undefined;
  }
  return ORDINAL_WORDS[lower];
}

/** "1st", "2nd", "3rd", "4th", "11th", "21st", … */
export function ordinalSuffix(n: number): string {
  const abs = Math.abs(n);
  const mod100 = abs % 100;
  if (mod100 >= 11 && mod100 <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][abs % 10] ?? "th"}`;
}

/** A unit of time a duration or an interval can be given in. */
export type Unit = "minute" | "hour" | "day" | "week" | "fortnight" | "month" | "quarter" | "year";

const UNIT_WORDS = newWordTable<Unit>();
(
  [
    ["minute", ["m", "min", "mins", "minute", "minutes", "mn"]],
    ["hour", ["h", "hr", "hrs", "hour", "hours"]],
    ["day", ["d", "day", "days"]],
    ["week", ["w", "wk", "wks", "week", "weeks"]],
    ["fortnight", ["fortnight", "fortnights"]],
    ["month", ["mo", "mos", "mth", "mths", "month", "months"]],
    ["quarter", ["quarter", "quarters"]],
    ["year", ["y", "yr", "yrs", "year", "years"]],
  ] as const
).forEach(([unit, words]) => {
  for (const w of words) UNIT_WORDS[w] = unit;
});

/** The unit a word names ("mins" → minute), or undefined. One-letter units only count glued to a number. */
export function unitWord(lower: string, glued = false): Unit | undefined {
  if (!glued && lower.length === 1) return undefined;
  return UNIT_WORDS[lower];
}

/** Milliseconds in one of a fixed-length unit (months and years have no fixed length). */
export const UNIT_MS: Partial<Record<Unit, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  fortnight: 14 * 86_400_000,
};

/** Default times for the parts of the day. */
export const PART_OF_DAY: Readonly<Record<string, { hour: number; minute: number; pm: boolean }>> = wordTable(
  {
    morning: { hour: 9, minute: 0, pm: false },
    noon: { hour: 12, minute: 0, pm: true },
    midday: { hour: 12, minute: 0, pm: true },
    afternoon: { hour: 15, minute: 0, pm: true },
    evening: { hour: 18, minute: 0, pm: true },
    night: { hour: 20, minute: 0, pm: true },
    tonight: { hour: 20, minute: 0, pm: true },
  },
);
