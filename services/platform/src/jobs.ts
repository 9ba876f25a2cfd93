/**
 * The `JobScheduler` port: durable, named one-shot timers. A service schedules a job under a name it
 * chooses (scheduling the same name again replaces the job: new time, new payload), and the scheduler
 * fires it **at least once and never early**: a job is handed to the handler only once its due time
 * has passed on the database's clock. One adapter per run mode implements it: PostgreSQL tables
 * (`jobs-postgres.ts`, safe with many replicas; also the embedded PGlite mode) and, later, the Dapr
 * Jobs API.
 *
 * Firing is transactional where the adapter allows it: the Postgres adapter deletes the job in the
 * same transaction in which the handler writes its effects (an outbox row, bookkeeping), so those
 * effects commit exactly once even though the handler may run more than once (after a crash, or
 * when a replica lost its claim). Work that cannot be part of that transaction — a call to another
 * service — goes in the handler's `prepare` step, which must be idempotent.
 */
import type { TxSql } from "./db";

/** A job being fired. */
export interface Job {
  /** The name it was scheduled under (`reminder/<task>/<reminder>`). */
  readonly name: string;
  /** When it was scheduled to fire (the handler runs at or after this instant, never before). */
  readonly dueTime: Date;
  /** What the scheduler was given (a string payload arrives as its UTF-8 bytes). */
  readonly payload: Uint8Array;
  /** How many earlier attempts failed (0 on the first). */
  readonly attempts: number;
  /** The W3C trace context it was scheduled in, when that was traced (its `fire` span's parent). */
  readonly traceparent?: string;
}

/**
 * What a fired job does. `prepare` (optional) runs first, outside any transaction, for effects that
 * cannot join the firing transaction (an RPC to another service); it must be idempotent, since it
 * runs again whenever the firing is retried. `fire` then runs inside the transaction that removes
 * the job, so everything it writes through `tx` commits together with the removal — or not at all.
 * Either step throwing counts as a failed attempt: the job stays and is retried with backoff.
 * Besides what it writes through `tx`, `fire` must have no effects: it may run again (its
 * transaction rolled back) when a batch-mate fails and the batch is redone job by job. Adapters may
 * run the `fire` calls of one batch concurrently on one transaction (their queries pipelined), so a
 * `fire` must not rely on the order of its batch-mates nor open savepoints of its own.
 */
export interface JobHandler<P = unknown> {
  prepare?(job: Job): Promise<P>;
  fire(tx: TxSql, job: Job, prepared: P | undefined): Promise<void>;
  /**
   * Optional: told after a firing transaction committed, with the jobs whose effects it committed
   * (to wake an outbox relay in-process, say). Must not throw.
   */
  committed?(jobs: readonly Job[]): void;
}

/** A handler that needs no `prepare` step, as a plain function. */
export type JobFireFunction = (tx: TxSql, job: Job) => Promise<void>;

/**
 * Durable, named one-shot timers. Every method that writes takes an optional transaction: pass the
 * caller's `tx` to make the change part of it (scheduling a reminder in the same transaction that
 * records the task change), or `undefined` to run on its own.
 */
export interface JobScheduler {
  /**
   * Creates or replaces the job `name`: it fires at or after `dueTime` with `payload`. Replacing
   * resets the attempts counter; a firing of the old version still in flight does not commit.
   * After committing `tx`, call `wake()` when `dueTime` may already have passed (adapters that can
   * notify across processes, like PostgreSQL's NOTIFY, do it themselves).
   */
  schedule(tx: TxSql | undefined, name: string, dueTime: Date, payload: Uint8Array | string): Promise<void>;
  /** Removes the job `name` if it exists; true when it did. */
  cancel(tx: TxSql | undefined, name: string): Promise<boolean>;
  /** Removes every job whose name starts with `prefix` (`reminder/<task>/`); returns how many. */
  cancelPrefix(tx: TxSql | undefined, prefix: string): Promise<number>;
  /**
   * Starts firing due jobs into `handler`, beginning with the ones that came due while nothing was
   * running. Call once.
   */
  start<P>(handler: JobHandler<P> | JobFireFunction): void;
  /**
   * Makes the scheduler look for due jobs now, or, with `at`, no later than `at` (cheap: no query
   * until then). Call after committing a transaction that scheduled jobs.
   */
  wake(at?: Date): void;
  /** Stops firing after the round in progress; jobs stay for the next start. */
  stop(): Promise<void>;
}

/** The UTF-8 text of a job's payload (for jobs scheduled with a string). */
export function jobPayloadText(job: Job): string {
  return new TextDecoder().decode(job.payload);
}
