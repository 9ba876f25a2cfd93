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
  type AssistantStore,
  type ConversationContext,
  createAssistantStore,
  migrateAssistant,
} from "./store";
export { assistantValidators, MAX_MESSAGE } from "./validation";
