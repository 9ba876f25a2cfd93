/**
 * The fan-out behind WatchNotifications. Each service instance (replica) has one hub; its local
 * watchers subscribe to it by user id.
 *
 * - `listen` mode (real PostgreSQL): the hub LISTENs once on `NOTIFICATION_CHANNEL` (one dedicated
 *   connection per replica, whatever the number of watchers). The consumer that writes an inbox row
 *   `pg_notify`s its id in the same transaction, so every replica hears of every committed row —
 *   whichever replica consumed the event — and loads it once for all its watchers of that user.
 * - `local` mode (the embedded PGlite store, where NOTIFY does not cross the socket): the consumer
 *   hands the rows it committed to `published`, which fans them out in-process. One process is the
 *   whole system there, so that is complete.
 *
 * A watch is live once its first (keep-alive) message is out: every row committed after that reaches
 * it. Rows committed while a replica's LISTEN connection is re-established can be missed; a client
 * that reconnects re-reads ListNotifications anyway.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createLogger, type Logger, type Sql } from "@todo/platform";
import { createSleeper } from "@todo/platform/jobs";
import { NOTIFICATION_CHANNEL, type NotificationRow } from "./store";

/** How new inbox rows reach the hub: LISTEN/NOTIFY (real PostgreSQL) or in-process (embedded). */
export type WatchMode = "listen" | "local";

/** `listen` on a real PostgreSQL, `local` on the embedded PGlite store. */
export function watchModeFor(kind: "postgres" | "pglite"): WatchMode {
  return kind === "postgres" ? "listen" : "local";
}

/** How the hub runs. */
export interface NotificationHubOptions {
  readonly sql: Sql;
  readonly mode: WatchMode;
  /** Rows a watcher may have waiting before its stream is ended as too slow; default 1000. */
  readonly maxBuffered?: number;
  readonly logger?: Logger;
}

/** What a watch yields: a new row, or `null` for a keep-alive. */
export type WatchItem = NotificationRow | null;

/** Options of one watch. */
export interface WatchOptions {
  /** Ends the watch (the RPC's cancellation signal). */
  readonly signal: AbortSignal;
  /** Quiet time after which a keep-alive (`null`) is yielded. */
  readonly keepAliveMs: number;
}

/** One replica's fan-out of new inbox rows to its watchers. */
export interface NotificationHub {
  readonly mode: WatchMode;
  /** How many watches are open on this hub (for tests and metrics). */
  readonly watcherCount: number;
  /** Resolves once new rows can be heard (the LISTEN is in place). */
  ready(): Promise<void>;
  /**
   * The user's new rows as they are committed: first a `null` once the watch is live, then each row,
   * and `null` after every `keepAliveMs` of quiet. Ends when `signal` aborts or the hub closes; throws
   * RESOURCE_EXHAUSTED when the reader falls more than `maxBuffered` rows behind.
   */
  watch(userId: string, options: WatchOptions): AsyncGenerator<WatchItem, void, undefined>;
  /** Rows the caller just committed. Fans them out in `local` mode; no-op in `listen` mode (NOTIFY does). */
  published(rows: readonly NotificationRow[]): void;
  /** Stops listening and ends every watch. */
  close(): Promise<void>;
}

interface Watcher {
  readonly userId: string;
  push(row: NotificationRow): void;
  end(): void;
}

const ROW_COLUMNS = `id, user_id, occurrence_key, task_id, reminder_id, title, body, fire_time, create_time,
  read_time, to_char(create_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as create_key`;

