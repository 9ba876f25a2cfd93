/**
 * The `reminders` consumer: each ReminderDue becomes one inbox entry per occurrence (`Reminder: <task
 * title>`, `Due tomorrow 09:00 (Europe/Berlin)`), and each DigestDue (the task service's daily digest
 * of overdue tasks, docs/digest.md) one entry per user and local date (`3 overdue tasks`, a line per
 * task) — each with one pending delivery per enabled channel of the user, in one transaction with
 * the processed-event record. A redelivered event (same id) is skipped by the idempotent handler; a
 * duplicate with another id finds the occurrence's (or the day's) entry and writes nothing. A
 * malformed event throws, so the bus retries it and then dead-letters it.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  type DigestDue,
  DigestDueSchema,
  type ReminderDue,
  ReminderDueSchema,
} from "@todo/gen/todo/events/v1/reminder_events_pb";
import { type CloudEvent, type EventHandler, fromCloudEvent, type Sql, type TxSql } from "@todo/platform";
import { idempotentHandler } from "@todo/platform/events";
import { digestBody, digestTitle } from "./digest-text";
import type { NotificationHub } from "./notification-hub";
import { reminderBody, reminderTitle } from "./notification-text";
import { insertReminderNotification, isUuid, type NewNotification, type NotificationRow } from "./store";

/** The consumer name under which processed `reminders` events are recorded. */
export const REMINDERS_CONSUMER = "notification.reminders";

/** What the handler needs. */
export interface RemindersHandlerDeps {
  readonly sql: Sql;
  /** This replica's hub: gets the committed rows (it fans them out itself in `local` mode). */
  readonly hub?: NotificationHub;
  /** Called after a transaction that queued deliveries committed (wake the delivery worker). */
  readonly afterCommit?: () => void;
}

/** The inbox entry a ReminderDue asks for; throws naming the problem when it is malformed. */
export function notificationFromReminder(due: ReminderDue, eventId: string): NewNotification {
  const problems: string[] = [];
  if (!isUuid(due.userId)) problems.push("user_id is not a user id");
  if (due.taskId === "") problems.push("task_id is empty");
  if (due.occurrenceKey === "") problems.push("occurrence_key is empty");
  if (!due.fireTime) problems.push("fire_time is missing");
  if (problems.length > 0 || !due.fireTime) {
    throw new Error(`ReminderDue ${eventId} is malformed: ${problems.join(", ")}`);
  }
  const fireTime = timestampDate(due.fireTime);
  return {
    userId: due.userId,
    occurrenceKey: due.occurrenceKey,
    taskId: due.taskId,
    reminderId: due.reminderId,
    title: reminderTitle(due.taskTitle),
    body: reminderBody({
      taskTitle: due.taskTitle,
      fireTime,
      dueTime: due.dueTime ? timestampDate(due.dueTime) : undefined,
      timeZone: due.timeZone,
    }),
    fireTime,
  };
}

/** The occurrence key of a user's digest for `localDate`: one inbox entry per user and local day. */
export function digestOccurrenceKey(localDate: string): string {
  return `digest/${localDate}`;
}

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The inbox entry a DigestDue asks for (no task or reminder id: it is about several tasks); throws
 * naming the problem when it is malformed.
 */
export function notificationFromDigest(digest: DigestDue, eventId: string): NewNotification {
  const problems: string[] = [];
  if (!isUuid(digest.userId)) problems.push("user_id is not a user id");
  if (!LOCAL_DATE.test(digest.localDate)) problems.push("local_date is not YYYY-MM-DD");
  if (digest.overdueCount < 1) problems.push("overdue_count is not positive");
  if (digest.tasks.length === 0) problems.push("tasks is empty");
  if (digest.tasks.some((t) => !t.dueTime)) problems.push("a task has no due_time");
  if (!digest.digestTime) problems.push("digest_time is missing");
  if (problems.length > 0 || !digest.digestTime) {
    throw new Error(`DigestDue ${eventId} is malformed: ${problems.join(", ")}`);
  }
  const digestTime = timestampDate(digest.digestTime);
  const tasks = digest.tasks.map((t) => ({
    title: t.title,
    dueTime: t.dueTime ? timestampDate(t.dueTime) : digestTime,
  }));
  return {
    userId: digest.userId,
    occurrenceKey: digestOccurrenceKey(digest.localDate),
    taskId: "",
    reminderId: "",
    title: digestTitle(Math.max(digest.overdueCount, tasks.length)),
    body: digestBody({
      overdueCount: Math.max(digest.overdueCount, tasks.length),
      tasks,
      digestTime,
      timeZone: digest.timeZone,
    }),
    fireTime: digestTime,
  };
}

/** Applies one `reminders` event (ReminderDue or DigestDue) inside `tx`; returns the entry it created, if any. */
export async function applyReminderEvent(tx: TxSql, event: CloudEvent): Promise<NotificationRow | undefined> {
  if (event.dataSchema === ReminderDueSchema.typeName) {
    const due = fromCloudEvent(ReminderDueSchema, event);
    return insertReminderNotification(tx, notificationFromReminder(due, event.id));
  }
  if (event.dataSchema === DigestDueSchema.typeName) {
    const digest = fromCloudEvent(DigestDueSchema, event);
    return insertReminderNotification(tx, notificationFromDigest(digest, event.id));
  }
  return undefined;
}

/** The `reminders` handler of the notification service (subscribe it in group `notification`). */
export function createRemindersHandler(deps: RemindersHandlerDeps): EventHandler {
  return idempotentHandler(deps.sql, "notification", REMINDERS_CONSUMER, async (tx, e, afterCommit) => {
    const row = await applyReminderEvent(tx, e);
    if (!row) return;
    afterCommit(() => {
      deps.hub?.published([row]);
      deps.afterCommit?.();
    });
  });
}
