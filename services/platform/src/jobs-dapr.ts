/**
 * The `JobScheduler` adapter on the Dapr Jobs API (run mode 3, docs/dapr.md).
 *
 * **Dapr keeps the time, PostgreSQL keeps the truth.** The port promises that scheduling and
 * cancelling can be part of the caller's transaction (the scheduler writes a reminder plan in the
 * same transaction that marks the task event processed) and that a job's effects commit exactly
 * once. The Jobs API cannot join a PostgreSQL transaction, so the jobs themselves stay rows of
 * `<schema>.jobs`, written and fired exactly as by the Postgres adapter (`jobs-postgres.ts`, run with
 * `externalTimer`: no polling, no timers of its own), and each pending row gets a **Dapr job** that
 * triggers it at its time:
 *
 * - After a commit that scheduled something the caller calls `wake` (the port asks it to); that, a
 *   periodic pass and each trigger **reconcile**: every row whose time has no Dapr job yet gets one
 *   (`POST /v1.0/jobs/<name>`, `dueTime` = the row's run time, `overwrite`), recorded in
 *   `<schema>.dapr_job_timers`. A crash between commit and registration is repaired by the next pass.
 * - Dapr fires the job at or after its time (durably: the Dapr scheduler stores it in etcd, and a
 *   job whose app was down fires when it comes back) into `OnJobEventAlpha1` (dapr-callback.ts),
 *   which runs the Postgres adapter's rounds for whatever is due. So firing stays "never early" on the
 *   database's clock, exactly once per commit, and safe with replicas.
 * - A failed round (the database down) fails the callback, and the job's `constant` failure policy
 *   makes Dapr try again every `retryInterval` for `maxRetries` times (default: every 5 s for an
 *   hour, not the default 3 tries 1 s apart). A job whose handler fails is put back by the Postgres
 *   adapter with a later run time, which the reconcile pass gives a new Dapr job.
 * - Cancelled rows simply leave a Dapr job that finds nothing due when it fires; their bookkeeping
 *   is dropped and the Dapr job deleted on the next pass.
 *
 * Why the gRPC callback and not `POST /job/<name>`: a sidecar has one app channel, and it is gRPC
 * because service invocation uses gRPC proxying (`--app-protocol grpc`).
 */

import { type DaprSidecar, daprFetch, expectOk } from "./dapr";
import type { DaprCallbacks } from "./dapr-callback";
import type { Sql } from "./db";
import type { JobFireFunction, JobHandler, JobScheduler } from "./jobs";
import { createPostgresJobScheduler, ensureJobs } from "./jobs-postgres";
import { createLogger, type Logger } from "./logger";
import { checkSchema, withSchemaLock } from "./migrate";

/** How a Dapr job scheduler runs. */
export interface DaprJobSchedulerOptions {
  readonly sql: Sql;
  /** The schema holding `jobs` and `dapr_job_timers` (`ensureDaprJobs`). */
  readonly schema: string;
  readonly sidecar: DaprSidecar;
  readonly callbacks: DaprCallbacks;
  /** The interval of the Dapr jobs' constant failure policy; default 5 s. */
  readonly retryIntervalMs?: number;
  /** How many times Dapr retries a failed trigger; default 720 (an hour at 5 s). */
  readonly maxRetries?: number;
  /** How often pending rows are checked for missing Dapr jobs; default 10 s. */
  readonly reconcileIntervalMs?: number;
  readonly logger?: Logger;
}

/** Creates `<schema>.jobs` and `<schema>.dapr_job_timers` when missing (idempotent). */
export async function ensureDaprJobs(sql: Sql, schema: string): Promise<void> {
  await ensureJobs(sql, schema);
  await withSchemaLock(sql, schema, async (tx) => {
    await tx
      .unsafe(
        `create table if not exists ${checkSchema(schema)}.dapr_job_timers (
           name text collate "C" primary key,
           fire_time timestamptz not null
         )`,
      )
      .simple();
  });
}

/** The Dapr job name of our job `name` in `schema`: `<schema>--<base64url(name)>` (URL- and etcd-safe). */
export function daprJobName(schema: string, name: string): string {
  return `${schema}--${Buffer.from(name, "utf8").toString("base64url")}`;
}

/** Our job name back from a Dapr job name (undefined when it is not one of `schema`'s). */
export function jobNameFromDapr(schema: string, daprName: string): string | undefined {
  const prefix = `${schema}--`;
  return daprName.startsWith(prefix)
    ? Buffer.from(daprName.slice(prefix.length), "base64url").toString("utf8")
    : undefined;
}

const PREPARED = { prepare: true } as const;
/** Rows looked at per reconcile query, and Dapr jobs registered at a time. */
const RECONCILE_BATCH = 200;
const REGISTER_CONCURRENCY = 16;

