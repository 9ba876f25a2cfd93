/** update_task: changes the given fields of one task and leaves the others alone. */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { movedDue } from "@todo/language/due-move";
import { PRIORITY_NAMES } from "@todo/language/priority";
import { z } from "zod";
import { parseDueChange, parseRepeat } from "./dates";
import { ToolInputError } from "./errors";
import {
  DUE_HELP,
  descriptionArg,
  dueArg,
  etagArg,
  idArg,
  PRIORITY_HELP,
  priorityArg,
  REPEAT_HELP,
  repeatArg,
  tagListArg,
  tagNamesArg,
  taskRefArg,
  titleArg,
  WHEN_HELP,
} from "./fields";
import { cleanTags, type Repetition } from "./messages";
import { mcpFace, modelFace } from "./operation";
import { type TaskEdit, updateTask as writeTask } from "./task-calls";
import { describeTask, taskView, viewTask } from "./views";

const filled = (s: string | null): s is string => s !== null && s.trim() !== "";

export const updateTask = {
  name: "update_task",
  mcp: mcpFace({
    title: "Change a task",
    description:
      'Changes the given fields of a task and leaves the others alone. "tags" replaces all tags; "add_tags"/"remove_tags" edit them. null clears "due" or "repeat". Returns the task after the change.',
    input: {
      id: idArg,
      title: titleArg.optional().describe("A new title."),
      description: descriptionArg.optional().describe("New notes; an empty string clears them."),
      priority: z
        .enum([...PRIORITY_NAMES, "none"])
        .optional()
        .describe("low, medium, high, urgent, or none to clear it."),
      due: z
        .string()
        .max(200)
        .nullable()
        .optional()
        .describe(
          `A new due time (${WHEN_HELP}); null removes it. A day without a time ("friday", 2026-05-07) keeps the task's time of day; a task due by the end of its day stays so.`,
        ),
      repeat: z
        .string()
        .max(500)
        .nullable()
        .optional()
        .describe('A new repetition ("every Friday", FREQ=DAILY); null stops it repeating.'),
      tags: tagListArg.optional().describe("The complete new list of tags."),
      add_tags: tagListArg.optional().describe("Tags to add."),
      remove_tags: tagListArg.optional().describe("Tags to remove."),
      time_zone: z.string().max(64).optional().describe("The IANA time zone the due time is meant in."),
      etag: etagArg
        .optional()
        .describe("The etag you read: the change fails with ABORTED if the task changed since."),
    },
    output: { task: taskView },
    annotations: {
      title: "Change a task",
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
    },
    async run(args, env) {
      const current = (await env.tasks.getTask({ id: args.id }, env.call)).task as Task;
      const ctx = { now: env.clock(), timeZone: args.time_zone || current.timeZone || env.timeZone };
      let due: Date | null | undefined;
      if (args.due !== undefined)
        // A date without a time ("friday") keeps the task's time of day (docs/mcp.md).
        due = filled(args.due)
          ? movedDue(
              parseDueChange(args.due, ctx),
              current.dueTime ? timestampDate(current.dueTime) : undefined,
              current.timeZone || env.timeZone,
              ctx.timeZone,
              ctx.timeZone,
            )
          : null;
      let recurrence: Repetition | null | undefined;
      if (args.repeat !== undefined) {
        recurrence = null;
        if (filled(args.repeat)) {
          const { repetition, firstDue } = parseRepeat(args.repeat, ctx);
          recurrence = repetition;
          if (due === undefined && !current.dueTime && firstDue) due = firstDue;
        }
      }
      const retag = args.tags !== undefined || args.add_tags !== undefined || args.remove_tags !== undefined;
      const edit: TaskEdit = {
        etag: args.etag ?? "",
        ...(args.title !== undefined ? { title: args.title } : {}),
        ...(args.description !== undefined ? { description: args.description } : {}),
        ...(args.priority !== undefined ? { priority: args.priority } : {}),
        ...(args.time_zone !== undefined ? { timeZone: args.time_zone } : {}),
        ...(due !== undefined ? { due } : {}),
        ...(recurrence !== undefined ? { recurrence } : {}),
        ...(retag
          ? {
              tags: {
                ...(args.tags !== undefined ? { replace: cleanTags(args.tags) } : {}),
                add: cleanTags(args.add_tags ?? []),
                remove: cleanTags(args.remove_tags ?? []),
              },
            }
          : {}),
      };
      const written = await writeTask(env, current, edit);
      if (!written)
        throw new ToolInputError("nothing to change: give at least one field besides id (and etag)");
      return {
        text: `Updated ${describeTask(written.task, env.timeZone)} (${written.paths.join(", ")}).`,
        structured: { task: viewTask(written.task) },
      };
    },
  }),
  model: modelFace({
    description:
      "Changes one open task: title, description, due date, priority, tags or repetition. Only the fields given change.",
    args: z
      .strictObject({
        task: taskRefArg,
        title: titleArg.optional().describe("A new title."),
        description: descriptionArg.optional().describe('A new description; "" removes it.'),
        due: dueArg.nullable().optional().describe(`${DUE_HELP} null removes the due date.`),
        priority: priorityArg.nullable().optional().describe(`${PRIORITY_HELP} null removes it.`),
        add_tags: tagNamesArg.optional(),
        remove_tags: tagNamesArg.optional(),
        repeat: repeatArg.nullable().optional().describe(`${REPEAT_HELP} null stops it repeating.`),
      })
      .refine((a) => Object.keys(a).some((k) => k !== "task"), {
        message: "give at least one change besides task",
      }),
  }),
} as const;
