/**
 * The task service's data: `task.tasks` and its idempotency keys. Every statement is scoped by the
 * caller's user id, and every change writes its event to the outbox in the same transaction.
 */
import { etagOf, type TaskChange } from "@todo/events";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { migrate, notFound, type Sql, type TxSql } from "@todo/platform";
import { ensureOutbox, ensureProcessedEvents } from "@todo/platform/events";
import { embedMigrations } from "@todo/platform/migrations-embed" with { type: "macro" };
import { type CreateRequest, type CreateResult, createBatcher } from "./create-batch";
import { type ListQuery, type ListResult, listTasks } from "./list-tasks";
import { withdrawNextInstance } from "./next-instance-key";
import { emitTaskEvents } from "./task-events";
import { rowToTask, TASK_COLUMNS, type TaskRow, valueParams } from "./task-mapper";

/** A change to emit: its kind, the row after it and its `Task` (`rowToTask(row)`, mapped once). */
export interface TaskEmission {
  readonly change: TaskChange;
  readonly row: TaskRow;
  readonly task: Task;
  /** The fields an update changed. */
  readonly updateMask?: string[];
}

/**
 * Writes the events of changes inside their transaction, in order. Each `task` was mapped once by
 * the caller so the event and the caller's response share it.
 */
export type EmitTaskEvents = (tx: TxSql, changes: readonly TaskEmission[]) => Promise<void>;

/** The stored fields a create or update may set. */
export interface TaskValues {
  title: string;
  description: string;
  priority: number;
  tags: string[];
  due_time: Date | null;
  time_zone: string;
  rrule: string | null;
  recurrence_anchor: number;
  reminders: TaskRow["reminders"];
}

/** Applies the task migrations and creates the outbox and processed-event tables. */
export async function migrateTasks(sql: Sql): Promise<number[]> {
  const applied = await migrate(sql, "task", embedMigrations("services/task/migrations"));
  await ensureOutbox(sql, "task");
  await ensureProcessedEvents(sql, "task");
  return applied;
}

/** A stored history entry. */
export interface HistoryRow {
  event_id: string;
  change_time: Date;
  change: Uint8Array;
}

/** A written (or unchanged) task: its row and its `Task` message, mapped once for event and response. */
export interface Written {
  row: TaskRow;
  task: Task;
}

/** Result of a conditional write. */
export type WriteResult = Written | { missing: true } | { stale: TaskRow };

/** Result of a status change: a reopen may also withdraw the next instance (next-instance-key.ts). */
export type StatusResult = WriteResult | (Written & { withdrawn?: string });

/** Reads and writes the caller's tasks. */
export interface TaskStore {
  /** One page of the caller's tasks (list-tasks.ts). */
  list(q: ListQuery): Promise<ListResult>;
  /**
   * Creates a task; with a `requestId` seen before, returns the task that request created instead, or
   * `{ spent: true }` when that task has since been deleted. `seriesId` joins an existing series of
   * the user's (NOT_FOUND otherwise: another user's series, or an id that never was one).
   * `userZone`, when given, is recorded as the user's time zone (see `recordUserZone`).
   */
  create(
    userId: string,
    values: TaskValues,
    requestId: string,
    now: Date,
    seriesId?: string,
    userZone?: string,
  ): Promise<Written | { spent: true }>;
  /** A page of a task's history, newest first, after the given (change_time, event_id) cursor. */
  history(
    userId: string,
    taskId: string,
    pageSize: number,
    after?: { time: Date; eventId: string },
  ): Promise<HistoryRow[]>;
  get(userId: string, id: string): Promise<TaskRow | undefined>;
  /**
   * Loads the task for update, lets `change` compute the new values (or throw), and writes them.
   * `change` returns undefined when nothing changes. `userZone`, when given, is recorded as the
   * user's time zone (see `recordUserZone`).
   */
  update(
    userId: string,
    id: string,
    etag: string,
    change: (current: TaskRow) => { values: TaskValues; mask: string[] } | undefined,
    now: Date,
    userZone?: string,
  ): Promise<WriteResult>;
  delete(userId: string, id: string, etag: string): Promise<WriteResult>;
  /**
   * Completes or reopens a task; with a non-empty `etag`, only if it still matches. Reopening a
   * completed instance of a series withdraws the next instance its completion generated, in the
   * same transaction (`withdrawNextInstance`).
   */
  setStatus(userId: string, id: string, status: number, now: Date, etag?: string): Promise<StatusResult>;
  /**
   * Puts a deleted task back from its last snapshot (same id), with a new version and
   * `update_time = now`, emitting `created`; `{ exists: true }` when a task with that id exists.
   */
  restore(userId: string, snapshot: TaskRow, now: Date): Promise<Written | { exists: true }>;
}

const SELECT = `select ${TASK_COLUMNS} from task.tasks`;

/** A row with its message, for a write that emits no event. */
const written = (row: TaskRow): Written => ({ row, task: rowToTask(row) });

