/**
 * Load shapes shared by the benchmarks: open loop (a fixed start rate, so a slow call does not delay
 * the next and latency includes queueing) and closed loop (a fixed number in flight, for
 * saturation), and a poll for a condition with a deadline.
 */

/** Starts `op(i)` for i < `count` at `rate` per second (open loop: a slow call does not delay the next). */
export async function paced(count: number, rate: number, op: (i: number) => Promise<void>): Promise<void> {
  const interval = 1000 / rate;
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    pending.push(op(i));
  }
  await Promise.all(pending);
}

/** Runs `count` calls of `op(i, worker)` with at most `concurrency` in flight (closed loop). */
export async function pooled(
  count: number,
  concurrency: number,
  op: (i: number, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async (_, worker) => {
      for (let i = next++; i < count; i = next++) await op(i, worker);
    }),
  );
}

/**
 * Polls `check` every `stepMs` until it holds or `timeoutMs` has passed; the result of a last check
 * at the deadline, so a condition met just in time still counts.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await Bun.sleep(stepMs);
  }
  return check();
}
