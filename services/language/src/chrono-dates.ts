/**
 * The numeric date forms the grammar leaves to chrono-node: "12/24", "24.12.2027", "2027-12-24".
 * chrono is given calendar fields only (no instant), and its answers are read as fields, so the
 * process's time zone never enters. chrono runs at most once per scanner, on first use.
 */
import type { ParsedResult } from "chrono-node";
import { casual } from "chrono-node/en";
import { dayNumber, isRealDate } from "./calendar.ts";
import { DUE_CONNECTORS } from "./connectors.ts";
import { nextMonthDay } from "./day-arithmetic.ts";
import type { DateAtom, Scanner, TimeAtom } from "./scanner.ts";

/** What chrono read starting at one token: up to token `end`, a date and maybe a time. */
interface ChronoAtom {
  readonly end: number;
  readonly date?: { month: number; day: number; year?: number };
  readonly time?: { hour: number; minute: number; meridiem: boolean };
  /** "12/24": a day/month pair, which needs a connector or a time next to it to count. */
  readonly slash: boolean;
}

/** Cheap test for text chrono could find a date in; other text skips chrono altogether. */
const MAYBE_CHRONO = /\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|noon|midnight/i;

const cache = new WeakMap<Scanner, Map<number, ChronoAtom>>();

/**
 * A date chrono-node recognises at `i` that the grammar does not. A day/month pair without a year
 * needs a due connector before it or a time next to it ("1/2 cup" is not a date).
 */
export function chronoDate(s: Scanner, i: number): DateAtom | undefined {
  const c = chronoAtoms(s).get(i);
  if (!c?.date || !s.free(i, c.end)) return undefined;
  if (c.slash && c.date.year === undefined) {
    const connected = DUE_CONNECTORS.has(s.before(i) ?? "") || s.time(c.end) !== undefined;
    if (!connected) return undefined;
  }
  const { month, day, year } = c.date;
  if (!isRealDate(year ?? 2028, month, day)) return undefined;
  const n = year !== undefined ? dayNumber(year, month, day) : nextMonthDay(s.today, month, day);
  if (c.time) {
    // chrono merges "12/24 at noon"; when the time part is one this grammar reads itself, keep
    // only the date so the time is read (and reported) the same way everywhere.
    for (let k = i + 1; k < c.end; k++) {
      if (s.time(k)?.end === c.end) return { start: i, end: k, day: n, weekly: false, named: "date" };
    }
  }
  const atom: DateAtom = { start: i, end: c.end, day: n, weekly: false, named: "date" };
  if (!c.time) return atom;
  const time: TimeAtom = {
    start: i,
    end: c.end,
    hour: c.time.hour,
    minute: c.time.minute,
    ambiguous: !c.time.meridiem,
    vague: false,
  };
  return { ...atom, time };
}

/** chrono-node's results on the text with quotes, tags and priorities blanked, by start token. */
function chronoAtoms(s: Scanner): Map<number, ChronoAtom> {
  const cached = cache.get(s);
  if (cached) return cached;
  const atoms = new Map<number, ChronoAtom>();
  cache.set(s, atoms);
  if (!MAYBE_CHRONO.test(s.text)) return atoms;
  let results: ParsedResult[];
  try {
    results = casual.parse(maskedText(s), chronoReference(s));
  } catch {
    return atoms;
  }
  const byStart = new Map<number, number>();
  const byEnd = new Map<number, number>();
  s.tokens.forEach((t, k) => {
    byStart.set(t.start, k);
    byEnd.set(t.end, k + 1);
  });
  for (const r of results) {
    const start = byStart.get(r.index);
    const end = byEnd.get(r.index + r.text.length);
    if (start === undefined || end === undefined) continue;
    const atom = chronoAtom(r, end);
    if (atom) atoms.set(start, atom);
  }
  return atoms;
}

/** The text with every token that is not a word or punctuation (quotes, tags, bangs) blanked out. */
function maskedText(s: Scanner): string {
  let masked = "";
  let last = 0;
  for (const t of s.tokens) {
    if (t.kind === "word" || t.kind === "punct") continue;
    masked += s.text.slice(last, t.start) + " ".repeat(t.end - t.start);
    last = t.end;
  }
  return masked + s.text.slice(last);
}

/** A reference made of calendar fields only: noon today as chrono's own (local) clock shows it. */
function chronoReference(s: Scanner): Date {
  const { year, month, day } = s.wall;
  return new Date(year, month - 1, day, 12, 0, 0, 0);
}

/** One chrono result as an atom ending at token `end`; undefined unless it names a month and a day. */
function chronoAtom(r: ParsedResult, end: number): ChronoAtom | undefined {
  const c = r.start;
  if (c.isCertain("weekday") && !c.isCertain("day")) return undefined;
  if (r.tags().has("result/relativeDate")) return undefined;
  if (!(c.isCertain("month") && c.isCertain("day"))) return undefined;
  return {
    end,
    date: {
      month: c.get("month") as number,
      day: c.get("day") as number,
      ...(c.isCertain("year") ? { year: c.get("year") as number } : {}),
    },
    ...(c.isCertain("hour")
      ? {
          time: {
            hour: c.get("hour") as number,
            minute: c.get("minute") ?? 0,
            meridiem: c.isCertain("meridiem"),
          },
        }
      : {}),
    slash: /^\d{1,2}[/.-]\d{1,2}$/.test(r.text.trim()),
  };
}
