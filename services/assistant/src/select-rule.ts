/**
 * The answer to "Which one do you mean?": a position ("the second one", "the last"), words of one of
 * the offered titles ("the one about the dentist", "the dentist one", "I meant the dentist"), or all
 * of them ("both", "all of them"). Which tasks those are is for the executor, which holds the choices
 * offered (`ConversationContext.pending`); the interpreter only reads the words.
 */
import { priorityOf, readDate, readRecurrence } from "./fields";
import type { Intent } from "./intent";
import type { Rule } from "./rules";
import { ORDINALS } from "./task-ref";

const LEAD = "(?:(?:i mean|i meant|i want|pick|choose|select|go with|take|use)[,:]? )?";

const BY_POSITION = new RegExp(
  `^${LEAD}(?:the )?(?:number |no\\.? |option |#)?(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|\\d{1,2})(?: one| task| item| option)?$`,
  "i",
);
const ALL = new RegExp(
  `^${LEAD}(?:(both)(?: of them| tasks| of those)?|all(?: of them| of those| the above| (?:two|three|four|five)(?: of them)?)?|each of them|every one of them|(?:do )?them all)$`,
  "i",
);
/** "the one about the dentist", "the one for mom", "the one called report". */
const ONE_ABOUT = new RegExp(
  `^${LEAD}(?:the )?(?:one|task) (?:about|with|for|called|named|titled|that says|saying|mentioning|containing|regarding|from) ["']?(.+?)["']?$`,
  "i",
);
/** "the dentist one", "the report task". */
const THE_X_ONE = new RegExp(`^${LEAD}the (.+?) (?:one|task)$`, "i");
/** "I meant the dentist appointment": anything that is not a date, a priority or a rule (corrections). */
const I_MEANT = /^(?:i mean|i meant)[,:]? (?!to )(.+)$/i;

/** Words that are not a title's: "the other one" names no task by its words. */
const NOT_WORDS = /^(?:other|same|right|wrong|new|old|next|previous|latest|earlier|later|one|it|that|this)$/i;

export const select: Rule = (text, _lower, ctx) => {
  const position = text.match(BY_POSITION);
  if (position?.[1]) {
    const value = ORDINALS[position[1].toLowerCase()] ?? Number(position[1]);
    return Number.isInteger(value) && value !== 0 ? { kind: "select", index: value } : undefined;
  }
  const all = text.match(ALL);
  if (all) return { kind: "select", all: all[1] ? "both" : "all" };
  const words = (text.match(ONE_ABOUT) ?? text.match(THE_X_ONE))?.[1];
  if (words && !NOT_WORDS.test(words)) return byWords(words);
  const meant = text.match(I_MEANT)?.[1];
  if (
    meant &&
    !NOT_WORDS.test(meant) &&
    !readDate(meant, ctx) &&
    !priorityOf(meant) &&
    !readRecurrence(meant, ctx) &&
    !meant.startsWith("#")
  )
    return byWords(meant);
  return undefined;
};

function byWords(raw: string): Intent | undefined {
  const words = raw.replace(/^(?:the|my|a|an)\s+/i, "").trim();
  return words === "" ? undefined : { kind: "select", words };
}
