/**
 * The platform's one retry policy: exponential backoff. The first retry waits `minMs`, each further
 * one twice as long, never more than `maxMs`. No jitter: every user already spreads its retries
 * (per-row leases, per-job `run_time`s), and a fixed schedule is what the tests and docs state.
 *
 * The lease worker (lease-worker.ts) uses it for failed rounds, and its users for the rows they
 * reschedule (jobs, deliveries), so "how long until the next try" has one definition.
 */

/** An exponential backoff: `minMs`, `2 × minMs`, `4 × minMs`, … capped at `maxMs`. */
export interface BackoffPolicy {
  /** The wait before the first retry. */
  readonly minMs: number;
  /** The longest wait; a `maxMs` below `minMs` is taken as `minMs`. */
  readonly maxMs: number;
}

/**
 * The wait before retry number `attempt` (1 = after the first failure): `minMs × 2^(attempt − 1)`,
 * at most `maxMs`. An `attempt` below 1 counts as 1.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const { minMs } = policy;
  const maxMs = Math.max(minMs, policy.maxMs);
  // Past 2^52 the product is Infinity or imprecise; the cap is reached long before.
  const exponent = Math.min(52, Math.max(0, Math.floor(attempt) - 1));
  return Math.min(maxMs, minMs * 2 ** exponent);
}

/** Consecutive failures and the wait each one earns (see `createBackoff`). */
export interface Backoff {
  /** Counts one more failure and returns the wait before the next try. */
  next(): number;
  /** Forgets the failures (after a success). */
  reset(): void;
  /** Failures since the last `reset`. */
  readonly failures: number;
}

/** A counter of consecutive failures over `policy`: `next()` returns `minMs`, then doubles. */
export function createBackoff(policy: BackoffPolicy): Backoff {
  let failures = 0;
  return {
    next: () => backoffDelay(++failures, policy),
    reset() {
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}
