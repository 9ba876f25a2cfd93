/**
 * The verbs of a typed message other than add and change: rename a tag, complete, reopen, untag or
 * clear a field, delete, tag, add a reminder, correct the last task, ask for help.
 * Each rule reads the whole (tidied) message and returns an intent or undefined.
 */
import { parseQuickAdd } from "@todo/language";
import { priorityOf, readDate, readRecurrence, readReminder, reminderOf, tagList } from "./fields";
import type { Intent, InterpretContext, TaskRef } from "./intent";
import { select } from "./select-rule";
import { parseTaskRef } from "./task-ref";

/** Reads a message (as typed and lower-cased) into an intent, or undefined when it is not its verb. */
export type Rule = (text: string, lower: string, ctx: InterpretContext) => Intent | undefined;

/** A task reference, or undefined for words that name none. */
export function ref(raw: string): TaskRef | undefined {
  return parseTaskRef(raw);
}

/** Tries each " to "/" for " split from the right until `rest` parses. */

export const renameTag: Rule = (text) => {
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

export const complete: Rule = (text) => {
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

export const reopen: Rule = (text) => {
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

export const removeFromTask: Rule = (text) => {
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

export const remove: Rule = (text) => {
  const m = text.match(
    /^(?:delete|remove|drop|trash|bin|erase|get rid of|forget about|forget|scrap|nuke|kill|cancel|discard|throw away|throw out) (.+?)(?: from (?:my |the )?(?:list|todos|tasks|to-do list|todo list))?$/i,
  );
  if (!m?.[1]) return undefined;
  if (/^(?:the |a )?(?:reminders?|tags?|labels?)\b/i.test(m[1])) return undefined;
  const target = ref(m[1]);
  return target ? { kind: "delete", target } : { kind: "clarify", question: "Which task should I delete?" };
};

export const tag: Rule = (text) => {
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

export const reminder: Rule = (text, lower, ctx) => {
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

/** "no, Friday", "actually make it 5pm", "I meant next week": a correction of the last task. */
export const correction: Rule = (text, _lower, ctx) => {
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
  // "no, the dentist one", "no, both"
  const chosen = select(rest, rest.toLowerCase(), ctx);
  if (chosen) return chosen;
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

export const help: Rule = (text) =>
  /^(?:help|\?|what can you do|what can i (?:say|ask|do)|how does this work|how do i use (?:this|you)|examples?|commands|usage|who are you|what are you)$/i.test(
    text,
  )
    ? { kind: "help" }
    : undefined;
