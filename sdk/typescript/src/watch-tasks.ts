/**
 * A task watch that survives restarts and lost connections: TaskService.WatchTasks, opened again
 * with backoff whenever it ends or fails with an error worth another try.
 *
 * WatchTasks has no resume point (its request is empty), so changes made while no stream was open
 * are not replayed. `onConnected` says when a stream is live again — the server's first message
 * arrived — and that is when to re-read what you show (for example with `listAllTasks`).
 */
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { backoffDelay, sleep } from "./backoff.js";

/** What `onDisconnected` is told. */
export interface WatchDisconnect {
  /** Why the stream ended: the error, or undefined when the server ended it without one. */
  readonly error: ConnectError | undefined;
  /** How many attempts in a row have now failed (1 after a live stream broke). */
  readonly attempt: number;
  /** How long the watch waits before opening the next stream. */
  readonly delayMs: number;
}

/** Options of `TodoClient.watchTasks`. */
export interface WatchTasksOptions {
  /** Ends the watch: the iteration then simply finishes (no error). */
  readonly signal?: AbortSignal;
  /**
   * Called each time a stream is live, the first one included (`reconnected: false`). Changes
   * made while disconnected are not replayed: re-read here what you show.
   */
  readonly onConnected?: (info: { readonly reconnected: boolean }) => void;
  /** Called when a stream ended or could not be opened, before the wait to reconnect. */
  readonly onDisconnected?: (info: WatchDisconnect) => void;
  /** The first wait before reconnecting (default 500 ms); it doubles with each failed attempt. */
  readonly initialDelayMs?: number;
  /** The longest wait (default 30 000 ms). */
  readonly maxDelayMs?: number;
  /** Failed attempts in a row after which the last error is thrown (default: never give up). */
  readonly maxAttempts?: number;
  /**
   * A stream that has sent nothing for this long is taken for dead (a connection lost without a
   * reset) and replaced. The server sends a keep-alive every 15 s; default 45 000 ms, 0 for never.
   */
  readonly idleTimeoutMs?: number;
  /** Random numbers for the backoff's jitter; tests pin it. */
  readonly random?: () => number;
}

/**
 * Errors that another attempt would only repeat: bad credentials, a request or method the server
 * refuses. Everything else (UNAVAILABLE, a reset stream, a server restarting) is tried again.
 */
const PERMANENT = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.PermissionDenied,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unimplemented,
  Code.Unauthenticated,
]);

/** The reason a stream is aborted with when it has been silent for `idleTimeoutMs`. */
class IdleStream extends Error {}

/**
 * Yields every task change of the caller, reconnecting as the module says. Keep-alive messages
 * are not yielded. Stop it with `options.signal` or by leaving the `for await` loop (both close
 * the open stream).
 */
export async function* watchTasks(
  tasks: Client<typeof TaskService>,
  options: WatchTasksOptions = {},
): AsyncGenerator<TaskChange, void, undefined> {
  const backoff = {
    initialDelayMs: options.initialDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 30_000,
  };
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  let connectedBefore = false;
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) return;
    // One controller per stream: aborting it closes the stream when the caller stops, when the
    // caller's signal fires, or when the stream falls silent.
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      if (idleTimeoutMs <= 0) return;
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(new IdleStream()), idleTimeoutMs);
    };
    let error: ConnectError | undefined;
    try {
      armIdle();
      let live = false;
      for await (const res of tasks.watchTasks({}, { signal: controller.signal, timeoutMs: 0 })) {
        armIdle();
        if (!live) {
          live = true;
          failures = 0;
          options.onConnected?.({ reconnected: connectedBefore });
          connectedBefore = true;
        }
        if (res.change) yield res.change;
      }
    } catch (caught) {
      if (options.signal?.aborted) return;
      error =
        controller.signal.reason instanceof IdleStream
          ? new ConnectError(`no message for ${idleTimeoutMs} ms`, Code.Unavailable)
          : ConnectError.from(caught);
      if (PERMANENT.has(error.code)) throw error;
    } finally {
      clearTimeout(idle);
      options.signal?.removeEventListener("abort", onAbort);
      controller.abort();
    }
    failures++;
    if (failures >= maxAttempts) {
      throw error ?? new ConnectError("the server ended the task stream", Code.Unavailable);
    }
    const delayMs = backoffDelay(failures - 1, backoff, options.random);
    options.onDisconnected?.({ error, attempt: failures, delayMs });
    try {
      await sleep(delayMs, options.signal);
    } catch {
      return;
    }
  }
}
