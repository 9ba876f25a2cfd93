/**
 * Reminder occurrences: which moments a task's reminders stand for, and the names and payloads of the
 * jobs that fire them. An absolute reminder fires at its `at`; a relative one `before_due` ahead of the
 * task's due time (so it moves when the due time moves, and does not exist without one). Each firing
 * is identified by its occurrence key `<task_id>/<reminder_id>/<fire time, RFC 3339>`, which the
 * notification service deduplicates by.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationMs, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type ReminderDue, ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";

/** One reminder of a task, resolved to the moment it fires. */
export interface ReminderOccurrence {
  readonly reminderId: string;
  readonly fireTime: Date;
  readonly occurrenceKey: string;
}

/** The job name of a task's reminder: `reminder/<task_id>/<reminder_id>`. */
export function reminderJobName(taskId: string, reminderId: string): string {
  return `${reminderJobPrefix(taskId)}${reminderId}`;
}

/** The prefix of every reminder job of a task, for cancelling them all. */
export function reminderJobPrefix(taskId: string): string {
  return `reminder/${taskId}/`;
}

/** The identity of one firing of a reminder. */
export function occurrenceKey(taskId: string, reminderId: string, fireTime: Date): string {
  return `${taskId}/${reminderId}/${fireTime.toISOString()}`;
}

/**
 * The occurrences of `task`'s reminders. Relative reminders of a task without a due time, and
 * reminders without an id (the task service always assigns one), have none.
 */
export function reminderOccurrences(task: Task): ReminderOccurrence[] {
  const due = task.dueTime ? timestampDate(task.dueTime) : undefined;
  const out: ReminderOccurrence[] = [];
  for (const r of task.reminders) {
    if (r.id === "") continue;
    let fireTime: Date | undefined;
    if (r.trigger.case === "at") fireTime = timestampDate(r.trigger.value);
    else if (r.trigger.case === "beforeDue" && due)
      fireTime = new Date(due.getTime() - durationMs(r.trigger.value));
    if (!fireTime || Number.isNaN(fireTime.getTime())) continue;
    out.push({ reminderId: r.id, fireTime, occurrenceKey: occurrenceKey(task.id, r.id, fireTime) });
  }
  return out;
}

/** The payload of a reminder job: the `ReminderDue` it publishes when it fires. */
export function reminderPayload(userId: string, task: Task, occurrence: ReminderOccurrence): Uint8Array {
  return toBinary(
    ReminderDueSchema,
    create(ReminderDueSchema, {
      userId,
      taskId: task.id,
      reminderId: occurrence.reminderId,
      occurrenceKey: occurrence.occurrenceKey,
      fireTime: timestampFromDate(occurrence.fireTime),
      taskTitle: task.title,
      dueTime: task.dueTime,
      timeZone: task.timeZone,
    }),
  );
}

/** Reads a reminder job's payload. */
export function readReminderPayload(payload: Uint8Array): ReminderDue {
  return fromBinary(ReminderDueSchema, payload);
}
