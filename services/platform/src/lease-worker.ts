/**
 * The lease worker: the loop behind every PostgreSQL work queue in Todo — the outbox relay
 * (outbox.ts), the job scheduler (jobs-postgres.ts) and the notification delivery worker. Each of
 * them keeps what is its own — the claim statement, the handler, how it settles a row — and the
 * worker runs them:
 *
 * 1. **Claim**: `claim(lease)` takes up to `batchSize` rows with `FOR UPDATE SKIP LOCKED` and stamps
 *    them with the round's `lease.token` until `now() + lease.leaseMs` (`claimed_until`), so any
 *    number of replicas share one table and never hold the same row. A replica that dies mid-round
 *    leaves its rows to whoever claims after the lease ends.
 * 2. **Handle**: `handle(rows, lease)` does the work without holding a transaction open over it
 *    (PGlite runs one at a time) and settles each row — deletes it, or reschedules it with the
 *    platform's backoff (backoff.ts) — only where it still carries `lease.token`.
 * 3. **Release**: when `handle` throws, `release(lease)` (if given) hands back what the round still
 *    holds, so nobody waits out the lease.
 *
 * Between rounds: a full batch means more work, so the next round starts at once; a failed round
 * (the claim or `handle` threw, or `handle` reported `failed`) waits `backoff` — `minMs`, doubling up
 * to `maxMs`, reset by the next good round; otherwise the worker sleeps until `wake()`, a NOTIFY on
 * `listen.channel`, the time `nextWaitMs` reports, or `pollIntervalMs`, whichever comes first.
 *
 * `stop()` ends the sleep, cancels the queries the round runs through `lease.cancellable` (a claim
 * still running in PostgreSQL), waits for the round to finish and unlistens.
 */
import { type BackoffPolicy, createBackoff } from "./backoff";
import type { Sql } from "./db";
import type { Logger } from "./logger";
import { createSleeper } from "./sleeper";

/**
 * Something running in the database that `stop()` may cancel: a `postgres` query, whose `cancel()`
 * (patched, patches/postgres@3.4.9.patch) settles once the server has taken the cancel request.
 */
export interface Cancellable {
  cancel(): unknown;
}

/** One round's claim. */
export interface Lease {
  /** Stamped on every row the round claims (`claim = token`); settle only rows that still carry it. */
  readonly token: string;
  /** How long the claim lasts (`claimed_until = now() + leaseMs`). */
  readonly leaseMs: number;
  /**
   * Awaits `query` — call it right where the query would be awaited — and lets `stop()` cancel it
   * meanwhile. When a cancel was sent, it settles only once PostgreSQL has taken the cancel request:
   * a cancel targets the connection's server process, not the query, so one that arrived after the
   * query finished would interrupt whatever that connection ran next. The caller must therefore hold
   * the connection until this settles — run the query in a transaction or on a reserved connection
   * (`sql.reserve()`), never on the pool. A query given after `stop()` runs to its end.
   */
  cancellable<R>(query: PromiseLike<R> & Cancellable): Promise<R>;
  /** True once `stop()` was called. */
  readonly stopping: boolean;
}

/** What a round's `handle` reports; `failed` makes the worker back off before the next round. */
export interface HandleOutcome {
  readonly failed?: boolean;
}

/** The NOTIFY channel that wakes the worker (real PostgreSQL only: it does not cross PGlite's socket). */
export interface LeaseWorkerListen {
  readonly sql: Sql;
  readonly channel: string;
  /** The time a notification announces work for (see `wake(at)`); default: now. */
  readonly wakeAt?: (payload: string) => Date | undefined;
}

/** How a lease worker runs; every duration is in milliseconds. */
export interface LeaseWorkerOptions<T> {
  /** Claims up to `batchSize` rows for `lease` (the user's own, tuned statement). */
  readonly claim: (lease: Lease) => Promise<readonly T[]>;
  /**
   * Works and settles the claimed rows (never called with none). Resolving with a `HandleOutcome`
   * whose `failed` is true backs off before the next round; any other value is a good round.
   */
  readonly handle: (rows: readonly T[], lease: Lease) => Promise<HandleOutcome | unknown>;
  /** Hands back the rows `lease` still holds after `handle` threw; its own errors are ignored. */
  readonly release?: (lease: Lease) => Promise<unknown>;
  /** Rows claimed per round; a round that claims this many is followed by another at once. */
  readonly batchSize: number;
  readonly leaseMs: number;
  /** The longest sleep without a look at the table; default 1000. */
  readonly pollIntervalMs?: number;
  /**
   * Milliseconds until the next row can be claimed, if known: shortens the sleep, never lengthens
   * it. When it throws, the worker logs it and sleeps `pollIntervalMs`.
   */
  readonly nextWaitMs?: () => Promise<number | undefined>;
  /** Sleep until woken, never on a timer (someone else keeps the time); time hints are ignored. */
  readonly untilWoken?: boolean;
  /** The wait after failed rounds; default 100 ms doubling to 10 s. */
  readonly backoff?: BackoffPolicy;
  /** Whether `wake()` cuts a backoff short; default true. */
  readonly wakeDuringBackoff?: boolean;
  readonly listen?: LeaseWorkerListen;
  readonly logger: Logger;
  /** The error logged when a round throws, e.g. "job round failed". */
  readonly roundFailedMessage: string;
}

