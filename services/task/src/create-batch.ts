/**
 * Group commit for CreateTask. Creates that arrive while others are being written wait and are then
 * written together, in one transaction of a fixed handful of statements — the idempotency keys and
 * the users' zones, one multi-row insert of the tasks, their outbox rows and history — instead of one
 * transaction of five or six statements each. A create that finds nothing in flight is written at
 * once, alone, so a quiet server adds no latency; under load the batches grow by themselves.
 *
 * What a batch does not change: each create still gets its own id, row, events and history entry,
 * and its own answer. A request id already used (by an earlier call or by another create of the same
 * batch) is left to the one-by-one path after the batch commits, which returns the first task. When
 * PostgreSQL refuses the batch's transaction, every create in it is retried alone, so a bad one fails
 * by itself; when the connection fails, every create gets that error.
 *
 * Lock order: rows are written sorted by user (then request id), and the search-word trigger writes
 * a row's words in sorted order, so two batches never wait on each other in opposite orders.
 */
import type { Sql, TxSql } from "@todo/platform";
import type { EmitTaskEvents, TaskValues, Written } from "./store";
import { rowToTask, TASK_COLUMNS, type TaskRow, valueParams } from "./task-mapper";

/** One create, as the store was asked for it. */
export interface CreateRequest {
  readonly userId: string;
  readonly values: TaskValues;
  readonly requestId: string;
  readonly now: Date;
  readonly userZone?: string;
}

/** The result of a create (store.ts `TaskStore.create`). */
export type CreateResult = Written | { spent: true };

/** How creates are batched. */
export interface CreateBatchOptions {
  /** The most creates in one transaction; default 100. */
  readonly maxBatch?: number;
  /** Transactions of batches in flight at once; default 4 (the rest wait and join the next batch). */
  readonly maxInFlight?: number;
}

interface Waiting extends CreateRequest {
  readonly id: string;
  resolve(result: CreateResult): void;
  reject(err: unknown): void;
}

/**
 * Batches the creates given to the returned function: `one` writes a create on its own (the store's
 * transaction for one task), used for a create alone, for a reused request id and after a failed
 * batch; `writeZones` records users' zones inside a transaction (store.ts `recordUserZones`).
 */
export function createBatcher(
  sql: Sql,
  emit: EmitTaskEvents,
  one: (req: CreateRequest) => Promise<CreateResult>,
  writeZones: (
    tx: TxSql,
    zones: readonly { userId: string; timeZone: string }[],
    now: Date,
  ) => Promise<unknown>,
  options: CreateBatchOptions = {},
): (req: CreateRequest) => Promise<CreateResult> {
  const maxBatch = Math.max(1, options.maxBatch ?? 100);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  const queue: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const settle = (w: Waiting, result: Promise<CreateResult>) => result.then(w.resolve, w.reject);

  const run = async (batch: Waiting[]) => {
    if (batch.length === 1) return settle(batch[0] as Waiting, one(batch[0] as Waiting));
    let written: Map<string, Written>;
    try {
      written = await sql.begin((tx) => writeBatch(tx, batch));
    } catch (err) {
      // PostgreSQL refused a statement, so the transaction rolled back: one create may have sunk the
      // rest, so each goes on its own and only the culprit fails. Any other failure (the connection
      // lost, perhaps after COMMIT was sent) leaves the outcome unknown: writing the creates again
      // could write them twice, so each caller gets the error, as a create of its own would.
      if (!refusedByServer(err)) {
        for (const w of batch) w.reject(err);
        return;
      }
      await Promise.all(batch.map((w) => settle(w, one(w))));
      return;
    }
    await Promise.all(
      batch.map((w) => {
        const done = written.get(w.id);
        // Its request id was taken: the one-by-one path answers with the task that took it.
        return done ? w.resolve(done) : settle(w, one(w));
      }),
    );
  };

  const pump = () => {
    scheduled = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      inFlight++;
      run(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  const writeBatch = async (tx: TxSql, batch: readonly Waiting[]): Promise<Map<string, Written>> => {
    const sorted = [...batch].sort(
      (a, b) => compare(a.userId, b.userId) || compare(a.requestId, b.requestId),
    );
    const zones = new Map<string, string>();
    for (const w of sorted) if (w.userZone) zones.set(w.userId, w.userZone);
    const now = new Date(Math.max(...sorted.map((w) => w.now.getTime())));
    const keyed = sorted.filter((w) => w.requestId !== "");
    // Issued together: postgres.js pipelines them in one round trip.
    const [claimed] = await Promise.all([
      keyed.length === 0
        ? []
        : tx<{ task_id: string }[]>`
            insert into task.create_requests ${tx(
              keyed.map((w) => ({ user_id: w.userId, request_id: w.requestId, task_id: w.id })) as never,
              "user_id",
              "request_id",
              "task_id",
            )}
            on conflict do nothing
            returning task_id`,
      zones.size === 0
        ? undefined
        : writeZones(
            tx,
            [...zones].map(([userId, timeZone]) => ({ userId, timeZone })),
            now,
          ),
    ]);
    const taken = new Set(claimed.map((r) => r.task_id));
    const fresh = sorted.filter((w) => w.requestId === "" || taken.has(w.id));
    const written = new Map<string, Written>();
    if (fresh.length === 0) return written;
    const rows = await tx.unsafe<TaskRow[]>(
      insertStatement(fresh.length),
      fresh.flatMap(insertParams) as never[],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const emissions = fresh.map((w) => {
      const row = byId.get(w.id);
      if (!row) throw new Error(`the insert returned no row for task ${w.id}`);
      const task = rowToTask(row);
      written.set(w.id, { row, task });
      return { change: "created" as const, row, task };
    });
    await emit(tx, emissions);
    return written;
  };

  return (req) =>
    new Promise<CreateResult>((resolve, reject) => {
      queue.push({ ...req, id: Bun.randomUUIDv7(), resolve, reject });
      // Gather what arrives in the same tick before deciding what goes together.
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(pump);
      }
    });
}

/** Whether PostgreSQL itself answered `err` (postgres.js's `PostgresError`): the transaction was rolled back. */
const refusedByServer = (err: unknown) => err instanceof Error && err.name === "PostgresError";

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Parameters per task in `insertStatement`. */
const PARAMS_PER_ROW = 14;

/** The parameters of one task in `insertStatement`, in column order. */
function insertParams(w: Waiting): unknown[] {
  return [w.id, w.userId, ...valueParams(w.values), w.values.rrule ? w.id : null, w.now];
}

const insertStatements = new Map<number, string>();

/** The insert of `count` tasks (one text per count, so each is prepared once per connection). */
function insertStatement(count: number): string {
  let text = insertStatements.get(count);
  if (text) return text;
  const rows = Array.from({ length: count }, (_, r) => {
    const p = (n: number) => `$${r * PARAMS_PER_ROW + n}`;
    return (
      `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, 1, ${p(5)}, ${p(6)}::text[], ${p(7)}::text[], ${p(8)}, ` +
      `${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}::text::jsonb, ${p(13)}, ${p(14)}, ${p(14)})`
    );
  });
  text = `insert into task.tasks (id, user_id, title, description, status, priority, tags, tag_keys, due_time,
       time_zone, rrule, recurrence_anchor, reminders, series_id, create_time, update_time)
     values ${rows.join(",\n       ")}
     returning ${TASK_COLUMNS}`;
  insertStatements.set(count, text);
  return text;
}
