/**
 * Keeping a server stream open for as long as the app wants it: WatchTasks and WatchNotifications
 * drop when a laptop sleeps, the network changes or a server restarts, and the app must pick them up
 * again by itself. `keepStreaming` reconnects with exponential backoff and jitter, notices a silent
 * dead connection (the server sends a keep-alive every 15 s, so 45 s of silence means it is gone),
 * retries at once when the browser comes back online, and tells its caller when a *re*connection
 * succeeded so it can fetch what it missed.
 *
 * A server may hold back a stream's response headers until its first message (connect-node does),
 * so an attempt that has neither failed nor answered after `assumeConnectedAfter` counts as
 * connected: a refused connection fails well before that.
 */

/** The connection's state, for a small "reconnecting…" indicator. */
export type LiveState = "connecting" | "live" | "retrying" | "stopped";

/** How to open the stream and what to do with it. */
export interface LiveStreamOptions<T> {
  /**
   * Opens the stream. Call `connected()` when the server answered (Connect's `onHeader`), so a
   * reconnection is known before the first message. `signal` ends the call.
   */
  open(signal: AbortSignal, connected: () => void): AsyncIterable<T>;
  /** Each message. */
  onMessage(message: T): void;
  /** The stream is connected again after a drop: refetch what may have been missed. */
  onReconnected?(): void;
  /** State changes. */
  onState?(state: LiveState): void;
  /** An error that retrying cannot fix (e.g. UNAUTHENTICATED): stop for good. */
  isFatal?(err: unknown): boolean;
  /** First retry delay (ms); doubles up to `maxDelay`. Default 500. */
  minDelay?: number;
  /** Default 15 000. */
  maxDelay?: number;
  /** Silence after which the connection is presumed dead (ms). Default 45 000. */
  idleTimeout?: number;
  /** An attempt still open after this long counts as connected (ms). Default 2 000. */
  assumeConnectedAfter?: number;
}

/** Starts streaming; returns a function that stops it for good. */
export function keepStreaming<T>(opts: LiveStreamOptions<T>): () => void {
  const minDelay = opts.minDelay ?? 500;
  const maxDelay = opts.maxDelay ?? 15_000;
  const idleTimeout = opts.idleTimeout ?? 45_000;
  const assumeAfter = opts.assumeConnectedAfter ?? 2000;
  let stopped = false;
  let attempt = 0;
  let everConnected = false;
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;

  const setState = (s: LiveState) => opts.onState?.(s);
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const onOnline = () => wake?.();
  const hasWindow = typeof window !== "undefined";
  if (hasWindow) window.addEventListener("online", onOnline);

  async function run() {
    while (!stopped) {
      const ctrl = new AbortController();
      current = ctrl;
      let idle: ReturnType<typeof setTimeout> | undefined;
      const resetIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => ctrl.abort(), idleTimeout);
      };
      let connectedNow = false;
      const connected = () => {
        if (connectedNow || stopped) return;
        connectedNow = true;
        attempt = 0;
        const reconnect = everConnected;
        everConnected = true;
        setState("live");
        if (reconnect) opts.onReconnected?.();
      };
      setState(attempt === 0 && !everConnected ? "connecting" : "retrying");
      const assume = setTimeout(connected, assumeAfter);
      try {
        resetIdle();
        for await (const m of opts.open(ctrl.signal, connected)) {
          connected();
          attempt = 0;
          resetIdle();
          opts.onMessage(m);
        }
      } catch (err) {
        if (stopped) break;
        if (!ctrl.signal.aborted && opts.isFatal?.(err)) {
          stopped = true;
          break;
        }
      } finally {
        clearTimeout(idle);
        clearTimeout(assume);
      }
      if (stopped) break;
      setState("retrying");
      // A stream that ends cleanly also gets a (short) pause, so a server that closes at once is not hammered.
      const delay = Math.min(maxDelay, minDelay * 2 ** attempt);
      attempt = Math.min(attempt + 1, 16);
      await sleep(delay * (0.75 + Math.random() * 0.5));
    }
    setState("stopped");
  }
  void run();

  return () => {
    stopped = true;
    if (hasWindow) window.removeEventListener("online", onOnline);
    current?.abort();
    wake?.();
  };
}
