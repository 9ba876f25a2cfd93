/** The task service: the caller's tasks, with filtering, search, sorting and paging. */

export { isUntouchedInstance, nextInstanceRequestId } from "./next-instance-key";
export {
  HORIZON_YEARS,
  MAX_STEPS,
  type Occurrence,
  type ParsedRule,
  parseRule,
  placeWall,
  RecurrenceError,
  RecurrenceLimitError,
  type Until,
  walk,
  withCount,
  withTimeOfDay,
  zonedIn,
} from "./recurrence-expand";
export { fitRecurrence, neverRepeatsProblem, type RecurrenceFit } from "./recurrence-fit";
export { rruleProblem } from "./rrule-syntax";
export { createTaskStore, migrateTasks, type TaskStore } from "./store";
export { createTagEventsHandler } from "./tag-events-consumer";
export {
  decodeTaskEvent,
  emitTaskEvent,
  TASK_CHANGED_TYPE,
  TASK_EVENT_SOURCE,
  type TaskSnapshotEvent,
} from "./task-events";
export { etagOf, etagVersion, rowToTask, type TaskRow } from "./task-mapper";
export { createTaskService, type TaskServiceDeps } from "./task-service";
export { LIMITS, taskValidators } from "./validation";
export { createWatchHub, type WatchHub } from "./watch-hub";
