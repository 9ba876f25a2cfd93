/**
 * The pieces of Task API messages every tool surface builds the same way: a recurrence, a reminder, a
 * tag list as the API wants it, and a value quoted for a ListTasks filter (docs/filtering.md).
 */
import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Recurrence,
  RecurrenceAnchor,
  type Reminder,
  ReminderSchema,
} from "@todo/gen/todo/task/v1/task_pb";

/** A repetition: an RRULE and what the next occurrence counts from. */
export interface Repetition {
  readonly rrule: string;
  readonly anchor: "schedule" | "completion";
}

/** A reminder: an absolute instant (ISO 8601) or an offset before the due time. */
export type ReminderSpec = { readonly at: string } | { readonly beforeDueMs: number };

/** A repetition as the API's message. */
export function recurrenceMessage(spec: Repetition): Recurrence {
  return {
    $typeName: "todo.task.v1.Recurrence",
    rrule: spec.rrule,
    anchor: spec.anchor === "completion" ? RecurrenceAnchor.COMPLETION : RecurrenceAnchor.SCHEDULE,
  };
}

/** A reminder as the API's message (an offset is whole seconds). */
export function reminderMessage(spec: ReminderSpec): Reminder {
  if ("at" in spec)
    return create(ReminderSchema, { trigger: { case: "at", value: timestampFromDate(new Date(spec.at)) } });
  const duration: Duration = create(DurationSchema, { seconds: BigInt(Math.round(spec.beforeDueMs / 1000)) });
  return create(ReminderSchema, { trigger: { case: "beforeDue", value: duration } });
}

/** Tag names as the API wants them: a leading `#` dropped, blanks trimmed. */
export function cleanTags(tags: readonly string[]): string[] {
  return tags.map((t) => t.trim().replace(/^#/, "").trim());
}

/** A filter value, quoted unless it is a plain word (docs/filtering.md). */
export function filterValue(value: string): string {
  return /^[\p{L}\p{N}_/-]+$/u.test(value)
    ? value
    : `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}
