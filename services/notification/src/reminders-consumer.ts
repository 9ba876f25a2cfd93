/**
 * The `reminders` consumer: each ReminderDue becomes one inbox entry per occurrence (`Reminder: <task
 * title>`, `Due tomorrow 09:00 (Europe/Berlin)`), plus one pending delivery per enabled channel of
 * the user, in one transaction with the processed-event record. A redelivered event (same id) is
 * skipped by the idempotent handler; a duplicate with another id finds the occurrence's entry and
 * writes nothing. A malformed ReminderDue throws, so the bus retries it and then dead-letters it.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type ReminderDue, ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { type CloudEvent, type EventHandler, fromCloudEvent, type Sql, type TxSql } from "@todo/platform";
import { idempotentHandler } from "@todo/platform/consumer";
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

/** Applies one `reminders` event inside `tx`; returns the entry it created, if any. */
export async function applyReminderEvent(tx: TxSql, event: CloudEvent): Promise<NotificationRow | undefined> {
  if (event.dataSchema !== ReminderDueSchema.typeName) return undefined;
  const due = fromCloudEvent(ReminderDueSchema, event);
  return insertReminderNotification(tx, notificationFromReminder(due, event.id));
}

/** The `reminders` handler of the notification service (subscribe it in group `notification`). */
export function createRemindersHandler(deps: RemindersHandlerDeps): EventHandler {
  return async (event) => {
    const created: NotificationRow[] = [];
    await idempotentHandler(deps.sql, "notification", REMINDERS_CONSUMER, async (tx, e) => {
      const row = await applyReminderEvent(tx, e);
      if (row) created.push(row);
    })(event);
    if (created.length === 0) return;
    deps.hub?.published(created);
    deps.afterCommit?.();
  };
}
