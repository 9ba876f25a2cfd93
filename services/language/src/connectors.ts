/**
 * The small words that join a phrase to the text around it ("on Friday", "due tomorrow", "repeat
 * every week", "with high priority"). A connector right before a recognised phrase is cut out of the
 * title with it; the due connectors also tell the date reader that an ambiguous word is meant as a
 * date ("on sat", "by 12/24"). One list per role, so the quick-add parser and the scanner cannot
 * drift apart.
 */

/**
 * Words that announce a due date or time ("on sat", "by 12/24", "around 3pm"). After one of them a
 * weekday abbreviation that is also an English word, or a day/month pair without a year, is read as
 * a date; before a due phrase they leave the title with it.
 */
export const DUE_CONNECTORS: ReadonlySet<string> = new Set([
  "on",
  "at",
  "@",
  "by",
  "due",
  "for",
  "before",
  "until",
  "till",
  "from",
  "starting",
  "beginning",
  "around",
]);

/** Words before a recurrence that leave the title with it ("repeat every Monday"). */
export const RECURRENCE_CONNECTORS: ReadonlySet<string> = new Set([
  "repeat",
  "repeats",
  "repeating",
  "recurring",
  "recurs",
  "and",
]);

/** Words before a reminder that leave the title with it ("and remind me", "with a reminder"). */
export const REMINDER_CONNECTORS: ReadonlySet<string> = new Set([
  "and",
  "with",
  "a",
  "an",
  "set",
  "add",
  "also",
  "plus",
]);

/** Words before a priority that leave the title with it ("with high priority", "as urgent"). */
export const PRIORITY_CONNECTORS: ReadonlySet<string> = new Set(["with", "at", "as"]);

/** What may join several times of day in one phrase ("at 8, 14 and 20"). */
export const MULTI_TIME_CONNECTORS: ReadonlySet<string> = new Set(["and", "&", ","]);

/** Words left dangling at the end of a title when what followed them was removed. */
export const DANGLING: ReadonlySet<string> = new Set([
  "at",
  "on",
  "by",
  "due",
  "for",
  "with",
  "and",
  "&",
  "from",
  "starting",
  "until",
  "till",
  "in",
  "every",
  "each",
  "or",
  "to",
]);

/** Punctuation that separates the title from a removed part ("call mom - tomorrow"). */
export const SEPARATORS: ReadonlySet<string> = new Set([",", ";", ":", "-", "–", "—", "|", "/"]);

/** Punctuation that closes a clause: a connector right before it is dangling. */
export const CLOSING: ReadonlySet<string> = new Set([",", ".", "!", "?", ";", ":", ")", "]", "}"]);
