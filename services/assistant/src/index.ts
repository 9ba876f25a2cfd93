/** The assistant: manages the caller's tasks in plain language through the Task and Tag services. */
export {
  type AssistantServiceDeps,
  CLARIFY_LIMIT,
  createAssistantService,
  EXAMPLES,
  LIST_LIMIT,
  listFilter,
} from "./assistant-service";
export {
  assistantRequestId,
  createExecutor,
  type Executor,
  type ExecutorDeps,
  type Outcome,
} from "./executor";
export {
  type Intent,
  type InterpretContext,
  interpret,
  type ListQuery,
  type NewTask,
  parseTaskRef,
  type TaskChanges,
  type TaskRef,
} from "./interpreter";
export {
  type ChatModel,
  createChatModel,
  MODEL_DEFAULTS,
  type ModelConfig,
  ModelUnavailableError,
  modelConfigFromEnv,
} from "./model";
export {
  type AssistantStore,
  type ConversationContext,
  createAssistantStore,
  migrateAssistant,
} from "./store";
export { callTool, PRIORITY_NAMES, TOOL_NAMES, toolDefinitions } from "./tools";
export { assistantValidators, MAX_MESSAGE } from "./validation";
