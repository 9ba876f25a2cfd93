/**
 * A real stuck consumer, for the end-to-end alert test and the observability screenshots
 * (docs/runbook.md, "Testing the rules"): the tag service's `task-events` handler reads
 * `tag.task_tags` first, so a transaction holding that table in ACCESS EXCLUSIVE mode blocks the
 * handler on its first statement (the services set no statement or lock timeout). The process
 * stays up and keeps reporting its group's lag, which grows with every task created meanwhile;
 * releasing the lock lets the handler go on, and the lag drains.
 *
 * (Stopping the tag process instead does not show lag: the gauge is reported by the consuming
 * process itself, so it disappears with it.)
 */
import postgres from "postgres";

/** A lock being held; `release()` commits the holding transaction and closes its connection. */
export interface ConsumerHold {
  /** When the lock was granted. */
  readonly heldSince: Date;
  release(): Promise<void>;
}

/**
 * Locks `tag.task_tags` in the database at `databaseUrl` (the tag service's) and holds the lock
 * until `release()`. Resolves once the lock is granted; rejects if the lock fails (no such table).
 */
export async function holdTagConsumer(databaseUrl: string): Promise<ConsumerHold> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let granted: () => void = () => {};
  const locked = new Promise<void>((resolve) => {
    granted = resolve;
  });
  const transaction = sql.begin(async (tx) => {
    await tx`lock table tag.task_tags in access exclusive mode`;
    granted();
    await released;
  });
  try {
    await Promise.race([locked, transaction]);
  } catch (err) {
    await sql.end({ timeout: 5 });
    throw err;
  }
  const heldSince = new Date();
  let done = false;
  return {
    heldSince,
    async release() {
      if (done) return;
      done = true;
      release();
      try {
        await transaction;
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}