/** Creates a hub; in `listen` mode it starts listening at once. */
export function createNotificationHub(options: NotificationHubOptions): NotificationHub {
  const { sql, mode } = options;
  const maxBuffered = options.maxBuffered ?? 1000;
  const log = options.logger ?? createLogger("notification-hub");
  const byUser = new Map<string, Set<Watcher>>();
  let watcherCount = 0;
  let closed = false;

  const fanOut = (row: NotificationRow) => {
    for (const w of byUser.get(row.user_id) ?? []) w.push(row);
  };

  // Rows are loaded one after another, so watchers see them in commit (NOTIFY) order.
  let loading: Promise<void> = Promise.resolve();
  const onNotify = (payload: string) => {
    let ref: { u?: unknown; id?: unknown };
    try {
      ref = JSON.parse(payload) as { u?: unknown; id?: unknown };
    } catch {
      return;
    }
    if (typeof ref.u !== "string" || typeof ref.id !== "string" || !byUser.has(ref.u)) return;
    const { u, id } = ref;
    loading = loading.then(async () => {
      if (closed || !byUser.has(u)) return;
      try {
        const [row] = await sql.unsafe<NotificationRow[]>(
          `select ${ROW_COLUMNS} from notification.notifications where id = $1 and user_id = $2`,
          [id, u],
          { prepare: true },
        );
        if (row) fanOut(row);
      } catch (err) {
        log.warn("loading a new notification for its watchers failed", { notification_id: id, err });
      }
    });
  };

  let unlisten: (() => Promise<void>) | undefined;
  const listening: Promise<void> =
    mode === "listen"
      ? sql.listen(NOTIFICATION_CHANNEL, onNotify).then(async (meta) => {
          if (closed) await meta.unlisten();
          else unlisten = () => meta.unlisten();
        })
      : Promise.resolve();
  // Surfaced to watchers through ready(); never an unhandled rejection.
  listening.catch((err) => log.error("LISTEN for new notifications failed", { err }));

  const subscribe = (watcher: Watcher) => {
    let set = byUser.get(watcher.userId);
    if (!set) {
      set = new Set();
      byUser.set(watcher.userId, set);
    }
    set.add(watcher);
    watcherCount++;
    return () => {
      const current = byUser.get(watcher.userId);
      if (!current?.delete(watcher)) return;
      watcherCount--;
      if (current.size === 0) byUser.delete(watcher.userId);
    };
  };

  return {
    mode,
    get watcherCount() {
      return watcherCount;
    },

    ready: () => listening,

    async *watch(userId, { signal, keepAliveMs }) {
      const buffer: NotificationRow[] = [];
      let ended = closed;
      let overflow = false;
      // Woken by a new row, the end of the hub and the abort; a wake while busy is remembered.
      const sleeper = createSleeper();
      const unsubscribe = subscribe({
        userId,
        push(row) {
          if (buffer.length >= maxBuffered) overflow = true;
          else buffer.push(row);
          sleeper.wake();
        },
        end() {
          ended = true;
          sleeper.wake();
        },
      });
      // Released on abort itself, not only when the generator resumes: a transport may never resume
      // a generator suspended at a `yield` once its caller went away.
      const onAbort = () => {
        unsubscribe();
        buffer.length = 0;
        sleeper.wake();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) onAbort();
      try {
        await Promise.race([listening, sleeper.sleep(Number.POSITIVE_INFINITY)]).catch((cause) => {
          throw new ConnectError(
            "live notifications are unavailable right now; try again",
            Code.Unavailable,
            undefined,
            undefined,
            cause,
          );
        });
        if (signal.aborted || ended) return;
        yield null;
        while (!signal.aborted) {
          if (overflow) {
            throw new ConnectError(
              "too many notifications waiting for this stream; reconnect and list the inbox",
              Code.ResourceExhausted,
            );
          }
          const row = buffer.shift();
          if (row) {
            yield row;
            continue;
          }
          if (ended) return;
          const quiet = await sleeper.sleep(keepAliveMs);
          if (quiet && !signal.aborted && !ended) yield null;
        }
      } finally {
        sleeper.close();
        signal.removeEventListener("abort", onAbort);
        unsubscribe();
      }
    },

    published(rows) {
      if (mode !== "local" || closed) return;
      for (const row of rows) fanOut(row);
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const set of byUser.values()) for (const w of set) w.end();
      await listening.catch(() => {});
      await loading;
      await unlisten?.().catch(() => {});
    },
  };
}
