/**
 * The PostgreSQL adapter of the `JobScheduler` port (also the embedded mode's, on PGlite): jobs are
 * rows of `<schema>.jobs`, so they survive restarts, and jobs that came due while no scheduler ran
 * fire as soon as one starts.
 *
 * Firing, with any number of replicas on one table:
 * 1. **Claim**: one statement picks up to `batchSize` due rows (`run_time <= now()`, earliest first)
 *    with `FOR UPDATE SKIP LOCKED` — so replicas never pick the same row — and stamps them with this
 *    round's token and a lease (`claimed_until`). A replica that dies mid-round leaves its rows to be
 *    claimed again once the lease ends.
 * 2. **Prepare** (optional, outside any transaction): the handler's idempotent non-transactional step.
 * 3. **Fire**: one transaction deletes the claimed rows *still carrying this round's token* and runs
 *    the handler's `fire` for each, so its effects (an outbox row) commit together with the deletion,
 *    exactly once. A row rescheduled or cancelled since the claim no longer carries the token and is
 *    not fired in its old form. When a handler throws, the batch is redone with one savepoint per job,
 *    and only the failing jobs are put back, with `attempts + 1` and `run_time` pushed back
 *    exponentially. Nothing is ever lost, and nothing fires before `due_time`, which `run_time` never
 *    precedes.
 *
 * Waking: the loop (a lease worker, lease-worker.ts) keeps one timer for the earliest pending job
 * (read after every round), shortened by `wake(at)` hints and by NOTIFY on `<schema>_jobs` (sent by
 * `schedule`, carrying the due time, so other replicas re-arm without a query), and polls every
 * `pollIntervalMs` as a fallback. LISTEN/NOTIFY does not cross PGlite's socket; there `schedule` and
 * `wake` keep the timer right in-process. A round that fails as a whole (the database) is retried
 * after the lease worker's backoff (100 ms doubling to 10 s).
 *
 * The round itself (claim, prepare, fire, put back) is in jobs-postgres-round.ts, the metrics in
 * jobs-postgres-metrics.ts.
 */
import type { Sql, TxSql } from "./db";
import type { JobFireFunction, JobHandler, JobScheduler } from "./jobs";
import { jobMetrics } from "./jobs-postgres-metrics";
import { createJobRound, type JobRow } from "./jobs-postgres-round";
import { createLeaseWorker } from "./lease-worker";
import { createLogger, type Logger } from "./logger";
import { checkSchema, withSchemaLock } from "./migrate";
import { queueTableSettings } from "./queue-tables";
import { traceparentOf, tracingEnabled } from "./tracing";

const PREPARED = { prepare: true } as const;

/** The LISTEN/NOTIFY channel `schedule` notifies and schedulers listen on: `<schema>_jobs`. */
export function jobsChannel(schema: string): string {
  return `${checkSchema(schema)}_jobs`;
}

/**
 * Creates `<schema>.jobs` when missing. Call it right after the service's own `migrate`; it is
 * idempotent and takes the same advisory lock as `migrate`, so replicas starting together are safe.
 *
 * `name` uses the "C" collation so that `cancelPrefix`'s `LIKE 'prefix%'` can use the primary key.
 * `due_time` is when the job is meant to fire; `run_time` when it may next be tried (equal at first,
 * later after failures); claims scan `run_time` in index order. `traceparent` is the trace context
 * the job was scheduled in (tracing-jobs.ts), added to tables made before it existed. The table is a
 * queue and gets the queue-table autovacuum settings (queue-tables.ts).
 */
export async function ensureJobs(sql: Sql, schema: string): Promise<void> {
  await withSchemaLock(sql, schema, async (tx) => {
    await tx
      .unsafe(
        `create table if not exists ${schema}.jobs (
           name text collate "C" primary key,
           due_time timestamptz not null,
           run_time timestamptz not null,
           payload bytea not null,
           attempts integer not null default 0,
           last_error text,
           claim uuid,
           claimed_until timestamptz,
           update_time timestamptz not null default now(),
           traceparent text
         );
         alter table ${schema}.jobs add column if not exists traceparent text;
         create index if not exists jobs_run_time on ${schema}.jobs (run_time);
         create index if not exists jobs_claimed_until on ${schema}.jobs (claimed_until)
           where claimed_until is not null;
         ${queueTableSettings(`${schema}.jobs`)};`,
      )
      .simple();
  });
}

/** How a Postgres job scheduler runs. */
export interface PostgresJobSchedulerOptions {
  readonly sql: Sql;
  /** The schema holding `jobs` (created by `ensureJobs`). */
  readonly schema: string;
  /** LISTEN on `<schema>_jobs` (real PostgreSQL only; default true). Pass false for PGlite. */
  readonly listen?: boolean;
  /** The longest sleep without a look at the table; default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Jobs claimed per round; default 200. */
  readonly batchSize?: number;
  /**
   * How long a claim lasts (claim → prepare → commit must fit in it); jobs a crashed replica had
   * claimed wait this long before another takes them; default 30 s.
   */
  readonly leaseMs?: number;
  /** The wait before retrying a failed job, doubling per attempt up to the maximum; 500 ms and 60 s. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * Someone else keeps the time (the Dapr Jobs API, jobs-dapr.ts): the scheduler then keeps no timer
   * and does not poll — it fires due jobs only when woken without a time (`wake()`) or asked to
   * (`fireDue`). Default false.
   */
  readonly externalTimer?: boolean;
  readonly logger?: Logger;
}

