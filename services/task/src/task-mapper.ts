/** Maps `task.tasks` rows to the `todo.task.v1.Task` message and back. */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { etagOf, etagVersion } from "@todo/events";
import {
  type Priority,
  RecurrenceAnchor,
  type Reminder,
  ReminderSchema,
  type Task,
  TaskSchema,
  TaskStatus,
} from "@todo/gen/todo/task/v1/task_pb";
import type { TaskValues } from "./store";

/** A reminder as stored in the `reminders` jsonb column. */
export interface StoredReminder {
  id: string;
  /** RFC 3339, for an absolute reminder. */
  at?: string;
  /** Milliseconds before the due time, for a relative reminder. */
  before_due_ms?: number;
}

/** A row of `task.tasks` as the `postgres` client returns it. */
export interface TaskRow {
  id: string;
  user_id: string;
  title: string;
  description: string;
  status: number;
  priority: number;
  tags: string[];
  tag_keys: string[];
  due_time: Date | null;
  time_zone: string;
  rrule: string | null;
  recurrence_anchor: number;
  reminders: StoredReminder[];
  series_id: string | null;
  create_time: Date;
  update_time: Date;
  complete_time: Date | null;
  version: number;
}

/** The columns a list or read selects (everything but the generated search columns). */
export const TASK_COLUMNS =
  "id, user_id, title, description, status, priority, tags, tag_keys, due_time, time_zone, rrule, " +
  "recurrence_anchor, reminders, series_id, create_time, update_time, complete_time, version";

/** The stored form of a reminder message. */
export function storeReminder(reminder: Reminder, id: string): StoredReminder {
  if (reminder.trigger.case === "at") return { id, at: timestampDate(reminder.trigger.value).toISOString() };
  if (reminder.trigger.case === "beforeDue") return { id, before_due_ms: durationMs(reminder.trigger.value) };
  throw new Error("reminder without a trigger");
}

function loadReminder(r: StoredReminder): Reminder {
  if (r.at !== undefined) {
    return create(ReminderSchema, {
      id: r.id,
      trigger: { case: "at", value: timestampFromDate(new Date(r.at)) },
    });
  }
  return create(ReminderSchema, {
    id: r.id,
    trigger: { case: "beforeDue", value: durationFromMs(r.before_due_ms ?? 0) },
  });
}

/** The API view of a stored task. */
export function rowToTask(row: TaskRow): Task {
  return create(TaskSchema, {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status as TaskStatus,
    priority: row.priority as Priority,
    tags: row.tags,
    dueTime: row.due_time ? timestampFromDate(row.due_time) : undefined,
    timeZone: row.time_zone,
    recurrence: row.rrule
      ? { rrule: row.rrule, anchor: (row.recurrence_anchor || RecurrenceAnchor.SCHEDULE) as RecurrenceAnchor }
      : undefined,
    reminders: row.reminders.map(loadReminder),
    seriesId: row.series_id ?? "",
    createTime: timestampFromDate(row.create_time),
    updateTime: timestampFromDate(row.update_time),
    completeTime: row.complete_time ? timestampFromDate(row.complete_time) : undefined,
    etag: etagOf(row.version),
  });
}

/** True when the task is open. */
export function isOpen(row: Pick<TaskRow, "status">): boolean {
  return row.status === TaskStatus.OPEN;
}

/**
 * The row a task snapshot (an event's or a history entry's) was read from, for `userId`: the
 * inverse of {@link rowToTask}. Used to restore a deleted task from its last snapshot.
 */
export function taskToRow(task: Task, userId: string): TaskRow {
  const date = (t: Task["createTime"]) => (t ? timestampDate(t) : null);
  const tags = [...task.tags];
  return {
    id: task.id,
    user_id: userId,
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    tags,
    tag_keys: tags.map((t) => t.toLowerCase()),
    due_time: date(task.dueTime),
    time_zone: task.timeZone,
    rrule: task.recurrence ? task.recurrence.rrule : null,
    recurrence_anchor: task.recurrence ? task.recurrence.anchor : RecurrenceAnchor.UNSPECIFIED,
    reminders: task.reminders.map((r) => storeReminder(r, r.id)),
    series_id: task.seriesId === "" ? null : task.seriesId,
    create_time: date(task.createTime) ?? new Date(0),
    update_time: date(task.updateTime) ?? new Date(0),
    complete_time: date(task.completeTime),
    version: Number(etagVersion(task.etag) ?? 0n),
  };
}

/** The parameters $3..$12 of an insert or update, in column order (title … reminders). */
export function valueParams(v: TaskValues): unknown[] {
  return [
    v.title,
    v.description,
    v.priority,
    v.tags,
    v.tags.map((t) => t.toLowerCase()),
    v.due_time,
    v.time_zone,
    v.rrule,
    v.recurrence_anchor,
    JSON.stringify(v.reminders),
  ];
}
