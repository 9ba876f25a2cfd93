/** The add verb: "add …", "remind me to …", "I need to …", read by the quick-add parser. */
import { parseQuickAdd, type QuickAddResult, REMINDER_DEFAULT_TIME } from "@todo/language";
import { Temporal } from "temporal-polyfill";
import { dueOf, PRIORITY_ALIASES, reminderOf } from "./fields";
import type { DueSpec, InterpretContext, NewTask, ReminderSpec } from "./intent";
import type { Rule } from "./rules";

/**
 * Words that introduce a new task; what follows is read by the quick-add parser. A priority word
 * right before the noun ("add an important task to …", "create a low priority task …") is group 1,
 * the noun group 2.
 */
export const CREATE_PREFIX =
  /^(?:(?:please )?(?:add|create|make|new|put|schedule|jot down|note down|note|capture|log|set up)(?: (?:a|an|another|new|one more))?(?: new)?(?: (low|medium|med|normal|high|important|top|urgent|critical)(?:[- ]priority)?(?= (?:new )?(?:task|todo|to-do|item|reminder|entry)\b))?(?: new)?(?: (task|todo|to-do|item|reminder|entry))?(?: (?:to|for|called|named|titled|that says|saying))?:?\s+|(?:task|todo|to-do|new task)\s*:\s*|i (?:need|have|want|ought|got) to |i've got to |i gotta |i must |i should |i'll need to |don't forget to |do not forget to |remember to |note to self:?\s*|(?:please )?remind me to )/;

/**
 * "schedule a call with Tom on Friday", "set up a meeting tomorrow": a new task, although "schedule
 * the dentist for Friday" (a task already there) is a change of due date.
 */
export const SCHEDULE_NEW =
  /^(?:schedule|set up) (?:a|an|another|one more|new) (?!reminder\b|priority\b|due date\b|deadline\b)/;

/** Trailing words of a create command that are not part of the task. */
const CREATE_SUFFIX =
  /\s+(?:to|on|onto|in) (?:my |the )?(?:to-?do |task |tasks )?(?:list|todos|todo list|tasks|inbox)$/;

/** A new task; without an "add"-like prefix only when the parser found a field (a date, a tag…). */
export const create: Rule = (text, lower, ctx) => {
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
  // "!high" in the text wins over a word before the noun ("add an important task to … !urgent").
  const named = prefix?.[1] ? PRIORITY_ALIASES[prefix[1]] : undefined;
  if (parsed.priority ?? named) task.priority = parsed.priority ?? named;
  // "add an urgent reminder to pay rent on Friday": a reminder, like "remind me to pay rent on Friday".
  if (prefix?.[2] === "reminder" && parsed.due && task.reminders.length === 0)
    task.reminders = [{ beforeDueMs: 0 }];
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
