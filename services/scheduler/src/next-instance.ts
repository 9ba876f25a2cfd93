/**
 * The next instance of a completed recurring task (ARCHITECTURE §5). When a recurring task is
 * completed, the scheduler computes its next occurrence (`nextOccurrence`, in the task's time zone)
 * and creates the next instance through `TaskService.CreateTask`, acting as the owner: same series,
 * title, description, priority, tags, time zone and relative reminders (with new ids), the rule with
 * COUNT reduced, and a `request_id` derived from the completion — `next:<task_id>:<complete ms>`
 * (`nextInstanceRequestId` of `@todo/recurrence`) — so repeating the call (after a crash, on a retry)
 * returns the instance the first call created, and ReopenTask can withdraw it.
 */
import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { RecurrenceAnchor, type Task } from "@todo/gen/todo/task/v1/task_pb";
import { type CreateTaskRequest, CreateTaskRequestSchema } from "@todo/gen/todo/task/v1/task_service_pb";
import { nextInstanceRequestId, nextOccurrence } from "@todo/recurrence";

/** The job that creates the next instance of completed task `taskId`: `next/<task_id>`. */
export function nextInstanceJobName(taskId: string): string {
  return `next/${taskId}`;
}

export { nextInstanceRequestId };

/** Everything needed to create a next instance, as kept in the job's payload. */
export interface NextInstancePlan {
  /** The owner, whom the scheduler acts as. */
  readonly userId: string;
  /** The owner's task time zone (the acting token's zone; the request names its own anyway). */
  readonly timeZone: string;
  /** The completed instance. */
  readonly completedTaskId: string;
  readonly request: CreateTaskRequest;
}

/**
 * The next instance of `task`, completed at `completedAt` (its `complete_time`) by `userId`; undefined when the task does
 * not recur (no rule or no due time) or its series has ended (COUNT used up, UNTIL passed). Overdue
 * series roll forward past occurrences already in the past at `completedAt`, so the plan does not
 * depend on when the event is processed.
 *
 * @throws RecurrenceError when the stored rule or zone cannot be expanded.
 */
export function planNextInstance(
  userId: string,
  task: Task,
  completedAt: Date,
): NextInstancePlan | undefined {
  const rrule = task.recurrence?.rrule ?? "";
  if (rrule === "" || !task.dueTime) return undefined;
  const anchor = task.recurrence?.anchor ?? RecurrenceAnchor.UNSPECIFIED;
  const due = timestampDate(task.dueTime);
  const timeZone = task.timeZone === "" ? "UTC" : task.timeZone;
  const next = nextOccurrence({ rrule, anchor, timeZone, due, completedAt, now: completedAt });
  if (!next) return undefined;
  const request = create(CreateTaskRequestSchema, {
    requestId: nextInstanceRequestId(task.id, completedAt),
    seriesId: task.seriesId === "" ? task.id : task.seriesId,
    task: {
      title: task.title,
      description: task.description,
      priority: task.priority,
      tags: [...task.tags],
      dueTime: timestampFromDate(next.due),
      timeZone,
      recurrence: { rrule: next.rrule, anchor },
      // Only relative reminders move to the next instance; an empty id asks for a new one.
      reminders: task.reminders
        .filter((r) => r.trigger.case === "beforeDue")
        .map((r) => ({ trigger: r.trigger })),
    },
  });
  return { userId, timeZone, completedTaskId: task.id, request };
}

/** The job payload of a plan (JSON, readable in the database). */
export function encodeNextInstancePlan(plan: NextInstancePlan): string {
  return JSON.stringify({
    v: 1,
    userId: plan.userId,
    timeZone: plan.timeZone,
    completedTaskId: plan.completedTaskId,
    request: toJson(CreateTaskRequestSchema, plan.request),
  });
}

/** Reads a plan back from a job payload. */
export function decodeNextInstancePlan(payload: string): NextInstancePlan {
  const parsed = JSON.parse(payload) as {
    v?: number;
    userId?: string;
    timeZone?: string;
    completedTaskId?: string;
    request?: JsonValue;
  };
  if (parsed.v !== 1 || !parsed.userId || !parsed.completedTaskId || parsed.request === undefined) {
    throw new Error("not a next-instance job payload");
  }
  return {
    userId: parsed.userId,
    timeZone: parsed.timeZone || "UTC",
    completedTaskId: parsed.completedTaskId,
    request: fromJson(CreateTaskRequestSchema, parsed.request),
  };
}
