/** The scheduler service: reminder jobs, the next instance of recurring tasks, and SchedulerService. */
export {
  decodeNextInstancePlan,
  encodeNextInstancePlan,
  type NextInstancePlan,
  nextInstanceJobName,
  nextInstanceRequestId,
  planNextInstance,
} from "./next-instance";
export {
  occurrenceKey,
  type ReminderOccurrence,
  reminderJobName,
  reminderOccurrences,
} from "./reminders";
export {
  createSchedulerJobHandler,
  type NextInstanceOutcome,
  SCHEDULER_EVENT_SOURCE,
  type SchedulerJobsDeps,
} from "./scheduler-jobs";
export { createSchedulerService, type SchedulerServiceDeps } from "./scheduler-service";
export { listUpcoming, migrateScheduler, SCHEDULER_SCHEMA } from "./store";
export {
  createTaskEventsHandler,
  TASK_EVENTS_CONSUMER,
  type TaskEventsHandlerDeps,
} from "./task-events-consumer";
export { schedulerValidators } from "./validation";