/** A lease worker (see the module comment). */
export interface LeaseWorker {
  /** Starts the loop (and the LISTEN); a no-op when started or stopped already. */
  start(): void;
  /** Looks for work now, or — with a future `at` — no later than `at`. */
  wake(at?: Date): void;
  /** Runs one round outside the loop; returns how many rows it claimed, rejects when it threw. */
  runOnce(): Promise<number>;
  /** Runs rounds until one claims less than a full batch; returns the rows claimed in all. */
  drain(): Promise<number>;
  /** Stops the loop after the round in progress, cancelling its `cancellable` queries; then unlistens. */
  stop(): Promise<void>;
  readonly started: boolean;
  readonly stopped: boolean;
}

/** A query `stop()` may cancel, and the cancel once sent. */
interface Tracked {
  readonly query: Cancellable;
  cancelled: Promise<unknown> | undefined;
}

/** The longest wait for the server to take a cancel request (it answers at once when it can). */
const CANCEL_TAKEN_MAX_MS = 2000;

/** Waits until the server took a cancel request, or failed to, or too long passed. */
async function untilTaken(cancelled: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    cancelled.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CANCEL_TAKEN_MAX_MS);
    }),
  ]);
  clearTimeout(timer);
}

/** The defaults of `LeaseWorkerOptions`. */
export const LEASE_WORKER_DEFAULTS = {
  pollIntervalMs: 1000,
  backoff: { minMs: 100, maxMs: 10_000 },
} as const;

/** Creates a lease worker; it claims nothing before `start()` (or `runOnce`/`drain`). */
export function createLeaseWorker<T>(options: LeaseWorkerOptions<T>): LeaseWorker {
  const { batchSize, leaseMs, logger: log } = options;
  const pollMs = options.pollIntervalMs ?? LEASE_WORKER_DEFAULTS.pollIntervalMs;
  const backoff = createBackoff(options.backoff ?? LEASE_WORKER_DEFAULTS.backoff);
  const wakeDuringBackoff = options.wakeDuringBackoff ?? true;
  const untilWoken = options.untilWoken ?? false;
  const sleeper = createSleeper();
  const inflight = new Set<Tracked>();

  let started = false;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let unlisten: (() => Promise<void>) | undefined;

  const newLease = (): Lease => ({
    token: crypto.randomUUID(),
    leaseMs,
    async cancellable(query) {
      const tracked: Tracked = { query, cancelled: undefined };
      inflight.add(tracked);
      try {
        return await query;
      } finally {
        inflight.delete(tracked);
        if (tracked.cancelled) await untilTaken(tracked.cancelled);
      }
    },
    get stopping() {
      return stopped;
    },
  });

  const round = async (): Promise<{ claimed: number; failed: boolean }> => {
    const lease = newLease();
    const rows = await options.claim(lease);
    if (rows.length === 0) return { claimed: 0, failed: false };
    try {
      const outcome = await options.handle(rows, lease);
      return { claimed: rows.length, failed: (outcome as HandleOutcome | undefined)?.failed === true };
    } catch (err) {
      await options.release?.(lease).catch(() => {});
      throw err;
    }
  };

  const idleWait = async (): Promise<number> => {
    if (untilWoken) return Number.POSITIVE_INFINITY;
    try {
      const next = await options.nextWaitMs?.();
      return next === undefined ? pollMs : Math.min(pollMs, Math.max(0, next));
    } catch (err) {
      log.warn("reading when the next row is due failed", { err });
      return pollMs;
    }
  };

  const loop = async () => {
    while (!stopped) {
      sleeper.reset();
      let outcome: { claimed: number; failed: boolean };
      try {
        outcome = await round();
      } catch (err) {
        if (stopped) break;
        log.error(options.roundFailedMessage, { err });
        outcome = { claimed: 0, failed: true };
      }
      if (stopped) break;
      if (outcome.failed) {
        await sleeper.sleep(backoff.next(), { wakeable: wakeDuringBackoff });
        continue;
      }
      backoff.reset();
      if (outcome.claimed >= batchSize) continue;
      await sleeper.sleep(await idleWait());
    }
  };

  const wake = (at?: Date) => {
    const t = at?.getTime();
    // With nobody keeping a timer, a future time means nothing to do yet.
    if (untilWoken && t !== undefined && t > Date.now()) return;
    sleeper.wake(at);
  };

  const startListening = (listen: LeaseWorkerListen) => {
    listen.sql
      .listen(
        listen.channel,
        (payload) => wake(listen.wakeAt?.(payload)),
        () => wake(),
      )
      .then(async (meta) => {
        if (stopped) await meta.unlisten();
        else unlisten = () => meta.unlisten();
      })
      .catch((err) => log.warn("LISTEN failed; relying on polling", { err }));
  };

  return {
    start() {
      if (started || stopped) return;
      started = true;
      if (options.listen) startListening(options.listen);
      running = loop();
    },
    wake,
    runOnce: async () => (await round()).claimed,
    async drain() {
      let total = 0;
      for (;;) {
        const { claimed } = await round();
        total += claimed;
        if (claimed < batchSize) return total;
      }
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        sleeper.close();
        // Cancel only what is running: postgres.js (3.4.9) rejects a query cancelled before it was
        // sent but leaves its connection marked full — a transaction's next statement (the
        // rollback) then waits forever. A query is sent a microtask after it is awaited, so one
        // macrotask later every tracked query is on the wire (or already settled and untracked).
        await new Promise((resolve) => setTimeout(resolve, 0));
        for (const tracked of inflight) tracked.cancelled = Promise.resolve(tracked.query.cancel());
      }
      await running;
      await unlisten?.().catch(() => {});
      unlisten = undefined;
    },
    get started() {
      return started;
    },
    get stopped() {
      return stopped;
    },
  };
}
