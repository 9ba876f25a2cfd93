/**
 * Request validation for TaskService, run by the platform's validation interceptor before every
 * handler. Field paths in violations use the proto names (`task.reminders[1].before_due`).
 */
import type { Message } from "@bufbuild/protobuf";
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Priority, RecurrenceAnchor, type Task } from "@todo/gen/todo/task/v1/task_pb";
import type {
  CompleteTaskRequest,
  CreateTaskRequest,
  DeleteTaskRequest,
  GetTaskRequest,
  ListTaskHistoryRequest,
  ListTasksRequest,
  ReopenTaskRequest,
  UndeleteTaskRequest,
  UpdateTaskRequest,
} from "@todo/gen/todo/task/v1/task_service_pb";
import { UPDATABLE_TASK_FIELDS, type UpdatableTaskField } from "@todo/language/task-fields";
import { canonicalTimeZone, type FieldViolation, type ServiceValidators } from "@todo/platform";
import { neverRepeatsProblem, rruleProblem } from "@todo/recurrence";

/** Limits of a task's fields. */
export const LIMITS = {
  title: 500,
  description: 10_000,
  tag: 64,
  tags: 20,
  reminders: 10,
  requestId: 100,
  query: 200,
  filter: 2000,
  orderBy: 200,
  pageSize: 1000,
  beforeDueMs: 366 * 24 * 3600 * 1000,
} as const;

/** The fields UpdateTask may change, by proto name (one list with the web editor's masks). */
export const UPDATABLE_FIELDS = UPDATABLE_TASK_FIELDS;
/** One updatable field. */
export type UpdatableField = UpdatableTaskField;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Earliest and latest instants accepted for timestamps: years 1900 to 9999. */
const MIN_MS = Date.UTC(1900, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** True when `id` has the shape of a server-assigned id. */
export function isId(id: string): boolean {
  return UUID.test(id);
}

const chars = (s: string) => [...s].length;

/** The tags as stored: trimmed, in the order given. */
export function normaliseTags(tags: readonly string[]): string[] {
  return tags.map((t) => t.trim());
}

function tagViolations(tags: readonly string[], path: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (tags.length > LIMITS.tags)
    out.push({ field: path, description: `at most ${LIMITS.tags} tags per task` });
  const seen = new Map<string, string>();
  tags.forEach((raw, i) => {
    const tag = raw.trim();
    const field = `${path}[${i}]`;
    if (tag === "") out.push({ field, description: "a tag must not be empty" });
    else if (chars(tag) > LIMITS.tag)
      out.push({ field, description: `a tag has at most ${LIMITS.tag} characters` });
    else if (/[,\p{Cc}]/u.test(tag))
      out.push({ field, description: "a tag must not contain commas or control characters" });
    const key = tag.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined && tag !== "") {
      out.push({ field, description: `"${tag}" repeats "${first}" (tags are compared ignoring case)` });
    } else seen.set(key, tag);
  });
  return out;
}

function timestampOk(ms: number): boolean {
  return Number.isFinite(ms) && ms >= MIN_MS && ms <= MAX_MS;
}

/**
 * Checks the named fields of `task` on their own (without looking at other fields). `prefix` is the
 * path of the task in the request, usually `task`.
 */
export function taskFieldViolations(
  task: Task,
  fields: ReadonlySet<UpdatableField>,
  prefix = "task",
): FieldViolation[] {
  const out: FieldViolation[] = [];
  const f = (name: string) => `${prefix}.${name}`;
  if (fields.has("title")) {
    const title = task.title.trim();
    if (title === "") out.push({ field: f("title"), description: "is required and must not be blank" });
    else if (chars(title) > LIMITS.title) {
      out.push({
        field: f("title"),
        description: `must be at most ${LIMITS.title} characters (got ${chars(title)})`,
      });
    }
  }
  if (fields.has("description") && chars(task.description) > LIMITS.description) {
    out.push({ field: f("description"), description: `must be at most ${LIMITS.description} characters` });
  }
  if (fields.has("priority") && !(task.priority in Priority)) {
    out.push({
      field: f("priority"),
      description: `${task.priority} is not a priority; use LOW, MEDIUM, HIGH or URGENT`,
    });
  }
  if (fields.has("tags")) out.push(...tagViolations(task.tags, f("tags")));
  if (fields.has("due_time") && task.dueTime && !timestampOk(timestampMs(task.dueTime))) {
    out.push({ field: f("due_time"), description: "must be between the years 1900 and 9999" });
  }
  if (fields.has("time_zone") && task.timeZone !== "" && !canonicalTimeZone(task.timeZone)) {
    out.push({
      field: f("time_zone"),
      description: `unknown IANA time zone ${JSON.stringify(task.timeZone)}; use a name such as "Europe/Berlin"`,
    });
  }
  if (fields.has("recurrence") && task.recurrence) {
    const problem = rruleProblem(task.recurrence.rrule);
    if (problem) out.push({ field: f("recurrence.rrule"), description: problem });
    if (!(task.recurrence.anchor in RecurrenceAnchor)) {
      out.push({ field: f("recurrence.anchor"), description: "must be SCHEDULE or COMPLETION" });
    }
  }
  if (fields.has("reminders")) {
    if (task.reminders.length > LIMITS.reminders) {
      out.push({ field: f("reminders"), description: `at most ${LIMITS.reminders} reminders per task` });
    }
    task.reminders.forEach((r, i) => {
      const path = f(`reminders[${i}]`);
      if (r.id !== "" && !isId(r.id))
        out.push({ field: `${path}.id`, description: "must be empty or an id the server gave" });
      if (r.trigger.case === "at") {
        if (!timestampOk(timestampMs(r.trigger.value))) {
          out.push({ field: `${path}.at`, description: "must be between the years 1900 and 9999" });
        }
      } else if (r.trigger.case === "beforeDue") {
        const ms = durationMs(r.trigger.value);
        if (!(ms >= 0 && ms <= LIMITS.beforeDueMs)) {
          out.push({ field: `${path}.before_due`, description: "must be between 0 and 366 days" });
        }
      } else {
        out.push({ field: path, description: "set either at or before_due" });
      }
    });
  }
  return out;
}

