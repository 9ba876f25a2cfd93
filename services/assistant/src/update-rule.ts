/** The change verbs: "move the dentist to Friday", "make it urgent", "repeat it every Monday", "rename … to …". */
import { durationMs, priorityOf, readDate, readRecurrence, UNIT_MS } from "./fields";
import type { TaskRef } from "./intent";
import { type Rule, ref } from "./rules";

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

/** A change to a task: due date, shift, priority, recurrence or title. */
export const update: Rule = (text, _lower, ctx) => {
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
