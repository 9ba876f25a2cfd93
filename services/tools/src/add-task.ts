/** add_task: creates a task for the caller, with its due date, priority, tags, repetition and reminders. */
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { z } from "zod";
import { parseDue, parseRepeat } from "./dates";
import {
  beforeMinutesArg,
  DUE_HELP,
  descriptionArg,
  dueArg,
  PRIORITY_HELP,
  priorityArg,
  REPEAT_HELP,
  remindAtArg,
  repeatArg,
  tagListArg,
  tagNamesArg,
  titleArg,
  WHEN_HELP,
} from "./fields";
import { cleanTags, type Repetition } from "./messages";
import { mcpFace, modelFace } from "./operation";
import { newTaskMessage } from "./task-calls";
import { describeTask, taskView, viewTask } from "./views";

export const addTask = {
  name: "add_task",
  mcp: mcpFace({
    title: "Add a task",
    description:
      "Creates a task for the user. Only the title is required. Returns the created task with its id.",
    input: {
      title: titleArg.describe('What to do, e.g. "Call mom".'),
      description: descriptionArg.optional().describe("Longer notes."),
      priority: priorityArg.optional().describe("How important: low, medium, high or urgent."),
      due: z.string().max(200).optional().describe(`When it is due: ${WHEN_HELP}`),
      repeat: z
        .string()
        .max(500)
        .optional()
        .describe(
          'How it repeats: plain English ("every Monday at 9am", "every 3 days after I finish", "on the 1st of every month") or an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO. Without "due", the first occurrence becomes the due time.',
        ),
      tags: tagListArg.optional().describe('Tag names, e.g. ["errands"]; new tags are created.'),
      time_zone: z
        .string()
        .max(64)
        .optional()
        .describe("IANA time zone the due time and repetition are meant in; the user's by default."),
      request_id: z
        .string()
        .max(100)
        .optional()
        .describe("An idempotency key: repeating it returns the task the first call created."),
    },
    output: { task: taskView },
    annotations: { title: "Add a task", readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    async run(args, env) {
      const ctx = { now: env.clock(), timeZone: args.time_zone || env.timeZone };
      let due = args.due ? parseDue(args.due, ctx) : undefined;
      let recurrence: Repetition | undefined;
      if (args.repeat) {
        const { repetition, firstDue } = parseRepeat(args.repeat, ctx);
        recurrence = repetition;
        due ??= firstDue;
      }
      const task = newTaskMessage({
        title: args.title,
        description: args.description ?? "",
        ...(args.priority ? { priority: args.priority } : {}),
        tags: cleanTags(args.tags ?? []),
        timeZone: ctx.timeZone,
        ...(due ? { due } : {}),
        ...(recurrence ? { recurrence } : {}),
      });
      const created = (await env.tasks.createTask({ task, requestId: args.request_id ?? "" }, env.call))
        .task as Task;
      return {
        text: `Created ${describeTask(created, env.timeZone)}.`,
        structured: { task: viewTask(created) },
      };
    },
  }),
  model: modelFace({
    description:
      "Creates a task for the user. Put only the task itself in the title; the due date, priority, tags, repetition and reminders go in their own fields.",
    args: z.strictObject({
      title: titleArg.describe("The task's title, without the date, priority or tags."),
      description: descriptionArg.optional().describe("Longer notes."),
      due: dueArg.optional().describe(DUE_HELP),
      priority: priorityArg.optional().describe(PRIORITY_HELP),
      tags: tagNamesArg.optional(),
      repeat: repeatArg.optional().describe(REPEAT_HELP),
      remind_before_minutes: z
        .array(beforeMinutesArg)
        .max(10)
        .optional()
        .describe("Reminders this many minutes before the due time (0 = at the due time); needs a due time."),
      remind_at: z.array(remindAtArg).max(10).optional().describe("Reminders at these times."),
    }),
  }),
} as const;
