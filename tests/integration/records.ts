/**
 * Hand-made Kafka records in the system's wire format (CloudEvents 1.0, binary content mode: the
 * attributes as `ce_*` headers, the Protobuf data as the value — docs/events.md), written here without
 * the platform's encoder so the tests check the format rather than reuse it.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";

/** A record ready for `KafkaProbe.produce`. */
export interface ProducedRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  partition?: number;
}

/** The `ce_*` headers of an event. */
export function cloudEventHeaders(attrs: {
  id: string;
  type: string;
  subject: string;
  dataSchema: string;
  source?: string;
  time?: Date;
}): Record<string, string> {
  return {
    ce_specversion: "1.0",
    ce_id: attrs.id,
    ce_source: attrs.source ?? "/integration-test",
    ce_type: attrs.type,
    ce_subject: attrs.subject,
    ce_time: (attrs.time ?? new Date()).toISOString(),
    ce_dataschema: attrs.dataSchema,
    "content-type": "application/protobuf",
  };
}

/** A `ReminderDue` event for `userId`'s task `taskId`, occurrence `occurrenceKey`, on `reminders`. */
export function reminderDueRecord(r: {
  userId: string;
  taskId: string;
  occurrenceKey: string;
  fireTime: Date;
  title: string;
  eventId?: string;
  partition?: number;
}): ProducedRecord {
  const value = toBinary(
    ReminderDueSchema,
    create(ReminderDueSchema, {
      userId: r.userId,
      taskId: r.taskId,
      reminderId: "integration",
      occurrenceKey: r.occurrenceKey,
      fireTime: timestampFromDate(r.fireTime),
      taskTitle: r.title,
      timeZone: "UTC",
    }),
  );
  return {
    key: r.taskId,
    value: Buffer.from(value),
    headers: cloudEventHeaders({
      id: r.eventId ?? crypto.randomUUID(),
      type: "todo.scheduler.v1.reminder_due",
      subject: r.taskId,
      dataSchema: ReminderDueSchema.typeName,
    }),
    ...(r.partition !== undefined ? { partition: r.partition } : {}),
  };
}
