/**
 * Tasks and tags as the tools show them. MCP returns the full JSON view ({@link viewTask}, with its
 * zod schema {@link taskView} as the tools' `outputSchema`) and one line of text per task
 * ({@link describeTask}); the language model is shown a compact view with times in the user's zone
 * ({@link modelTaskView}). Priorities are always names, never numbers.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import { RecurrenceAnchor, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { PRIORITY_NAMES, priorityName } from "@todo/language/priority";
import { Temporal } from "temporal-polyfill";
import { z } from "zod";

/** A task as the MCP tools return it (snake_case, like the API's JSON). */
export const taskView = z.object({
  id: z.string().describe("The task's id: pass it to complete_task, update_task or delete_task."),
  title: z.string(),
  description: z.string(),
  status: z.enum(["open", "completed"]),
  priority: z.enum([...PRIORITY_NAMES, "none"]),
  tags: z.array(z.string()),
  due_time: z.string().nullable().describe("RFC 3339, or null when the task has no due date."),
  time_zone: z.string().describe("The IANA time zone the due time and repetition are meant in."),
  recurrence: z
    .object({ rrule: z.string(), anchor: z.enum(["schedule", "completion"]) })
    .nullable()
    .describe("How the task repeats (an RFC 5545 RRULE), or null."),
  reminders: z.array(
    z.object({
      at: z.string().optional().describe("An absolute reminder (RFC 3339)."),
      minutes_before_due: z.number().optional().describe("A reminder that moves with the due time."),
    }),
  ),
  create_time: z.string().nullable(),
  update_time: z.string().nullable(),
  complete_time: z.string().nullable(),
  etag: z.string().describe("Send it back with update_task or delete_task to fail instead of overwriting."),
});
/** A task as the MCP tools return it. */
export type TaskView = z.infer<typeof taskView>;

/** A tag as `list_tags` returns it over MCP. */
export const tagView = z.object({
  id: z.string(),
  name: z.string(),
  color: z.string(),
  task_count: z.number().int().describe("How many open tasks carry the tag (updated within moments)."),
});
/** A tag as `list_tags` returns it over MCP. */
export type TagView = z.infer<typeof tagView>;

const iso = (t: Parameters<typeof timestampDate>[0] | undefined): string | null =>
  t ? timestampDate(t).toISOString() : null;

/** The JSON view of a task. */
export function viewTask(task: Task): TaskView {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    status: task.status === TaskStatus.COMPLETED ? "completed" : "open",
    priority: priorityName(task.priority),
    tags: [...task.tags],
    due_time: iso(task.dueTime),
    time_zone: task.timeZone,
    recurrence: task.recurrence
      ? {
          rrule: task.recurrence.rrule,
          anchor: task.recurrence.anchor === RecurrenceAnchor.COMPLETION ? "completion" : "schedule",
        }
      : null,
    reminders: task.reminders.map((r) =>
      r.trigger.case === "at"
        ? { at: timestampDate(r.trigger.value).toISOString() }
        : r.trigger.case === "beforeDue"
          ? { minutes_before_due: Number(r.trigger.value.seconds) / 60 }
          : {},
    ),
    create_time: iso(task.createTime),
    update_time: iso(task.updateTime),
    complete_time: iso(task.completeTime),
    etag: task.etag,
  };
}

/** The JSON view of a tag. */
export function viewTag(tag: Tag): TagView {
  return { id: tag.id, name: tag.name, color: tag.color, task_count: tag.taskCount };
}

/** One line describing a task for the text part of an MCP tool result, times in `timeZone`. */
export function describeTask(task: Task, timeZone: string): string {
  const bits = [`"${task.title}"`];
  if (task.status === TaskStatus.COMPLETED) bits.push("completed");
  if (task.dueTime) {
    const when = new Intl.DateTimeFormat("en-US", {
      timeZone: task.timeZone || timeZone,
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      timeZoneName: "short",
    });
    bits.push(`due ${when.format(timestampDate(task.dueTime))}`);
  }
  if (task.recurrence) bits.push(`repeats ${task.recurrence.rrule}`);
  const p = priorityName(task.priority);
  if (p !== "none") bits.push(`${p} priority`);
  if (task.tags.length > 0) bits.push(task.tags.map((t) => `#${t}`).join(" "));
  bits.push(`id ${task.id}`);
  return bits.join(", ");
}

/** The task as the language model is shown it: the id to name it by, and its fields in the user's zone. */
export function modelTaskView(task: Task, timeZone: string): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: task.id,
    title: task.title,
    status: task.status === TaskStatus.COMPLETED ? "completed" : "open",
  };
  if (task.dueTime) {
    const local = Temporal.Instant.fromEpochMilliseconds(
      timestampDate(task.dueTime).getTime(),
    ).toZonedDateTimeISO(timeZone);
    view.due = local.toPlainDateTime().toString({ smallestUnit: "minute" });
    view.due_day = local.toLocaleString("en-US", { weekday: "long" });
  }
  const p = priorityName(task.priority);
  if (p !== "none") view.priority = p;
  if (task.tags.length > 0) view.tags = task.tags;
  if (task.recurrence) view.repeat = task.recurrence.rrule;
  if (task.reminders.length > 0) view.reminders = task.reminders.length;
  if (task.description !== "") view.description = task.description;
  return view;
}
