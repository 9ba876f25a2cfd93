/**
 * `todo.task.v1.TaskService`: the caller's tasks. Requests arrive validated (validation.ts); this
 * layer applies defaults, merges updates under their mask, enforces etags and maps store results to
 * precise codes. Another user's task is NOT_FOUND, exactly like a task that does not exist.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { etagOf } from "@todo/events";
import { ChangeType, TaskChangeSchema } from "@todo/gen/todo/task/v1/task_change_pb";
import { RecurrenceAnchor, type Task, TaskSchema, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { canonicalTimeZone, invalidArgument, notFound, type Principal, principalOf } from "@todo/platform";
import { fitRecurrence } from "@todo/recurrence";
import { FilterError } from "./filter";
import { CursorError, cursorTypes, type ListQuery, type ListResult } from "./list-tasks";
import { defaultOrder, parseOrderBy } from "./order-by";
import { decodePageToken, encodePageToken, paramsHash } from "./page-token";
import { searchTerms } from "./search-query";
import type { TaskStore, TaskValues, WriteResult, Written } from "./store";
import { rowToTask, type StoredReminder, storeReminder, type TaskRow, taskToRow } from "./task-mapper";
import { crossFieldViolations, isId, maskFields, normaliseTags, type UpdatableField } from "./validation";
import type { WatchHub } from "./watch-hub";

/** What the service needs. */
export interface TaskServiceDeps {
  readonly store: TaskStore;
  /** The current time (injectable for tests). */
  readonly clock?: () => Date;
  /** Called after every committed write, to wake the outbox relay at once instead of at its next poll. */
  readonly afterCommit?: () => void;
  /** Where WatchTasks streams get their changes. */
  readonly hub: WatchHub;
}

const DEFAULT_PAGE_SIZE = 50;

/** The stored values of a validated task message; `timeZone` is the fallback zone. */
function valuesOf(task: Task, timeZone: string, keep: readonly StoredReminder[] = []): TaskValues {
  const known = new Set(keep.map((r) => r.id));
  return {
    title: task.title.trim(),
    description: task.description,
    priority: task.priority,
    tags: normaliseTags(task.tags),
    due_time: task.dueTime ? timestampDate(task.dueTime) : null,
    time_zone: canonicalZone(task.timeZone.trim() === "" ? timeZone : task.timeZone.trim()),
    rrule: task.recurrence ? task.recurrence.rrule.toUpperCase() : null,
    recurrence_anchor: task.recurrence
      ? task.recurrence.anchor || RecurrenceAnchor.SCHEDULE
      : RecurrenceAnchor.UNSPECIFIED,
    reminders: task.reminders.map((r) => storeReminder(r, known.has(r.id) ? r.id : Bun.randomUUIDv7())),
  };
}

/**
 * `values` with a recurring task's due time moved to its rule's first occurrence at or after it,
 * in its zone (`fitRecurrence` of `@todo/recurrence`): a Thursday due time of "monthly on the last Friday" becomes the
 * last Friday. A due time that fits is kept as it is, to the millisecond. When that first
 * occurrence falls in a DST gap, the rule gets its time of day spelled out (`RecurrenceFit`).
 */
function fitted(values: TaskValues): TaskValues {
  if (!values.rrule || values.due_time === null) return values;
  const fit = fitRecurrence(values.rrule, values.due_time, values.time_zone);
  if ("problem" in fit) throw invalidArgument({ field: "task.recurrence.rrule", description: fit.problem });
  if (fit.first.getTime() === values.due_time.getTime() && fit.rrule === values.rrule) return values;
  return { ...values, due_time: fit.first, rrule: fit.rrule };
}

/** The zone's canonical spelling (cached by the platform: building a formatter per call cost 5 % of a create's CPU). */
function canonicalZone(zone: string): string {
  return canonicalTimeZone(zone) ?? zone;
}

/**
 * The zone to record as the caller's own (task.user_zones, for the daily digest): the `tz` of a
 * user's own sign-in. A principal without an e-mail is a service acting for the user (the scheduler
 * creating the next instance of a recurring task carries that task's zone), so it records nothing.
 */
function ownZone(user: Principal): string | undefined {
  return user.email !== "" && user.timeZone !== "" ? user.timeZone : undefined;
}

/** Copies one updatable field from `from` to `to`. */
function copyField(from: Task, to: Task, field: UpdatableField): void {
  switch (field) {
    case "title":
      to.title = from.title;
      break;
    case "description":
      to.description = from.description;
      break;
    case "priority":
      to.priority = from.priority;
      break;
    case "tags":
      to.tags = from.tags;
      break;
    case "due_time":
      to.dueTime = from.dueTime;
      break;
    case "time_zone":
      to.timeZone = from.timeZone;
      break;
    case "recurrence":
      to.recurrence = from.recurrence;
      break;
    case "reminders":
      to.reminders = from.reminders;
      break;
  }
}

