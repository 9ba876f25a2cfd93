/**
 * A server stream read in the background: every message is kept with the moment it arrived, so a
 * test can wait for one and check when it came (a reminder must never arrive before its time).
 */

/** One received message and its arrival time (ms since the epoch, this process's clock). */
export interface Received<T> {
  readonly message: T;
  readonly receivedAt: number;
}

/** A stream being read. */
export interface LiveStream<T> {
  readonly received: readonly Received<T>[];
  /** Resolves with the first `count` messages matching `predicate`, or rejects after `timeoutMs`. */
  waitFor(
    what: string,
    predicate: (message: T) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<Received<T>[]>;
  /** Ends the call. */
  close(): void;
  /** Set when the stream ended with an error other than our own cancellation. */
  readonly error: unknown;
}

/**
 * Opens `open(signal)` (a Connect server-streaming call) and reads it until `close()`. An error
 * ending the stream early is kept in `error` and reported by `waitFor`.
 */
export function readStream<T>(open: (signal: AbortSignal) => AsyncIterable<T>): LiveStream<T> {
  const abort = new AbortController();
  const received: Received<T>[] = [];
  let error: unknown;
  let ended = false;
  void (async () => {
    try {
      for await (const message of open(abort.signal)) received.push({ message, receivedAt: Date.now() });
    } catch (err) {
      if (!abort.signal.aborted) error = err;
    } finally {
      ended = true;
    }
  })();
  return {
    received,
    get error() {
      return error;
    },
    close: () => abort.abort(),
    async waitFor(what, predicate, count = 1, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.filter((r) => predicate(r.message));
        if (found.length >= count) return found.slice(0, count);
        if (ended) {
          throw new Error(
            `the stream ended (${error instanceof Error ? error.message : "no error"}) before ${what}`,
          );
        }
        if (Date.now() > deadline) {
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what} (got ${found.length}/${count})`,
          );
        }
        await Bun.sleep(25);
      }
    },
  };
}
