/** Reading which task a message is about: "it", a position ("the second one"), or title words. */

import { wordTable } from "@todo/language";
import type { TaskRef } from "./intent";

/** Ordinal words and numerals to 1-based positions (-1 = the last). */
export const ORDINALS: Readonly<Record<string, number>> = wordTable({
  first: 1,
  "1st": 1,
  one: 1,
  second: 2,
  "2nd": 2,
  two: 2,
  third: 3,
  "3rd": 3,
  three: 3,
  fourth: 4,
  "4th": 4,
  four: 4,
  fifth: 5,
  "5th": 5,
  five: 5,
  sixth: 6,
  "6th": 6,
  seventh: 7,
  "7th": 7,
  eighth: 8,
  "8th": 8,
  ninth: 9,
  "9th": 9,
  tenth: 10,
  "10th": 10,
  last: -1,
});

/** Reads a reference to a task: "it", "the second one", or title words. */
export function parseTaskRef(raw: string): TaskRef | undefined {
  let text = raw
    .trim()
    .replace(/^["']|["']$/g, "")
    .trim();
  const lower = text.toLowerCase();
  if (
    /^(?:it|that|this|that one|this one|that task|this task|them|those|these|the task|the last one i added)$/.test(
      lower,
    )
  )
    return { kind: "it" };
  const ord = lower.match(
    /^(?:the |task |item |number |no\.? |#)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|1st|2nd|3rd|4th|5th|6th|7th|8th|9th|10th|\d{1,2})(?: one| task| item| option)?$/,
  );
  if (ord?.[1]) {
    const value = ORDINALS[ord[1]] ?? Number(ord[1]);
    if (Number.isInteger(value) && value !== 0) return { kind: "ordinal", index: value };
  }
  const quoted = text.match(/^["'](.+)["']$/);
  if (quoted?.[1]) text = quoted[1];
  // "the one about the dentist", "the dentist one": the words of the title
  text = text
    .replace(/^(?:the )?(?:one|task) (?:about|called|named|titled|mentioning|regarding) /i, "")
    .replace(/^(the .+?) one$/i, "$1")
    .replace(/^(?:the|my|a|an|our)\s+/i, "")
    .replace(/^(?:task|todo|to-do|item)\s+/i, "")
    .replace(/\s+(?:task|todo|to-do|item)$/i, "")
    .replace(/^["']|["']$/g, "")
    .trim();
  if (text === "" || /^(?:the|my|a|an|task|one)$/i.test(text)) return undefined;
  return { kind: "text", text };
}
