/**
 * Reading the parts of a message that are not verbs: courtesy words and punctuation, priorities by
 * name, durations, tag lists, and — through the quick-add parser `@todo/language` — dates,
 * recurrences and reminders, in the user's zone.
 */
import { parseQuickAdd, type QuickAddResult, wordTable } from "@todo/language";
import { PRIORITY_WORDS } from "@todo/language/priority";
import type { DueSpec, InterpretContext, PriorityName, RecurrenceSpec, ReminderSpec } from "./intent";

/** Priority words to priority names. */
export const PRIORITY_ALIASES: Readonly<Record<string, PriorityName>> = wordTable({
  ...PRIORITY_WORDS,
  "low-priority": "low",
  top: "urgent",
  asap: "urgent",
});

/** The priority words, as a regular-expression group. */
export const PRIORITY_WORD = "(low|medium|med|normal|high|important|top|urgent|critical|asap)";
const PRIORITY_PHRASE = new RegExp(
  `^(?:an? )?(?:${PRIORITY_WORD}(?:[- ]priority)?|priority (?:to |of )?${PRIORITY_WORD}|p(?:riority)? ?${PRIORITY_WORD})$`,
);

/** Duration units to milliseconds. */
export const UNIT_MS: Readonly<Record<string, number>> = wordTable({
  minute: 60_000,
  min: 60_000,
  hour: 3_600_000,
  hr: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
});

/** Small numbers in words. */
export const NUMBER_WORDS: Readonly<Record<string, number>> = wordTable({
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  ten: 10,
  couple: 2,
  "a couple of": 2,
  few: 3,
});

/** Weekday names to ISO weekday numbers (Monday = 1). */
export const WEEKDAY_INDEX: Readonly<Record<string, number>> = wordTable({
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
  sunday: 7,
});

/** Normalises a message: one line, single spaces, curly quotes and apostrophes made plain. */
export function normalise(message: string): string {
  return message
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s+/g, " ")
    .trim();
}

const POLITE_PREFIX =
  /^(?:(?:hey|hi|hello|ok|okay|so|alright|um|uh|oh|assistant|please|pls|plz|kindly|can you|could you|would you|will you|can u|could u|i'd like you to|i want you to|go ahead and|just)[,!]?\s+)+/i;
const POLITE_SUFFIX = /(?:[,\s]+(?:please|pls|plz|thanks|thank you|thx|for me|now|asap please))+$/i;

/** Strips courtesy words and the final punctuation; returns the text and whether it was a question. */
export function tidy(message: string): { text: string; question: boolean } {
  let text = normalise(message);
  const question = /\?\s*$/.test(text);
  text = text.replace(/[.!?\s]+$/, "");
  let previous = "";
  while (previous !== text) {
    previous = text;
    text = text.replace(POLITE_PREFIX, "").replace(POLITE_SUFFIX, "").trim();
  }
  return { text, question };
}

/** A priority phrase ("urgent", "high priority", "priority low") as a name. */
export function priorityOf(phrase: string): PriorityName | undefined {
  const m = phrase.toLowerCase().trim().match(PRIORITY_PHRASE);
  const word = m?.[1] ?? m?.[2] ?? m?.[3];
  return word ? PRIORITY_ALIASES[word] : undefined;
}

function iso(date: Date): string {
  return date.toISOString();
}

/** The parser's due time as a {@link DueSpec}. */
export function dueOf(parsed: QuickAddResult): DueSpec | undefined {
  return parsed.due ? { time: iso(parsed.due.time), hasTime: parsed.due.hasTime } : undefined;
}

/** The parser's reminder as a {@link ReminderSpec}. */
export function reminderOf(r: QuickAddResult["reminders"][number]): ReminderSpec {
  return "at" in r ? { at: iso(r.at) } : { beforeDueMs: r.beforeDueMs };
}

/**
 * Reads words that name a due date and nothing else ("Friday 3pm", "tomorrow", "on the 12th") in the
 * user's zone; undefined when the words are anything more or less. Also reads the model's tool dates.
 */
export function readDate(text: string, ctx: InterpretContext): DueSpec | undefined {
  const cleaned = text.replace(/^(?:to|for|on|at|until|till|by|due)\s+/i, "");
  if (cleaned === "") return undefined;
  const parsed = parseQuickAdd(cleaned, ctx);
  if (parsed.title !== "" || !parsed.due || parsed.recurrence || parsed.tags.length > 0) return undefined;
  return dueOf(parsed);
}

/** Reads words that name a recurrence ("every Monday", "every 3 days after I finish") and maybe its first date. */
export function readRecurrence(
  text: string,
  ctx: InterpretContext,
): { recurrence: RecurrenceSpec; due?: DueSpec } | undefined {
  const parsed = parseQuickAdd(text, ctx);
  if (parsed.title !== "" || !parsed.recurrence) return undefined;
  return { recurrence: { ...parsed.recurrence }, due: dueOf(parsed) };
}

/** Reads words that name one reminder ("30 minutes before", "at 5pm", "tomorrow at 9"). */
export function readReminder(text: string, ctx: InterpretContext): ReminderSpec | undefined {
  const parsed = parseQuickAdd(`remind me ${text.replace(/^for\s+/i, "")}`, ctx);
  // A due time read here would belong to no task: "at the due time" of nothing.
  if (parsed.title !== "" || parsed.reminders.length !== 1 || parsed.due) return undefined;
  const [r] = parsed.reminders;
  return r ? reminderOf(r) : undefined;
}

/** "2 days", "by an hour", "a couple of weeks" in milliseconds. */
export function durationMs(text: string): number | undefined {
  const m = text
    .toLowerCase()
    .match(
      /^(?:by |for )?(\d+|an?|one|two|three|four|five|six|seven|ten|a couple of|couple|few|a few)\s+(minute|min|hour|hr|day|week)s?$/,
    );
  if (!m?.[1] || !m[2]) return undefined;
  const count = /^\d+$/.test(m[1]) ? Number(m[1]) : (NUMBER_WORDS[m[1].replace(/^a /, "")] ?? 1);
  const unit = UNIT_MS[m[2]];
  return unit ? count * unit : undefined;
}

function tagsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\s)#?([\p{L}\p{N}_/-]*\p{L}[\p{L}\p{N}_/-]*)/gu))
    if (m[1]) out.push(m[1]);
  return out;
}

/** A tag list like "#work #home", "work and home", "#work, #home". */
export function tagList(text: string): string[] | undefined {
  const cleaned = text.replace(/,|\band\b|&/g, " ").trim();
  if (cleaned === "") return undefined;
  const words = cleaned.split(/\s+/);
  if (words.some((w) => !/^#?[\p{L}\p{N}_/-]*\p{L}[\p{L}\p{N}_/-]*$/u.test(w))) return undefined;
  if (words.length > 3 && !words.every((w) => w.startsWith("#"))) return undefined;
  return tagsIn(cleaned);
}
