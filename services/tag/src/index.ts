/** The tag service: the caller's tag catalogue with task counts learnt from task events. */
export { defaultTagColor } from "./colors";
export { createTagStore, migrateTags, type TagStore } from "./store";
export { TAG_EVENT_SOURCE } from "./tag-events";
export { createTagService, DEFAULT_PAGE_SIZE, type TagServiceDeps } from "./tag-service";
export {
  createTaskEventsHandler,
  TASK_EVENTS_CONSUMER,
  type TaskEventsHandlerDeps,
} from "./task-events-consumer";
export { tagValidators } from "./validation";
