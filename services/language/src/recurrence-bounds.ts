/**
 * The parts of a recurrence phrase that end or anchor the series: "until Dec 31", "10 times", "for
 * 3 weeks", "after I finish". Each takes a token index and returns where the part ends (or, for
 * "until", where its date starts), or undefined.
 */
import type { Duration, Scanner } from "./scanner.ts";

/** What may follow "after", "from" or "since" to anchor a series on completion. */
const COMPLETION_PHRASES = new Set([
  "completion",
  "completing",
  "completing it",
  "completing the task",
  "finishing",
  "finishing it",
  "done",
  "it's done",
  "it is done",
  "i'm done",
  "i am done",
  "each completion",
  "last completion",
  "the last completion",
  "completed",
  "it's completed",
  "it is completed",
  "i finish",
  "i finish it",
  "i finished",
  "i complete",
  "i complete it",
  "i completed it",
  "i've finished",
  "i have finished",
  "i've done it",
  "i do it",
  "i did it",
  "i mark it done",
  "i check it off",
  "last done",
]);

/**
 * "after I finish", "after completion", "from completion", "since last done": the series restarts
 * from each completion. Returns the index after the phrase.
 */
export function completionAt(s: Scanner, i: number): number | undefined {
  if (!s.is(i, "after", "from", "since")) return undefined;
  let phrase = "";
  let best: number | undefined;
  for (let k = i + 1; k < i + 6; k++) {
    const w = s.w(k);
    if (w === undefined) break;
    phrase = phrase ? `${phrase} ${w}` : w;
    if (COMPLETION_PHRASES.has(phrase)) best = k + 1;
  }
  return best;
}

/** "10 times", "for 5 times", "5 occurrences": COUNT. Not "3 times a day" (that is a frequency). */
export function countAt(s: Scanner, i: number): { count: number; end: number } | undefined {
  const j = s.is(i, "for") ? i + 1 : i;
  const n = s.number(j, false);
  if (!n || n.value < 1) return undefined;
  if (!s.is(n.end, "times", "occurrences", "repetitions", "reps")) return undefined;
  if (s.is(n.end + 1, "a", "per", "every", "each")) return undefined;
  return { count: n.value, end: n.end + 1 };
}

/** "for 3 weeks", "for the next 2 months", "for a year": how long the series runs. */
export function forDurationAt(s: Scanner, i: number): { duration: Duration; end: number } | undefined {
  if (!s.is(i, "for")) return undefined;
  const j = s.is(i + 1, "the") && s.is(i + 2, "next") ? i + 3 : i + 1;
  const d = s.duration(j);
  if (!d?.wholeDays || (d.days === 0 && d.months === 0)) return undefined;
  return { duration: d, end: d.end };
}

/** "until", "till", "through", "ending (on)", "ends (on)", "up to": the index where the date starts. */
export function untilAt(s: Scanner, i: number): number | undefined {
  if (s.is(i, "until", "till", "til", "through", "thru", "untill")) {
    return s.is(i + 1, "the") && s.is(i + 2, "end") ? i + 2 : i + 1;
  }
  if (s.is(i, "ending", "ends", "end")) return s.is(i + 1, "on", "by") ? i + 2 : i + 1;
  if (s.is(i, "up") && s.is(i + 1, "to", "until")) return i + 2;
  return undefined;
}
