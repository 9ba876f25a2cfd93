/** Intent pieces as the Task API's messages: priorities, reminders, recurrences, ListTasks filters. */
import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  Priority,
  type Recurrence,
  RecurrenceAnchor,
  type Reminder,
  ReminderSchema,
} from "@todo/gen/todo/task/v1/task_pb";
import type { ListQuery, PriorityName, RecurrenceSpec, ReminderSpec } from "./intent";

/** Priority names to the API's enum; numbers are never priorities. */
export const PRIORITY: Readonly<Record<PriorityName, Priority>> = {
  low: Priority.LOW,
  medium: Priority.MEDIUM,
  high: Priority.HIGH,
  urgent: Priority.URGENT,
};

/** The API's priorities to their names (no entry for "no priority"). */
export const PRIORITY_NAME: Readonly<Record<number, PriorityName>> = {
  [Priority.LOW]: "low",
  [Priority.MEDIUM]: "medium",
  [Priority.HIGH]: "high",
  [Priority.URGENT]: "urgent",
};

/** A reminder as the API's message. */
export function reminderMessage(spec: ReminderSpec): Reminder {
  if ("at" in spec)
    return create(ReminderSchema, { trigger: { case: "at", value: timestampFromDate(new Date(spec.at)) } });
  const duration: Duration = create(DurationSchema, { seconds: BigInt(Math.round(spec.beforeDueMs / 1000)) });
  return create(ReminderSchema, { trigger: { case: "beforeDue", value: duration } });
}

/** A recurrence as the API's message. */
export function recurrenceMessage(spec: RecurrenceSpec): Recurrence {
  return {
    $typeName: "todo.task.v1.Recurrence",
    rrule: spec.rrule,
    anchor: spec.anchor === "completion" ? RecurrenceAnchor.COMPLETION : RecurrenceAnchor.SCHEDULE,
  };
}

/** A tag name as a filter value: quoted unless it is one plain word. */
function filterValue(s: string): string {
  return /^[\p{L}\p{N}_/-]+$/u.test(s) ? s : `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** The ListTasks filter for a query (docs/filtering.md), with instants written as RFC 3339. */
export function listFilter(query: ListQuery, now: Date): string {
  const parts = [query.status === "completed" ? "status = COMPLETED" : "status = OPEN"];
  if (query.overdue) parts.push(`due_time < ${now.toISOString()}`);
  if (query.due?.from) parts.push(`due_time >= ${query.due.from}`);
  if (query.due?.to) parts.push(`due_time < ${query.due.to}`);
  if (query.completed?.from) parts.push(`complete_time >= ${query.completed.from}`);
  if (query.completed?.to) parts.push(`complete_time < ${query.completed.to}`);
  if (query.priority)
    parts.push(`priority ${query.priorityAtLeast ? ">=" : "="} ${query.priority.toUpperCase()}`);
  for (const tag of query.tags) parts.push(`tags:${filterValue(tag)}`);
  if (query.noDue) parts.push("NOT due_time:*");
  return parts.join(" AND ");
}
