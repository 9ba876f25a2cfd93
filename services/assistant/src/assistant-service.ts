/**
 * `todo.assistant.v1.AssistantService.Chat`: the offline assistant. A message is read by the
 * deterministic interpreter (`interpreter.ts`, built on the quick-add parser `@todo/language`), and
 * each intent is carried out through the ordinary TaskService and TagService clients **as the
 * caller**: the handler forwards the caller's own `authorization` header, so the task and tag
 * services authenticate, validate and scope every call exactly as for any other client, and the
 * assistant needs no token-issuing power of its own.
 *
 * The conversation is kept (schema `assistant`): the tasks last listed and last touched, and an
 * action waiting for a choice, so follow-ups work. A task named by words that match several tasks is
 * never guessed: the assistant lists them and asks (CLARIFY), and nothing changes until the user
 * picks one. Another user's conversation id is NOT_FOUND.
 */
import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Action, ActionSchema, ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import {
  Priority,
  RecurrenceAnchor,
  type Reminder,
  ReminderSchema,
  type Task,
  TaskSchema,
} from "@todo/gen/todo/task/v1/task_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { notFound, principalOf } from "@todo/platform";
import {
  type Intent,
  interpret,
  type ListQuery,
  type PriorityName,
  type ReminderSpec,
  type TaskChanges,
  type TaskRef,
} from "./interpreter";
import type { AssistantStore, ConversationContext, StoredAction, TaskMemo } from "./store";

/** What the service needs. */
export interface AssistantServiceDeps {
  /** TaskService, reached through any transport; calls carry the caller's own token. */
  readonly tasks: Client<typeof TaskService>;
  /** TagService, likewise. */
  readonly tags: Client<typeof TagService>;
  readonly store: AssistantStore;
  /** The time messages are read at ("tomorrow", "this week"); default the system clock. */
  readonly clock?: () => Date;
}

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

const PRIORITY: Record<PriorityName, Priority> = {
  low: Priority.LOW,
  medium: Priority.MEDIUM,
  high: Priority.HIGH,
  urgent: Priority.URGENT,
};

const PRIORITY_NAME: Record<number, string> = {
  [Priority.LOW]: "low",
  [Priority.MEDIUM]: "medium",
  [Priority.HIGH]: "high",
  [Priority.URGENT]: "urgent",
};

/** Errors from the task and tag services that are the user's to fix, reported in the reply. */
const USER_ERRORS = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.FailedPrecondition,
  Code.AlreadyExists,
  Code.Aborted,
]);

interface Outcome {
  readonly reply: string;
  readonly action?: Action;
}

type Resolved = { task: Task } | { outcome: Outcome };

function memo(task: Task): TaskMemo {
  return { id: task.id, title: task.title };
}

function action(type: ActionType, tasks: readonly Task[], summary: string): Action {
  return create(ActionSchema, { type, tasks: [...tasks], summary });
}

function reminderMessage(spec: ReminderSpec): Reminder {
  if ("at" in spec)
    return create(ReminderSchema, { trigger: { case: "at", value: timestampFromDate(new Date(spec.at)) } });
  const duration: Duration = create(DurationSchema, { seconds: BigInt(Math.round(spec.beforeDueMs / 1000)) });
  return create(ReminderSchema, { trigger: { case: "beforeDue", value: duration } });
}

function quote(s: string): string {
  return `"${s.replaceAll('"', "'")}"`;
}

