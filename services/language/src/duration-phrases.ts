/**
 * Numbers and lengths of time as typed ("three", "twenty five", "1h30m", "half an hour", "an hour
 * and a half", "2 weeks"), and the instants they make from now ("in 2 hours", "30 min later").
 * Every reader takes the scanner and a token index and returns what it read with the index after it.
 */
import { numberWord, tensWord, UNIT_MS, type Unit, unitWord } from "./lexicon.ts";
import type { Duration, InstantAtom, Scanner } from "./scanner.ts";

const GLUED_DURATION = /^(?:\d+(?:\.\d+)?[a-z]+)+$/;
const GLUED_PART = /(\d+(?:\.\d+)?)([a-z]+)/g;

type DurationPart = { n: number; unit: Unit };

/** A cardinal number at `i` ("3", "three", "twenty five", "a"), with the index after it. */
export function readNumber(
  s: Scanner,
  i: number,
  allowArticle = true,
): { value: number; end: number } | undefined {
  const w = s.w(i);
  if (w === undefined) return undefined;
  if (!allowArticle && (w === "a" || w === "an")) return undefined;
  const tens = tensWord(w);
  if (tens !== undefined) {
    const unit = s.w(i + 1);
    const n = unit === undefined ? undefined : numberWord(unit);
    if (n !== undefined && n >= 1 && n <= 9 && /^[a-z]+$/.test(unit ?? ""))
      return { value: tens + n, end: i + 2 };
    return { value: tens, end: i + 1 };
  }
  if (w === "couple" || w === "few") return undefined;
  if ((w === "a" || w === "an") && s.is(i + 1, "couple", "few")) {
    const n = w === "a" && s.is(i + 1, "couple") ? 2 : 3;
    return { value: n, end: s.is(i + 2, "of") ? i + 3 : i + 2 };
  }
  const value = numberWord(w);
  return value === undefined ? undefined : { value, end: i + 1 };
}

/**
 * A duration at `i`: "30 minutes", "1 hour 30 minutes", "1h30m", "90 min", "an hour", "half an
 * hour", "an hour and a half", "1.5 hours", "2 days", "a week", "3 months".
 */
export function readDuration(s: Scanner, i: number): Duration | undefined {
  const parts: DurationPart[] = [];
  let j = i;
  for (;;) {
    const part = durationPart(s, j);
    if (!part) break;
    parts.push(...part.parts);
    j = part.end;
    // "an hour and a half"
    if (s.is(j, "and") && s.is(j + 1, "a") && s.is(j + 2, "half")) {
      const last = parts[parts.length - 1];
      if (last) parts.push({ n: 0.5, unit: last.unit });
      j += 3;
      break;
    }
  }
  return parts.length === 0 ? undefined : sumParts(parts, j);
}

/** The parts of a duration added up; undefined when a month count is not whole ("1.5 months"). */
function sumParts(parts: readonly DurationPart[], end: number): Duration | undefined {
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
      ms += n * (UNIT_MS[unit] ?? 0);
    }
  }
  return { end, ms: Math.round(ms), months, wholeDays, days };
}

/** One "<number> <unit>" ("90 min", "1h30m" glued, "half an hour") at `i`. */
function durationPart(s: Scanner, i: number): { parts: DurationPart[]; end: number } | undefined {
  const w = s.w(i);
  if (w === undefined) return undefined;
  if (GLUED_DURATION.test(w)) {
    const parts: DurationPart[] = [];
    for (const m of w.matchAll(GLUED_PART)) {
      const unit = unitWord(m[2] ?? "", true);
      if (!unit) return undefined;
      parts.push({ n: Number(m[1]), unit });
    }
    return { parts, end: i + 1 };
  }
  // "half an hour", "half a day"
  if (w === "half" && s.is(i + 1, "a", "an")) {
    const unit = unitWord(s.w(i + 2) ?? "");
    return unit ? { parts: [{ n: 0.5, unit }], end: i + 3 } : undefined;
  }
  const n = /^\d+\.\d+$/.test(w) ? { value: Number(w), end: i + 1 } : readNumber(s, i);
  if (!n) return undefined;
  const unit = unitWord(s.w(n.end) ?? "");
  if (!unit) return undefined;
  return { parts: [{ n: n.value, unit }], end: n.end + 1 };
}

/** "in 2 hours", "in 30 min", "2 hours from now": an instant (clock units; whole days are dates). */
export function readInstant(s: Scanner, i: number): InstantAtom | undefined {
  if (s.is(i, "in", "within")) {
    const d = readDuration(s, i + 1);
    if (d && !d.wholeDays && d.months === 0) return { start: i, end: d.end, at: afterNow(s, d.ms) };
    return undefined;
  }
  const d = readDuration(s, i);
  if (d && !d.wholeDays && d.months === 0) {
    if (s.is(d.end, "from") && s.is(d.end + 1, "now"))
      return { start: i, end: d.end + 2, at: afterNow(s, d.ms) };
    if (s.is(d.end, "later")) return { start: i, end: d.end + 1, at: afterNow(s, d.ms) };
  }
  return undefined;
}

/** `ms` after the scanner's now, to the whole minute. */
function afterNow(s: Scanner, ms: number): Date {
  const base = Math.floor(s.now.getTime() / 60_000) * 60_000;
  return new Date(base + ms);
}
