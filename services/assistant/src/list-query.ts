/** List questions ("what's due this week?", "show urgent work tasks") read into a worded {@link ListQuery}. */
import { PRIORITY_ALIASES } from "./fields";
import type { InterpretContext, ListCriteria, ListQuery, PriorityName } from "./intent";
import { readWindow } from "./windows";

/** How a list question starts. */
export const LIST_START =
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

/** Reads a list question; undefined when the message is not one. */
export function readList(text: string, question: boolean, ctx: InterpretContext): ListQuery | undefined {
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
    /\b(?:finish|finished|complete|completed|done|did i do|did i get done|accomplish|accomplished|close|closed|(?:check|tick|cross)(?:ed)? off|get through|got through|wrap(?:ped)? up)\b/.test(
      t,
    ) && !/\bto (?:finish|complete)\b|\bstill to\b|\bnot done\b|\bleft\b/.test(t);
  // What was completed can only be in the past: "on Monday" is the last Monday.
  const win = readWindow(t, ctx, { past: completed });
  let priority: PriorityName | undefined;
  let priorityAtLeast = false;
  const pm = t.match(
    /\b(low|medium|normal|high|important|urgent|critical|top)(?:[- ]priorit(?:y|ies))?\b|\b(?:my )?(priorities)\b/,
  );
  // "important", "top priority", "my priorities": high or urgent; a level by name is that level.
  if (pm?.[1] === "important" || pm?.[1] === "top" || pm?.[2]) {
    priority = "high";
    priorityAtLeast = true;
  } else if (pm?.[1]) priority = PRIORITY_ALIASES[pm[1]];
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
  if (priorityAtLeast) criteria.priorityAtLeast = true;
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
  if (c.priority) before.push(priorityLabel(c.priority, c.priorityAtLeast === true));
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
  if (c.priority && c.priorityAtLeast) query.priorityAtLeast = true;
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

/** "urgent", "high-priority", "important" (high or urgent), "medium-or-higher-priority". */
function priorityLabel(p: PriorityName, atLeast: boolean): string {
  if (atLeast) return p === "high" ? "important" : `${p}-or-higher-priority`;
  return p === "urgent" ? "urgent" : `${p}-priority`;
}
