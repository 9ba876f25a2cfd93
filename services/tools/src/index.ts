/**
 * @todo/tools — the one catalogue of operations the Todo tools offer (MCP and the assistant's
 * language-model tools): their argument schemas, their handlers over the Task and Tag clients, their
 * result views, and the readers of dates, repetitions and priorities they share. Depends only on the
 * contract (`@todo/gen`) and `@todo/language`.
 */

export {
  isModelTool,
  MCP_TOOL_NAMES,
  type McpToolName,
  MODEL_TOOL_NAMES,
  type ModelArgs,
  type ModelToolName,
  mcpTool,
  modelTool,
  OPERATIONS,
  type OperationName,
} from "./catalogue";
export {
  type DueSpec,
  isIsoDate,
  parseDue,
  parseDueChange,
  parseRepeat,
  readIsoDue,
  type WhenContext,
} from "./dates";
export { codeName, errorText, ToolInputError } from "./errors";
export {
  cleanTags,
  filterValue,
  type ReminderSpec,
  type Repetition,
  recurrenceMessage,
  reminderMessage,
} from "./messages";
export type {
  McpFace,
  ModelFace,
  Operation,
  OperationEnv,
  TaskClients,
  ToolAnnotations,
  ToolAnswer,
} from "./operation";
export {
  allTags,
  editMessage,
  findTask,
  type NewTaskFields,
  newTaskMessage,
  renameTag,
  type TaskEdit,
  updateTask,
} from "./task-calls";
export {
  describeTask,
  modelTaskView,
  type TagView,
  type TaskView,
  tagView,
  taskView,
  viewTag,
  viewTask,
} from "./views";
