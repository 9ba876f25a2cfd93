/**
 * One round of the Postgres job scheduler, as the lease worker (lease-worker.ts) runs it: the claim
 * statement, prepare-and-fire of the claimed jobs, and putting back the ones that failed. The
 * protocol is in jobs-postgres.ts's module comment.
 */
import { type BackoffPolicy, backoffDelay } from "./backoff";
import type { Sql, TxSql } from "./db";
import type { Job, JobHandler } from "./jobs";
import type { JobMetrics } from "./jobs-postgres-metrics";
import type { Lease } from "./lease-worker";
import type { Logger } from "./logger";
import { type JobSpans, startJobSpans } from "./tracing-jobs";

const PREPARED = { prepare: true } as const;

/** A claimed row of `<schema>.jobs`. */
export interface JobRow {
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

/** What a round needs to know about its scheduler. */
export interface JobRoundOptions {
  readonly sql: Sql;
  /** `<schema>.jobs`, already checked. */
  readonly table: string;
  readonly batchSize: number;
  /** The wait before retrying a failed job, by its attempt number. */
  readonly retry: BackoffPolicy;
  readonly metrics: JobMetrics;
  readonly log: Logger;
}

/** The scheduler's part of the lease worker: its claim, its handler and its release. */
export interface JobRound {
  claim(lease: Lease): Promise<JobRow[]>;
  /** Prepares and fires the claimed jobs with `h`; failed jobs are put back with backoff. */
  fire(h: JobHandler, rows: readonly JobRow[], lease: Lease): Promise<void>;
  /** Releases whatever `lease` still holds (after an unexpected error), so nobody waits a lease. */
  release(lease: Lease): Promise<unknown>;
  /** Milliseconds until the earliest job (or expired claim) can be claimed; undefined when none. */
  nextWaitMs(): Promise<number | undefined>;
}

/** Creates the round of the scheduler on `options.table`. */
export function createJobRound(options: JobRoundOptions): JobRound {
  const { sql, table, batchSize, retry, metrics, log } = options;

  const claim = async (lease: Lease) => {
    // A connection of its own until a cancel sent by stop() was taken (lease-worker.ts).
    const conn = await sql.reserve();
    const query = conn.unsafe<JobRow[]>(
      `with due as (
         select name from ${table}
         where run_time <= now() and (claimed_until is null or claimed_until < now())
         order by run_time
         limit $1
         for update skip locked)
       update ${table} j set claim = $2, claimed_until = now() + $3 * interval '1 millisecond'
       from due where j.name = due.name
       returning j.name, j.due_time, j.run_time, j.payload, j.attempts, j.traceparent`,
      [batchSize, lease.token, lease.leaseMs],
      PREPARED,
    );
    try {
      return await lease.cancellable(query);
    } finally {
      conn.release();
    }
  };

  const nextWaitMs = async (): Promise<number | undefined> => {
    try {
      const [row] = await sql.unsafe<{ wait_ms: number | null }[]>(
        `select ceil(extract(epoch from (least(
             (select run_time from ${table} where claimed_until is null order by run_time limit 1),
             (select min(claimed_until) from ${table} where claimed_until is not null)
           ) - clock_timestamp())) * 1000)::float8 as wait_ms`,
        [],
        PREPARED,
      );
      return row?.wait_ms ?? undefined;
    } catch (err) {
      log.warn("reading the next job time failed", { err });
      return undefined;
    }
  };

  const deleteClaimed = (tx: TxSql, token: string, names: string[]) =>
    tx.unsafe<{ name: string }[]>(
      `delete from ${table} where claim = $1 and name = any($2::text[]) returning name`,
      [token, names],
      PREPARED,
    );

  const notifyCommitted = (h: JobHandler, fired: Job[]) => {
    // Fired − due: the firing transaction has just committed.
    metrics.fired(fired);
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

  /** Puts failed jobs back for a later attempt, each after its own backoff (never before due). */
  const putBack = async (token: string, failures: Failure[]) => {
    for (const f of failures) {
      metrics.failed(f.job.name);
      log.warn("job failed; it will be retried", {
        job: f.job.name,
        attempts: f.job.attempts + 1,
        err: f.error,
      });
    }
    await sql.unsafe(
      `update ${table} j set attempts = j.attempts + 1, last_error = f.error,
         run_time = greatest(j.due_time, now() + f.delay_ms * interval '1 millisecond'),
         claim = null, claimed_until = null, update_time = now()
       from unnest($2::text[], $3::text[], $4::float8[]) as f(name, error, delay_ms)
       where j.name = f.name and j.claim = $1`,
      [
        token,
        failures.map((f) => f.job.name),
        failures.map((f) => f.error),
        failures.map((f) => backoffDelay(f.job.attempts + 1, retry)),
      ],
      PREPARED,
    );
  };

  const release = (lease: Lease) =>
    sql
      .unsafe(
        `update ${table} set claim = null, claimed_until = null where claim = $1`,
        [lease.token],
        PREPARED,
      )
      .catch(() => {});

  const fire = async (h: JobHandler, rows: readonly JobRow[], lease: Lease) => {
    const { token } = lease;
    let spans: JobSpans | undefined;
    try {
      const jobs: Job[] = [...rows]
        .sort((a, b) => a.run_time.getTime() - b.run_time.getTime())
        .map((r) => ({
          name: r.name,
          dueTime: r.due_time,
          payload: new Uint8Array(r.payload),
          attempts: r.attempts,
          ...(r.traceparent ? { traceparent: r.traceparent } : {}),
        }));
      spans = startJobSpans(jobs);
      const failures: Failure[] = [];
      const ready: Ready[] = [];
      const prepare = h.prepare?.bind(h);
      for (const job of jobs) {
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
      throw err;
    } finally {
      spans?.end();
    }
  };

  return { claim, fire, release, nextWaitMs };
}
