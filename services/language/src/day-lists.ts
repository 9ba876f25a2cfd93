/**
 * Lists of days inside recurrence phrases: weekday names ("Mon, Wed and Fri") and ordinals ("first
 * and third", "second to last"), each joined by commas, "and" or "&".
 */
import { ordinalWord } from "./lexicon.ts";
import type { Scanner } from "./scanner.ts";

/**
 * Weekday names joined by commas, "and", "&", "/" or spaces: "Monday", "Mon, Wed and Fri",
 * "Tuesdays and Thursdays". Abbreviations such as "sat" are accepted here (a weekday is expected).
 */
export function weekdayList(
  s: Scanner,
  j: number,
): { days: number[]; end: number; plural: boolean } | undefined {
  const first = s.weekday(j, true);
  if (!first) return undefined;
  const days = [first.weekday];
  let plural = first.plural;
  let end = j + 1;
  for (;;) {
    let k = end;
    if (s.p(k) === "," || s.p(k) === "&" || s.p(k) === "/" || s.p(k) === "+") k++;
    if (s.is(k, "and", "or")) k++;
    const next = s.weekday(k, true);
    if (!next) break;
    if (!days.includes(next.weekday)) days.push(next.weekday);
    plural ||= next.plural;
    end = k + 1;
  }
  days.sort((a, b) => a - b);
  return { days, end, plural };
}

/**
 * Ordinals joined by commas or "and": "2nd", "first and third", "1st, 15th", "last",
 * "second to last" (-2). Returns the values (negative from the end) and the index after them.
 */
export function ordinalList(s: Scanner, j: number): { values: number[]; end: number } | undefined {
  const values: number[] = [];
  let k = j;
  let end = j;
  for (;;) {
    const one = ordinalOne(s, k);
    if (!one) break;
    if (!values.includes(one.value)) values.push(one.value);
    end = one.end;
    k = end;
    if (s.p(k) === "," || s.p(k) === "&") k++;
    if (s.is(k, "and")) k++;
    if (k === end) break;
  }
  return values.length ? { values, end } : undefined;
}

/** One ordinal: "3rd", "third", "last", "penultimate", "second to last" (negative from the end). */
function ordinalOne(s: Scanner, j: number): { value: number; end: number } | undefined {
  const w = s.w(j);
  if (w === undefined) return undefined;
  if (w === "last" || w === "final") return { value: -1, end: j + 1 };
  if (w === "penultimate") return { value: -2, end: j + 1 };
  const n = ordinalWord(w);
  if (n === undefined) return undefined;
  // "second to last", "2nd last", "third from last"
  if (s.is(j + 1, "to", "from") && s.is(j + 2, "last")) return { value: -n, end: j + 3 };
  if (s.is(j + 1, "last")) return { value: -n, end: j + 2 };
  return { value: n, end: j + 1 };
}