/** Creates the scheduler (tables from `ensureDaprJobs`); it fires nothing until `start`. */
export function createDaprJobScheduler(options: DaprJobSchedulerOptions): JobScheduler {
  const { sql, sidecar, callbacks } = options;
  const schema = checkSchema(options.schema);
  const log = options.logger ?? createLogger(`jobs.dapr.${schema}`);
  const retryIntervalMs = options.retryIntervalMs ?? 5_000;
  const maxRetries = options.maxRetries ?? 720;
  const reconcileMs = options.reconcileIntervalMs ?? 10_000;
  const rows = createPostgresJobScheduler({ sql, schema, externalTimer: true, listen: false, logger: log });
  const timers = `${schema}.dapr_job_timers`;

  let stopped = false;
  let interval: ReturnType<typeof setInterval> | undefined;
  let removeHandler: (() => void) | undefined;
  // One reconcile pass at a time; a request during a pass runs one more pass after it.
  let passing: Promise<void> | undefined;
  let again = false;

  const register = async (name: string, fireTime: Date) => {
    const res = await daprFetch(sidecar, `/v1.0/jobs/${daprJobName(schema, name)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        dueTime: fireTime.toISOString(),
        overwrite: true,
        data: { job: name },
        failurePolicy: { constant: { interval: `${retryIntervalMs / 1000}s`, maxRetries } },
      }),
    });
    await expectOk(res, `scheduling job ${name}`);
  };

  const unregister = async (name: string) => {
    const res = await daprFetch(sidecar, `/v1.0/jobs/${daprJobName(schema, name)}`, { method: "DELETE" });
    // Gone already (fired, or deleted by another replica) is fine.
    if (!res.ok && res.status !== 404 && res.status !== 500) await expectOk(res, `deleting job ${name}`);
  };

  /** Gives every pending row without a Dapr job for its current time one; drops stale bookkeeping. */
  const reconcileOnce = async () => {
    for (;;) {
      // A row can next be fired at its run time, or, while a replica holds it, when that claim
      // lapses. A row whose Dapr job should have fired over a minute ago and is still here (its
      // trigger gave up) gets a new one: nothing stays pending for good.
      const missing = await sql.unsafe<{ name: string; fire_time: Date }[]>(
        `select name, fire_time from (
           select j.name,
                  date_trunc('milliseconds', greatest(j.run_time, coalesce(j.claimed_until, j.run_time))) as fire_time,
                  t.fire_time as registered
           from ${schema}.jobs j left join ${timers} t on t.name = j.name) p
         where registered is null or registered <> fire_time
            or registered < now() - interval '1 minute'
         order by fire_time limit ${RECONCILE_BATCH}`,
        [],
        PREPARED,
      );
      // A few registrations in flight at a time: thousands of reminders register in seconds.
      for (let i = 0; i < missing.length; i += REGISTER_CONCURRENCY) {
        const chunk = missing.slice(i, i + REGISTER_CONCURRENCY);
        await Promise.all(chunk.map((row) => register(row.name, row.fire_time)));
        await sql.unsafe(
          `insert into ${timers} (name, fire_time)
           select name, fire::timestamptz from unnest($1::text[], $2::text[]) as r(name, fire)
           on conflict (name) do update set fire_time = excluded.fire_time`,
          [chunk.map((r) => r.name), chunk.map((r) => r.fire_time.toISOString())],
          PREPARED,
        );
      }
      if (missing.length < RECONCILE_BATCH) break;
    }
    const gone = await sql.unsafe<{ name: string }[]>(
      `delete from ${timers} t where not exists (select 1 from ${schema}.jobs j where j.name = t.name)
       returning t.name`,
      [],
      PREPARED,
    );
    for (const { name } of gone)
      await unregister(name).catch((err) => log.warn("deleting a Dapr job failed", { err }));
  };

  const reconcile = (): Promise<void> => {
    if (passing) {
      again = true;
      return passing;
    }
    passing = (async () => {
      try {
        do {
          again = false;
          await reconcileOnce();
        } while (again && !stopped);
      } finally {
        passing = undefined;
      }
    })();
    return passing;
  };

  const reconcileInBackground = () => {
    if (stopped) return;
    reconcile().catch((err) => log.warn("registering jobs with Dapr failed; the next pass retries", { err }));
  };

  /** A trigger from Dapr: fire what is due, then give what is still pending (retries) its next trigger. */
  const onTrigger = async (daprName: string) => {
    const name = jobNameFromDapr(schema, daprName);
    if (name !== undefined) {
      await sql.unsafe(`delete from ${timers} where name = $1`, [name], PREPARED);
    }
    await rows.fireDue();
    reconcileInBackground();
  };

  return {
    async schedule(tx, name, dueTime, payload) {
      await rows.schedule(tx, name, dueTime, payload);
      // Outside a transaction the row is there now; inside one, the caller wakes after commit.
      if (tx === undefined) reconcileInBackground();
    },
    cancel: (tx, name) => rows.cancel(tx, name),
    cancelPrefix: (tx, prefix) => rows.cancelPrefix(tx, prefix),
    start(handler: JobHandler | JobFireFunction) {
      rows.start(handler as JobHandler);
      removeHandler = callbacks.onJob(`${schema}--`, onTrigger);
      interval = setInterval(reconcileInBackground, reconcileMs);
      // Jobs that came due while nothing ran fire now; the rest get their Dapr jobs.
      rows.wake();
      reconcileInBackground();
    },
    wake(at) {
      if (at === undefined || at.getTime() <= Date.now()) rows.wake();
      reconcileInBackground();
    },
    async stop() {
      stopped = true;
      clearInterval(interval);
      removeHandler?.();
      await passing?.catch(() => {});
      await rows.stop();
    },
  };
}