/** The Postgres scheduler, plus a way to fire what is due right now. */
export interface PostgresJobScheduler extends JobScheduler {
  /**
   * Runs claim-prepare-fire rounds until nothing due is left and returns how many jobs were claimed.
   * Needs `start` first (it fires into the started handler). Rejects when the database does.
   */
  fireDue(): Promise<number>;
}

/** Escapes `%`, `_` and `\` for a LIKE pattern. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function toBytes(payload: Uint8Array | string): Buffer {
  return typeof payload === "string"
    ? Buffer.from(payload, "utf8")
    : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}

/** Creates a job scheduler on `<schema>.jobs`; it fires nothing until `start`. */
export function createPostgresJobScheduler(options: PostgresJobSchedulerOptions): PostgresJobScheduler {
  const { sql } = options;
  const schema = checkSchema(options.schema);
  const table = `${schema}.jobs`;
  const channel = jobsChannel(schema);
  const batchSize = options.batchSize ?? 200;
  const externalTimer = options.externalTimer ?? false;
  const log = options.logger ?? createLogger(`jobs.${schema}`);
  const metrics = jobMetrics();
  const jobRound = createJobRound({
    sql,
    table,
    batchSize,
    retry: { minMs: options.minBackoffMs ?? 500, maxMs: options.maxBackoffMs ?? 60_000 },
    metrics,
    log,
  });

  let handler: JobHandler | undefined;
  let stopped = false;
  const worker = createLeaseWorker<JobRow>({
    claim: jobRound.claim,
    handle: (rows, lease) => {
      if (!handler) throw new Error(`the job scheduler of ${schema} is not started`);
      return jobRound.fire(handler, rows, lease);
    },
    release: jobRound.release,
    batchSize,
    leaseMs: options.leaseMs ?? 30_000,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    nextWaitMs: jobRound.nextWaitMs,
    untilWoken: externalTimer,
    ...((options.listen ?? true) && !externalTimer
      ? {
          listen: {
            sql,
            channel,
            wakeAt: (payload: string) => (payload === "" ? undefined : new Date(Number(payload))),
          },
        }
      : {}),
    logger: log,
    roundFailedMessage: "job round failed",
  });
  const wake = (at?: Date) => worker.wake(at);
  let unobserve = () => {};

  return {
    async fireDue() {
      if (!handler) throw new Error(`the job scheduler of ${schema} is not started`);
      return worker.drain();
    },
    async schedule(tx, name, dueTime, payload) {
      if (Number.isNaN(dueTime.getTime())) throw new Error(`job ${name}: invalid due time`);
      const q: Pick<TxSql, "unsafe"> = tx ?? sql;
      // The trace the job belongs to: its `fire` span will be the child of the span scheduling it.
      const traceparent = tracingEnabled() ? (traceparentOf() ?? null) : null;
      // One round trip: the upsert, and a notification (sent at commit) carrying the due time.
      await q.unsafe(
        `with up as (
           insert into ${table} (name, due_time, run_time, payload, traceparent) values ($1, $2, $2, $3, $6)
           on conflict (name) do update set due_time = excluded.due_time, run_time = excluded.run_time,
             payload = excluded.payload, attempts = 0, last_error = null, claim = null, claimed_until = null,
             update_time = now(), traceparent = excluded.traceparent
           returning 1)
         select pg_notify($4, $5) from up`,
        [name, dueTime, toBytes(payload), channel, String(dueTime.getTime()), traceparent],
        PREPARED,
      );
      // Outside a transaction the job is visible now; inside one, a hint for a future time is safe
      // (the transaction will have committed by then) — for a past one the caller wakes after commit.
      if (tx === undefined || dueTime.getTime() > Date.now()) wake(dueTime);
    },

    async cancel(tx, name) {
      const q: Pick<TxSql, "unsafe"> = tx ?? sql;
      const result = await q.unsafe(`delete from ${table} where name = $1`, [name], PREPARED);
      return result.count > 0;
    },

    async cancelPrefix(tx, prefix) {
      const q: Pick<TxSql, "unsafe"> = tx ?? sql;
      const result = await q.unsafe(
        `delete from ${table} where name like $1 escape '\\'`,
        [likePrefix(prefix)],
        PREPARED,
      );
      return result.count;
    },

    start(h) {
      if (worker.started) throw new Error(`the job scheduler of ${schema} is already started`);
      if (stopped) throw new Error(`the job scheduler of ${schema} was stopped`);
      handler =
        typeof h === "function" ? { fire: (tx, job) => (h as JobFireFunction)(tx, job) } : (h as JobHandler);
      unobserve = metrics.observePending(sql, table, log);
      worker.start();
    },

    wake,

    async stop() {
      stopped = true;
      unobserve();
      await worker.stop();
    },
  };
}
