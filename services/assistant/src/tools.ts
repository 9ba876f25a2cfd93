/**
 * The operations the language model may use, as JSON-schema function tools: add_task, list_tasks,
 * complete_task, reopen_task, delete_task, update_task, add_reminder, rename_tag, list_tags — the
 * language-model faces of the one catalogue, `@todo/tools`, which holds each tool's description and
 * zod argument schema (the one source of both the JSON Schema the model is shown and the check its
 * arguments must pass). Here a checked call becomes an interpreter {@link Intent} and runs through
 * the same {@link Executor} as a typed message, as the caller.
 *
 * Priorities are names (low, medium, high, urgent), never numbers. Dates, recurrences and reminders
 * may be ISO 8601 or words, read by the same quick-add parser as typed messages, in the user's zone.
 * A call that cannot be carried out — an unknown tool, arguments that are not JSON or break the
 * schema, a date that cannot be read — changes nothing and is answered to the model as an error it
 * can correct.
 */
import { type Action, ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import { PRIORITY_NAMES } from "@todo/language/priority";
import {
  isIsoDate,
  isModelTool,
  MODEL_TOOL_NAMES,
  type ModelArgs,
  type ModelToolName,
  modelTaskView,
  modelTool,
  readIsoDue,
  ToolInputError,
} from "@todo/tools";
import { z } from "zod";
import type { Executor, Outcome } from "./executor";
import {
  type DueSpec,
  type Intent,
  type InterpretContext,
  type ListCriteria,
  listQuery,
  type NewTask,
  parseTaskRef,
  type RecurrenceSpec,
  type ReminderSpec,
  readDate,
  readRecurrence,
  readReminder,
  readWindow,
  type TaskChanges,
  type TaskRef,
} from "./interpreter";
import type { ChatTool } from "./model";
import { isUuid } from "./validation";

/** The priority names a tool accepts. */
export { PRIORITY_NAMES };

/** What a tool needs to run. */
export interface ToolEnv {
  readonly executor: Executor;
  /** The moment and zone dates are read in. */
  readonly ctx: InterpretContext;
}

/** A tool's answer: what the model is told, and the action taken (if any). */
export interface ToolCallResult {
  /** JSON text for the `tool` message. */
  readonly content: string;
  readonly action?: Action;
  /** Whether anything was changed (a task or tag created, changed or deleted). */
  readonly changed: boolean;
}

const READ_ONLY = new Set([ActionType.LIST_TASKS, ActionType.CLARIFY, ActionType.UNSPECIFIED]);

function answer(outcome: Outcome, timeZone: string): ToolCallResult {
  const tasks = (outcome.action?.tasks ?? []).map((t) => modelTaskView(t, timeZone));
  const content: Record<string, unknown> =
    outcome.status === "ask"
      ? {
          ok: false,
          needs_choice: true,
          message: outcome.reply,
          candidates: tasks,
          instruction:
            "Nothing was changed. Ask the user which of these tasks they mean; do not choose one yourself.",
        }
      : { ok: outcome.status === "done", message: outcome.reply, ...(tasks.length > 0 ? { tasks } : {}) };
  const changed =
    outcome.status === "done" && outcome.action !== undefined && !READ_ONLY.has(outcome.action.type);
  return {
    content: JSON.stringify(content),
    ...(outcome.action ? { action: outcome.action } : {}),
    changed,
  };
}

async function runIntent(intent: Intent, env: ToolEnv): Promise<ToolCallResult> {
  return answer(await env.executor.execute(intent), env.ctx.timeZone);
}

function taskRef(text: string): TaskRef {
  const t = text.trim();
  if (isUuid(t)) return { kind: "id", id: t.toLowerCase() };
  const ref = parseTaskRef(t);
  if (!ref)
    throw new ToolInputError(`cannot tell which task ${JSON.stringify(text)} is; give its id or title`);
  return ref;
}

/** An ISO 8601 date or date-time (wall-clock in the user's zone unless it has an offset), or words. */
function readDue(text: string, ctx: InterpretContext, field: string): DueSpec {
  const iso = readIsoDue(text, ctx.timeZone, field);
  if (iso) return iso;
  const due = readDate(text.trim(), ctx);
  if (!due)
    throw new ToolInputError(
      `${field}: cannot read ${JSON.stringify(text)} as a date; use 2027-03-12T15:00 or words such as "friday 3pm"`,
    );
  return due;
}

function readRepeat(text: string, ctx: InterpretContext): { recurrence: RecurrenceSpec; due?: DueSpec } {
  const t = text.trim();
  if (/^(?:RRULE:)?FREQ=/i.test(t))
    return { recurrence: { rrule: t.replace(/^RRULE:/i, ""), anchor: "schedule" } };
  const words = /^(?:every|each|daily|weekly|monthly|yearly|annually|on weekdays|weekdays)\b/i.test(t)
    ? t
    : `every ${t}`;
  const r = readRecurrence(t, ctx) ?? readRecurrence(words, ctx);
  if (!r)
    throw new ToolInputError(
      `repeat: cannot read ${JSON.stringify(text)}; use words such as "every Monday" or an RRULE`,
    );
  return r;
}

function readRemindAt(text: string, ctx: InterpretContext): ReminderSpec {
  const t = text.trim();
  if (isIsoDate(t)) return { at: readDue(t, ctx, "remind_at").time };
  const r = readReminder(t, ctx);
  if (!r)
    throw new ToolInputError(
      `remind_at: cannot read ${JSON.stringify(text)}; use 2027-03-12T09:00 or words such as "tomorrow at 9am"`,
    );
  return r;
}

/** How the assistant carries out each of the catalogue's language-model operations. */
const HANDLERS: {
  readonly [K in ModelToolName]: (args: ModelArgs<K>, env: ToolEnv) => Promise<ToolCallResult>;
} = {
  async add_task(a, env) {
    const { ctx } = env;
    let due = a.due === undefined ? undefined : readDue(a.due, ctx, "due");
    let recurrence: RecurrenceSpec | undefined;
    if (a.repeat !== undefined) {
      const r = readRepeat(a.repeat, ctx);
      recurrence = r.recurrence;
      due ??= r.due;
      if (!due) throw new ToolInputError("a repeating task needs a due date: give due as well");
    }
    const reminders: ReminderSpec[] = [
      ...(a.remind_before_minutes ?? []).map((m) => ({ beforeDueMs: m * 60_000 })),
      ...(a.remind_at ?? []).map((t) => readRemindAt(t, ctx)),
    ];
    if (!due && reminders.some((r) => "beforeDueMs" in r))
      throw new ToolInputError("remind_before_minutes needs a due date: give due, or use remind_at");
    const task: { -readonly [K in keyof NewTask]: NewTask[K] } = {
      title: a.title.trim(),
      tags: a.tags ?? [],
      reminders,
    };
    if (a.description) task.description = a.description;
    if (a.priority) task.priority = a.priority;
    if (due) task.due = due;
    if (recurrence) task.recurrence = recurrence;
    return runIntent({ kind: "create", task }, env);
  },
  async list_tasks(a, env) {
    const criteria: { -readonly [K in keyof ListCriteria]: ListCriteria[K] } = {
      status: a.status ?? "open",
      tags: a.tags ?? [],
    };
    if (a.when !== undefined) {
      // completions are in the past: "monday" of completed tasks is the last Monday
      const window = readWindow(a.when, env.ctx, { past: criteria.status === "completed" });
      if (!window)
        throw new ToolInputError(
          `when: cannot read ${JSON.stringify(a.when)}; use "today", "this week", "overdue", "next 3 days", a weekday…`,
        );
      criteria.window = window;
    }
    if (a.priority) criteria.priority = a.priority;
    if (a.text) criteria.text = a.text;
    if (a.no_due_date) criteria.noDue = true;
    return runIntent({ kind: "list", query: listQuery(criteria) }, env);
  },
  complete_task: (a, env) => runIntent({ kind: "complete", target: taskRef(a.task) }, env),
  reopen_task: (a, env) => runIntent({ kind: "reopen", target: taskRef(a.task) }, env),
  delete_task: (a, env) => runIntent({ kind: "delete", target: taskRef(a.task) }, env),
  async update_task(a, env) {
    const { ctx } = env;
    const changes: { -readonly [K in keyof TaskChanges]: TaskChanges[K] } = {};
    if (a.title !== undefined) changes.title = a.title.trim();
    if (a.description !== undefined) changes.description = a.description;
    if (a.due !== undefined) changes.due = a.due === null ? null : readDue(a.due, ctx, "due");
    if (a.priority !== undefined) changes.priority = a.priority;
    if (a.add_tags?.length) changes.addTags = a.add_tags;
    if (a.remove_tags?.length) changes.removeTags = a.remove_tags;
    if (a.repeat !== undefined) {
      if (a.repeat === null) changes.recurrence = null;
      else {
        const r = readRepeat(a.repeat, ctx);
        changes.recurrence = r.recurrence;
        if (r.due && changes.due === undefined) changes.due = r.due;
      }
    }
    return runIntent({ kind: "update", target: taskRef(a.task), changes }, env);
  },
  async add_reminder(a, env) {
    const reminder: ReminderSpec =
      a.before_due_minutes !== undefined
        ? { beforeDueMs: a.before_due_minutes * 60_000 }
        : readRemindAt(a.at ?? "", env.ctx);
    return runIntent({ kind: "add_reminder", target: taskRef(a.task), reminder }, env);
  },
  rename_tag: (a, env) => runIntent({ kind: "rename_tag", from: a.from, to: a.to }, env),
  async list_tags(_a, env) {
    const { reply, tags } = await env.executor.listTags();
    return {
      content: JSON.stringify({
        ok: true,
        message: reply,
        tags: tags.map((t) => ({ name: t.name, tasks: t.taskCount })),
      }),
      changed: false,
    };
  },
};

/** The names of the tools, in the order they are offered. */
export const TOOL_NAMES: readonly string[] = MODEL_TOOL_NAMES;

let definitions: readonly ChatTool[] | undefined;

/** The tools as Chat Completions function tools, with their JSON Schemas (draft 7). */
export function toolDefinitions(): readonly ChatTool[] {
  definitions ??= MODEL_TOOL_NAMES.map((name) => {
    const spec = modelTool(name);
    const { $schema: _, ...parameters } = z.toJSONSchema(spec.args, { io: "input", target: "draft-7" });
    return { type: "function", function: { name, description: spec.description, parameters } };
  });
  return definitions;
}

function failure(error: string): ToolCallResult {
  return { content: JSON.stringify({ ok: false, error: `${error} Nothing was changed.` }), changed: false };
}

/**
 * Checks and carries out one tool call. A call that cannot be carried out is answered with an error
 * for the model (and changes nothing); errors of the task and tag services that are the user's to
 * fix come back the same way, through the executor. Anything else (a bug, the database down) throws.
 */
export async function callTool(
  call: { readonly name: string | undefined; readonly arguments: unknown },
  env: ToolEnv,
): Promise<ToolCallResult> {
  const name = call.name;
  if (name === undefined || !isModelTool(name))
    return failure(`There is no tool ${JSON.stringify(name ?? "")}; the tools are ${TOOL_NAMES.join(", ")}.`);
  let raw: unknown = call.arguments;
  if (typeof raw === "string") {
    if (raw.trim() === "") raw = {};
    else {
      try {
        raw = JSON.parse(raw);
      } catch (e) {
        return failure(
          `The arguments of ${name} are not valid JSON (${e instanceof Error ? e.message : String(e)}); send one JSON object.`,
        );
      }
    }
  } else if (raw === undefined || raw === null) raw = {};
  const args = modelTool(name).args.safeParse(raw);
  if (!args.success)
    return failure(`The arguments of ${name} do not fit its schema:\n${z.prettifyError(args.error)}\n`);
  const handler = HANDLERS[name] as (args: unknown, env: ToolEnv) => Promise<ToolCallResult>;
  try {
    return await handler(args.data, env);
  } catch (e) {
    if (e instanceof ToolInputError) return failure(`${name}: ${e.message}.`);
    throw e;
  }
}
