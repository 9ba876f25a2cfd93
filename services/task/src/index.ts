/** The task service: the caller's tasks, with filtering, search, sorting and paging. */

export { searchTsQueries } from "./list-tasks";
export { searchTerms } from "./search-query";
export { createTaskStore, migrateTasks, type TaskStore } from "./store";
export { createTagEventsHandler } from "./tag-events-consumer";
export { emitTaskEvents } from "./task-events";
export { rowToTask, TASK_COLUMNS, type TaskRow } from "./task-mapper";
export { createTaskService, type TaskServiceDeps } from "./task-service";
export { LIMITS, taskValidators } from "./validation";
export { createWatchHub, type WatchHub } from "./watch-hub";
