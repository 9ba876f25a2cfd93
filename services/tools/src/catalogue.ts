/**
 * The catalogue: every operation the tools offer, once, by name. Each entry (one file per operation)
 * holds its argument schemas, its handler over the Task and Tag clients and its result view, for the
 * surfaces that offer it: MCP (`@todo/mcp`, a public contract: names, schemas and results stay) and
 * the language model's function tools (`@todo/assistant`, which carries the checked arguments out
 * through its executor, over the same calls in `task-calls.ts`).
 *
 * Each surface lists the operations it offers in the order it offers them.
 */
import type { z } from "zod";
import { addReminder } from "./add-reminder";
import { addTask } from "./add-task";
import { listTasks } from "./list-tasks";
import type { McpFace, ModelFace, Operation } from "./operation";
import { listTags, renameTag } from "./tags";
import { completeTask, deleteTask, reopenTask } from "./task-state";
import { updateTask } from "./update-task";

/** Every operation, by name. */
export const OPERATIONS = {
  add_task: addTask,
  list_tasks: listTasks,
  complete_task: completeTask,
  reopen_task: reopenTask,
  update_task: updateTask,
  delete_task: deleteTask,
  add_reminder: addReminder,
  rename_tag: renameTag,
  list_tags: listTags,
} as const satisfies Readonly<Record<string, Operation>>;

type Operations = typeof OPERATIONS;
/** The name of an operation. */
export type OperationName = keyof Operations;
/** The operations with an MCP face. */
export type McpToolName = {
  [K in OperationName]: Operations[K] extends { mcp: McpFace } ? K : never;
}[OperationName];
/** The operations with a language-model face. */
export type ModelToolName = {
  [K in OperationName]: Operations[K] extends { model: ModelFace } ? K : never;
}[OperationName];
/** The checked arguments of a language-model tool. */
export type ModelArgs<K extends ModelToolName> = Operations[K] extends { model: ModelFace<infer A> }
  ? z.output<A>
  : never;

/** The MCP tools, in the order `tools/list` returns them. */
export const MCP_TOOL_NAMES = [
  "add_task",
  "list_tasks",
  "complete_task",
  "update_task",
  "delete_task",
  "list_tags",
] as const satisfies readonly McpToolName[];

/** The language model's tools, in the order they are offered. */
export const MODEL_TOOL_NAMES = [
  "add_task",
  "list_tasks",
  "complete_task",
  "reopen_task",
  "delete_task",
  "update_task",
  "add_reminder",
  "rename_tag",
  "list_tags",
] as const satisfies readonly ModelToolName[];

/** The MCP face of an operation. */
export function mcpTool(name: McpToolName): McpFace {
  return OPERATIONS[name].mcp as unknown as McpFace;
}

/** The language-model face of an operation. */
export function modelTool(name: ModelToolName): ModelFace {
  return OPERATIONS[name].model;
}

/** Whether `name` is one of the language model's tools. */
export function isModelTool(name: string): name is ModelToolName {
  return (MODEL_TOOL_NAMES as readonly string[]).includes(name);
}
