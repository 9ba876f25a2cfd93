/**
 * Carries out intents through the ordinary TaskService and TagService clients **as the caller**, for
 * one turn of a conversation. The offline interpreter's intents and the language model's tool calls
 * both end here, so the two paths act alike: the same lookups, the same clarifying questions, the
 * same request ids, the same replies. Writes go through the calls of the tool catalogue
 * (`@todo/tools`), the same ones MCP's tools make.
 *
 * A task named by words that match several tasks is never guessed: the executor lists them and asks
 * (CLARIFY), and nothing changes until the user picks one — in a later message: a task offered as a
 * choice in this turn cannot be acted on by id in the same turn, so a model cannot pick for the user.
 *
 * The pieces: `resolve-task.ts` (which task), `task-changes.ts` (updates and reminders),
 * `task-wording.ts` (how tasks read in replies), `choices.ts` (picking by words).
 */
import { createHash } from "node:crypto";
import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { allTags, findTask, newTaskMessage, renameTag } from "@todo/tools";
import { combineOutcomes, pickChoices, type WordsOrAll } from "./choices";
import type { Intent } from "./interpreter";
import { listFilter } from "./list-filter";
import { resolveTask } from "./resolve-task";
import { addReminder, applyChanges } from "./task-changes";
import { taskWording } from "./task-wording";
import { action, type MutableContext, memo, type Outcome, type Turn, touched } from "./turn";
import { plural, quote } from "./wording";

export { listFilter } from "./list-filter";
export { CLARIFY_LIMIT } from "./resolve-task";
export type { MutableContext, Outcome } from "./turn";
export { formatDuration, plural, quote } from "./wording";

/** How many tasks a list answer shows. */
export const LIST_LIMIT = 20;

/** Examples shown when the assistant understands nothing (and for "help"). */
export const EXAMPLES = [
  "remind me to call mom tomorrow at 6pm",
  "add buy milk #errands !high every Monday",
  "what's due this week?",
  "mark call mom as done",
  "move the dentist to Friday 3pm",
  "make it urgent",
  "rename tag work to office",
  "remind me 30 minutes before",
] as const;

/** Errors from the task and tag services that are the user's to fix, reported in the reply. */
const USER_ERRORS = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.FailedPrecondition,
  Code.AlreadyExists,
  Code.Aborted,
]);

/** What the executor needs for one turn. */
export interface ExecutorDeps {
  readonly tasks: Client<typeof TaskService>;
  readonly tags: Client<typeof TagService>;
  /** Carries the caller's own `authorization` header. */
  readonly call: CallOptions;
  /** The moment the message is read at ("overdue" is before it). */
  readonly now: Date;
  /** The caller's IANA zone: new tasks get it; replies show times in it. */
  readonly timeZone: string;
  /** The conversation's context, updated in place as intents run. */
  readonly state: MutableContext;
  /** The CreateTask `request_id` of the `index`-th task created in this turn (0-based). */
  readonly requestId: (index: number) => string;
}

/** Carries out intents for one turn. */
export interface Executor {
  /** Carries out one intent; errors that are the user's to fix become a `not_done` outcome. */
  execute(intent: Intent): Promise<Outcome>;
  /** The caller's tags with their task counts. */
  listTags(): Promise<{ readonly reply: string; readonly tags: readonly Tag[] }>;
  /** One line about a task: title, due time, priority, tags. */
  describe(task: Task): string;
}

/**
 * The CreateTask `request_id` of the `index`-th task created while answering turn `turn` of a
 * conversation: deterministic, so a Chat retried after a failure (the turn was not recorded, so it
 * keeps its number) finds the tasks its first attempt created instead of creating them again. The
 * digest of the message keeps a *different* message that reuses a failed turn's number from being
 * answered with the earlier message's task. At most 100 characters, as CreateTask requires.
 */
export function assistantRequestId(
  conversationId: string,
  turn: number,
  index: number,
  message: string,
): string {
  const digest = createHash("sha256").update(message).digest("hex").slice(0, 16);
  return `assistant:${conversationId}:${turn}:${index}:${digest}`;
}

const notDone = (reply: string): Outcome => ({ status: "not_done", reply });

