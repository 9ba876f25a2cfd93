/** The Todo MCP server: tools over the Task and Tag services, served over Streamable HTTP and stdio. */
export { PRIORITY_NAMES, type PriorityName, priorityName, priorityOf } from "@todo/language/priority";
export {
  cleanTags,
  codeName,
  describeTask,
  errorText,
  parseDue,
  parseRepeat,
  type Repetition,
  type TagView,
  type TaskView,
  ToolInputError,
  viewTag,
  viewTask,
  type WhenContext,
} from "@todo/tools";
export { createMcpHttpHandler, type HttpHandler, MCP_PATH, type McpHttpDeps, withMcp } from "./http";
export { connectRemote, type RemoteOptions, type RemoteSession, remoteOptionsFromEnv } from "./remote";
export { createTodoMcpServer, SERVER_INFO, TOOL_NAMES, type TodoMcpDeps } from "./tools";