/**
 * Records each `timeZone` as its user's zone in `task.user_zones` (read by the daily digest,
 * digest.ts), inside the caller's transaction. One statement that writes only the zones that are new
 * or changed: an unchanged zone neither writes nor locks its row, so a user's concurrent writes do
 * not queue behind it. Issue it alongside the transaction's other statements (postgres.js pipelines
 * them) and it costs no extra round trip. One entry per user (the insert cannot touch a row twice).
 */
export function recordUserZones(
  tx: TxSql,
  zones: readonly { userId: string; timeZone: string }[],
  now: Date,
): Promise<unknown> {
  return tx`
    insert into task.user_zones (user_id, time_zone, update_time)
    select z.user_id, z.time_zone, ${now}
    from unnest(${zones.map((z) => z.userId)}::uuid[], ${zones.map((z) => z.timeZone)}::text[])
      as z(user_id, time_zone)
    where not exists (
      select 1 from task.user_zones u where u.user_id = z.user_id and u.time_zone = z.time_zone)
    on conflict (user_id) do update set time_zone = excluded.time_zone, update_time = excluded.update_time`;
}

/** `recordUserZones` of one user. */
export function recordUserZone(tx: TxSql, userId: string, timeZone: string, now: Date): Promise<unknown> {
  return recordUserZones(tx, [{ userId, timeZone }], now);
}

/**
 * Creates the store. Each change writes its events and history entry with `emit`
 * (`emitTaskEvents`; a test may pass another to observe or suppress them).
 */