/** Creates the executor of one turn. */
export function createExecutor(deps: ExecutorDeps): Executor {
  const { now, timeZone, state } = deps;
  const turn: Turn = {
    clients: { tasks: deps.tasks, tags: deps.tags, call: deps.call },
    now,
    timeZone,
    state,
    offered: new Set<string>(),
    words: taskWording(timeZone),
  };
  const { clients, words } = turn;
  const { tasks, call } = clients;
  let created = 0;

  const create = async (t: Extract<Intent, { kind: "create" }>["task"]): Promise<Outcome> => {
    const task = newTaskMessage({
      title: t.title,
      description: t.description ?? "",
      ...(t.priority ? { priority: t.priority } : {}),
      tags: t.tags,
      timeZone,
      ...(t.due ? { due: new Date(t.due.time) } : {}),
      ...(t.recurrence ? { recurrence: t.recurrence } : {}),
      reminders: t.reminders,
    });
    const requestId = deps.requestId(created++);
    let made: Task;
    try {
      made = (await tasks.createTask({ task, requestId }, call)).task as Task;
    } catch (e) {
      // The key is spent: an earlier attempt of this very message created the task, and it has
      // been deleted since. Creating it again would undo that deletion.
      if (e instanceof ConnectError && e.code === Code.AlreadyExists)
        return notDone(
          `An earlier attempt of this message already created ${quote(t.title)}, and it has been deleted since, so I did not create it again.`,
        );
      throw e;
    }
    touched(turn, [made]);
    state.pending = undefined;
    const summary = `Created ${[words.describe(made), ...made.reminders.map(words.reminder)].join(", ")}`;
    return { status: "done", reply: `${summary}.`, action: action(ActionType.CREATE_TASK, [made], summary) };
  };

  const list = async (q: Extract<Intent, { kind: "list" }>["query"]): Promise<Outcome> => {
    const res = await tasks.listTasks(
      {
        filter: listFilter(q, now),
        query: q.text ?? "",
        orderBy: q.text ? "" : q.status === "completed" ? "complete_time desc" : "due_time, priority desc",
        pageSize: LIST_LIMIT,
      },
      call,
    );
    state.lastListed = res.tasks.map(memo);
    state.pending = undefined;
    if (res.tasks.length === 1) touched(turn, res.tasks);
    const counted = `${res.totalSizeCapped ? "over " : ""}${res.totalSize} ${res.totalSize === 1 ? q.labelOne : q.label}`;
    const reply =
      res.tasks.length === 0
        ? `You have no ${q.label}.`
        : `You have ${counted}${res.totalSize > res.tasks.length ? ` (the first ${res.tasks.length})` : ""}:\n${words.numbered(res.tasks)}`;
    return { status: "done", reply, action: action(ActionType.LIST_TASKS, res.tasks, `Listed ${counted}`) };
  };

  const changeState = async (
    intent: Extract<Intent, { kind: "complete" | "reopen" | "delete" }>,
  ): Promise<Outcome> => {
    const r = await resolveTask(
      turn,
      intent.target,
      intent,
      intent.kind === "reopen" ? "completed" : "open",
      intent.kind === "delete",
    );
    if ("outcome" in r) return r.outcome;
    state.pending = undefined;
    if (intent.kind === "delete") {
      await tasks.deleteTask({ id: r.task.id, etag: r.task.etag }, call);
      state.lastTouched = [];
      state.lastListed = (state.lastListed ?? []).filter((m) => m.id !== r.task.id);
      const summary = `Deleted ${quote(r.task.title)}`;
      return {
        status: "done",
        reply: `${summary}.`,
        action: action(ActionType.DELETE_TASK, [r.task], summary),
      };
    }
    const done =
      intent.kind === "complete"
        ? (await tasks.completeTask({ id: r.task.id }, call)).task
        : (await tasks.reopenTask({ id: r.task.id }, call)).task;
    const task = done as Task;
    touched(turn, [task]);
    const summary = `${intent.kind === "complete" ? "Completed" : "Reopened"} ${quote(task.title)}`;
    const type = intent.kind === "complete" ? ActionType.COMPLETE_TASK : ActionType.REOPEN_TASK;
    return { status: "done", reply: `${summary}.`, action: action(type, [task], summary) };
  };

  /** A choice by position: the action waiting for it, or the task picked from the last list. */
  const selectByIndex = async (index: number): Promise<Outcome> => {
    const pending = state.pending;
    if (pending) {
      const pick =
        index === -1 ? pending.candidates[pending.candidates.length - 1] : pending.candidates[index - 1];
      if (!pick) return notDone(`Pick a number from 1 to ${pending.candidates.length}.`);
      const original = pending.intent as Intent;
      if ("target" in original) return run({ ...original, target: { kind: "ordinal", index } } as Intent);
    }
    const listed = state.lastListed ?? [];
    const pick = index === -1 ? listed[listed.length - 1] : listed[index - 1];
    const task = pick ? await findTask(clients, pick.id) : undefined;
    if (!task) return notDone("I'm not sure which task you mean. Name it, or ask me for a list first.");
    touched(turn, [task]);
    return notDone(`OK: ${words.describe(task)}. What should I do with it?`);
  };

  const run = async (intent: Intent): Promise<Outcome> => {
    switch (intent.kind) {
      case "create":
        return create(intent.task);
      case "list":
        return list(intent.query);
      case "complete":
      case "reopen":
      case "delete":
        return changeState(intent);
      case "update":
      case "add_reminder": {
        const r = await resolveTask(turn, intent.target, intent, "open", false);
        if ("outcome" in r) return r.outcome;
        state.pending = undefined;
        return intent.kind === "update"
          ? applyChanges(turn, r.task, intent.changes)
          : addReminder(turn, r.task, intent.reminder);
      }
      case "rename_tag": {
        const tag = await renameTag(clients, intent.from, intent.to);
        if (!tag) return notDone(`You have no tag #${intent.from}.`);
        const summary = `Renamed tag #${tag.name} to #${intent.to}`;
        return { status: "done", reply: `${summary}.`, action: action(ActionType.RENAME_TAG, [], summary) };
      }
      case "select":
        return "index" in intent ? selectByIndex(intent.index) : choose(intent);
      case "clarify":
        return notDone(intent.question);
      case "help":
        return notDone(`I manage your tasks. Try:\n${EXAMPLES.map((e) => `- ${e}`).join("\n")}`);
      case "unknown":
        return notDone(
          `Sorry, I didn't understand that, so I did nothing. You can say things like:\n${EXAMPLES.map((e) => `- ${e}`).join("\n")}`,
        );
    }
  };

  /** Carries out one intent; an error that is the user's to fix becomes a `not_done` outcome. */
  const attempt = async (intent: Intent): Promise<Outcome> => {
    try {
      return await run(intent);
    } catch (e) {
      if (!(e instanceof ConnectError) || !USER_ERRORS.has(e.code)) throw e;
      return notDone(`I couldn't do that: ${e.rawMessage}`);
    }
  };

  /**
   * A choice by words of the offered titles or of all of them: carries out the action waiting for it
   * on each task picked, asks again when several still match, or (with no action waiting) takes the
   * task picked from the last list as the one the next message is about.
   */
  const choose = async (choice: WordsOrAll): Promise<Outcome> => {
    const pending = state.pending;
    const original = pending?.intent as Intent | undefined;
    const waiting = pending && original && "target" in original ? original : undefined;
    const from = (waiting ? pending?.candidates : state.lastListed) ?? [];
    const result = pickChoices(choice, from);
    if ("problem" in result) return notDone(result.problem);
    if ("narrowed" in result) {
      const found = await Promise.all(result.narrowed.map((m) => findTask(clients, m.id)));
      const candidates = found.filter((t): t is Task => t !== undefined);
      if (waiting) state.pending = { intent: waiting, candidates: candidates.map(memo) };
      state.lastListed = candidates.map(memo);
      const said = "words" in choice ? choice.words : "";
      return {
        status: "ask",
        reply: `${candidates.length} of them match ${quote(said)}. Which one do you mean?\n${words.numbered(candidates)}\nAnswer with its number, for example "the second one".`,
        action: action(
          ActionType.CLARIFY,
          candidates,
          `${plural(candidates.length, "task")} match ${quote(said)}`,
        ),
      };
    }
    if (!waiting) {
      const [one] = result.picked;
      const task = one && result.picked.length === 1 ? await findTask(clients, one.id) : undefined;
      if (!task)
        return notDone(
          'I have not asked you to choose between tasks. Tell me what to do, for example "complete the report".',
        );
      touched(turn, [task]);
      return notDone(`OK: ${words.describe(task)}. What should I do with it?`);
    }
    const outcomes: Outcome[] = [];
    for (const m of result.picked)
      outcomes.push(await attempt({ ...waiting, target: { kind: "id", id: m.id } } as Intent));
    const outcome = combineOutcomes(outcomes);
    if (outcome.action && waiting.kind !== "delete") state.lastTouched = outcome.action.tasks.map(memo);
    return outcome;
  };

  return {
    describe: words.describe,
    execute: attempt,
    async listTags() {
      const all = await allTags(clients);
      const reply =
        all.length === 0
          ? "You have no tags."
          : `You have ${plural(all.length, "tag")}: ${all.map((t) => `#${t.name} (${plural(t.taskCount, "task")})`).join(", ")}.`;
      return { reply, tags: all };
    },
  };
}
