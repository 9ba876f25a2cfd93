/**
 * Waiting in tests for what happens asynchronously — an event consumed, a stream delivered, a page
 * updated — without fixed sleeps. Two shapes, one home:
 *
 * - {@link eventually} polls a probe that answers "not yet" with `undefined` or `false` (or by
 *   throwing) and returns the first real value, naming what it waited for when time runs out;
 * - {@link untilPasses} retries assertions (`expect(...)` throws until the state is right) and, when
 *   time runs out, throws the last assertion error as it is, so the test shows its diff.
 */

/** How long to wait and how often to look. */
export interface WaitOptions {
  /** Give up after this long, in ms. */
  readonly timeoutMs?: number;
  /** Pause between attempts, in ms. */
  readonly intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than `undefined` or `false`, and returns that.
 * A throwing probe counts as "not yet"; its last error is quoted if time runs out.
 *
 * @param what what is awaited, for the timeout's message ("the reminder in the inbox")
 * @param timeoutMs default 30 000
 * @param intervalMs default 100
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: lastError });
    }
    await Bun.sleep(intervalMs);
  }
}

/**
 * Runs `check` until it returns without throwing, and returns its value; when time runs out, throws
 * its last error as it is. Defaults: 10 000 ms, every 100 ms.
 */
export async function untilPasses<T>(check: () => T | Promise<T>, options: WaitOptions = {}): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (performance.now() >= deadline) throw err;
    }
    await Bun.sleep(options.intervalMs ?? 100);
  }
}
