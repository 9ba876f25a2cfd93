/** complete_task, reopen_task and delete_task: the operations that act on one whole task. */
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { z } from "zod";
import { etagArg, idArg, TaskOnlyArgs } from "./fields";
import { mcpFace, modelFace } from "./operation";
import { describeTask, taskView, viewTask } from "./views";

export const completeTask = {
  name: "complete_task",
  mcp: mcpFace({
    title: "Complete a task",
    description:
      "Marks a task done. Completing a recurring task also creates its next occurrence. Completing a completed task changes nothing.",
    input: { id: idArg },
    output: { task: taskView },
    annotations: {
      title: "Complete a task",
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: true,
    },
    async run(args, env) {
      const done = (await env.tasks.completeTask({ id: args.id }, env.call)).task as Task;
      return { text: `Completed ${describeTask(done, env.timeZone)}.`, structured: { task: viewTask(done) } };
    },
  }),
  model: modelFace({ description: "Marks one open task as done.", args: TaskOnlyArgs }),
} as const;

export const reopenTask = {
  name: "reopen_task",
  model: modelFace({ description: "Marks one completed task as not done again.", args: TaskOnlyArgs }),
} as const;

export const deleteTask = {
  name: "delete_task",
  mcp: mcpFace({
    title: "Delete a task",
    description:
      "Deletes a task for good (prefer complete_task for a task that was done). Returns the deleted task's id and title.",
    input: {
      id: idArg,
      etag: etagArg
        .optional()
        .describe("The etag you read: nothing is deleted (ABORTED) if the task changed since."),
    },
    output: { deleted: z.object({ id: z.string(), title: z.string() }) },
    annotations: {
      title: "Delete a task",
      readOnlyHint: false,
      destructiveHint: true,
      idempotentHint: false,
    },
    async run(args, env) {
      const task = (await env.tasks.getTask({ id: args.id }, env.call)).task as Task;
      await env.tasks.deleteTask({ id: task.id, etag: args.etag ?? "" }, env.call);
      return {
        text: `Deleted "${task.title}" (id ${task.id}).`,
        structured: { deleted: { id: task.id, title: task.title } },
      };
    },
  }),
  model: modelFace({
    description:
      "Deletes one task for good. Only when the user clearly asked for it; when several tasks could be meant, ask first.",
    args: TaskOnlyArgs,
  }),
} as const;
