/** The task service: the caller's tasks, with filtering, search, sorting and paging. */

export { createTaskStore, migrateTasks, type TaskStore } from "./store";
export { createTagEventsHandler } from "./tag-events-consumer";
export { emitTaskEvent, TASK_EVENT_SOURCE } from "./task-events";
export { etagOf, rowToTask, type TaskRow } from "./task-mapper";
export { createTaskService, type TaskServiceDeps } from "./task-service";
export { taskValidators } from "./validation";
