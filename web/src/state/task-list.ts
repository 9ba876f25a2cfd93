/**
 * The loaded part of one task view: pages fetched from ListTasks with keyset page tokens, kept in
 * step with live changes. Only what has been paged in is held (never the whole account), and the
 * old rows stay on screen until the new first page arrives, so typing a search never flashes an
 * empty list.
 *
 * One first page at a time: when the view changes while a first page is on the wire (a search
 * typed one key at a time changes it on every key), the new view waits for that answer — which is
 * then dropped, never shown — and only the newest view is asked for next. Cancelling instead would
 * not spare the server the work (a query it has started runs to the end), so on a busy server the
 * cancelled searches of every keystroke would queue up ahead of the last one. An answer that takes
 * longer than `coalesceWait` is cancelled after all, so a slow call cannot hold the list up.
 *
 * Live changes (WatchTasks, and the answers to this window's own actions) go through
 * {@link TaskListStore.apply}: a task that matches the view is put where the server would list it,
 * one that no longer matches leaves, and when only the server can tell (a search or an advanced
 * filter) the first page is fetched again.
 */

import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { type Accessor, batch, createEffect, createSignal, on, onCleanup, untrack } from "solid-js";
import { errorMessage, fieldViolations, isAbort } from "../api/errors";
import { buildListQuery, compareForView, type MatchContext, matchesView, type TaskView } from "./view";

/** The request fields the list sends. */
export interface ListRequest {
  pageSize: number;
  pageToken: string;
  filter: string;
  orderBy: string;
  query: string;
}

/** The slice of the TaskService client the list needs (a stub in tests). */
export type ListTasksFn = (
  req: ListRequest,
  opts: { signal: AbortSignal },
) => Promise<{ tasks: Task[]; nextPageToken: string; totalSize: number; totalSizeCapped?: boolean }>;

/** An error of the current view, with the filter box's part separated out. */
export interface ListError {
  readonly message: string;
  /** The server's complaint about the `filter` field, for the advanced box. */
  readonly filter?: string;
}

/** The reactive list and what can be done with it. */
export interface TaskListStore {
  /** The loaded tasks, in the view's order. */
  readonly items: Accessor<readonly Task[]>;
  /** How many tasks match the view in all pages (the server's count, adjusted by live changes). */
  readonly total: Accessor<number>;
  /** More tasks match than `total`: a search counts only up to 1 000 (show "1000+"). */
  readonly totalCapped: Accessor<boolean>;
  /** A first page is on its way (the previous rows stay until it lands). */
  readonly loading: Accessor<boolean>;
  /** A further page is on its way. */
  readonly loadingMore: Accessor<boolean>;
  /** Whether the current view's first page has arrived at least once. */
  readonly ready: Accessor<boolean>;
  /** Whether more pages exist. */
  readonly hasMore: Accessor<boolean>;
  readonly error: Accessor<ListError | undefined>;
  /** Fetches the next page, unless one is on its way or there is none. */
  loadMore(): void;
  /** Fetches the first page again and merges it in (after a reconnect, or on demand). */
  resync(): void;
  /** Applies a change to one task (from WatchTasks or from this window's own calls). */
  apply(type: ChangeType, task: Task): void;
  /** The task with `id` if loaded. */
  find(id: string): Task | undefined;
  /** Puts a task back exactly where it was (undoing an optimistic change). */
  restore(task: Task, index: number): void;
}

/** Options of {@link createTaskList}. */
export interface TaskListOptions {
  readonly listTasks: ListTasksFn;
  readonly view: Accessor<TaskView>;
  /** The moment and the account's zone, read whenever a change is matched. */
  readonly context: () => MatchContext;
  /** Default 50. */
  readonly pageSize?: number;
  /** Delay before a first-page refetch asked for by changes the client cannot place. Default 250 ms. */
  readonly resyncDelay?: number;
  /** How long a new view waits for the previous view's first page (see above). Default 300 ms. */
  readonly coalesceWait?: number;
}

const millis = (t: Task["updateTime"]): number =>
  t === undefined ? 0 : Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);

