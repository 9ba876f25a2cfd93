/**
 * The operations the language model may use, as JSON-schema function tools: add_task, list_tasks,
 * complete_task, reopen_task, delete_task, update_task, add_reminder, rename_tag, list_tags. Each
 * tool's arguments are a zod schema — the one source of both the JSON Schema the model is shown and
 * the check its arguments must pass. A checked call becomes an interpreter {@link Intent} and runs
 * through the same {@link Executor} as a typed message, as the caller.
 *
 * Priorities are names (low, medium, high, urgent), never numbers. Dates, recurrences and reminders
 * may be ISO 8601 or words, read by the same quick-add parser as typed messages, in the user's zone.
 * A call that cannot be carried out — an unknown tool, arguments that are not JSON or break the
 * schema, a date that cannot be read — changes nothing and is answered to the model as an error it
 * can correct.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Action, ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import { type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { DEFAULT_DATE_ONLY_TIME } from "@todo/language";
import { Temporal } from "temporal-polyfill";
import { z } from "zod";
import { type Executor, type Outcome, PRIORITY_NAME } from "./executor";
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
export const PRIORITY_NAMES = ["low", "medium", "high", "urgent"] as const;

/** A year of minutes: the longest "before the due time" a reminder may be. */
const MAX_BEFORE_MINUTES = 366 * 24 * 60;

// Descriptions are set where a schema is used, so a nullable field does not repeat them inside anyOf.
const priority = z.enum(PRIORITY_NAMES);
const PRIORITY_HELP = "A priority by name: low, medium, high or urgent. Never a number.";
const taskArg = z
  .string()
  .min(1)
  .max(500)
  .describe(
    'The task: its id from an earlier tool result or the context (preferred), or words of its title. "it" is the task touched last.',
  );
const tagName = z
  .string()
  .min(1)
  .max(65)
  .transform((t) => t.replace(/^#/, ""))
  .describe("A tag name, without #.");
const tagsArg = z.array(tagName).max(20);
const dueArg = z.string().min(1).max(200);
const DUE_HELP =
  'When it is due, in the user\'s time zone: "2027-03-12T15:00", "2027-03-12" (that day), or words such as "friday 3pm", "tomorrow", "in 2 hours".';
const repeatArg = z.string().min(1).max(200);
const REPEAT_HELP =
  'How it repeats, in words: "every Monday", "every weekday at 9am", "on the 1st of every month", "every 3 days after I finish" (counted from completion); or an RRULE such as "FREQ=WEEKLY;BYDAY=MO".';
const remindAtArg = z
  .string()
  .min(1)
  .max(200)
  .describe('When a reminder fires: "2027-03-12T09:00", or words such as "tomorrow at 9am", "at 5pm".');
const beforeMinutesArg = z.number().int().min(0).max(MAX_BEFORE_MINUTES);

const TaskOnly = z.strictObject({ task: taskArg });

const AddTask = z.strictObject({
  title: z.string().min(1).max(500).describe("The task's title, without the date, priority or tags."),
  description: z.string().max(10_000).optional().describe("Longer notes."),
  due: dueArg.optional().describe(DUE_HELP),
  priority: priority.optional().describe(PRIORITY_HELP),
  tags: tagsArg.optional(),
  repeat: repeatArg.optional().describe(REPEAT_HELP),
  remind_before_minutes: z
    .array(beforeMinutesArg)
    .max(10)
    .optional()
    .describe("Reminders this many minutes before the due time (0 = at the due time); needs a due time."),
  remind_at: z.array(remindAtArg).max(10).optional().describe("Reminders at these times."),
});

const ListTasks = z.strictObject({
  status: z.enum(["open", "completed"]).optional().describe("Open tasks (the default) or completed ones."),
  when: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe(
      'A period, in words: "today", "tomorrow", "this week", "next week", "this weekend", "this month", "next 3 days", "friday", "overdue"; for completed tasks, when they were completed ("yesterday", "last week").',
    ),
  priority: priority.optional().describe(PRIORITY_HELP),
  tags: tagsArg.optional().describe("Only tasks with all of these tags."),
  text: z.string().min(1).max(200).optional().describe("Words to search for in titles and descriptions."),
  no_due_date: z.boolean().optional().describe("Only tasks without a due date."),
});

const UpdateTask = z
  .strictObject({
    task: taskArg,
    title: z.string().min(1).max(500).optional().describe("A new title."),
    description: z.string().max(10_000).optional().describe('A new description; "" removes it.'),
    due: dueArg.nullable().optional().describe(`${DUE_HELP} null removes the due date.`),
    priority: priority.nullable().optional().describe(`${PRIORITY_HELP} null removes it.`),
    add_tags: tagsArg.optional(),
    remove_tags: tagsArg.optional(),
    repeat: repeatArg.nullable().optional().describe(`${REPEAT_HELP} null stops it repeating.`),
  })
  .refine((a) => Object.keys(a).some((k) => k !== "task"), {
    message: "give at least one change besides task",
  });

const AddReminder = z
  .strictObject({
    task: taskArg,
    before_due_minutes: beforeMinutesArg.optional().describe("Fire this many minutes before the due time."),
    at: remindAtArg.optional(),
  })
  .refine((a) => (a.before_due_minutes === undefined) !== (a.at === undefined), {
    message: "give exactly one of before_due_minutes and at",
  });

const RenameTag = z.strictObject({ from: tagName, to: tagName });

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

/** Arguments the schema accepted but that cannot be read (an unreadable date): the model's to fix. */
class ToolArgumentError extends Error {}

interface ToolSpec<S extends z.ZodType> {
  readonly description: string;
  readonly args: S;
  readonly run: (args: z.output<S>, env: ToolEnv) => Promise<ToolCallResult>;
}

function tool<S extends z.ZodType>(spec: ToolSpec<S>): ToolSpec<z.ZodType> {
  return spec as unknown as ToolSpec<z.ZodType>;
}

const READ_ONLY = new Set([ActionType.LIST_TASKS, ActionType.CLARIFY, ActionType.UNSPECIFIED]);

/** The task as the model is shown it: the id to name it by, and its fields in the user's zone. */
export function taskView(task: Task, timeZone: string): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: task.id,
    title: task.title,
    status: task.status === TaskStatus.COMPLETED ? "completed" : "open",
  };
  if (task.dueTime) {
    const local = Temporal.Instant.fromEpochMilliseconds(
      timestampDate(task.dueTime).getTime(),
    ).toZonedDateTimeISO(timeZone);
    view.due = local.toPlainDateTime().toString({ smallestUnit: "minute" });
    view.due_day = local.toLocaleString("en-US", { weekday: "long" });
  }
  const p = PRIORITY_NAME[task.priority];
  if (p) view.priority = p;
  if (task.tags.length > 0) view.tags = task.tags;
  if (task.recurrence) view.repeat = task.recurrence.rrule;
  if (task.reminders.length > 0) view.reminders = task.reminders.length;
  if (task.description !== "") view.description = task.description;
  return view;
}

