/**
 * Waiting between attempts: exponential backoff with jitter, and a sleep that a signal ends early.
 * Both the unary retries (call-policy.ts) and the task watch's reconnects (watch-tasks.ts) use it.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** How long to wait before the next attempt. */
export interface BackoffOptions {
  /** The wait before the first retry; each further retry doubles it. */
  readonly initialDelayMs: number;
  /** The longest wait, however many attempts failed. */
  readonly maxDelayMs: number;
}

/**
 * The wait before retry number `retry` (0 for the first): `min(max, initial * 2^retry)`, of which
 * the upper half is random ("equal jitter"), so clients that failed together do not come back
 * together, yet never come back at once.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The reason a signal was aborted with, as a `ConnectError` (CANCELED unless it already is one). */
export function abortError(signal: AbortSignal): ConnectError {
  return ConnectError.from(signal.reason, Code.Canceled);
}

/** Resolves after `ms`; rejects with {@link abortError} as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