function filterValue(s: string): string {
  return /^[\p{L}\p{N}_/-]+$/u.test(s) ? s : `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The ListTasks filter for a query (docs/filtering.md), with instants written as RFC 3339. */
export function listFilter(query: ListQuery, now: Date): string {
  const parts = [query.status === "completed" ? "status = COMPLETED" : "status = OPEN"];
  if (query.overdue) parts.push(`due_time < ${now.toISOString()}`);
  if (query.due?.from) parts.push(`due_time >= ${query.due.from}`);
  if (query.due?.to) parts.push(`due_time < ${query.due.to}`);
  if (query.completed?.from) parts.push(`complete_time >= ${query.completed.from}`);
  if (query.completed?.to) parts.push(`complete_time < ${query.completed.to}`);
  if (query.priority) parts.push(`priority = ${query.priority.toUpperCase()}`);
  for (const tag of query.tags) parts.push(`tags:${filterValue(tag)}`);
  if (query.noDue) parts.push("NOT due_time:*");
  return parts.join(" AND ");
}

/** Creates the AssistantService implementation. */
export function createAssistantService(deps: AssistantServiceDeps): ServiceImpl<typeof AssistantService> {
  const { tasks, tags, store } = deps;
  const clock = deps.clock ?? (() => new Date());

  return {
    async chat(req, ctx) {
      const principal = principalOf(ctx);
      const authorization = ctx.requestHeader.get("authorization");
      const call: CallOptions = authorization ? { headers: { authorization } } : {};
      let conversationId = req.conversationId;
      let context: ConversationContext;
      if (conversationId === "") {
        conversationId = await store.create(principal.userId);
        context = {};
      } else {
        const found = await store.context(principal.userId, conversationId);
        if (!found) throw notFound("conversation", conversationId);
        context = found;
      }
      const now = clock();
      const timeZone = principal.timeZone;
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
        return bits.join(", ");
      };
      const numbered = (list: readonly Task[]) => list.map((t, i) => `${i + 1}. ${describe(t)}`).join("\n");

      const state: { -readonly [K in keyof ConversationContext]: ConversationContext[K] } = { ...context };

      const getTask = async (id: string): Promise<Task | undefined> => {
        try {
          return (await tasks.getTask({ id }, call)).task;
        } catch (e) {
          if (e instanceof ConnectError && e.code === Code.NotFound) return undefined;
          throw e;
        }
      };

      /** Finds the one task `target` names, or says why not (asking when several match). */
      const resolve = async (
        target: TaskRef,
        intent: Intent,
        status: "open" | "completed",
        destructive: boolean,
      ): Promise<Resolved> => {
        if (target.kind === "it") {
          const last = state.lastTouched?.[0];
          const task = last ? await getTask(last.id) : undefined;
          if (task) return { task };
          return {
            outcome: { reply: 'Which task do you mean? Name it, for example "make the report urgent".' },
          };
        }
        if (target.kind === "ordinal") {
          const from = state.pending?.candidates ?? state.lastListed ?? [];
          const pick = target.index === -1 ? from[from.length - 1] : from[target.index - 1];
          const task = pick ? await getTask(pick.id) : undefined;
          if (task) return { task };
          return {
            outcome: {
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
          return { outcome: { reply: `I couldn't find an ${which} matching ${quote(target.text)}.` } };
        }
        const candidates = (containing.length > 1 ? containing : found).slice(0, CLARIFY_LIMIT);
        state.pending = { intent, candidates: candidates.map(memo) };
        state.lastListed = candidates.map(memo);
        return {
          outcome: {
            reply: `Several tasks match ${quote(target.text)}. Which one do you mean?\n${numbered(candidates)}\nAnswer with its number, for example "the second one".`,
            action: action(
              ActionType.CLARIFY,
              candidates,
              `${candidates.length} tasks match ${quote(target.text)}`,
            ),
          },
        };
      };

      const touched = (list: readonly Task[]) => {
        state.lastTouched = list.map(memo);
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
        if (changes.priority !== undefined) {
          next.priority = changes.priority ? PRIORITY[changes.priority] : Priority.UNSPECIFIED;
          paths.push("priority");
          said.push(changes.priority ? `priority ${changes.priority}` : "no priority");
        }
        if (changes.due !== undefined || changes.shiftMs !== undefined) {
          let due: Date | undefined;
          if (changes.due) due = new Date(changes.due.time);
          else if (changes.shiftMs !== undefined) {
            if (!task.dueTime)
              return {
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
            next.recurrence = {
              $typeName: "todo.task.v1.Recurrence",
              rrule: changes.recurrence.rrule,
              anchor:
                changes.recurrence.anchor === "completion"
                  ? RecurrenceAnchor.COMPLETION
                  : RecurrenceAnchor.SCHEDULE,
            };
            said.push("repeating");
          } else said.push("not repeating");
          paths.push("recurrence");
        }
        const updated = (await tasks.updateTask({ task: next, updateMask: { paths } }, call)).task as Task;
        touched([updated]);
        const summary = `Updated ${quote(updated.title)}: ${said.join(", ")}`;
        return { reply: `${summary}.`, action: action(ActionType.UPDATE_TASK, [updated], summary) };
      };

      const run = async (intent: Intent): Promise<Outcome> => {
        switch (intent.kind) {
          case "create": {
            const t = intent.task;
            const task = create(TaskSchema, {
              title: t.title,
              priority: t.priority ? PRIORITY[t.priority] : Priority.UNSPECIFIED,
              tags: [...t.tags],
              timeZone,
              reminders: t.reminders.map(reminderMessage),
            });
            if (t.due) task.dueTime = timestampFromDate(new Date(t.due.time));
            if (t.recurrence) {
              task.recurrence = {
                $typeName: "todo.task.v1.Recurrence",
                rrule: t.recurrence.rrule,
                anchor:
                  t.recurrence.anchor === "completion"
                    ? RecurrenceAnchor.COMPLETION
                    : RecurrenceAnchor.SCHEDULE,
              };
            }
            const created = (await tasks.createTask({ task }, call)).task as Task;
            touched([created]);
            state.pending = undefined;
            const summary = `Created ${describe(created)}`;
            return { reply: `${summary}.`, action: action(ActionType.CREATE_TASK, [created], summary) };
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
                    ? "update_time desc"
                    : "due_time, priority desc",
                pageSize: LIST_LIMIT,
              },
              call,
            );
            state.lastListed = res.tasks.map(memo);
            state.pending = undefined;
            if (res.tasks.length === 1) touched(res.tasks);
            const summary = `Listed ${res.totalSize} ${q.label}`;
            const reply =
              res.tasks.length === 0
                ? `You have no ${q.label}.`
                : `You have ${res.totalSize} ${q.label}${res.totalSize > res.tasks.length ? ` (the first ${res.tasks.length})` : ""}:\n${numbered(res.tasks)}`;
            return { reply, action: action(ActionType.LIST_TASKS, res.tasks, summary) };
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
              return { reply: `${summary}.`, action: action(ActionType.DELETE_TASK, [r.task], summary) };
            }
            const done =
              intent.kind === "complete"
                ? (await tasks.completeTask({ id: r.task.id }, call)).task
                : (await tasks.reopenTask({ id: r.task.id }, call)).task;
            const task = done as Task;
            touched([task]);
            const summary = `${intent.kind === "complete" ? "Completed" : "Reopened"} ${quote(task.title)}`;
            const type = intent.kind === "complete" ? ActionType.COMPLETE_TASK : ActionType.REOPEN_TASK;
            return { reply: `${summary}.`, action: action(type, [task], summary) };
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
                reply: `${quote(r.task.title)} has no due date, so a reminder before it cannot fire. Give it a due date first.`,
              };
            const next = create(TaskSchema, {
              id: r.task.id,
              etag: r.task.etag,
              reminders: [...r.task.reminders, reminderMessage(intent.reminder)],
            });
            const updated = (
              await tasks.updateTask({ task: next, updateMask: { paths: ["reminders"] } }, call)
            ).task as Task;
            touched([updated]);
            const what =
              "at" in intent.reminder
                ? `at ${when.format(new Date(intent.reminder.at))}`
                : `${Math.round(intent.reminder.beforeDueMs / 60_000)} minutes before it is due`;
            const summary = `Added a reminder to ${quote(updated.title)} ${what}`;
            return { reply: `${summary}.`, action: action(ActionType.UPDATE_TASK, [updated], summary) };
          }
          case "rename_tag": {
            const all = (await tags.listTags({ pageSize: 1000 }, call)).tags;
            const tag = all.find((t) => t.name.toLowerCase() === intent.from.toLowerCase());
            if (!tag) return { reply: `You have no tag #${intent.from}.` };
            await tags.updateTag(
              { tag: { id: tag.id, name: intent.to }, updateMask: { paths: ["name"] } },
              call,
            );
            const summary = `Renamed tag #${tag.name} to #${intent.to}`;
            return { reply: `${summary}.`, action: action(ActionType.RENAME_TAG, [], summary) };
          }
          case "select": {
            const pending = state.pending;
            if (pending) {
              const pick =
                intent.index === -1
                  ? pending.candidates[pending.candidates.length - 1]
                  : pending.candidates[intent.index - 1];
              if (!pick) return { reply: `Pick a number from 1 to ${pending.candidates.length}.` };
              const original = pending.intent as Intent;
              if ("target" in original)
                return run({ ...original, target: { kind: "ordinal", index: intent.index } } as Intent);
            }
            const list = state.lastListed ?? [];
            const pick = intent.index === -1 ? list[list.length - 1] : list[intent.index - 1];
            const task = pick ? await getTask(pick.id) : undefined;
            if (!task)
              return { reply: "I'm not sure which task you mean. Name it, or ask me for a list first." };
            touched([task]);
            return { reply: `OK: ${describe(task)}. What should I do with it?` };
          }
          case "clarify":
            return { reply: intent.question };
          case "help":
            return { reply: `I manage your tasks. Try:\n${EXAMPLES.map((e) => `- ${e}`).join("\n")}` };
          case "unknown":
            return {
              reply: `Sorry, I didn't understand that, so I did nothing. You can say things like:\n${EXAMPLES.map((e) => `- ${e}`).join("\n")}`,
            };
        }
      };

      const replies: string[] = [];
      const actions: Action[] = [];
      for (const intent of interpret(req.message, { now, timeZone })) {
        let outcome: Outcome;
        try {
          outcome = await run(intent);
        } catch (e) {
          if (!(e instanceof ConnectError) || !USER_ERRORS.has(e.code)) throw e;
          outcome = { reply: `I couldn't do that: ${e.rawMessage}` };
        }
        replies.push(outcome.reply);
        if (outcome.action) actions.push(outcome.action);
      }
      const reply = replies.join("\n");
      const stored: StoredAction[] = actions.map((a) => ({
        type: a.type,
        summary: a.summary,
        taskIds: a.tasks.map((t) => t.id),
      }));
      await store.record(
        principal.userId,
        conversationId,
        { message: req.message, reply, actions: stored },
        state,
      );
      return { conversationId, reply, actions };
    },
  };
}
