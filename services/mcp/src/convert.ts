/**
 * Conversions between the MCP tools' JSON and the Task/Tag API: tasks as plain JSON with priority
 * *names* (never numbers) and RFC 3339 times, dates and repetitions typed as ISO-8601 or plain English
 * (read by `@todo/language`, the parser the web app's quick-add box and the assistant share), and
 * service errors turned into tool errors that keep the service's own message.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import { Priority, RecurrenceAnchor, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { parseQuickAdd } from "@todo/language";
import { z } from "zod";

/** The priority names the tools accept and return, lowest first. */
export const PRIORITY_NAMES = ["low", "medium", "high", "urgent"] as const;
/** A priority name. */
export type PriorityName = (typeof PRIORITY_NAMES)[number];

const TO_PRIORITY: Record<PriorityName, Priority> = {
  low: Priority.LOW,
  medium: Priority.MEDIUM,
  high: Priority.HIGH,
  urgent: Priority.URGENT,
};

/** The API's priority for a name; `none` (or nothing) is UNSPECIFIED. */
export function priorityOf(name: PriorityName | "none" | undefined): Priority {
  return name && name !== "none" ? TO_PRIORITY[name] : Priority.UNSPECIFIED;
}

/** The name of an API priority; `none` when unset. */
export function priorityName(priority: Priority): PriorityName | "none" {
  switch (priority) {
    case Priority.LOW:
      return "low";
    case Priority.MEDIUM:
      return "medium";
    case Priority.HIGH:
      return "high";
    case Priority.URGENT:
      return "urgent";
    default:
      return "none";
  }
}

/** A task as the tools return it (snake_case, like the API's JSON). */
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
/** A task as the tools return it. */
export type TaskView = z.infer<typeof taskView>;

/** A tag as `list_tags` returns it. */
export const tagView = z.object({
  id: z.string(),
  name: z.string(),
  color: z.string(),
  task_count: z.number().int().describe("How many open tasks carry the tag (updated within moments)."),
});
/** A tag as `list_tags` returns it. */
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

/** One line describing a task for the text part of a tool result, times in `timeZone`. */
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

/** A tool argument the tools could not use; its message is shown to the client as a tool error. */
export class ToolInputError extends Error {
  override readonly name = "ToolInputError";
}

/** Where and when a date is typed: "tomorrow" counts from `now` in `timeZone`. */
export interface WhenContext {
  readonly now: Date;
  readonly timeZone: string;
}

/** A repetition for the API: an RRULE and what the next occurrence counts from. */
export interface Repetition {
  readonly rrule: string;
  readonly anchor: "schedule" | "completion";
}

const RFC3339_INSTANT = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;
const RRULE = /^(RRULE:)?FREQ=/i;

function quickAdd(text: string, ctx: WhenContext, field: string) {
  const parsed = parseQuickAdd(text, { now: ctx.now, timeZone: ctx.timeZone });
  const understood =
    parsed.title === "" && parsed.spans.every((s) => s.kind === "due" || s.kind === "recurrence");
  if (!understood)
    throw new ToolInputError(
      `${field}: could not read ${JSON.stringify(text)} as a date; use ISO-8601 (2026-05-07T17:00:00+02:00, 2026-05-07) or plain English ("tomorrow 5pm", "next friday")`,
    );
  return parsed;
}

/**
 * Reads a due date: an RFC 3339 instant with an offset is taken as is; anything else (a date, a
 * date-time without offset, "tomorrow 5pm", "in 2 hours") is read by `@todo/language` as wall-clock
 * time in the user's time zone, a date alone meaning the end of that day. A repetition is refused
 * here (it belongs in `repeat`), so a due date never silently makes a task recur.
 */
export function parseDue(text: string, ctx: WhenContext, field = "due"): Date {
  return parseDueChange(text, ctx, field).time;
}

/**
 * {@link parseDue}, also saying whether a time of day was given (`hasTime` false for "friday" or
 * "2026-05-07"), which a move of an existing task needs: such a move keeps the task's time of day
 * (`movedDue` of `@todo/language/due-move`).
 */
export function parseDueChange(
  text: string,
  ctx: WhenContext,
  field = "due",
): { time: Date; hasTime: boolean } {
  const trimmed = text.trim();
  if (RFC3339_INSTANT.test(trimmed)) {
    const date = new Date(trimmed);
    if (!Number.isNaN(date.getTime())) return { time: date, hasTime: true };
  }
  const parsed = quickAdd(trimmed, ctx, field);
  if (parsed.recurrence)
    throw new ToolInputError(`${field}: ${JSON.stringify(text)} is a repetition; put it in "repeat"`);
  if (!parsed.due) throw new ToolInputError(`${field}: could not read ${JSON.stringify(text)} as a date`);
  return parsed.due;
}

/**
 * Reads a repetition: an RFC 5545 RRULE (`FREQ=WEEKLY;BYDAY=MO`, counted from the due time) or plain
 * English ("every Monday at 9am", "every 3 days after I finish"), which also gives the first
 * occurrence, used as the due time when the task has none.
 */
export function parseRepeat(text: string, ctx: WhenContext): { repetition: Repetition; firstDue?: Date } {
  const trimmed = text.trim();
  if (RRULE.test(trimmed))
    return { repetition: { rrule: trimmed.replace(/^RRULE:/i, "").toUpperCase(), anchor: "schedule" } };
  const parsed = quickAdd(trimmed, ctx, "repeat");
  if (!parsed.recurrence)
    throw new ToolInputError(
      `repeat: ${JSON.stringify(text)} does not say how the task repeats (try "every Monday" or FREQ=WEEKLY;BYDAY=MO)`,
    );
  return { repetition: parsed.recurrence, firstDue: parsed.due?.time };
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

/** The gRPC name of a code, `NOT_FOUND` for `Code.NotFound`. */
export function codeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The text of a tool error for a failed call: the service's code, message and field violations. */
export function errorText(err: unknown): string {
  if (err instanceof ToolInputError) return `INVALID_ARGUMENT: ${err.message}`;
  if (err instanceof ConnectError) {
    // Violations the message does not already spell out (it often is the first one).
    const violations = err
      .findDetails(BadRequestSchema)
      .flatMap((d) => d.fieldViolations.map((v) => `${v.field}: ${v.description}`))
      .filter((v) => !err.rawMessage.includes(v));
    const base = `${codeName(err.code)}: ${err.rawMessage}`;
    return violations.length > 0 ? `${base} (${violations.join("; ")})` : base;
  }
  return "INTERNAL: the tool failed unexpectedly";
}