/**
 * Checks rules that tie fields together, on a complete task (after an update is applied). With
 * `checkRepeats` (the default; UpdateTask passes whether the rule, due time or zone changed), a
 * recurring task's rule must be able to repeat after its due time (`fitRecurrence` of `@todo/recurrence`).
 */
export function crossFieldViolations(task: Task, prefix = "task", checkRepeats = true): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (checkRepeats && task.dueTime && task.recurrence && task.recurrence.rrule !== "") {
    const problem = neverRepeatsProblem(
      task.recurrence.rrule,
      new Date(timestampMs(task.dueTime)),
      canonicalTimeZone(task.timeZone || "UTC") ?? "UTC",
    );
    if (problem) out.push({ field: `${prefix}.recurrence.rrule`, description: problem });
  }
  if (!task.dueTime) {
    if (task.recurrence) {
      out.push({
        field: `${prefix}.recurrence`,
        description: "a recurring task needs a due_time to start from",
      });
    }
    task.reminders.forEach((r, i) => {
      if (r.trigger.case === "beforeDue") {
        out.push({
          field: `${prefix}.reminders[${i}].before_due`,
          description: "a reminder relative to the due time needs the task to have a due_time",
        });
      }
    });
  }
  return out;
}

const ALL_FIELDS: ReadonlySet<UpdatableField> = new Set(UPDATABLE_FIELDS);

function idViolations(id: string, field = "id"): FieldViolation[] {
  return isId(id) ? [] : [{ field, description: `${JSON.stringify(id)} is not a task id` }];
}

/** The paths of an UpdateTask mask, or every updatable field when the mask is empty. */
export function maskFields(req: UpdateTaskRequest): {
  fields: Set<UpdatableField>;
  violations: FieldViolation[];
} {
  const paths = req.updateMask?.paths ?? [];
  if (paths.length === 0) return { fields: new Set(UPDATABLE_FIELDS), violations: [] };
  const fields = new Set<UpdatableField>();
  const violations: FieldViolation[] = [];
  for (const p of paths) {
    if ((UPDATABLE_FIELDS as readonly string[]).includes(p)) fields.add(p as UpdatableField);
    else {
      violations.push({
        field: "update_mask",
        description: `"${p}" cannot be updated; use any of ${UPDATABLE_FIELDS.join(", ")}`,
      });
    }
  }
  return { fields, violations };
}

/** The TaskService validators, by method. */
export const taskValidators: ServiceValidators = {
  CreateTask(message: Message) {
    const req = message as CreateTaskRequest;
    const out: FieldViolation[] = [];
    if (chars(req.requestId) > LIMITS.requestId) {
      out.push({ field: "request_id", description: `must be at most ${LIMITS.requestId} characters` });
    }
    if (req.seriesId !== "" && !isId(req.seriesId)) {
      out.push({ field: "series_id", description: `${JSON.stringify(req.seriesId)} is not a series id` });
    }
    if (req.task) {
      out.push(...taskFieldViolations(req.task, ALL_FIELDS));
      if (out.length === 0) out.push(...crossFieldViolations(req.task));
    }
    return out;
  },
  GetTask: (m) => idViolations((m as GetTaskRequest).id),
  DeleteTask: (m) => idViolations((m as DeleteTaskRequest).id),
  CompleteTask: (m) => idViolations((m as CompleteTaskRequest).id),
  ReopenTask: (m) => idViolations((m as ReopenTaskRequest).id),
  UndeleteTask: (m) => idViolations((m as UndeleteTaskRequest).id),
  ListTaskHistory(message: Message) {
    const req = message as ListTaskHistoryRequest;
    const out = idViolations(req.id);
    if (req.pageSize < 0 || req.pageSize > LIMITS.pageSize) {
      out.push({ field: "page_size", description: `must be between 0 and ${LIMITS.pageSize}` });
    }
    return out;
  },
  ListTasks(message: Message) {
    const req = message as ListTasksRequest;
    const out: FieldViolation[] = [];
    if (req.pageSize < 0 || req.pageSize > LIMITS.pageSize) {
      out.push({ field: "page_size", description: `must be between 0 and ${LIMITS.pageSize}` });
    }
    if (chars(req.query) > LIMITS.query)
      out.push({ field: "query", description: `at most ${LIMITS.query} characters` });
    if (chars(req.filter) > LIMITS.filter)
      out.push({ field: "filter", description: `at most ${LIMITS.filter} characters` });
    if (chars(req.orderBy) > LIMITS.orderBy) {
      out.push({ field: "order_by", description: `at most ${LIMITS.orderBy} characters` });
    }
    return out;
  },
  UpdateTask(message: Message) {
    const req = message as UpdateTaskRequest;
    if (!req.task) return [];
    const out = idViolations(req.task.id, "task.id");
    const { fields, violations } = maskFields(req);
    out.push(...violations, ...taskFieldViolations(req.task, fields));
    return out;
  },
};
