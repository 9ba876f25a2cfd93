/**
 * Times of day as typed: "6pm", "6:30 p.m.", "18:00", "at 9", "@ 9:30", "around 7", "noon",
 * "midnight", "in the morning", "at night", and the parts of the day that stand for a default time.
 */
import { PART_OF_DAY } from "./lexicon.ts";
import type { Scanner, TimeAtom } from "./scanner.ts";

const TIME_TOKEN = /^(\d{1,2})(?:([:.])(\d{2}))?(am|pm|a|p)?$/;

/**
 * A time of day at `i`. A bare hour needs "at" (or "around", "@"): "at 6" is a time, "6" is not —
 * unless `afterAt` says an "at" came earlier ("at 8, 14 and 20").
 */
export function readTime(s: Scanner, i: number, afterAt = false): TimeAtom | undefined {
  let j = i;
  let at = afterAt;
  if (s.is(j, "at", "around") || s.p(j) === "@") {
    at = true;
    j++;
  }
  const w = s.w(j);
  if (w === undefined) return undefined;
  if (w === "noon" || w === "midday")
    return { start: i, end: j + 1, hour: 12, minute: 0, ambiguous: false, vague: false };
  if (w === "midnight") return { start: i, end: j + 1, hour: 23, minute: 59, ambiguous: false, vague: false };
  if (at && w === "night") return partOfDay(i, j + 1, "night");
  if (!at && w === "in" && s.is(j + 1, "the") && s.is(j + 2, "morning", "afternoon", "evening")) {
    return partOfDay(i, j + 3, s.w(j + 2) as string);
  }
  const m = TIME_TOKEN.exec(w);
  return m ? clockTime(s, i, j, m, at) : undefined;
}

/** The clock time whose first token (at `j`) matched {@link TIME_TOKEN}, with am/pm and "o'clock" after it. */
function clockTime(s: Scanner, i: number, j: number, m: RegExpExecArray, at: boolean): TimeAtom | undefined {
  let hour = Number(m[1]);
  const minute = m[3] === undefined ? 0 : Number(m[3]);
  let meridiem = m[4];
  j++;
  if (meridiem === undefined) {
    const next = s.w(j);
    if (next === "am" || next === "pm" || next === "a.m" || next === "p.m") {
      meridiem = next[0];
      j++;
      if (next.length === 3 && s.p(j) === "." && s.glued(j)) j++;
    }
  }
  const separator = m[2];
  if (meridiem === undefined && !at && separator !== ":") return undefined;
  if (minute > 59) return undefined;
  if (s.is(j, "o'clock", "oclock")) j++;
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    const pm = meridiem.startsWith("p");
    hour = (hour % 12) + (pm ? 12 : 0);
    return { start: i, end: j, hour, minute, ambiguous: false, vague: false };
  }
  if (hour > 23) return undefined;
  const leadingZero = (m[1] ?? "").length === 2 && (m[1] ?? "").startsWith("0");
  return { start: i, end: j, hour, minute, ambiguous: hour >= 1 && hour <= 12 && !leadingZero, vague: false };
}

/** A part of the day as a vague time ("morning" → 09:00) over tokens [start, end). */
export function partOfDay(start: number, end: number, word: string): TimeAtom | undefined {
  const p = PART_OF_DAY[word];
  if (!p) return undefined;
  return { start, end, hour: p.hour, minute: p.minute, ambiguous: false, vague: true, pm: p.pm };
}
