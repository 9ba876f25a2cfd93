/**
 * Live task updates for WatchTasks. Each task-service process subscribes once to `task-updates` (in a
 * consumer group of its own, so every replica sees every change) and hands each change to the streams
 * of that change's owner connected to this process. A change made through any replica — or by the
 * scheduler — therefore reaches every watcher.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { TaskChangedSchema } from "@todo/gen/todo/events/v1/task_updates_pb";
import type { TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import { type CloudEvent, fromCloudEvent } from "@todo/platform";

/** Routes task changes to the watchers of their owners. */
export interface WatchHub {
  /** Feeds one `task-updates` event to the local watchers of its owner. */
  deliver(event: CloudEvent): Promise<void>;
  /**
   * The caller's changes from now on, with `undefined` as a keep-alive every `keepAliveMs`, until
   * `signal` aborts.
   */
  watch(userId: string, signal: AbortSignal): AsyncGenerator<TaskChange | undefined>;
  /** How many streams are open (for tests and metrics). */
  readonly watcherCount: number;
}

/** Options of the hub. */
export interface WatchHubOptions {
  /** How often an idle stream gets a keep-alive message (default 15 s). */
  readonly keepAliveMs?: number;
  /** How many undelivered changes a slow stream may hold before it is ended (default 10 000). */
  readonly maxBuffered?: number;
}

interface Watcher {
  queue: TaskChange[];
  wake: (() => void) | undefined;
  overflow: boolean;
}

/** Creates a hub. */
export function createWatchHub(options: WatchHubOptions = {}): WatchHub {
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const maxBuffered = options.maxBuffered ?? 10_000;
  const byUser = new Map<string, Set<Watcher>>();
  let count = 0;

  return {
    get watcherCount() {
      return count;
    },
    async deliver(event) {
      const { userId, change } = fromCloudEvent(TaskChangedSchema, event);
      if (!change) return;
      for (const w of byUser.get(userId) ?? []) {
        if (w.queue.length >= maxBuffered) w.overflow = true;
        else w.queue.push(change);
        w.wake?.();
      }
    },
    watch(userId, signal) {
      // Registered now, not at the first next(): a change made right after the caller learns the
      // stream is live must not be missed.
      const watcher: Watcher = { queue: [], wake: undefined, overflow: false };
      const set = byUser.get(userId) ?? new Set<Watcher>();
      byUser.set(userId, set);
      set.add(watcher);
      count++;
      // Connect may never resume a cancelled stream's generator, so cleanup also runs on abort.
      let closed = false;
      const cleanup = () => {
        if (closed) return;
        closed = true;
        signal.removeEventListener("abort", onAbort);
        set.delete(watcher);
        if (set.size === 0 && byUser.get(userId) === set) byUser.delete(userId);
        count--;
      };
      const onAbort = () => {
        cleanup();
        watcher.wake?.();
      };
      signal.addEventListener("abort", onAbort);
      if (signal.aborted) onAbort();
      return (async function* () {
        try {
          while (!signal.aborted) {
            if (watcher.overflow) {
              throw new ConnectError("too many undelivered changes: watch again", Code.ResourceExhausted);
            }
            const next = watcher.queue.shift();
            if (next) {
              yield next;
              continue;
            }
            let timer: ReturnType<typeof setTimeout> | undefined;
            const timedOut = await new Promise<boolean>((resolve) => {
              watcher.wake = () => resolve(false);
              timer = setTimeout(() => resolve(true), keepAliveMs);
            });
            clearTimeout(timer);
            watcher.wake = undefined;
            if (timedOut && !signal.aborted && watcher.queue.length === 0) yield undefined;
          }
        } finally {
          cleanup();
        }
      })();
    },
  };
}