export function createTaskStore(sql: Sql, emit: EmitTaskEvents = emitTaskEvents): TaskStore {
  const lockTask = async (tx: TxSql, userId: string, id: string) =>
    (await tx.unsafe<TaskRow[]>(`${SELECT} where id = $1 and user_id = $2 for update`, [id, userId]))[0];

  /**
   * Whether `seriesId` is a series of `userId`'s. A series id is always the id of a task the user
   * created (its first instance, or the task the scheduler continues), so it is known from that task,
   * or from its history once the task is deleted, or from another instance of the series.
   */
  const isSeriesOf = async (tx: TxSql, userId: string, seriesId: string) => {
    const [row] = await tx<{ known: boolean }[]>`
      select exists (select 1 from task.tasks where id = ${seriesId} and user_id = ${userId})
          or exists (select 1 from task.history where user_id = ${userId} and task_id = ${seriesId})
          or exists (select 1 from task.tasks where user_id = ${userId} and series_id = ${seriesId})
        as known`;
    return row?.known === true;
  };

  /** Maps `row` once, writes its event with that `Task`, and returns both. */
  const emitWritten = async (tx: TxSql, change: TaskChange, row: TaskRow, mask?: string[]) => {
    const task = rowToTask(row);
    await emit(tx, [{ change, row, task, updateMask: mask }]);
    return { row, task };
  };

  /** Creates one task in a transaction of its own (create-batch.ts batches the others). */
  const createOne = (req: CreateRequest, seriesId?: string) => {
    const { userId, values: v, requestId, now, userZone } = req;
    return sql.begin(async (tx): Promise<CreateResult> => {
      // Pipelined with the transaction's first statement: no extra round trip.
      const zoneWrite = userZone ? recordUserZone(tx, userId, userZone, now) : undefined;
      const [result] = await Promise.all([createIn(tx), zoneWrite]);
      return result;
    });

    async function createIn(tx: TxSql): Promise<CreateResult> {
      const id = Bun.randomUUIDv7();
      if (requestId !== "") {
        const claimed = await tx`
          insert into task.create_requests (user_id, request_id, task_id)
          values (${userId}, ${requestId}, ${id})
          on conflict do nothing
          returning task_id`;
        if (claimed.length === 0) {
          const [first] = await tx<{ task_id: string }[]>`
            select task_id from task.create_requests where user_id = ${userId} and request_id = ${requestId}`;
          const existing = first
            ? (
                await tx.unsafe<TaskRow[]>(`${SELECT} where id = $1 and user_id = $2`, [
                  first.task_id,
                  userId,
                ])
              )[0]
            : undefined;
          // The first task may have been deleted since: the key stays spent, so a retry (or the
          // scheduler re-creating a next occurrence) never brings it back.
          return existing ? written(existing) : { spent: true };
        }
      }
      if (seriesId && !(await isSeriesOf(tx, userId, seriesId))) throw notFound("series", seriesId);
      const [row] = await tx.unsafe<TaskRow[]>(
        `insert into task.tasks (id, user_id, title, description, status, priority, tags, tag_keys, due_time,
           time_zone, rrule, recurrence_anchor, reminders, series_id, create_time, update_time)
         values ($1, $2, $3, $4, 1, $5, $6::text[], $7::text[], $8, $9, $10, $11, $12::text::jsonb, $13, $14, $14)
         returning ${TASK_COLUMNS}`,
        [id, userId, ...valueParams(v), seriesId || (v.rrule ? id : null), now] as never[],
      );
      if (!row) throw new Error("insert returned no row");
      return emitWritten(tx, "created", row);
    }
  };
  const createBatched = createBatcher(sql, emit, (req) => createOne(req), recordUserZones);

  return {
    list: (q) => listTasks(sql, q),
    create(userId, values, requestId, now, seriesId, userZone) {
      const req = { userId, values, requestId, now, userZone };
      // Joining a series is checked in the create's own transaction: never batched.
      return seriesId ? createOne(req, seriesId) : createBatched(req);
    },

    async history(userId, taskId, pageSize, after) {
      return after
        ? sql<HistoryRow[]>`
            select event_id, change_time, change from task.history
            where user_id = ${userId} and task_id = ${taskId}
              and (change_time, event_id) < (${after.time}, ${after.eventId}::uuid)
            order by change_time desc, event_id desc limit ${pageSize}`
        : sql<HistoryRow[]>`
            select event_id, change_time, change from task.history
            where user_id = ${userId} and task_id = ${taskId}
            order by change_time desc, event_id desc limit ${pageSize}`;
    },

    async get(userId, id) {
      const rows = await sql.unsafe<TaskRow[]>(`${SELECT} where id = $1 and user_id = $2`, [id, userId]);
      return rows[0];
    },

    async update(userId, id, etag, change, now, userZone) {
      return sql.begin(async (tx): Promise<WriteResult> => {
        const zoneWrite = userZone ? recordUserZone(tx, userId, userZone, now) : undefined;
        const [result] = await Promise.all([updateIn(tx), zoneWrite]);
        return result;
      });

      async function updateIn(tx: TxSql): Promise<WriteResult> {
        const current = await lockTask(tx, userId, id);
        if (!current) return { missing: true };
        if (etag !== "" && etag !== etagOf(current.version)) return { stale: current };
        const next = change(current);
        if (!next) return written(current);
        const v = next.values;
        const [row] = await tx.unsafe<TaskRow[]>(
          `update task.tasks set title = $3, description = $4, priority = $5, tags = $6::text[],
             tag_keys = $7::text[], due_time = $8, time_zone = $9, rrule = $10, recurrence_anchor = $11,
             reminders = $12::text::jsonb, series_id = coalesce(series_id, case when $10::text is null then null else id end),
             update_time = $13, version = version + 1
           where id = $1 and user_id = $2
           returning ${TASK_COLUMNS}`,
          [id, userId, ...valueParams(v), now] as never[],
        );
        if (!row) throw new Error("update returned no row");
        return emitWritten(tx, "updated", row, next.mask);
      }
    },

    async delete(userId, id, etag) {
      return sql.begin(async (tx): Promise<WriteResult> => {
        const current = await lockTask(tx, userId, id);
        if (!current) return { missing: true };
        if (etag !== "" && etag !== etagOf(current.version)) return { stale: current };
        await tx`delete from task.tasks where id = ${id} and user_id = ${userId}`;
        return emitWritten(tx, "deleted", current);
      });
    },

    async setStatus(userId, id, status, now, etag = "") {
      return sql.begin(async (tx): Promise<StatusResult> => {
        const current = await lockTask(tx, userId, id);
        if (!current) return { missing: true };
        if (etag !== "" && etag !== etagOf(current.version)) return { stale: current };
        if (current.status === status) return written(current);
        const completing = status === 2;
        const [row] = await tx.unsafe<TaskRow[]>(
          `update task.tasks set status = $3, complete_time = $4, update_time = $5, version = version + 1
           where id = $1 and user_id = $2 returning ${TASK_COLUMNS}`,
          [id, userId, status, completing ? now : null, now],
        );
        if (!row) throw new Error("update returned no row");
        const done = await emitWritten(tx, completing ? "completed" : "reopened", row);
        const withdrawn = completing ? undefined : await withdrawNextInstance(tx, current, emit);
        return withdrawn ? { ...done, withdrawn } : done;
      });
    },

    async restore(userId, t, now) {
      return sql.begin(async (tx): Promise<Written | { exists: true }> => {
        const [row] = await tx.unsafe<TaskRow[]>(
          `insert into task.tasks (id, user_id, title, description, status, priority, tags, tag_keys, due_time,
             time_zone, rrule, recurrence_anchor, reminders, series_id, create_time, update_time, complete_time,
             version)
           values ($1, $2, $3, $4, $15, $5, $6::text[], $7::text[], $8, $9, $10, $11, $12::text::jsonb, $13,
             $16, $14, $17, $18)
           on conflict (id) do nothing
           returning ${TASK_COLUMNS}`,
          [
            t.id,
            userId,
            ...valueParams(t),
            t.series_id,
            now,
            t.status,
            t.create_time,
            t.complete_time,
            Number(t.version) + 1,
          ] as never[],
        );
        if (!row) return { exists: true };
        return emitWritten(tx, "created", row);
      });
    },
  };
}
