/**
 * Finding the one task an intent is about: by id (only one the user was not just asked to choose
 * from), "it", a position in the last list or choice, or words of its title — searched for, and never
 * guessed: when the words match several tasks, the candidates are offered (CLARIFY) and remembered
 * with the intent waiting for the answer.
 */
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { findTask } from "@todo/tools";
import type { Intent, TaskRef } from "./interpreter";
import { action, memo, type Outcome, type Turn } from "./turn";
import { plural, quote, withArticle } from "./wording";

/** How many candidates a clarifying question offers. */
export const CLARIFY_LIMIT = 5;

/** The task found, or the outcome that says why not (or asks which one). */
export type Resolved = { task: Task } | { outcome: Outcome };

const notDone = (reply: string): Resolved => ({ outcome: { status: "not_done", reply } });

/**
 * Finds the one task `target` names among the caller's `status` tasks. A `destructive` intent needs
 * the words to match one title; otherwise a search with a single result is enough.
 */
export async function resolveTask(
  turn: Turn,
  target: TaskRef,
  intent: Intent,
  status: "open" | "completed",
  destructive: boolean,
): Promise<Resolved> {
  const { clients, state, offered, words } = turn;
  if (target.kind === "id") {
    if (offered.has(target.id))
      return notDone(
        "Several tasks matched, and the user has not chosen one yet: ask them which one they mean, and act only on their answer.",
      );
    const task = await findTask(clients, target.id);
    return task ? { task } : notDone(`There is no task with the id ${target.id}.`);
  }
  if (target.kind === "it") {
    const last = state.lastTouched?.[0];
    const task = last ? await findTask(clients, last.id) : undefined;
    return task
      ? { task }
      : notDone('Which task do you mean? Name it, for example "make the report urgent".');
  }
  if (target.kind === "ordinal") {
    const from = state.pending?.candidates ?? state.lastListed ?? [];
    const pick = target.index === -1 ? from[from.length - 1] : from[target.index - 1];
    const task = pick ? await findTask(clients, pick.id) : undefined;
    if (task) return { task };
    return notDone(
      from.length === 0
        ? 'I have no list to pick from yet. Ask me for one first, for example "what\'s due this week?".'
        : `There is no number ${target.index} in the last list: pick 1 to ${from.length}.`,
    );
  }
  const filter = status === "completed" ? "status = COMPLETED" : "status = OPEN";
  const found = (await clients.tasks.listTasks({ query: target.text, filter, pageSize: 10 }, clients.call))
    .tasks;
  const needle = target.text.toLowerCase();
  const exact = found.filter((t) => t.title.toLowerCase() === needle);
  const containing = found.filter((t) => t.title.toLowerCase().includes(needle));
  const single = exact.length === 1 ? exact[0] : containing.length === 1 ? containing[0] : undefined;
  if (single) return { task: single };
  if (found.length === 1 && !destructive && found[0]) return { task: found[0] };
  if (found.length === 0) {
    const which = status === "completed" ? "completed task" : "open task";
    return notDone(`I couldn't find ${withArticle(which)} matching ${quote(target.text)}.`);
  }
  const candidates = (containing.length > 1 ? containing : found).slice(0, CLARIFY_LIMIT);
  state.pending = { intent, candidates: candidates.map(memo) };
  state.lastListed = candidates.map(memo);
  for (const c of candidates) offered.add(c.id);
  return {
    outcome: {
      status: "ask",
      reply: `Several tasks match ${quote(target.text)}. Which one do you mean?\n${words.numbered(candidates)}\nAnswer with its number, for example "the second one".`,
      action: action(
        ActionType.CLARIFY,
        candidates,
        `${plural(candidates.length, "task")} match ${quote(target.text)}`,
      ),
    },
  };
}