/** The row's values as TaskValues, for comparing and merging. */
function rowValues(row: TaskRow): TaskValues {
  return {
    title: row.title,
    description: row.description,
    priority: row.priority,
    tags: row.tags,
    due_time: row.due_time,
    time_zone: row.time_zone,
    rrule: row.rrule,
    recurrence_anchor: row.recurrence_anchor,
    reminders: row.reminders,
  };
}

const COLUMN_OF: Record<UpdatableField, readonly (keyof TaskValues)[]> = {
  title: ["title"],
  description: ["description"],
  priority: ["priority"],
  tags: ["tags"],
  due_time: ["due_time"],
  time_zone: ["time_zone"],
  recurrence: ["rrule", "recurrence_anchor"],
  reminders: ["reminders"],
};

/** Reminders as comparable tuples (jsonb does not keep key order). */
const reminderKey = (rs: readonly StoredReminder[]) =>
  JSON.stringify(rs.map((r) => [r.id, r.at ?? null, r.before_due_ms ?? null]));

function same(col: keyof TaskValues, a: TaskValues, b: TaskValues): boolean {
  const x = a[col];
  const y = b[col];
  if (col === "reminders") return reminderKey(a.reminders) === reminderKey(b.reminders);
  if (x instanceof Date || y instanceof Date)
    return (x as Date | null)?.getTime() === (y as Date | null)?.getTime();
  return JSON.stringify(x) === JSON.stringify(y);
}

function unwrap(result: WriteResult, id: string): Written {
  if ("missing" in result) throw notFound("task", id);
  if ("stale" in result) {
    throw new ConnectError(
      `the task changed since you read it (etag ${etagOf(result.stale.version)}); read it again and retry`,
      Code.Aborted,
    );
  }
  return result;
}

/** The answer to undeleting a task that is not deleted. */
function alreadyThere(id: string): ConnectError {
  return new ConnectError(`task ${id} exists; only a deleted task can be undeleted`, Code.AlreadyExists);
}

/** The cursor of a ListTaskHistory token, if it is one for task `id`. */
function decodeHistoryToken(token: string, id: string): { time: Date; eventId: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 3 || value[0] !== id) return undefined;
    const [, time, eventId] = value as unknown[];
    if (typeof time !== "string" || typeof eventId !== "string" || !isId(eventId)) return undefined;
    const date = new Date(time);
    return Number.isNaN(date.getTime()) ? undefined : { time: date, eventId };
  } catch {
    return undefined;
  }
}

