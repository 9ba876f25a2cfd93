/**
 * Retrying assertions. `bun:test`'s `expect` does not wait the way Playwright's web-first
 * assertions do, and the UI updates asynchronously (network, live streams), so checks on the page
 * are retried until they pass or the time runs out — then the last failure is thrown as is.
 */

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this long, in ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Pause between attempts, in ms (default 100). */
  readonly intervalMs?: number;
}

/** Runs `check` until it returns without throwing; returns its value or throws its last error. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (performance.now() >= deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}
