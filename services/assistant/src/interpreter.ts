/**
 * The offline interpreter: one English message (plus what the conversation already knows) → the
 * intents it expresses. Pure and deterministic — no I/O, no clock, no process time zone — so the
 * corpus test can pin `now` and the zone. Dates, times, recurrence, priorities, tags and reminders
 * are read by the quick-add parser `@todo/language`, the same one the web app's quick-add box uses;
 * this module only recognises the *verbs* ("add", "move … to", "done with …", "what's due …") and
 * which task they are about.
 *
 * It never resolves a task by guessing: a task is named by text (the service searches for it and
 * asks when several match), by "it" (the last touched), or by position ("the second one").
 */
import { parseQuickAdd, type QuickAddResult, REMINDER_DEFAULT_TIME } from "@todo/language";
import { Temporal } from "temporal-polyfill";

/** A priority by name; numbers are never priorities. */
export type PriorityName = "low" | "medium" | "high" | "urgent";

/** A reminder: an absolute instant (ISO 8601) or an offset before the due time. */
export type ReminderSpec = { readonly at: string } | { readonly beforeDueMs: number };

/** A due instant (ISO 8601, UTC) and whether a time of day was given. */
export interface DueSpec {
  readonly time: string;
  readonly hasTime: boolean;
}

/** An RRULE with its anchor ("every" counts from the schedule, "every … after I finish" from completion). */
export interface RecurrenceSpec {
  readonly rrule: string;
  readonly anchor: "schedule" | "completion";
}

/** Which task a message is about. */
export type TaskRef =
  /** The task(s) touched last ("it", "that"). */
  | { readonly kind: "it" }
  /** A position (1-based; -1 = the last) in the choices offered or the tasks listed last. */
  | { readonly kind: "ordinal"; readonly index: number }
  /** Words of the title, searched for by the service. */
  | { readonly kind: "text"; readonly text: string }
  /** A task id the caller was shown (only the language-model tools name tasks this way). */
  | { readonly kind: "id"; readonly id: string };

/** The fields of a new task. */
export interface NewTask {
  readonly title: string;
  /** Only the language model's add_task sets one; typed messages have none. */
  readonly description?: string;
  readonly priority?: PriorityName;
  readonly tags: readonly string[];
  readonly due?: DueSpec;
  readonly recurrence?: RecurrenceSpec;
  readonly reminders: readonly ReminderSpec[];
}

/** Changes to a task; `null` clears a field. */
export interface TaskChanges {
  readonly title?: string;
  /** "" clears it. */
  readonly description?: string;
  readonly priority?: PriorityName | null;
  readonly due?: DueSpec | null;
  /** Moves the due time by this much (from "postpone it by 2 days"). */
  readonly shiftMs?: number;
  readonly addTags?: readonly string[];
  readonly removeTags?: readonly string[];
  readonly recurrence?: RecurrenceSpec | null;
}

/** A half-open window [from, to) of instants (ISO 8601); either end may be open. */
export interface Window {
  readonly from?: string;
  readonly to?: string;
}

/** What to list. */
export interface ListQuery {
  readonly status: "open" | "completed";
  /** Due within this window. */
  readonly due?: Window;
  /** Completed within this window. */
  readonly completed?: Window;
  /** Open and due before now. */
  readonly overdue?: boolean;
  /** Without a due date. */
  readonly noDue?: boolean;
  readonly priority?: PriorityName;
  readonly tags: readonly string[];
  /** Words to search for in titles and descriptions. */
  readonly text?: string;
  /** How the answer calls the list, plural: "open tasks", "#work tasks due this week". */
  readonly label: string;
  /** The same for exactly one task: "open task", "#work task due this week". */
  readonly labelOne: string;
}

/** A period named in a question ("this week", "overdue") as a window, and how to say it. */
export interface NamedWindow {
  readonly window: Window;
  /** "this week", "today", "overdue". */
  readonly label: string;
  /** The period is "overdue": open and due before now. */
  readonly overdue?: boolean;
}

/** What a list asks for, before it is worded: see {@link listQuery}. */
export interface ListCriteria {
  readonly status: "open" | "completed";
  /** Due (or, for completed tasks, completed) within this period. */
  readonly window?: NamedWindow;
  readonly priority?: PriorityName;
  readonly tags: readonly string[];
  readonly text?: string;
  readonly noDue?: boolean;
}

/** One thing the user asked for. */
export type Intent =
  | { readonly kind: "create"; readonly task: NewTask }
  | { readonly kind: "list"; readonly query: ListQuery }
  | { readonly kind: "complete"; readonly target: TaskRef }
  | { readonly kind: "reopen"; readonly target: TaskRef }
  | { readonly kind: "delete"; readonly target: TaskRef }
  | { readonly kind: "update"; readonly target: TaskRef; readonly changes: TaskChanges }
  | { readonly kind: "rename_tag"; readonly from: string; readonly to: string }
  | { readonly kind: "add_reminder"; readonly target: TaskRef; readonly reminder: ReminderSpec }
  /** The answer to a clarifying question ("the second one"). */
  | { readonly kind: "select"; readonly index: number }
  /** Understood the verb but not enough to act: ask `question`. */
  | { readonly kind: "clarify"; readonly question: string }
  | { readonly kind: "help" }
  | { readonly kind: "unknown" };

/** The moment and zone a message is read in. */
export interface InterpretContext {
  readonly now: Date;
  /** The user's IANA time zone. */
  readonly timeZone: string;
}

const ORDINALS: Record<string, number> = {
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
};