/**
 * `fresh` with every task that is already on screen unchanged (same id, etag and update time)
 * replaced by the object on screen. The list renders rows by object, so those rows keep their DOM
 * and only move: refining a search ("inv" → "invoice") mostly reorders rows instead of rebuilding
 * fifty of them.
 */
export function reuseUnchanged(fresh: readonly Task[], shown: readonly Task[]): Task[] {
  if (shown.length === 0) return [...fresh];
  const byId = new Map(shown.map((t) => [t.id, t]));
  return fresh.map((t) => {
    const old = byId.get(t.id);
    return old && old.etag === t.etag && millis(old.updateTime) === millis(t.updateTime) ? old : t;
  });
}

/** Creates the list for `view`; must run inside a reactive owner (a component or createRoot). */
export function createTaskList(opts: TaskListOptions): TaskListStore {
  const pageSize = opts.pageSize ?? 50;
  const [items, setItems] = createSignal<readonly Task[]>([]);
  const [total, setTotal] = createSignal(0);
  const [totalCapped, setTotalCapped] = createSignal(false);
  const [loading, setLoading] = createSignal(false);
  const [loadingMore, setLoadingMore] = createSignal(false);
  const [ready, setReady] = createSignal(false);
  const [nextToken, setNextToken] = createSignal("");
  const [error, setError] = createSignal<ListError>();

  let firstCtrl: AbortController | undefined;
  /** The first-page call on the wire, if any. */
  let firstCall: Promise<unknown> | undefined;
  let moreCtrl: AbortController | undefined;
  let generation = 0;
  let resyncTimer: ReturnType<typeof setTimeout> | undefined;

  const query = () => buildListQuery(opts.view());
  const request = (token: string): ListRequest => ({ pageSize, pageToken: token, ...untrack(query) });

  const fail = (err: unknown) => {
    const onFilter = fieldViolations(err).filter((v) => v.field === "filter");
    const message = errorMessage(err);
    setError(
      onFilter.length ? { message, filter: onFilter.map((v) => v.description).join("; ") } : { message },
    );
  };

  /** Loads the first page; `merge` keeps rows past it (a resync) instead of replacing everything. */
  async function loadFirst(merge: boolean) {
    moreCtrl?.abort();
    setLoadingMore(false);
    const gen = ++generation;
    setLoading(true);
    // One first page at a time (see the top of this file).
    const waitUntil = performance.now() + (opts.coalesceWait ?? 300);
    while (firstCall) {
      const left = waitUntil - performance.now();
      if (left <= 0) {
        firstCtrl?.abort();
        break;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        firstCall.catch(() => {}),
        new Promise<void>((r) => {
          timer = setTimeout(r, left);
        }),
      ]);
      clearTimeout(timer);
      // A newer view came meanwhile: it asks instead.
      if (gen !== generation) return;
    }
    const ctrl = new AbortController();
    firstCtrl = ctrl;
    const call = opts.listTasks(request(""), { signal: ctrl.signal });
    firstCall = call;
    const settled = () => {
      if (firstCall === call) firstCall = undefined;
    };
    call.then(settled, settled);
    try {
      const res = await call;
      if (gen !== generation) return;
      batch(() => {
        const fresh = reuseUnchanged(res.tasks, untrack(items));
        const cmp = untrack(() => compareForView(opts.view()));
        const last = fresh.at(-1);
        if (merge && res.nextPageToken && cmp && last && untrack(nextToken)) {
          // Keep what was paged in beyond the fresh first page, and the token that continues it.
          const ids = new Set(fresh.map((t) => t.id));
          const tail = untrack(items).filter((t) => !ids.has(t.id) && cmp(t, last) > 0);
          setItems([...fresh, ...tail]);
        } else {
          setItems(fresh);
          setNextToken(res.nextPageToken);
        }
        setTotal(res.totalSize);
        setTotalCapped(res.totalSizeCapped ?? false);
        setError(undefined);
        setReady(true);
        setLoading(false);
      });
    } catch (err) {
      if (gen !== generation || isAbort(err)) return;
      batch(() => {
        fail(err);
        setLoading(false);
        if (!merge) {
          setItems([]);
          setNextToken("");
          setTotal(0);
          setTotalCapped(false);
        }
        setReady(true);
      });
    }
  }

  async function loadMore() {
    const token = nextToken();
    if (!token || loading() || loadingMore()) return;
    const ctrl = new AbortController();
    moreCtrl = ctrl;
    const gen = generation;
    setLoadingMore(true);
    try {
      const res = await opts.listTasks(request(token), { signal: ctrl.signal });
      if (gen !== generation || nextToken() !== token) return;
      batch(() => {
        // A task that moved while paging (a live insert) may come again: keep the one already shown.
        const have = new Set(items().map((t) => t.id));
        setItems([...items(), ...res.tasks.filter((t) => !have.has(t.id))]);
        setNextToken(res.nextPageToken);
        setTotal(res.totalSize);
        setTotalCapped(res.totalSizeCapped ?? false);
        setLoadingMore(false);
      });
    } catch (err) {
      if (gen !== generation || isAbort(err)) return;
      batch(() => {
        fail(err);
        setLoadingMore(false);
      });
    }
  }

  const scheduleResync = () => {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(() => void loadFirst(true), opts.resyncDelay ?? 250);
  };

  // A new view (by value, not by identity): cancel the old requests and load its first page.
  createEffect(
    on(
      () => JSON.stringify(query()),
      () => {
        setReady(false);
        void loadFirst(false);
      },
    ),
  );
  onCleanup(() => {
    generation++;
    firstCtrl?.abort();
    moreCtrl?.abort();
    clearTimeout(resyncTimer);
  });

  function apply(type: ChangeType, task: Task) {
    const list = items();
    const index = list.findIndex((t) => t.id === task.id);
    const existing = index >= 0 ? list[index] : undefined;
    if (type === ChangeType.DELETED) {
      if (existing) {
        batch(() => {
          setItems(list.filter((_, i) => i !== index));
          setTotal((n) => Math.max(0, n - 1));
        });
      }
      return;
    }
    // A late, older snapshot never overwrites a newer one.
    if (existing && millis(task.updateTime) < millis(existing.updateTime)) return;
    const view = opts.view();
    const matches = matchesView(task, view, opts.context());
    if (matches === false) {
      if (existing) {
        batch(() => {
          setItems(list.filter((_, i) => i !== index));
          setTotal((n) => Math.max(0, n - 1));
        });
      }
      return;
    }
    const cmp = compareForView(view);
    if (matches === undefined || !cmp) {
      if (existing) setItems(list.map((t, i) => (i === index ? task : t)));
      // Only the server can tell whether (and where) it belongs.
      if (!existing || matches === undefined) scheduleResync();
      return;
    }
    const rest = existing ? list.filter((_, i) => i !== index) : list;
    let pos = rest.findIndex((t) => cmp(task, t) < 0);
    if (pos < 0) pos = rest.length;
    batch(() => {
      if (pos === rest.length && nextToken()) {
        // It sorts past what is loaded: it will come with a later page.
        setItems(rest);
      } else {
        setItems([...rest.slice(0, pos), task, ...rest.slice(pos)]);
      }
      if (!existing) setTotal((n) => n + 1);
    });
  }

  function restore(task: Task, index: number) {
    const list = items().filter((t) => t.id !== task.id);
    const at = Math.max(0, Math.min(index, list.length));
    const had = items().length !== list.length;
    batch(() => {
      setItems([...list.slice(0, at), task, ...list.slice(at)]);
      if (!had) setTotal((n) => n + 1);
    });
  }

  return {
    items,
    total,
    totalCapped,
    loading,
    loadingMore,
    ready,
    hasMore: () => nextToken() !== "",
    error,
    loadMore: () => void loadMore(),
    resync: () => void loadFirst(true),
    apply,
    find: (id) => items().find((t) => t.id === id),
    restore,
  };
}

/** Whether `task` is completed. */
export function isCompleted(task: Task): boolean {
  return task.status === TaskStatus.COMPLETED;
}
