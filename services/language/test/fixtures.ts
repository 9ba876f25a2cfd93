/**
 * Helpers for this package's tests: a fixed moment and zone, and local wall-clock text for
 * instants (through Temporal with an explicit zone, never the process's).
 */
import { Temporal } from "temporal-polyfill";
import type { QuickAddReminder, QuickAddResult } from "../src/quick-add.ts";

/** Friday 15 January 2027, 10:30 in New York (15:30 UTC). */
export const NOW = new Date("2027-01-15T15:30:00Z");
export const ZONE = "America/New_York";

/** "2027-01-16 18:00": the wall clock of `at` in `zone`. */
export function local(at: Date, zone = ZONE): string {
  const z = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO(zone);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${z.year}-${p(z.month)}-${p(z.day)} ${p(z.hour)}:${p(z.minute)}`;
}

/** A reminder as short text: "-30m" before the due time, or "@2027-01-15 08:00" (local). */
export function reminderText(r: QuickAddReminder, zone = ZONE): string {
  return "at" in r ? `@${local(r.at, zone)}` : `-${r.beforeDueMs / 60_000}m`;
}

/** The letters and digits of a text, in order: what tidying a title must never lose or add. */
export function letters(text: string): string {
  return text.replace(/[^\p{L}\p{N}]/gu, "");
}

/**
 * The span invariants, as a list of problems (empty when all hold): spans are in order, do not
 * overlap, say their own text, and every letter or digit missing from the title lies inside a span
 * (tidying only ever drops punctuation and whitespace on its own).
 */
export function spanProblems(text: string, r: QuickAddResult): string[] {
  const problems: string[] = [];
  let last = 0;
  for (const s of r.spans) {
    if (s.start < last) problems.push(`span ${JSON.stringify(s.text)} overlaps or is out of order`);
    if (s.end <= s.start) problems.push(`span ${JSON.stringify(s.text)} is empty`);
    if (text.slice(s.start, s.end) !== s.text)
      problems.push(`span ${JSON.stringify(s.text)} does not match the text`);
    if (s.text !== s.text.trim()) problems.push(`span ${JSON.stringify(s.text)} has spaces at its ends`);
    last = s.end;
  }
  let rest = "";
  let at = 0;
  for (const s of r.spans) {
    rest += `${text.slice(at, s.start)} `;
    at = s.end;
  }
  rest += text.slice(at);
  if (letters(rest) !== letters(r.title)) {
    problems.push(
      `title ${JSON.stringify(r.title)} is not the text outside the spans ${JSON.stringify(rest)}`,
    );
  }
  return problems;
}
