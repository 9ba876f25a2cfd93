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
 * Waking: the loop keeps one timer for the earliest pending job (read after every round), shortened
 * by `wake(at)` hints and by NOTIFY on `<schema>_jobs` (sent by `schedule`, carrying the due time, so
 * other replicas re-arm without a query), and polls every `pollIntervalMs` as a fallback. LISTEN/NOTIFY
 * does not cross PGlite's socket; there `schedule` and `wake` keep the timer right in-process.
 */
import type { Sql, TxSql } from "./db";
import type { Job, JobFireFunction, JobHandler, JobScheduler } from "./jobs";
import { createLogger, type Logger } from "./logger";
import { jobKind, MetricAttributes } from "./metric-names";
import { platformInstruments } from "./metrics-instruments";
import { observeRefreshing } from "./metrics-refresh";
import { checkSchema, withSchemaLock } from "./migrate";
import { queueTableSettings } from "./queue-tables";
import { traceparentOf, tracingEnabled } from "./tracing";
import { type JobSpans, startJobSpans } from "./tracing-jobs";

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

interface JobRow {
  name: string;
  due_time: Date;
  run_time: Date;
  payload: Uint8Array;
  attempts: number;
  traceparent: string | null;
}

interface Ready {
  readonly job: Job;
  readonly prepared: unknown;
}

interface Failure {
  readonly job: Job;
  readonly error: string;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
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
  const pollMs = options.pollIntervalMs ?? 1000;
  const batchSize = options.batchSize ?? 200;
  const leaseMs = options.leaseMs ?? 30_000;
  const minBackoff = options.minBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const log = options.logger ?? createLogger(`jobs.${schema}`);

  let running: Promise<void> | undefined;
  let stopped = false;
  let unlisten: (() => Promise<void>) | undefined;

  // The sleep between rounds: a timer to `deadline`, cut short by `wake`.
  let wakeNow = false;
  let hintAt: number | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let resume: (() => void) | undefined;

