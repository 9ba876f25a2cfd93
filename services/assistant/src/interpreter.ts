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
 *
 * This module holds the order the rules are tried in and re-exports what the rest of the service
 * uses; the pieces live by concept: `intent.ts` (the types), `fields.ts` (priorities, durations,
 * tags, dates), `task-ref.ts`, `windows.ts` and `list-query.ts` (questions), and the verbs in
 * `create-rule.ts`, `update-rule.ts`, `select-rule.ts` and `rules.ts`.
 */
import { CREATE_PREFIX, create, SCHEDULE_NEW } from "./create-rule";
import { normalise, tidy } from "./fields";
import type { Intent, InterpretContext } from "./intent";
import { LIST_START, readList } from "./list-query";
import {
  complete,
  correction,
  help,
  type Rule,
  reminder,
  remove,
  removeFromTask,
  renameTag,
  reopen,
  tag,
} from "./rules";
import { select } from "./select-rule";
import { update } from "./update-rule";
import { readWindow } from "./windows";

export { readDate, readRecurrence, readReminder } from "./fields";
export type * from "./intent";
export { listQuery } from "./list-query";
export { parseTaskRef } from "./task-ref";
export { readWindow } from "./windows";

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
  // An answer to "Which one do you mean?" stays one with a question mark ("the second?", "both?").
  const chosen = select(text, lower, ctx);
  if (chosen) return chosen;
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