function answer(outcome: Outcome, timeZone: string): ToolCallResult {
  const tasks = (outcome.action?.tasks ?? []).map((t) => taskView(t, timeZone));
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
    throw new ToolArgumentError(`cannot tell which task ${JSON.stringify(text)} is; give its id or title`);
  return ref;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 date or date-time (wall-clock in the user's zone unless it has an offset), or words. */
function readDue(text: string, ctx: InterpretContext, field: string): DueSpec {
  const t = text.trim();
  try {
    if (ISO_DATE.test(t)) {
      const day = Temporal.PlainDate.from(t).toPlainDateTime({
        hour: DEFAULT_DATE_ONLY_TIME.hour,
        minute: DEFAULT_DATE_ONLY_TIME.minute,
      });
      const at = day.toZonedDateTime(ctx.timeZone).epochMilliseconds;
      return { time: new Date(at).toISOString(), hasTime: false };
    }
    const iso = t.match(ISO_DATE_TIME);
    if (iso) {
      const normal = t.replace(" ", "T");
      const ms = iso[1]
        ? Temporal.Instant.from(normal).epochMilliseconds
        : Temporal.PlainDateTime.from(normal).toZonedDateTime(ctx.timeZone).epochMilliseconds;
      return { time: new Date(ms).toISOString(), hasTime: true };
    }
  } catch {
    throw new ToolArgumentError(`${field}: ${JSON.stringify(text)} is not a valid date`);
  }
  const due = readDate(t, ctx);
  if (!due)
    throw new ToolArgumentError(
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
    throw new ToolArgumentError(
      `repeat: cannot read ${JSON.stringify(text)}; use words such as "every Monday" or an RRULE`,
    );
  return r;
}

function readRemindAt(text: string, ctx: InterpretContext): ReminderSpec {
  const t = text.trim();
  if (ISO_DATE.test(t) || ISO_DATE_TIME.test(t)) return { at: readDue(t, ctx, "remind_at").time };
  const r = readReminder(t, ctx);
  if (!r)
    throw new ToolArgumentError(
      `remind_at: cannot read ${JSON.stringify(text)}; use 2027-03-12T09:00 or words such as "tomorrow at 9am"`,
    );
  return r;
}

const TOOLS: Readonly<Record<string, ToolSpec<z.ZodType>>> = {
  add_task: tool({
    description:
      "Creates a task for the user. Put only the task itself in the title; the due date, priority, tags, repetition and reminders go in their own fields.",
    args: AddTask,
    async run(a, env) {
      const { ctx } = env;
      let due = a.due === undefined ? undefined : readDue(a.due, ctx, "due");
      let recurrence: RecurrenceSpec | undefined;
      if (a.repeat !== undefined) {
        const r = readRepeat(a.repeat, ctx);
        recurrence = r.recurrence;
        due ??= r.due;
        if (!due) throw new ToolArgumentError("a repeating task needs a due date: give due as well");
      }
      const reminders: ReminderSpec[] = [
        ...(a.remind_before_minutes ?? []).map((m) => ({ beforeDueMs: m * 60_000 })),
        ...(a.remind_at ?? []).map((t) => readRemindAt(t, ctx)),
      ];
      if (!due && reminders.some((r) => "beforeDueMs" in r))
        throw new ToolArgumentError("remind_before_minutes needs a due date: give due, or use remind_at");
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
  }),
  list_tasks: tool({
    description:
      "Lists the user's tasks (at most 20, soonest due first), filtered by status, period, priority, tags or words. Use it to find a task's id.",
    args: ListTasks,
    async run(a, env) {
      const criteria: { -readonly [K in keyof ListCriteria]: ListCriteria[K] } = {
        status: a.status ?? "open",
        tags: a.tags ?? [],
      };
      if (a.when !== undefined) {
        // completions are in the past: "monday" of completed tasks is the last Monday
        const window = readWindow(a.when, env.ctx, { past: criteria.status === "completed" });
        if (!window)
          throw new ToolArgumentError(
            `when: cannot read ${JSON.stringify(a.when)}; use "today", "this week", "overdue", "next 3 days", a weekday…`,
          );
        criteria.window = window;
      }
      if (a.priority) criteria.priority = a.priority;
      if (a.text) criteria.text = a.text;
      if (a.no_due_date) criteria.noDue = true;
      return runIntent({ kind: "list", query: listQuery(criteria) }, env);
    },
  }),
  complete_task: tool({
    description: "Marks one open task as done.",
    args: TaskOnly,
    run: (a, env) => runIntent({ kind: "complete", target: taskRef(a.task) }, env),
  }),
  reopen_task: tool({
    description: "Marks one completed task as not done again.",
    args: TaskOnly,
    run: (a, env) => runIntent({ kind: "reopen", target: taskRef(a.task) }, env),
  }),
  delete_task: tool({
    description:
      "Deletes one task for good. Only when the user clearly asked for it; when several tasks could be meant, ask first.",
    args: TaskOnly,
    run: (a, env) => runIntent({ kind: "delete", target: taskRef(a.task) }, env),
  }),
  update_task: tool({
    description:
      "Changes one open task: title, description, due date, priority, tags or repetition. Only the fields given change.",
    args: UpdateTask,
    async run(a, env) {
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
  }),
  add_reminder: tool({
    description: "Adds a reminder to one open task: some minutes before its due time, or at a given time.",
    args: AddReminder,
    async run(a, env) {
      const reminder: ReminderSpec =
        a.before_due_minutes !== undefined
          ? { beforeDueMs: a.before_due_minutes * 60_000 }
          : readRemindAt(a.at ?? "", env.ctx);
      return runIntent({ kind: "add_reminder", target: taskRef(a.task), reminder }, env);
    },
  }),
  rename_tag: tool({
    description: "Renames one of the user's tags on every task that has it.",
    args: RenameTag,
    run: (a, env) => runIntent({ kind: "rename_tag", from: a.from, to: a.to }, env),
  }),
  list_tags: tool({
    description: "Lists the user's tags with how many tasks have each.",
    args: z.strictObject({}),
    async run(_a, env) {
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
  }),
};

/** The names of the tools, in the order they are offered. */
export const TOOL_NAMES: readonly string[] = Object.keys(TOOLS);

let definitions: readonly ChatTool[] | undefined;

/** The tools as Chat Completions function tools, with their JSON Schemas (draft 7). */
export function toolDefinitions(): readonly ChatTool[] {
  definitions ??= Object.entries(TOOLS).map(([name, spec]) => {
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
  const spec = call.name === undefined ? undefined : TOOLS[call.name];
  if (!spec || call.name === undefined)
    return failure(
      `There is no tool ${JSON.stringify(call.name ?? "")}; the tools are ${TOOL_NAMES.join(", ")}.`,
    );
  let raw: unknown = call.arguments;
  if (typeof raw === "string") {
    if (raw.trim() === "") raw = {};
    else {
      try {
        raw = JSON.parse(raw);
      } catch (e) {
        return failure(
          `The arguments of ${call.name} are not valid JSON (${e instanceof Error ? e.message : String(e)}); send one JSON object.`,
        );
      }
    }
  } else if (raw === undefined || raw === null) raw = {};
  const args = spec.args.safeParse(raw);
  if (!args.success)
    return failure(`The arguments of ${call.name} do not fit its schema:\n${z.prettifyError(args.error)}\n`);
  try {
    return await spec.run(args.data, env);
  } catch (e) {
    if (e instanceof ToolArgumentError) return failure(`${call.name}: ${e.message}.`);
    throw e;
  }
}
