/**
 * The task fields UpdateTask may change, by proto name, in the order update masks are written: the
 * one list the task service checks masks against and the web editor writes its masks from. (Every
 * other field of `todo.task.v1.Task` is output only, or the etag, which guards an update rather
 * than being one.)
 *
 * Its own entry (`@todo/language/task-fields`), free of imports, so the browser can load it eagerly.
 */
export const UPDATABLE_TASK_FIELDS = [
  "title",
  "description",
  "priority",
  "tags",
  "due_time",
  "time_zone",
  "recurrence",
  "reminders",
] as const;

/** One field UpdateTask may change. */
export type UpdatableTaskField = (typeof UPDATABLE_TASK_FIELDS)[number];
