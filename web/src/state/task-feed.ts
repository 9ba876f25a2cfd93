/**
 * One WatchTasks stream per signed-in window, shared by whatever shows tasks. Subscribers get every
 * change, and a `resync` after the stream came back from a drop (changes made meanwhile were not
 * streamed, so lists should fetch their first page again).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import type { WatchTasksResponse } from "@todo/gen/todo/task/v1/task_service_pb";
import { type Accessor, createContext, createSignal, useContext } from "solid-js";
import { keepStreaming, type LiveState } from "../api/live";

/** What subscribers receive. */
export type TaskFeedEvent =
  | { readonly kind: "change"; readonly change: TaskChange }
  | { readonly kind: "resync" };

/** The shared feed. */
export interface TaskFeed {
  /** The stream's state, for a "reconnecting…" hint. */
  readonly state: Accessor<LiveState>;
  /** Adds a listener; returns its removal. */
  subscribe(listener: (e: TaskFeedEvent) => void): () => void;
  /** Ends the stream. */
  stop(): void;
}

/** The call that opens the stream (the TaskService client's `watchTasks`). */
export type WatchTasksFn = (
  req: object,
  opts: { signal: AbortSignal; onHeader?: (h: Headers) => void },
) => AsyncIterable<WatchTasksResponse>;

/** Whether `err` means retrying cannot help. */
export function isFatalStreamError(err: unknown): boolean {
  return (
    err instanceof ConnectError &&
    (err.code === Code.Unauthenticated ||
      err.code === Code.PermissionDenied ||
      err.code === Code.Unimplemented)
  );
}

/** Starts the feed. */
export function createTaskFeed(watch: WatchTasksFn, options?: { minDelay?: number }): TaskFeed {
  const [state, setState] = createSignal<LiveState>("connecting");
  const listeners = new Set<(e: TaskFeedEvent) => void>();
  const emit = (e: TaskFeedEvent) => {
    for (const l of [...listeners]) l(e);
  };
  const seen = new Set<string>();
  const stop = keepStreaming<WatchTasksResponse>({
    open: (signal, connected) => watch({}, { signal, onHeader: connected }),
    onMessage(res) {
      const change = res.change;
      if (!change?.task) return; // keep-alive
      if (change.eventId) {
        if (seen.has(change.eventId)) return;
        seen.add(change.eventId);
        if (seen.size > 2000) seen.delete(seen.values().next().value as string);
      }
      emit({ kind: "change", change });
    },
    onReconnected: () => emit({ kind: "resync" }),
    onState: setState,
    isFatal: isFatalStreamError,
    ...(options?.minDelay !== undefined ? { minDelay: options.minDelay } : {}),
  });
  return {
    state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop,
  };
}

const TaskFeedContext = createContext<TaskFeed>();
/** Provides the feed. */
export const TaskFeedProvider = TaskFeedContext.Provider;
/** The feed, if one is provided (pages work without it in tests). */
export function useTaskFeed(): TaskFeed | undefined {
  return useContext(TaskFeedContext);
}