const PRIORITY_ALIASES: Record<string, PriorityName> = {
  low: "low",
  "low-priority": "low",
  medium: "medium",
  med: "medium",
  normal: "medium",
  high: "high",
  important: "high",
  top: "urgent",
  urgent: "urgent",
  critical: "urgent",
  asap: "urgent",
};

const PRIORITY_WORD = "(low|medium|med|normal|high|important|top|urgent|critical|asap)";
const PRIORITY_PHRASE = new RegExp(
  `^(?:an? )?(?:${PRIORITY_WORD}(?:[- ]priority)?|priority (?:to |of )?${PRIORITY_WORD}|p(?:riority)? ?${PRIORITY_WORD})$`,
);

const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  min: 60_000,
  hour: 3_600_000,
  hr: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

const NUMBER_WORDS: Record<string, number> = {
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
};

/** Words that introduce a new task; what follows is read by the quick-add parser. */
const CREATE_PREFIX =
  /^(?:(?:please )?(?:add|create|make|new|put|schedule|jot down|note down|note|capture|log|set up)(?: (?:a|an|another|new|one more))?(?: new)?(?: (?:task|todo|to-do|item|reminder|entry))?(?: (?:to|for|called|named|titled|that says|saying))?:?\s+|(?:task|todo|to-do|new task)\s*:\s*|i (?:need|have|want|ought|got) to |i've got to |i gotta |i must |i should |i'll need to |don't forget to |do not forget to |remember to |note to self:?\s*|(?:please )?remind me to )/;

/**
 * "schedule a call with Tom on Friday", "set up a meeting tomorrow": a new task, although "schedule
 * the dentist for Friday" (a task already there) is a change of due date.
 */
const SCHEDULE_NEW =
  /^(?:schedule|set up) (?:a|an|another|one more|new) (?!reminder\b|priority\b|due date\b|deadline\b)/;

/** Trailing words of a create command that are not part of the task. */
const CREATE_SUFFIX =
  /\s+(?:to|on|onto|in) (?:my |the )?(?:to-?do |task |tasks )?(?:list|todos|todo list|tasks|inbox)$/;

const WEEKDAY_INDEX: Record<string, number> = {
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
  sunday: 7,
};

/** Normalises a message: one line, single spaces, curly quotes and apostrophes made plain. */
function normalise(message: string): string {
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
function tidy(message: string): { text: string; question: boolean } {
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
  text = text
    .replace(/^(?:the|my|a|an|our)\s+/i, "")
    .replace(/^(?:task|todo|to-do|item)\s+/i, "")
    .replace(/\s+(?:task|todo|to-do|item)$/i, "")
    .replace(/^["']|["']$/g, "")
    .trim();
  if (text === "" || /^(?:the|my|a|an|task|one)$/i.test(text)) return undefined;
  return { kind: "text", text };
}

function priorityOf(phrase: string): PriorityName | undefined {
  const m = phrase.toLowerCase().trim().match(PRIORITY_PHRASE);
  const word = m?.[1] ?? m?.[2] ?? m?.[3];
  return word ? PRIORITY_ALIASES[word] : undefined;
}

function iso(date: Date): string {
  return date.toISOString();
}

function dueOf(parsed: QuickAddResult): DueSpec | undefined {
  return parsed.due ? { time: iso(parsed.due.time), hasTime: parsed.due.hasTime } : undefined;
}

function reminderOf(r: QuickAddResult["reminders"][number]): ReminderSpec {
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

function durationMs(text: string): number | undefined {
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
function tagList(text: string): string[] | undefined {
  const cleaned = text.replace(/,|\band\b|&/g, " ").trim();
  if (cleaned === "") return undefined;
  const words = cleaned.split(/\s+/);
  if (words.some((w) => !/^#?[\p{L}\p{N}_/-]*\p{L}[\p{L}\p{N}_/-]*$/u.test(w))) return undefined;
  if (words.length > 3 && !words.every((w) => w.startsWith("#"))) return undefined;
  return tagsIn(cleaned);
}

// --- list queries -----------------------------------------------------------------------------

/** Day arithmetic in the user's zone. */
class Days {
  private readonly today: Temporal.PlainDate;
  constructor(private readonly ctx: InterpretContext) {
    this.today = Temporal.Instant.fromEpochMilliseconds(ctx.now.getTime())
      .toZonedDateTimeISO(ctx.timeZone)
      .toPlainDate();
  }
  /** The start of the day `offset` days from today, as an ISO instant. */
  start(offset: number): string {
    return this.at(this.today.add({ days: offset }));
  }
  at(date: Temporal.PlainDate): string {
    const zoned = date.toZonedDateTime({ timeZone: this.ctx.timeZone });
    return new Date(zoned.epochMilliseconds).toISOString();
  }
  /** Days from today to this week's Monday (≤ 0). */
  mondayOffset(): number {
    return 1 - this.today.dayOfWeek;
  }
  monthStart(offset: number): string {
    return this.at(this.today.with({ day: 1 }).add({ months: offset }));
  }
  weekday(target: number): number {
    return (target - this.today.dayOfWeek + 7) % 7;
  }
  now(): string {
    return this.ctx.now.toISOString();
  }
}

/**
 * The period a question names ("what's due this week?", "anything overdue?", "on Friday"), read in
 * the user's zone; undefined when it names none. Also reads the `when` of the model's list tool.
 */
export function readWindow(text: string, ctx: InterpretContext): NamedWindow | undefined {
  const d = new Days(ctx);
  const t = text.toLowerCase();
  const mon = d.mondayOffset();
  if (/\b(?:overdue|late|past due|missed|behind)\b/.test(t))
    return { window: { to: d.now() }, label: "overdue", overdue: true };
  if (/\b(?:today|tonight|this evening)\b/.test(t))
    return { window: { from: d.start(0), to: d.start(1) }, label: "today" };
  if (/\btomorrow\b/.test(t)) return { window: { from: d.start(1), to: d.start(2) }, label: "tomorrow" };
  if (/\byesterday\b/.test(t)) return { window: { from: d.start(-1), to: d.start(0) }, label: "yesterday" };
  if (/\bthis weekend\b|\bthe weekend\b|\bon the weekend\b|\bover the weekend\b/.test(t))
    return { window: { from: d.start(mon + 5), to: d.start(mon + 7) }, label: "this weekend" };
  if (/\bnext week\b/.test(t))
    return { window: { from: d.start(mon + 7), to: d.start(mon + 14) }, label: "next week" };
  if (/\blast week\b/.test(t))
    return { window: { from: d.start(mon - 7), to: d.start(mon) }, label: "last week" };
  if (/\bthis week\b|\bthe week\b|\bthis wk\b/.test(t))
    return { window: { from: d.start(mon), to: d.start(mon + 7) }, label: "this week" };
  if (/\bnext month\b/.test(t))
    return { window: { from: d.monthStart(1), to: d.monthStart(2) }, label: "next month" };
  if (/\blast month\b/.test(t))
    return { window: { from: d.monthStart(-1), to: d.monthStart(0) }, label: "last month" };
  if (/\bthis month\b/.test(t))
    return { window: { from: d.monthStart(0), to: d.monthStart(1) }, label: "this month" };
  const next = t.match(
    /\b(?:in the |within the |over the |for the )?(?:next|coming) (\d+|two|three|four|five|seven|ten) days\b/,
  );
  if (next?.[1]) {
    const n = /^\d+$/.test(next[1]) ? Number(next[1]) : (NUMBER_WORDS[next[1]] ?? 1);
    return { window: { from: d.now(), to: d.start(n + 1) }, label: `in the next ${n} days` };
  }
  if (/\b(?:soon|coming up|upcoming|next few days)\b/.test(t))
    return { window: { from: d.now(), to: d.start(4) }, label: "in the next few days" };
  const wd = t.match(/\b(?:on )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/);
  if (wd?.[1]) {
    const offset = d.weekday(WEEKDAY_INDEX[wd[1]] ?? 1);
    return {
      window: { from: d.start(offset), to: d.start(offset + 1) },
      label: `on ${wd[1][0]?.toUpperCase()}${wd[1].slice(1)}`,
    };
  }
  return undefined;
}

const LIST_START =
  /^(?:what|what's|whats|what is|what are|which|show|list|display|view|see|give me|tell me|any|anything|do i have|have i|did i|is there|are there|how many|find|search|get me|get my|look up|lookup|my|what do i|what have i|what did i|whats on|what's on|what else)\b/;
const LIST_NOUN = /\b(?:tasks?|todos?|to-dos?|items?|things?|stuff|ones|list|agenda|plan|schedule)\b/;
const LIST_STOP = new Set([
  "what",
  "what's",
  "whats",
  "is",
  "are",
  "which",
  "show",
  "me",
  "list",
  "display",
  "view",
  "see",
  "give",
  "tell",
  "any",
  "anything",
  "do",
  "i",
  "have",
  "did",
  "there",
  "how",
  "many",
  "my",
  "all",
  "the",
  "of",
  "open",
  "due",
  "today",
  "tomorrow",
  "this",
  "next",
  "week",
  "month",
  "overdue",
  "late",
  "completed",
  "finished",
  "done",
  "get",
  "pending",
  "remaining",
  "left",
  "still",
  "to",
  "a",
  "an",
  "for",
  "on",
  "in",
  "with",
  "that",
  "are",
  "priority",
  "yesterday",
  "last",
  "up",
  "coming",
  "upcoming",
  "else",
  "current",
  "active",
  "outstanding",
  "else",
  "and",
  "or",
  "no",
  "without",
  "date",
  "some",
  "find",
  "search",
  "look",
  "lookup",
  "whats",
  "on",
  "agenda",
  "plate",
  "should",
  "need",
  "work",
]);

function readList(text: string, question: boolean, ctx: InterpretContext): ListQuery | undefined {
  const t = text.toLowerCase();
  if (
    !LIST_START.test(t) &&
    !question &&
    !/^(?:tasks?|todos?|overdue|urgent|open) /.test(t) &&
    !LIST_NOUN.test(t)
  )
    return undefined;
  if (
    !LIST_START.test(t) &&
    !question &&
    !/^(?:(?:all |open |overdue |urgent |completed |finished |done )*(?:tasks?|todos?))\b/.test(t)
  )
    return undefined;
  const completed =
    /\b(?:finish|finished|complete|completed|done|did i do|did i get done|accomplish|accomplished|closed|checked off|ticked off)\b/.test(
      t,
    ) && !/\bto (?:finish|complete)\b|\bstill to\b|\bnot done\b|\bleft\b/.test(t);
  const win = readWindow(t, ctx);
  let priority: PriorityName | undefined;
  const pm = t.match(/\b(low|medium|normal|high|important|urgent|critical|top)(?:[- ]priority)?\b/);
  if (pm?.[1]) priority = PRIORITY_ALIASES[pm[1]];
  const tags = new Set<string>();
  for (const m of text.matchAll(/#([\p{L}\p{N}_/-]+)/gu)) if (m[1]) tags.add(m[1]);
  const tagged = t.match(/\b(?:tagged|tag|labell?ed|with the tag|in) #?([\p{L}\p{N}_/-]+)/u);
  if (tagged?.[1] && !LIST_STOP.has(tagged[1]) && !["the", "my"].includes(tagged[1])) tags.add(tagged[1]);
  // "show urgent work tasks": a word right before the noun that is not a qualifier is a tag
  const before = t.match(/([\p{L}\p{N}_/-]+) (?:tasks|todos|to-dos|items|things|stuff)\b/u);
  if (
    before?.[1] &&
    (!LIST_STOP.has(before[1]) || before[1] === "work") &&
    !PRIORITY_ALIASES[before[1]] &&
    !/^(?:#|priority)/.test(before[1]) &&
    !/^(?:all|my|open|the|your|of|these|those|some|overdue|pending|completed|finished|done|remaining|upcoming|current|active|outstanding|late|important|other|recent|new|many)$/.test(
      before[1],
    )
  )
    tags.add(before[1]);
  const textQuery = searchWords(text);
  const noDue = /\b(?:no|without(?: a)?|missing(?: a)?) (?:due )?dates?\b|\bundated\b|\bsomeday\b/.test(t);
  const criteria: { -readonly [K in keyof ListCriteria]: ListCriteria[K] } = {
    status: completed ? "completed" : "open",
    tags: [...tags],
  };
  if (win) criteria.window = win;
  if (priority) criteria.priority = priority;
  if (textQuery) criteria.text = textQuery;
  if (noDue) criteria.noDue = true;
  return listQuery(criteria);
}

/** The words a list question searches for ("tasks about the dentist" → "dentist"), if any. */
function searchWords(text: string): string | undefined {
  // The specific words first, so "find tasks about X" reads X, not "tasks about X".
  const about =
    text.match(
      /\b(?:about|mentioning|containing|called|named|titled|with the word|matching|regarding)\s+["']?(.+?)["']?$/i,
    ) ?? text.match(/\b(?:search(?: for)?|find|look up|lookup)\s+["']?(.+?)["']?$/i);
  if (!about?.[1]) return undefined;
  const words = about[1]
    .replace(
      /^(?:(?:all|my|the|any)\s+)*(?:tasks?|todos?|to-dos?|items?|things?|stuff)\s*(?:(?:about|with|for|on)\s+)?/i,
      "",
    )
    .replace(/^(?:the|my|a|an|our)\s+/i, "")
    .trim();
  if (words === "" || /^(?:me|my tasks|tasks|everything|anything)$/i.test(words)) return undefined;
  return words;
}

/**
 * A list query from its criteria, with its label: "open tasks", "urgent #work tasks due this week",
 * "tasks completed yesterday", "overdue tasks" (and the singular for one task). Shared by the
 * interpreter and the model's list tool, so both word their answers alike.
 */
export function listQuery(c: ListCriteria): ListQuery {
  const completed = c.status === "completed";
  const win = c.window;
  const before: string[] = [];
  if (c.priority) before.push(c.priority);
  if (c.tags.length > 0) before.push(c.tags.map((x) => `#${x}`).join(" "));
  const after: string[] = [];
  if (c.text) after.push(`about "${c.text}"`);
  if (c.noDue) after.push("without a due date");
  const query: { -readonly [K in keyof ListQuery]: ListQuery[K] } = {
    status: c.status,
    tags: [...c.tags],
    label: "",
    labelOne: "",
  };
  if (c.priority) query.priority = c.priority;
  if (c.text) query.text = c.text;
  if (c.noDue) query.noDue = true;
  if (win) {
    if (win.overdue && !completed) query.overdue = true;
    else if (completed) query.completed = win.window;
    else query.due = win.window;
  }
  if (win?.overdue && !completed) before.unshift("overdue");
  const when = win ? (completed ? ` completed ${win.label}` : win.overdue ? "" : ` due ${win.label}`) : "";
  const state = win ? "" : completed ? "completed " : "open ";
  const label = (noun: string) =>
    `${state}${before.join(" ")} ${noun} ${after.join(" ")}${when}`.replace(/\s+/g, " ").trim();
  query.label = label("tasks");
  query.labelOne = label("task");
  return query;
}

// --- the verbs --------------------------------------------------------------------------------

type Rule = (text: string, lower: string, ctx: InterpretContext) => Intent | undefined;

function ref(raw: string): TaskRef | undefined {
  return parseTaskRef(raw);
}

/** Tries each " to "/" for " split from the right until `rest` parses. */
function splitTarget<T>(
  body: string,
  separators: RegExp,
  read: (rest: string) => T | undefined,
): { target: TaskRef; value: T } | undefined {
  const matches = [...body.matchAll(separators)];
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    if (m?.index === undefined) continue;
    const head = body.slice(0, m.index);
    const rest = body.slice(m.index + m[0].length);
    const value = read(rest);
    const target = ref(head);
    if (value !== undefined && target) return { target, value };
  }
  return undefined;
}

const renameTag: Rule = (text) => {
  const m =
    text.match(
      /^(?:rename|change|relabel) (?:the )?(?:tag|label) #?([\p{L}\p{N}_/-]+) (?:to|into|as) #?([\p{L}\p{N}_/-]+)$/iu,
    ) ??
    text.match(/^(?:rename|change|relabel) #([\p{L}\p{N}_/-]+) (?:to|into|as) #?([\p{L}\p{N}_/-]+)$/iu) ??
    text.match(
      /^(?:rename|change) (?:the )?#?([\p{L}\p{N}_/-]+) (?:tag|label) (?:to|into|as) #?([\p{L}\p{N}_/-]+)$/iu,
    );
  if (m?.[1] && m[2]) return { kind: "rename_tag", from: m[1], to: m[2] };
  return undefined;
};

const complete: Rule = (text) => {
  const patterns = [
    // before "<title> done", which would read "got the laundry" as the title
    /^(?:i |i've |i have )?(?:just )?(?:got|gotten) (.+?) (?:done|finished|sorted|out of the way)$/i,
    /^(?:mark|set|flag) (.+?) (?:as )?(?:done|complete|completed|finished|checked|checked off)$/i,
    /^(?:complete|finish|finished|completed|check off|tick off|cross off|check|tick|close|close out|wrap up|knock out) (.+?)(?: off)?$/i,
    /^(?:i'm |i am |im |i )?(?:all )?done (?:with )?(.+)$/i,
    /^(?:i )?(?:just )?(?:finished|completed|did|have finished|have completed|have done|'ve finished|'ve done) (.+)$/i,
    /^i've (?:just )?(?:finished|completed|done) (.+)$/i,
    /^(.+?) (?:is|are) (?:done|finished|complete|completed)(?: now)?$/i,
    /^(.+?) (?:done|finished|completed)$/i,
  ];
  for (const p of patterns) {
    const m = text.match(p);
    if (m?.[1]) {
      if (/^(?:with )?(?:it|that)$/i.test(m[1])) return { kind: "complete", target: { kind: "it" } };
      const target = ref(m[1]);
      if (target) return { kind: "complete", target };
    }
  }
  if (/^(?:done|finished|completed|done with it|that's done|it's done)$/i.test(text))
    return { kind: "complete", target: { kind: "it" } };
  return undefined;
};

const reopen: Rule = (text) => {
  const patterns = [
    /^(?:reopen|re-open|uncomplete|un-complete|undo|unmark|uncheck|untick|restore|resurrect|revive) (.+?)(?: as done)?$/i,
    /^(?:mark|set) (.+?) (?:as )?(?:not done|undone|open|incomplete|not finished|unfinished|to do|todo|pending)(?: again)?$/i,
    /^(.+?) (?:is|was|isn't|is not|wasn't|was not) (?:not )?(?:done|finished)(?: after all| yet)?$/i,
    /^open (.+?) again$/i,
  ];
  for (const p of patterns) {
    const m = text.match(p);
    if (m?.[1]) {
      if (p === patterns[2] && !/\b(?:not|isn't|wasn't)\b/i.test(text)) continue;
      const target = ref(m[1]);
      if (target) return { kind: "reopen", target };
    }
  }
  return undefined;
};

const removeFromTask: Rule = (text) => {
  // "remove #work from the report", "untag the report #work", "remove the tag work from it"
  let m = text.match(
    /^(?:remove|delete|take off|drop) (?:the )?(?:tags? |labels? )?(#[^ ].*?|[\p{L}\p{N}_/-]+ (?:tag|label)) from (.+)$/iu,
  );
  if (m?.[1] && m[2]) {
    const tags = tagList(m[1].replace(/ (?:tag|label)$/i, ""));
    const target = ref(m[2]);
    if (tags && target) return { kind: "update", target, changes: { removeTags: tags } };
  }
  m = text.match(/^(?:remove|delete|take off|drop) (?:the )?(?:tag|label)s? ([^ ].*?) from (.+)$/i);
  if (m?.[1] && m[2]) {
    const tags = tagList(m[1]);
    const target = ref(m[2]);
    if (tags && target) return { kind: "update", target, changes: { removeTags: tags } };
  }
  m = text.match(/^untag (.+?) ((?:#\S+\s*)+)$/i);
  if (m?.[1] && m[2]) {
    const target = ref(m[1]);
    const tags = tagList(m[2]);
    if (tags && target) return { kind: "update", target, changes: { removeTags: tags } };
  }
  m =
    text.match(
      /^(?:remove|clear|delete|drop) (?:the )?(?:due date|due time|deadline|date|due) (?:of|from|on|for) (.+)$/i,
    ) ??
    text.match(/^(?:remove|clear|delete|drop) (.+?)'s? (?:due date|due time|deadline|date)$/i) ??
    text.match(/^(.+?) (?:has|needs) no (?:due date|deadline|date)$/i);
  if (m?.[1]) {
    const target = ref(m[1]);
    if (target) return { kind: "update", target, changes: { due: null } };
  }
  m = text.match(
    /^(?:stop repeating|don't repeat|do not repeat|stop recurring|end the series of|make (.+?) (?:not repeat|non-recurring|one-off|a one-off))(?: (.+))?$/i,
  );
  if (m) {
    const target = ref(m[1] ?? m[2] ?? "it");
    if (target) return { kind: "update", target, changes: { recurrence: null } };
  }
  m = text.match(/^(?:remove|clear|drop) (?:the )?(?:priority) (?:of|from|on) (.+)$/i);
  if (m?.[1]) {
    const target = ref(m[1]);
    if (target) return { kind: "update", target, changes: { priority: null } };
  }
  return undefined;
};

const remove: Rule = (text) => {
  const m = text.match(
    /^(?:delete|remove|drop|trash|bin|erase|get rid of|forget about|forget|scrap|nuke|kill|cancel|discard|throw away|throw out) (.+?)(?: from (?:my |the )?(?:list|todos|tasks|to-do list|todo list))?$/i,
  );
  if (!m?.[1]) return undefined;
  if (/^(?:the |a )?(?:reminders?|tags?|labels?)\b/i.test(m[1])) return undefined;
  const target = ref(m[1]);
  return target ? { kind: "delete", target } : { kind: "clarify", question: "Which task should I delete?" };
};

const tag: Rule = (text) => {
  // "tag it #work", "tag the report with work", "add #work to the report", "label it urgent-stuff"
  let m = text.match(/^(?:tag|label) (.+?) (?:with |as )?((?:#[^ ]+(?:,? (?:and )?)?)+)$/i);
  if (m?.[1] && m[2]) {
    const target = ref(m[1]);
    const tags = tagList(m[2]);
    if (target && tags) return { kind: "update", target, changes: { addTags: tags } };
  }
  m = text.match(
    /^(?:tag|label) (.+?) (?:with|as) (?:the )?(?:tags? |labels? )?([\p{L}\p{N}_/-]+(?:(?:,| and) [\p{L}\p{N}_/-]+)*)$/iu,
  );
  if (m?.[1] && m[2]) {
    const target = ref(m[1]);
    const tags = tagList(m[2]);
    if (target && tags) return { kind: "update", target, changes: { addTags: tags } };
  }
  m = text.match(
    /^(?:add|put|apply) (?:the )?(?:tags? |labels? )?((?:#?[\p{L}\p{N}_/-]+(?:,? (?:and )?)?)+?)(?: tags?| labels?)? (?:to|on) (.+)$/iu,
  );
  if (
    m?.[1] &&
    m[2] &&
    (/#/.test(m[1]) ||
      /^(?:add|put|apply) (?:the )?(?:tags? |labels? )|(?:tag|label)s? (?:to|on) /i.test(text))
  ) {
    const target = ref(m[2]);
    const tags = tagList(m[1]);
    if (target && tags) return { kind: "update", target, changes: { addTags: tags } };
  }
  return undefined;
};

const reminder: Rule = (text, lower, ctx) => {
  // "remind me 30 minutes before", "remind me about the dentist an hour before", "add a reminder to it at 5pm"
  let m = text.match(
    /^remind me (?:about|of) (.+?) ((?:\d+|an?|one|two|three|a couple of|a few) .+ (?:before|earlier|ahead)|at .+|on .+|tomorrow.*|tonight.*|in .+)$/i,
  );
  if (m?.[1] && m[2]) {
    const target = ref(m[1]);
    const r = readReminder(m[2], ctx);
    if (target && r) return { kind: "add_reminder", target, reminder: r };
  }
  m = text.match(
    /^(?:add|set|create|put|schedule) (?:a |an |another )?reminder (?:to|for|on) (.+?) ((?:\d+|an?|one|two|three|a couple of|a few) .+ (?:before|earlier|ahead)|at .+|on .+|tomorrow.*|in .+)$/i,
  );
  if (m?.[1] && m[2] && !readDate(m[1], ctx)) {
    const target = ref(m[1]);
    const r = readReminder(m[2], ctx);
    if (target && r) return { kind: "add_reminder", target, reminder: r };
  }
  m = text.match(
    /^(?:add|set|create|put|schedule) (?:a |an |another )?reminder (.+?)(?: (?:to|for|on) (it|that|this|that one|the \S+ one|the \S+))?$/i,
  );
  if (m?.[1]) {
    const r = readReminder(m[1], ctx);
    if (r) return { kind: "add_reminder", target: ref(m[2] ?? "it") ?? { kind: "it" }, reminder: r };
  }
  if (
    lower.startsWith("remind me") ||
    lower.startsWith("also remind me") ||
    lower.startsWith("and remind me")
  ) {
    const stripped = text.replace(/^(?:also |and )/i, "");
    const parsed = parseQuickAdd(stripped, ctx);
    if (parsed.title === "" && parsed.reminders.length === 1 && !parsed.due && parsed.reminders[0])
      return { kind: "add_reminder", target: { kind: "it" }, reminder: reminderOf(parsed.reminders[0]) };
  }
  return undefined;
};

const update: Rule = (text, _lower, ctx) => {
  // due date: "move the dentist to Friday 3pm", "reschedule it for tomorrow", "change the due date of x to y"
  let m = text.match(
    /^(?:move|reschedule|postpone|push|push back|shift|defer|delay|bump|change|set|put|schedule|make) (.+)$/i,
  );
  if (m?.[1] && !/\b(?:repeat|recur|recurring|repeating)\b/i.test(m[1])) {
    const body = m[1];
    const dueField =
      body.match(/^(?:the )?(?:due date|due time|deadline|date|due) (?:of|for|on) (.+?) (?:to|for) (.+)$/i) ??
      body.match(/^(.+?)'s? (?:due date|due time|deadline|date) (?:to|for) (.+)$/i);
    if (dueField?.[1] && dueField[2]) {
      const due = readDate(dueField[2], ctx);
      const target = ref(dueField[1]);
      if (due && target) return { kind: "update", target, changes: { due } };
    }
    const shift = body.match(/^(.+?) (?:by|for|back by|back) (.+)$/i);
    if (shift?.[1] && shift[2] && /^(?:postpone|push|push back|delay|defer|bump)\b/i.test(text)) {
      const ms = durationMs(shift[2]);
      const target = ref(shift[1]);
      if (ms && target) return { kind: "update", target, changes: { shiftMs: ms } };
    }
    const split = splitTarget(body, / (?:to|until|till|for|on|at) /gi, (rest) => readDate(rest, ctx));
    if (split) return { kind: "update", target: split.target, changes: { due: split.value } };
    if (/^(?:make|set|change|put)\b/i.test(text)) {
      const bare = splitTarget(body, / /g, (rest) => readDate(rest, ctx));
      if (bare) return { kind: "update", target: bare.target, changes: { due: bare.value } };
    }
    if (/^(?:postpone|push back|delay|defer)\b/i.test(text)) {
      const target = ref(body);
      if (target) return { kind: "update", target, changes: { shiftMs: UNIT_MS.day } };
    }
  }
  // priority: "make the report high priority", "make it urgent", "set the priority of x to low"
  m = text.match(/^(?:set|change|make|update) (?:the )?priority (?:of|for|on) (.+?) (?:to|as) (.+)$/i);
  if (m?.[1] && m[2]) {
    const p = priorityOf(m[2]);
    const target = ref(m[1]);
    if (p && target) return { kind: "update", target, changes: { priority: p } };
  }
  m = text.match(/^(?:set|change|make|update) (.+?)'s? priority (?:to|as) (.+)$/i);
  if (m?.[1] && m[2]) {
    const p = priorityOf(m[2]);
    const target = ref(m[1]);
    if (p && target) return { kind: "update", target, changes: { priority: p } };
  }
  m = text.match(
    /^(?:make|set|mark|flag|change|turn|bump|raise|lower|drop) (.+?) (?:to |as |into )?((?:an? )?(?:low|medium|med|normal|high|important|top|urgent|critical|asap)(?:[- ]priority)?|priority \S+)$/i,
  );
  if (m?.[1] && m[2]) {
    const p = priorityOf(m[2]);
    const target = ref(m[1]);
    if (p && target) return { kind: "update", target, changes: { priority: p } };
  }
  m = text.match(
    /^(.+?) (?:is|should be) (?:now )?((?:an? )?(?:low|medium|high|urgent|important|critical|top)(?:[- ]priority)?)$/i,
  );
  if (m?.[1] && m[2]) {
    const p = priorityOf(m[2]);
    const target = ref(m[1]);
    if (p && target) return { kind: "update", target, changes: { priority: p } };
  }
  m = text.match(/^(prioriti[sz]e|deprioriti[sz]e|escalate) (.+)$/i);
  if (m?.[1] && m[2]) {
    const target = ref(m[2]);
    if (target)
      return {
        kind: "update",
        target,
        changes: {
          priority: m[1].toLowerCase().startsWith("de")
            ? "low"
            : m[1].toLowerCase() === "escalate"
              ? "urgent"
              : "high",
        },
      };
  }
  // recurrence: "make it repeat every Monday", "repeat the report every 2 weeks", "water plants should repeat every 3 days after I finish"
  m =
    text.match(/^(?:make|set) (.+?) (?:repeat|recur|recurring|repeating|happen)(?: (.+))$/i) ??
    text.match(/^(?:repeat) (.+?) ((?:every|each|daily|weekly|monthly|yearly|annually|on weekdays).*)$/i) ??
    text.match(/^(.+?) (?:should|must|needs to|will) (?:repeat|recur|happen)(?: (.+))$/i);
  if (m?.[1] && m[2]) {
    const r = readRecurrence(m[2], ctx);
    const target = ref(m[1]);
    if (r && target)
      return {
        kind: "update",
        target,
        changes: r.due ? { recurrence: r.recurrence, due: r.due } : { recurrence: r.recurrence },
      };
  }
  // title: "rename the report to quarterly report", "call it X"
  m = text.match(/^(?:rename|retitle|change the (?:title|name) of) (.+?) (?:to|as|into) (.+)$/i);
  if (m?.[1] && m[2] && !/^(?:the )?(?:tag|label)\b/i.test(m[1])) {
    const target = ref(m[1]);
    const title = m[2].replace(/^["']|["']$/g, "").trim();
    if (target && title) return { kind: "update", target, changes: { title } };
  }
  m = text.match(/^(?:call|name|title) (it|that|this) ["']?(.+?)["']?$/i);
  if (m?.[1] && m[2]) return { kind: "update", target: { kind: "it" }, changes: { title: m[2] } };
  return undefined;
};

/** "no, Friday", "actually make it 5pm", "I meant next week": a correction of the last task. */
const correction: Rule = (text, _lower, ctx) => {
  const m = text.match(
    /^(?:no|nope|nah|not that|wait|actually|sorry|oops|i meant|i mean|rather|instead|make that|change that to|change it to|correction)(?:[,:!.-]+\s*|\s+)(?:(?:no|actually|i meant|i mean|make it|make that|change it to|it's|it is|instead|rather)[,:]?\s+)*(.+?)(?:,? instead| rather)?$/i,
  );
  if (!m?.[1]) return undefined;
  const rest = m[1];
  const due = readDate(rest, ctx);
  if (due) return { kind: "update", target: { kind: "it" }, changes: { due } };
  const p = priorityOf(rest);
  if (p) return { kind: "update", target: { kind: "it" }, changes: { priority: p } };
  const sel = parseTaskRef(rest);
  if (sel?.kind === "ordinal") return { kind: "select", index: sel.index };
  const rec = readRecurrence(rest, ctx);
  if (rec)
    return {
      kind: "update",
      target: { kind: "it" },
      changes: rec.due ? { recurrence: rec.recurrence, due: rec.due } : { recurrence: rec.recurrence },
    };
  const tags = rest.startsWith("#") ? tagList(rest) : undefined;
  if (tags) return { kind: "update", target: { kind: "it" }, changes: { addTags: tags } };
  return undefined;
};

const select: Rule = (text) => {
  const m = text.match(
    /^(?:(?:i mean |i meant |i want |pick |choose |select |go with |take |use )?(?:the )?(?:number |no\.? |option |#)?)(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th|\d{1,2})(?: one| task| item| option)?$/i,
  );
  if (!m?.[1]) return undefined;
  const value = ORDINALS[m[1].toLowerCase()] ?? Number(m[1]);
  return Number.isInteger(value) && value !== 0 ? { kind: "select", index: value } : undefined;
};

const help: Rule = (text) =>
  /^(?:help|\?|what can you do|what can i (?:say|ask|do)|how does this work|how do i use (?:this|you)|examples?|commands|usage|who are you|what are you)$/i.test(
    text,
  )
    ? { kind: "help" }
    : undefined;

const create: Rule = (text, lower, ctx) => {
  const prefix = lower.match(CREATE_PREFIX);
  let body = text;
  let explicit = false;
  if (prefix) {
    explicit = true;
    // keep "remind me to" for the parser (it makes a reminder at the due time)
    body = /^(?:please )?remind me to /i.test(text)
      ? text.replace(/^please /i, "")
      : text.slice(prefix[0].length);
  }
  body = body.replace(CREATE_SUFFIX, "");
  if (body.trim() === "")
    return explicit ? { kind: "clarify", question: "What should the task say?" } : undefined;
  const parsed = parseQuickAdd(body, ctx);
  if (parsed.title === "")
    return explicit ? { kind: "clarify", question: "What should the task say?" } : undefined;
  const hasFields =
    parsed.due ||
    parsed.recurrence ||
    parsed.tags.length > 0 ||
    parsed.priority ||
    parsed.reminders.length > 0;
  if (!explicit && !hasFields) return undefined;
  const task: { -readonly [K in keyof NewTask]: NewTask[K] } = {
    title: parsed.title.replace(/^(?:to |a task to |task to )/i, ""),
    tags: parsed.tags,
    reminders: parsed.reminders.map(reminderOf),
  };
  if (parsed.priority) task.priority = parsed.priority;
  const due = dueOf(parsed);
  if (due) {
    task.due = due;
    if (!due.hasTime) task.reminders = task.reminders.map((r) => morningOf(r, due, parsed.recurrence, ctx));
  }
  if (parsed.recurrence) task.recurrence = { ...parsed.recurrence };
  return { kind: "create", task };
};

/**
 * A reminder "at the due time" of a task due on a day without a time ("remind me to call the bank on
 * Monday") would fire at 23:59, the end of that day: it fires at the parser's reminder time of day
 * (09:00) on that day instead — an absolute time, or for a repeating task the same offset before each
 * due time. Left alone when 09:00 of that day has already passed.
 */
function morningOf(
  reminder: ReminderSpec,
  due: DueSpec,
  recurrence: QuickAddResult["recurrence"],
  ctx: InterpretContext,
): ReminderSpec {
  if (!("beforeDueMs" in reminder) || reminder.beforeDueMs !== 0) return reminder;
  const dueMs = Date.parse(due.time);
  const day = Temporal.Instant.fromEpochMilliseconds(dueMs).toZonedDateTimeISO(ctx.timeZone);
  const { hour, minute } = REMINDER_DEFAULT_TIME;
  const morning = day.with({ hour, minute, second: 0, millisecond: 0 });
  const at = morning.epochMilliseconds;
  if (at <= ctx.now.getTime() || at >= dueMs) return reminder;
  return recurrence ? { beforeDueMs: dueMs - at } : { at: new Date(at).toISOString() };
}

const RULES: readonly Rule[] = [
  help,
  select,
  renameTag,
  reminder,
  removeFromTask,
  tag,
  reopen,
  complete,
  correction,
  update,
  remove,
];

/**
 * Interprets one message. Returns at least one intent: `unknown` when nothing was understood (the
 * service then says so and shows examples). Messages split on ";" and " and then " into several
 * intents, run in order. Throws RangeError for an unknown time zone (the caller's zone is validated
 * by the identity service, so that is a bug).
 */
export function interpret(message: string, ctx: InterpretContext): Intent[] {
  const parts = normalise(message)
    .split(/\s*;\s*|,? and then |\. then |, then /i)
    .filter((p) => p.trim() !== "");
  const out: Intent[] = [];
  for (const part of parts) out.push(interpretOne(part, ctx));
  return out.length > 0 ? out : [{ kind: "unknown" }];
}

function interpretOne(message: string, ctx: InterpretContext): Intent {
  const { text, question } = tidy(message);
  if (text === "") return { kind: "unknown" };
  const lower = text.toLowerCase();
  if (help(text, lower, ctx)) return { kind: "help" };
  // Asking comes first for questions ("what's due this week?"), creating for "add …"/"remind me to …".
  if (
    CREATE_PREFIX.test(lower) &&
    !/^(?:add|put|apply) (?:the )?(?:#|tags? |labels? )/i.test(text) &&
    !/^(?:add|set|create|put|schedule) (?:a |an |another )?reminder (?:to|for|on|at|\d|an?\b|tomorrow|in\b)/i.test(
      text,
    ) &&
    (!/^(?:make|set|put|schedule) /i.test(lower) || SCHEDULE_NEW.test(lower))
  ) {
    const c = create(text, lower, ctx);
    if (c) return c;
  }
  if (question || LIST_START.test(lower)) {
    const q = readList(text, question, ctx);
    if (q && !(/^(?:did i|have i) (?:finish|complete|do) \S/.test(lower) && !readWindow(lower, ctx)))
      return { kind: "list", query: q };
  }
  for (const rule of RULES) {
    const intent = rule(text, lower, ctx);
    if (intent) return intent;
  }
  const q = readList(text, question, ctx);
  if (q) return { kind: "list", query: q };
  const c = create(text, lower, ctx);
  if (c) return c;
  return { kind: "unknown" };
}
