/**
 * Carries out intents through the ordinary TaskService and TagService clients **as the caller**, for
 * one turn of a conversation. The offline interpreter's intents and the language model's tool calls
 * both end here, so the two paths act alike: the same lookups, the same clarifying questions, the
 * same request ids, the same replies.
 *
 * A task named by words that match several tasks is never guessed: the executor lists them and asks
 * (CLARIFY), and nothing changes until the user picks one — in a later message: a task offered as a
 * choice in this turn cannot be acted on by id in the same turn, so a model cannot pick for the user.
 */
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import { type Action, ActionSchema, ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { Priority, type Reminder, type Task, TaskSchema, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { movedDue } from "@todo/language/due-move";
import { combineOutcomes, pickChoices, type WordsOrAll } from "./choices";
import type { Intent, TaskChanges, TaskRef } from "./interpreter";
import type { ConversationContext, TaskMemo } from "./store";
import { listFilter, PRIORITY, PRIORITY_NAME, recurrenceMessage, reminderMessage } from "./task-messages";
import { formatDuration, plural, quote, withArticle } from "./wording";

export { listFilter, PRIORITY, PRIORITY_NAME } from "./task-messages";
export { formatDuration, plural, quote } from "./wording";

/** How many tasks a list answer shows. */
export const LIST_LIMIT = 20;
/** How many candidates a clarifying question offers. */
export const CLARIFY_LIMIT = 5;

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

/** What carrying out one intent came to. */
export interface Outcome {
  /** What to tell the user. */
  readonly reply: string;
  /** The action taken (or the CLARIFY offering a choice). */
  readonly action?: Action;
  /**
   * `done`: carried out; `ask`: the user has to choose a task first (nothing changed); `not_done`:
   * nothing changed (not found, not understood, refused, or an error of the user's to fix).
   */
  readonly status: "done" | "ask" | "not_done";
}

/** The context the executor reads and updates (the tasks listed and touched, a pending choice). */
export type MutableContext = { -readonly [K in keyof ConversationContext]: ConversationContext[K] };

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

function memo(task: Task): TaskMemo {
  return { id: task.id, title: task.title };
}

function action(type: ActionType, tasks: readonly Task[], summary: string): Action {
  return create(ActionSchema, { type, tasks: [...tasks], summary });
}

type Resolved = { task: Task } | { outcome: Outcome };

/** Creates the executor of one turn. */
export function createExecutor(deps: ExecutorDeps): Executor {
  const { tasks, tags, call, now, timeZone, state } = deps;
  /** Tasks offered as a choice in this turn: the user has not answered yet. */
  const offered = new Set<string>();
  let created = 0;
  const when = new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
  });

  const describe = (task: Task): string => {
    const bits = [quote(task.title)];
    if (task.dueTime) bits.push(`due ${when.format(timestampDate(task.dueTime))}`);
    const p = PRIORITY_NAME[task.priority];
    if (p) bits.push(p);
    if (task.tags.length > 0) bits.push(task.tags.map((t) => `#${t}`).join(" "));
    if (task.status === TaskStatus.COMPLETED && task.completeTime)
      bits.push(`completed ${when.format(timestampDate(task.completeTime))}`);
    return bits.join(", ");
  };
  const numbered = (list: readonly Task[]) => list.map((t, i) => `${i + 1}. ${describe(t)}`).join("\n");
  const reminderText = (r: Reminder): string => {
    if (r.trigger.case === "at") return `reminder ${when.format(timestampDate(r.trigger.value))}`;
    if (r.trigger.case === "beforeDue") {
      const ms = Number(r.trigger.value.seconds) * 1000;
      return ms === 0 ? "reminder at the due time" : `reminder ${formatDuration(ms)} before`;
    }
    return "reminder";
  };

  const getTask = async (id: string): Promise<Task | undefined> => {
    try {
      return (await tasks.getTask({ id }, call)).task;
    } catch (e) {
      if (e instanceof ConnectError && e.code === Code.NotFound) return undefined;
      throw e;
    }
  };

  const touched = (list: readonly Task[]) => {
    state.lastTouched = list.map(memo);
  };

  /** Finds the one task `target` names, or says why not (asking when several match). */
  const resolve = async (
    target: TaskRef,
    intent: Intent,
    status: "open" | "completed",
    destructive: boolean,
  ): Promise<Resolved> => {
    if (target.kind === "id") {
      if (offered.has(target.id))
        return {
          outcome: {
            status: "not_done",
            reply:
              "Several tasks matched, and the user has not chosen one yet: ask them which one they mean, and act only on their answer.",
          },
        };
      const task = await getTask(target.id);
      if (task) return { task };
      return { outcome: { status: "not_done", reply: `There is no task with the id ${target.id}.` } };
    }
    if (target.kind === "it") {
      const last = state.lastTouched?.[0];
      const task = last ? await getTask(last.id) : undefined;
      if (task) return { task };
      return {
        outcome: {
          status: "not_done",
          reply: 'Which task do you mean? Name it, for example "make the report urgent".',
        },
      };
    }
    if (target.kind === "ordinal") {
      const from = state.pending?.candidates ?? state.lastListed ?? [];
      const pick = target.index === -1 ? from[from.length - 1] : from[target.index - 1];
      const task = pick ? await getTask(pick.id) : undefined;
      if (task) return { task };
      return {
        outcome: {
          status: "not_done",
          reply:
            from.length === 0
              ? 'I have no list to pick from yet. Ask me for one first, for example "what\'s due this week?".'
              : `There is no number ${target.index} in the last list: pick 1 to ${from.length}.`,
        },
      };
    }
    const filter = status === "completed" ? "status = COMPLETED" : "status = OPEN";
    const found = (await tasks.listTasks({ query: target.text, filter, pageSize: 10 }, call)).tasks;
    const needle = target.text.toLowerCase();
    const exact = found.filter((t) => t.title.toLowerCase() === needle);
    const containing = found.filter((t) => t.title.toLowerCase().includes(needle));
    const single = exact.length === 1 ? exact[0] : containing.length === 1 ? containing[0] : undefined;
    if (single) return { task: single };
    if (found.length === 1 && !destructive && found[0]) return { task: found[0] };
    if (found.length === 0) {
      const which = status === "completed" ? "completed task" : "open task";
      return {
        outcome: {
          status: "not_done",
          reply: `I couldn't find ${withArticle(which)} matching ${quote(target.text)}.`,
        },
      };
    }
    const candidates = (containing.length > 1 ? containing : found).slice(0, CLARIFY_LIMIT);
    state.pending = { intent, candidates: candidates.map(memo) };
    state.lastListed = candidates.map(memo);
    for (const c of candidates) offered.add(c.id);
    return {
      outcome: {
        status: "ask",
        reply: `Several tasks match ${quote(target.text)}. Which one do you mean?\n${numbered(candidates)}\nAnswer with its number, for example "the second one".`,
        action: action(
          ActionType.CLARIFY,
          candidates,
          `${plural(candidates.length, "task")} match ${quote(target.text)}`,
        ),
      },
    };
  };

  const applyChanges = async (task: Task, changes: TaskChanges): Promise<Outcome> => {
    const next = create(TaskSchema, { id: task.id, etag: task.etag });
    const paths: string[] = [];
    const said: string[] = [];
    if (changes.title !== undefined) {
      next.title = changes.title;
      paths.push("title");
      said.push(`renamed to ${quote(changes.title)}`);
    }
    if (changes.description !== undefined) {
      next.description = changes.description;
      paths.push("description");
      said.push(changes.description === "" ? "no description" : "new description");
    }
    if (changes.priority !== undefined) {
      next.priority = changes.priority ? PRIORITY[changes.priority] : Priority.UNSPECIFIED;
      paths.push("priority");
      said.push(changes.priority ? `priority ${changes.priority}` : "no priority");
    }
    if (changes.due !== undefined || changes.shiftMs !== undefined) {
      let due: Date | undefined;
      if (changes.due)
        due = movedDue(
          changes.due,
          task.dueTime ? timestampDate(task.dueTime) : undefined,
          task.timeZone || timeZone,
          timeZone,
        );
      else if (changes.shiftMs !== undefined) {
        if (!task.dueTime)
          return {
            status: "not_done",
            reply: `${quote(task.title)} has no due date to move; tell me when it is due instead.`,
          };
        due = new Date(timestampDate(task.dueTime).getTime() + changes.shiftMs);
      }
      if (due) {
        next.dueTime = timestampFromDate(due);
        if (task.timeZone === "") {
          next.timeZone = timeZone;
          paths.push("time_zone");
        }
        said.push(`due ${when.format(due)}`);
      } else said.push("no due date");
      paths.push("due_time");
    }
    if (changes.addTags || changes.removeTags) {
      const remove = new Set((changes.removeTags ?? []).map((t) => t.toLowerCase()));
      const merged = task.tags.filter((t) => !remove.has(t.toLowerCase()));
      for (const t of changes.addTags ?? [])
        if (!merged.some((m) => m.toLowerCase() === t.toLowerCase())) merged.push(t);
      next.tags = merged;
      paths.push("tags");
      if (changes.addTags?.length) said.push(`tagged ${changes.addTags.map((t) => `#${t}`).join(" ")}`);
      if (changes.removeTags?.length)
        said.push(`untagged ${changes.removeTags.map((t) => `#${t}`).join(" ")}`);
    }
    if (changes.recurrence !== undefined) {
      if (changes.recurrence) {
        next.recurrence = recurrenceMessage(changes.recurrence);
        said.push("repeating");
      } else said.push("not repeating");
      paths.push("recurrence");
    }
    if (paths.length === 0)
      return { status: "not_done", reply: `Nothing to change on ${quote(task.title)}.` };
    const updated = (await tasks.updateTask({ task: next, updateMask: { paths } }, call)).task as Task;
    touched([updated]);
    const summary = `Updated ${quote(updated.title)}: ${said.join(", ")}`;
    return {
      status: "done",
      reply: `${summary}.`,
      action: action(ActionType.UPDATE_TASK, [updated], summary),
    };
  };

  const run = async (intent: Intent): Promise<Outcome> => {
    switch (intent.kind) {
      case "create": {
        const t = intent.task;
        const task = create(TaskSchema, {
          title: t.title,
          description: t.description ?? "",
          priority: t.priority ? PRIORITY[t.priority] : Priority.UNSPECIFIED,
          tags: [...t.tags],
          timeZone,
          reminders: t.reminders.map(reminderMessage),
        });
        if (t.due) task.dueTime = timestampFromDate(new Date(t.due.time));
        if (t.recurrence) task.recurrence = recurrenceMessage(t.recurrence);
        const requestId = deps.requestId(created++);
        let made: Task;
        try {
          made = (await tasks.createTask({ task, requestId }, call)).task as Task;
        } catch (e) {
          // The key is spent: an earlier attempt of this very message created the task, and it has
          // been deleted since. Creating it again would undo that deletion.
          if (e instanceof ConnectError && e.code === Code.AlreadyExists)
            return {
              status: "not_done",
              reply: `An earlier attempt of this message already created ${quote(t.title)}, and it has been deleted since, so I did not create it again.`,
            };
          throw e;
        }
        touched([made]);
        state.pending = undefined;
        const extras = made.reminders.map(reminderText);
        const summary = `Created ${[describe(made), ...extras].join(", ")}`;
        return {
          status: "done",
          reply: `${summary}.`,
          action: action(ActionType.CREATE_TASK, [made], summary),
        };
      }
      case "list": {
        const q = intent.query;
        const res = await tasks.listTasks(
          {
            filter: listFilter(q, now),
            query: q.text ?? "",
            orderBy: q.text
              ? ""
              : q.status === "completed"
                ? "complete_time desc"
                : "due_time, priority desc",
            pageSize: LIST_LIMIT,
          },
          call,
        );
        state.lastListed = res.tasks.map(memo);
        state.pending = undefined;
        if (res.tasks.length === 1) touched(res.tasks);
        const counted = `${res.totalSizeCapped ? "over " : ""}${res.totalSize} ${res.totalSize === 1 ? q.labelOne : q.label}`;
        const summary = `Listed ${counted}`;
        const reply =
          res.tasks.length === 0
            ? `You have no ${q.label}.`
            : `You have ${counted}${res.totalSize > res.tasks.length ? ` (the first ${res.tasks.length})` : ""}:\n${numbered(res.tasks)}`;
        return { status: "done", reply, action: action(ActionType.LIST_TASKS, res.tasks, summary) };
      }
      case "complete":
      case "reopen":
      case "delete": {
        const r = await resolve(
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
        touched([task]);
        const summary = `${intent.kind === "complete" ? "Completed" : "Reopened"} ${quote(task.title)}`;
        const type = intent.kind === "complete" ? ActionType.COMPLETE_TASK : ActionType.REOPEN_TASK;
        return { status: "done", reply: `${summary}.`, action: action(type, [task], summary) };
      }
      case "update": {
        const r = await resolve(intent.target, intent, "open", false);
        if ("outcome" in r) return r.outcome;
        state.pending = undefined;
        return applyChanges(r.task, intent.changes);
      }
      case "add_reminder": {
        const r = await resolve(intent.target, intent, "open", false);
        if ("outcome" in r) return r.outcome;
        state.pending = undefined;
        if ("beforeDueMs" in intent.reminder && !r.task.dueTime)
          return {
            status: "not_done",
            reply: `${quote(r.task.title)} has no due date, so a reminder before it cannot fire. Give it a due date first.`,
          };
        const next = create(TaskSchema, {
          id: r.task.id,
          etag: r.task.etag,
          reminders: [...r.task.reminders, reminderMessage(intent.reminder)],
        });
        const updated = (await tasks.updateTask({ task: next, updateMask: { paths: ["reminders"] } }, call))
          .task as Task;
        touched([updated]);
        const what =
          "at" in intent.reminder
            ? `at ${when.format(new Date(intent.reminder.at))}`
            : intent.reminder.beforeDueMs === 0
              ? "at the due time"
              : `${formatDuration(intent.reminder.beforeDueMs)} before it is due`;
        const summary = `Added a reminder to ${quote(updated.title)} ${what}`;
        return {
          status: "done",
          reply: `${summary}.`,
          action: action(ActionType.UPDATE_TASK, [updated], summary),
        };
      }
      case "rename_tag": {
        const all = (await tags.listTags({ pageSize: 1000 }, call)).tags;
        const tag = all.find((t) => t.name.toLowerCase() === intent.from.toLowerCase());
        if (!tag) return { status: "not_done", reply: `You have no tag #${intent.from}.` };
        await tags.updateTag({ tag: { id: tag.id, name: intent.to }, updateMask: { paths: ["name"] } }, call);
        const summary = `Renamed tag #${tag.name} to #${intent.to}`;
        return { status: "done", reply: `${summary}.`, action: action(ActionType.RENAME_TAG, [], summary) };
      }
      case "select": {
        if (!("index" in intent)) return choose(intent);
        const pending = state.pending;
        if (pending) {
          const pick =
            intent.index === -1
              ? pending.candidates[pending.candidates.length - 1]
              : pending.candidates[intent.index - 1];
          if (!pick)
            return { status: "not_done", reply: `Pick a number from 1 to ${pending.candidates.length}.` };
          const original = pending.intent as Intent;
          if ("target" in original)
            return run({ ...original, target: { kind: "ordinal", index: intent.index } } as Intent);
        }
        const list = state.lastListed ?? [];
        const pick = intent.index === -1 ? list[list.length - 1] : list[intent.index - 1];
        const task = pick ? await getTask(pick.id) : undefined;
        if (!task)
          return {
            status: "not_done",
            reply: "I'm not sure which task you mean. Name it, or ask me for a list first.",
          };
        touched([task]);
        return { status: "not_done", reply: `OK: ${describe(task)}. What should I do with it?` };
      }
      case "clarify":
        return { status: "not_done", reply: intent.question };
      case "help":
        return {
          status: "not_done",
          reply: `I manage your tasks. Try:\n${EXAMPLES.map((e) => `- ${e}`).join("\n")}`,
        };
      case "unknown":
        return {
          status: "not_done",
          reply: `Sorry, I didn't understand that, so I did nothing. You can say things like:\n${EXAMPLES.map((e) => `- ${e}`).join("\n")}`,
        };
    }
  };

  /** Carries out one intent; an error that is the user's to fix becomes a `not_done` outcome. */
  const attempt = async (intent: Intent): Promise<Outcome> => {
    try {
      return await run(intent);
    } catch (e) {
      if (!(e instanceof ConnectError) || !USER_ERRORS.has(e.code)) throw e;
      return { status: "not_done", reply: `I couldn't do that: ${e.rawMessage}` };
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
    if ("problem" in result) return { status: "not_done", reply: result.problem };
    if ("narrowed" in result) {
      const found = await Promise.all(result.narrowed.map((m) => getTask(m.id)));
      const candidates = found.filter((t): t is Task => t !== undefined);
      if (waiting) state.pending = { intent: waiting, candidates: candidates.map(memo) };
      state.lastListed = candidates.map(memo);
      const words = "words" in choice ? choice.words : "";
      return {
        status: "ask",
        reply: `${candidates.length} of them match ${quote(words)}. Which one do you mean?\n${numbered(candidates)}\nAnswer with its number, for example "the second one".`,
        action: action(
          ActionType.CLARIFY,
          candidates,
          `${plural(candidates.length, "task")} match ${quote(words)}`,
        ),
      };
    }
    if (!waiting) {
      const [one] = result.picked;
      const task = one && result.picked.length === 1 ? await getTask(one.id) : undefined;
      if (!task)
        return {
          status: "not_done",
          reply:
            'I have not asked you to choose between tasks. Tell me what to do, for example "complete the report".',
        };
      touched([task]);
      return { status: "not_done", reply: `OK: ${describe(task)}. What should I do with it?` };
    }
    const outcomes: Outcome[] = [];
    for (const m of result.picked)
      outcomes.push(await attempt({ ...waiting, target: { kind: "id", id: m.id } } as Intent));
    const outcome = combineOutcomes(outcomes);
    if (outcome.action && waiting.kind !== "delete") state.lastTouched = outcome.action.tasks.map(memo);
    return outcome;
  };

  return {
    describe,
    execute: attempt,
    async listTags() {
      const all = (await tags.listTags({ pageSize: 1000 }, call)).tags;
      const reply =
        all.length === 0
          ? "You have no tags."
          : `You have ${plural(all.length, "tag")}: ${all.map((t) => `#${t.name} (${plural(t.taskCount, "task")})`).join(", ")}.`;
      return { reply, tags: all };
    },
  };
}