  const endPause = () => {
    clearTimeout(timer);
    timer = undefined;
    const r = resume;
    resume = undefined;
    r?.();
  };
  const arm = (at: number) => {
    deadline = at;
    clearTimeout(timer);
    // No timer at all for "until woken" (setTimeout would take Infinity as 1 ms).
    if (Number.isFinite(at))
      timer = setTimeout(endPause, Math.min(2 ** 31 - 1, Math.max(0, at - Date.now())));
  };
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped || wakeNow) return resolve();
      resume = resolve;
      arm(Math.min(Date.now() + ms, hintAt ?? Number.POSITIVE_INFINITY));
    });

  const externalTimer = options.externalTimer ?? false;
  const wake = (at?: Date) => {
    const t = at?.getTime();
    if (t === undefined || Number.isNaN(t) || t <= Date.now()) {
      wakeNow = true;
      endPause();
      return;
    }
    if (externalTimer) return;
    if (hintAt === undefined || t < hintAt) hintAt = t;
    if (resume && t < deadline) arm(t);
  };

  const claim = (token: string) =>
    sql.unsafe<JobRow[]>(
      `with due as (
         select name from ${table}
         where run_time <= now() and (claimed_until is null or claimed_until < now())
         order by run_time
         limit $1
         for update skip locked)
       update ${table} j set claim = $2, claimed_until = now() + $3 * interval '1 millisecond'
       from due where j.name = due.name
       returning j.name, j.due_time, j.run_time, j.payload, j.attempts, j.traceparent`,
      [batchSize, token, leaseMs],
      PREPARED,
    );

  /** Milliseconds until the earliest job (or expired claim) can be claimed; undefined when none. */
  const nextWait = async (): Promise<number | undefined> => {
    const [row] = await sql.unsafe<{ wait_ms: number | null }[]>(
      `select ceil(extract(epoch from (least(
           (select run_time from ${table} where claimed_until is null order by run_time limit 1),
           (select min(claimed_until) from ${table} where claimed_until is not null)
         ) - clock_timestamp())) * 1000)::float8 as wait_ms`,
      [],
      PREPARED,
    );
    return row?.wait_ms ?? undefined;
  };

  const deleteClaimed = (tx: TxSql, token: string, names: string[]) =>
    tx.unsafe<{ name: string }[]>(
      `delete from ${table} where claim = $1 and name = any($2::text[]) returning name`,
      [token, names],
      PREPARED,
    );

  const inst = platformInstruments();
  const kindAttributes = new Map<string, { [MetricAttributes.jobKind]: string }>();
  const kindOf = (name: string) => {
    const kind = jobKind(name);
    let attrs = kindAttributes.get(kind);
    if (!attrs) {
      attrs = { [MetricAttributes.jobKind]: kind };
      kindAttributes.set(kind, attrs);
    }
    return attrs;
  };

  const notifyCommitted = (h: JobHandler, fired: Job[]) => {
    if (inst && fired.length > 0) {
      // Fired − due: the firing transaction has just committed.
      const now = Date.now();
      for (const job of fired) {
        inst.jobLateness.record(Math.max(0, now - job.dueTime.getTime()) / 1000, kindOf(job.name));
      }
    }
    if (fired.length === 0 || !h.committed) return;
    try {
      h.committed(fired);
    } catch (err) {
      log.warn("the committed hook of a job handler threw", { err });
    }
  };

  /** Fires the whole batch in one transaction; throws (committing nothing) if any job fails. */
  const fireBatch = async (h: JobHandler, token: string, ready: Ready[], spans: JobSpans | undefined) => {
    const fired: Job[] = [];
    await sql.begin(async (tx) => {
      const names = ready.map((r) => r.job.name);
      const gone = new Set((await deleteClaimed(tx, token, names)).map((r) => r.name));
      const firing = ready.filter((r) => gone.has(r.job.name));
      // Started together, the handlers' queries are pipelined on the transaction's connection.
      const results = await Promise.allSettled(
        firing.map((r) =>
          spans ? spans.run(r.job, () => h.fire(tx, r.job, r.prepared)) : h.fire(tx, r.job, r.prepared),
        ),
      );
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      fired.push(...firing.map((r) => r.job));
    });
    notifyCommitted(h, fired);
  };

  /** Fires each job under its own savepoint; returns the ones that failed. */
  const fireEach = async (
    h: JobHandler,
    token: string,
    ready: Ready[],
    spans: JobSpans | undefined,
  ): Promise<Failure[]> => {
    const failures: Failure[] = [];
    const fired: Job[] = [];
    await sql.begin(async (tx) => {
      for (const r of ready) {
        try {
          await tx.savepoint(async (sp) => {
            const gone = await deleteClaimed(sp, token, [r.job.name]);
            if (gone.length === 0) return;
            if (spans) await spans.run(r.job, () => h.fire(sp, r.job, r.prepared));
            else await h.fire(sp, r.job, r.prepared);
            fired.push(r.job);
          });
        } catch (err) {
          spans?.fail(r.job, err);
          failures.push({ job: r.job, error: errorText(err) });
        }
      }
    });
    notifyCommitted(h, fired);
    return failures;
  };

  /** Puts failed jobs back for a later attempt, each after its own backoff. */
  const putBack = async (token: string, failures: Failure[]) => {
    for (const f of failures) {
      inst?.jobFailures.add(1, kindOf(f.job.name));
      log.warn("job failed; it will be retried", {
        job: f.job.name,
        attempts: f.job.attempts + 1,
        err: f.error,
      });
    }
    await sql.unsafe(
      `update ${table} j set attempts = j.attempts + 1, last_error = f.error,
         run_time = greatest(j.due_time,
           now() + least($3::float8, $2::float8 * power(2, least(j.attempts, 30))) * interval '1 millisecond'),
         claim = null, claimed_until = null, update_time = now()
       from unnest($4::text[], $5::text[]) as f(name, error)
       where j.name = f.name and j.claim = $1`,
      [token, minBackoff, maxBackoff, failures.map((f) => f.job.name), failures.map((f) => f.error)],
      PREPARED,
    );
  };

  /** Releases whatever this round still holds (after an unexpected error), so nobody waits a lease. */
  const release = (token: string) =>
    sql
      .unsafe(`update ${table} set claim = null, claimed_until = null where claim = $1`, [token], PREPARED)
      .catch(() => {});

  /** One claim-prepare-fire round; returns how many jobs it claimed. */
  const round = async (h: JobHandler): Promise<number> => {
    const token = crypto.randomUUID();
    const rows = await claim(token);
    if (rows.length === 0) return 0;
    let spans: JobSpans | undefined;
    try {
      rows.sort((a, b) => a.run_time.getTime() - b.run_time.getTime());
      const jobs: Job[] = rows.map((r) => ({
        name: r.name,
        dueTime: r.due_time,
        payload: new Uint8Array(r.payload),
        attempts: r.attempts,
        ...(r.traceparent ? { traceparent: r.traceparent } : {}),
      }));
      spans = startJobSpans(jobs);
      const failures: Failure[] = [];
      const ready: Ready[] = [];
      for (const job of jobs) {
        const prepare = h.prepare?.bind(h);
        if (!prepare) {
          ready.push({ job, prepared: undefined });
          continue;
        }
        try {
          ready.push({ job, prepared: await (spans ? spans.run(job, () => prepare(job)) : prepare(job)) });
        } catch (err) {
          spans?.fail(job, err);
          failures.push({ job, error: errorText(err) });
        }
      }
      if (ready.length > 0) {
        try {
          await fireBatch(h, token, ready, spans);
        } catch {
          failures.push(...(await fireEach(h, token, ready, spans)));
        }
      }
      if (failures.length > 0) await putBack(token, failures);
    } catch (err) {
      spans?.failAll(err);
      await release(token);
      throw err;
    } finally {
      spans?.end();
    }
    return rows.length;
  };

  const loop = async (h: JobHandler) => {
    let backoff = 0;
    while (!stopped) {
      wakeNow = false;
      if (hintAt !== undefined && hintAt <= Date.now()) hintAt = undefined;
      let claimed: number;
      try {
        claimed = await round(h);
        backoff = 0;
      } catch (err) {
        if (stopped) break;
        log.error("job round failed", { err });
        backoff = backoff === 0 ? 100 : Math.min(10_000, backoff * 2);
        await pause(backoff);
        continue;
      }
      if (stopped) break;
      if (claimed >= batchSize) continue;
      if (externalTimer) {
        await pause(Number.POSITIVE_INFINITY);
        continue;
      }
      let wait = pollMs;
      try {
        const next = await nextWait();
        if (next !== undefined) wait = Math.min(pollMs, Math.max(0, next));
      } catch (err) {
        log.warn("reading the next job time failed", { err });
      }
      await pause(wait);
    }
  };

  /** `todo.job.pending` and `todo.job.due` by kind: one grouped query per METRICS_REFRESH_SECONDS. */
  const observePending = () =>
    inst
      ? observeRefreshing(
          inst.meter,
          [inst.jobPending, inst.jobDue],
          () =>
            sql.unsafe<{ kind: string; pending: number; due: number }[]>(
              `select case when strpos(name, '/') > 1 then split_part(name, '/', 1) else 'other' end as kind,
                 count(*)::int as pending,
                 (count(*) filter (where run_time <= now()))::int as due
               from ${table} group by 1`,
              [],
              PREPARED,
            ),
          (result, rows) => {
            for (const row of rows) kindOf(`${row.kind}/`);
            // Every kind seen so far is reported, at 0 once none are pending.
            const byKind = new Map(rows.map((r) => [r.kind, r]));
            for (const [kind, attrs] of kindAttributes) {
              const row = byKind.get(kind);
              result.observe(inst.jobPending, row?.pending ?? 0, attrs);
              result.observe(inst.jobDue, row?.due ?? 0, attrs);
            }
          },
          { logger: log, name: `${table} pending` },
        )
      : () => {};
  let unobserve = () => {};

  let started: JobHandler | undefined;
  return {
    async fireDue() {
      if (!started) throw new Error(`the job scheduler of ${schema} is not started`);
      let total = 0;
      for (;;) {
        const claimed = await round(started);
        total += claimed;
        if (claimed < batchSize) return total;
      }
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
      if (running) throw new Error(`the job scheduler of ${schema} is already started`);
      if (stopped) throw new Error(`the job scheduler of ${schema} was stopped`);
      const handler: JobHandler =
        typeof h === "function" ? { fire: (tx, job) => (h as JobFireFunction)(tx, job) } : (h as JobHandler);
      started = handler;
      unobserve = observePending();
      if ((options.listen ?? true) && !externalTimer) {
        sql
          .listen(
            channel,
            (payload) => wake(payload === "" ? undefined : new Date(Number(payload))),
            () => wake(),
          )
          .then(async (meta) => {
            if (stopped) await meta.unlisten();
            else unlisten = () => meta.unlisten();
          })
          .catch((err) => log.warn("LISTEN failed; relying on polling", { err }));
      }
      running = loop(handler);
    },

    wake,

    async stop() {
      stopped = true;
      unobserve();
      endPause();
      await running;
      await unlisten?.().catch(() => {});
    },
  };
}