/** Creates the TaskService implementation. */
export function createTaskService(deps: TaskServiceDeps): ServiceImpl<typeof TaskService> {
  const clock = deps.clock ?? (() => new Date());
  const afterCommit = deps.afterCommit ?? (() => {});
  const store: TaskStore = {
    ...deps.store,
    create: (...args) => deps.store.create(...args).finally(afterCommit),
    update: (...args) => deps.store.update(...args).finally(afterCommit),
    delete: (...args) => deps.store.delete(...args).finally(afterCommit),
    setStatus: (...args) => deps.store.setStatus(...args).finally(afterCommit),
    restore: (...args) => deps.store.restore(...args).finally(afterCommit),
  };
  return {
    async createTask(req, ctx) {
      const user = principalOf(ctx);
      const task = req.task as Task; // REQUIRED, checked by the validation layer
      const created = await store.create(
        user.userId,
        fitted(valuesOf(task, user.timeZone)),
        req.requestId,
        clock(),
        req.seriesId,
        ownZone(user),
      );
      if ("spent" in created) {
        throw new ConnectError(
          "request_id was already used for a task that has since been deleted",
          Code.AlreadyExists,
        );
      }
      return { task: created.task };
    },

    async getTask(req, ctx) {
      const user = principalOf(ctx);
      const row = await store.get(user.userId, req.id);
      if (!row) throw notFound("task", req.id);
      return { task: rowToTask(row) };
    },

    async listTasks(req, ctx) {
      const user = principalOf(ctx);
      const terms = searchTerms(req.query);
      const parsed = req.orderBy.trim() === "" ? defaultOrder(terms.length > 0) : parseOrderBy(req.orderBy);
      if (!Array.isArray(parsed)) throw invalidArgument(parsed);
      const order = parsed;
      const hash = paramsHash([user.userId, req.filter, req.orderBy, terms.join(" ")]);
      let cursor: ListQuery["cursor"];
      if (req.pageToken !== "") {
        const decoded = decodePageToken(req.pageToken, hash, cursorTypes(order));
        if (decoded === "malformed") {
          throw invalidArgument({
            field: "page_token",
            description: "is not a token from a previous ListTasks call",
          });
        }
        if (decoded === "mismatch") {
          throw invalidArgument({
            field: "page_token",
            description: "belongs to a different filter, order_by or query; start again without a page_token",
          });
        }
        cursor = decoded;
      }
      const now = cursor?.now ?? clock();
      let result: ListResult;
      try {
        result = await store.list({
          userId: user.userId,
          timeZone: user.timeZone,
          filter: req.filter,
          order,
          terms,
          pageSize: req.pageSize === 0 ? DEFAULT_PAGE_SIZE : req.pageSize,
          cursor,
          now,
        });
      } catch (err) {
        if (err instanceof FilterError) {
          throw invalidArgument({ field: "filter", description: err.message });
        }
        if (err instanceof CursorError) {
          throw invalidArgument({
            field: "page_token",
            description: "is not a token from a previous ListTasks call",
          });
        }
        throw err;
      }
      return {
        tasks: result.rows.map(rowToTask),
        nextPageToken: result.nextValues ? encodePageToken(hash, { values: result.nextValues, now }) : "",
        totalSize: result.total,
        totalSizeCapped: result.totalCapped,
      };
    },

    async updateTask(req, ctx) {
      const user = principalOf(ctx);
      const patch = req.task as Task;
      const { fields } = maskFields(req);
      const result = await store.update(
        user.userId,
        patch.id,
        patch.etag,
        (current) => {
          const before = rowValues(current);
          // Only masked fields are read from the request: the others may hold anything.
          const masked = create(TaskSchema, { timeZone: current.time_zone });
          for (const field of fields) copyField(patch, masked, field);
          const incoming = valuesOf(masked, user.timeZone, current.reminders);
          let merged: TaskValues = { ...before };
          for (const field of fields) {
            for (const col of COLUMN_OF[field])
              (merged as unknown as Record<string, unknown>)[col] = incoming[col];
          }
          const ruleMoved = (["rrule", "due_time", "time_zone"] as const).some(
            (c) => !same(c, before, merged),
          );
          const problems = crossFieldViolations(rowToTask({ ...current, ...merged }), "task", ruleMoved);
          if (problems.length > 0) throw invalidArgument(problems);
          // A new rule, due time or zone: the due time moves to the rule's first occurrence.
          if (ruleMoved) merged = fitted(merged);
          const mask = (Object.keys(COLUMN_OF) as UpdatableField[]).filter((f) =>
            COLUMN_OF[f].some((col) => !same(col, before, merged)),
          );
          return mask.length === 0 ? undefined : { values: merged, mask };
        },
        clock(),
        ownZone(user),
      );
      return { task: unwrap(result, patch.id).task };
    },

    async deleteTask(req, ctx) {
      const user = principalOf(ctx);
      unwrap(await store.delete(user.userId, req.id, req.etag), req.id);
      return {};
    },

    async undeleteTask(req, ctx) {
      const user = principalOf(ctx);
      if (await store.get(user.userId, req.id)) throw alreadyThere(req.id);
      const [last] = await store.history(user.userId, req.id, 1);
      const change = last ? fromBinary(TaskChangeSchema, last.change) : undefined;
      if (!change?.task || change.type !== ChangeType.DELETED) {
        throw new ConnectError(`task ${req.id} has not been deleted`, Code.NotFound);
      }
      const result = await store.restore(user.userId, taskToRow(change.task, user.userId), clock());
      if ("exists" in result) throw alreadyThere(req.id);
      return { task: result.task };
    },

    async completeTask(req, ctx) {
      const user = principalOf(ctx);
      const result = await store.setStatus(user.userId, req.id, TaskStatus.COMPLETED, clock(), req.etag);
      return { task: unwrap(result, req.id).task };
    },

    async *watchTasks(_req, ctx) {
      const user = principalOf(ctx);
      const changes = deps.hub.watch(user.userId, ctx.signal);
      // An empty first message sends the response headers at once: the client knows it is live.
      yield {};
      for await (const change of changes) {
        yield change ? { change } : {};
      }
    },

    async listTaskHistory(req, ctx) {
      const user = principalOf(ctx);
      const pageSize = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : req.pageSize;
      let after: { time: Date; eventId: string } | undefined;
      if (req.pageToken !== "") {
        after = decodeHistoryToken(req.pageToken, req.id);
        if (!after) {
          throw invalidArgument({
            field: "page_token",
            description: "is not a token from a previous ListTaskHistory call",
          });
        }
      }
      const rows = await store.history(user.userId, req.id, pageSize + 1, after);
      if (rows.length === 0 && !after) throw notFound("task", req.id);
      const page = rows.slice(0, pageSize);
      const last = page[page.length - 1];
      return {
        changes: page.map((r) => fromBinary(TaskChangeSchema, r.change)),
        nextPageToken:
          rows.length > pageSize && last
            ? Buffer.from(JSON.stringify([req.id, last.change_time.toISOString(), last.event_id])).toString(
                "base64url",
              )
            : "",
      };
    },

    async reopenTask(req, ctx) {
      const user = principalOf(ctx);
      const result = await store.setStatus(user.userId, req.id, TaskStatus.OPEN, clock(), req.etag);
      const withdrawn = "withdrawn" in result ? (result.withdrawn ?? "") : "";
      return { task: unwrap(result, req.id).task, withdrawnTaskId: withdrawn };
    },
  };
}
