/**
 * What the task list does to tasks, optimistically: the row changes at once, the call goes out, and
 * if it fails the row goes back exactly where it was and a toast says why. Completing and deleting
 * offer Undo, and Undo is one server call each — ReopenTask (which also withdraws the next instance
 * a recurring completion generated) and UndeleteTask — so every window sees the same result.
 *
 * One completion at a time per row: a row's calls go out with the etag it shows (a stale one is
 * ABORTED, and the row is read again), clicks on a row are ignored while its call is in flight, and
 * for a recurring task the whole series counts as the row — its checkboxes wait until the server has
 * answered and the next instance has been on screen for `settleMs` (1 s), so clicking fast on "the
 * same" row completes one occurrence, not one per click (a script's clicks once moved a weekly task
 * 57 weeks ahead).
 */
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { type Task, TaskSchema, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { createSignal } from "solid-js";
import { codeOf, errorMessage } from "../api/errors";
import type { ToastInput } from "../components/Toast";
import type { TaskListStore } from "./task-list";

/** How long to wait for a series' next instance to show before freeing the series anyway. */
const ARRIVAL_WAIT_MS = 3000;

/** The calls the actions make (the TaskService client, or stubs in tests). */
export interface TaskActionCalls {
  /** CompleteTask with the task's etag. */
  complete(task: Task): Promise<Task | undefined>;
  /** ReopenTask with the task's etag; `withdrawnTaskId` is the next instance it deleted, if any. */
  reopen(task: Task): Promise<{ task?: Task | undefined; withdrawnTaskId: string }>;
  /** DeleteTask with the task's etag. */
  remove(task: Task): Promise<void>;
  /** UndeleteTask. */
  undelete(id: string): Promise<Task | undefined>;
  /** GetTask: the current state of a task whose etag went stale. */
  get(id: string): Promise<Task | undefined>;
}

/** The actions. */
export interface TaskActions {
  /** Completes an open task or reopens a completed one. Ignored while the row is busy. */
  toggleComplete(task: Task): Promise<void>;
  /** Deletes a task, with Undo. Ignored while the row is busy. */
  remove(task: Task): Promise<void>;
  /** Whether the row of task `id` is busy (its call, or its series' completion, in flight). */
  pending(id: string): boolean;
}

/** Creates the actions for `list`. */
export function createTaskActions(deps: {
  readonly calls: TaskActionCalls;
  readonly list: TaskListStore;
  readonly toast: (t: ToastInput) => void;
  /** How long a series stays busy after its next instance arrived. Default 1000 ms. */
  readonly settleMs?: number;
}): TaskActions {
  const { list, calls, toast } = deps;
  const settleMs = deps.settleMs ?? 1000;
  const [inFlight, setInFlight] = createSignal<ReadonlySet<string>>(new Set());
  const [busySeries, setBusySeries] = createSignal<ReadonlySet<string>>(new Set());
  /** The latest settling round per series (see settleSeries). */
  const rounds = new Map<string, number>();
  const toggleIn = (set: typeof setInFlight, key: string, on: boolean) =>
    set((s) => {
      const next = new Set(s);
      if (on) next.add(key);
      else next.delete(key);
      return next;
    });

  const busy = (task: Task) =>
    inFlight().has(task.id) || (task.seriesId !== "" && busySeries().has(task.seriesId));

  /**
   * Frees a series `settleMs` after another open instance of it is listed (its checkbox then has
   * been on screen long enough to be meant), or `ARRIVAL_WAIT_MS` after the answer when none shows
   * in this view (its row is gone, so no click can land on it).
   */
  function settleSeries(seriesId: string, doneId: string) {
    const giveUp = Date.now() + ARRIVAL_WAIT_MS;
    const round = (rounds.get(seriesId) ?? 0) + 1;
    rounds.set(seriesId, round);
    // A later completion of the series settles on its own; this round then frees nothing.
    const free = () => {
      if (rounds.get(seriesId) === round) toggleIn(setBusySeries, seriesId, false);
    };
    const check = () => {
      const arrived = list
        .items()
        .some((t) => t.seriesId === seriesId && t.id !== doneId && t.status === TaskStatus.OPEN);
      if (rounds.get(seriesId) !== round) return;
      if (arrived) setTimeout(free, settleMs);
      else if (Date.now() >= giveUp) free();
      else setTimeout(check, 50);
    };
    check();
  }

  /** The row's state before an optimistic change, to put back on failure. */
  function snapshot(task: Task) {
    const index = list.items().findIndex((t) => t.id === task.id);
    return { index, original: index >= 0 ? (list.items()[index] as Task) : task };
  }

  function putBack(original: Task, index: number) {
    if (index >= 0) list.restore(original, index);
    else list.apply(ChangeType.UPDATED, original);
  }

  /** After ABORTED: shows the task as it is now. */
  async function reread(original: Task, index: number) {
    const current = await calls.get(original.id).catch(() => undefined);
    if (current) list.apply(ChangeType.UPDATED, current);
    else putBack(original, index);
  }

  async function failed(err: unknown, what: string, original: Task, index: number, retry?: () => void) {
    if (codeOf(err) === Code.Aborted) {
      await reread(original, index);
      toast({ message: `“${original.title}” changed in the meantime; it now shows how it is.` });
      return;
    }
    putBack(original, index);
    toast({
      kind: "error",
      message: `Couldn't ${what} “${original.title}”: ${errorMessage(err)}`,
      ...(retry ? { action: { label: "Retry", run: retry } } : {}),
    });
  }

  /** `undo`: the toast's Undo, which the series' settling must not hold up. */
  async function toggleComplete(task: Task, undo = false): Promise<void> {
    const { index, original } = snapshot(task);
    if (undo ? inFlight().has(original.id) : busy(original)) return;
    const completing = original.status !== TaskStatus.COMPLETED;
    const series = original.recurrence && original.seriesId !== "" ? original.seriesId : "";
    const type = completing ? ChangeType.COMPLETED : ChangeType.REOPENED;
    toggleIn(setInFlight, original.id, true);
    if (completing && series) toggleIn(setBusySeries, series, true);
    list.apply(type, { ...original, status: completing ? TaskStatus.COMPLETED : TaskStatus.OPEN });
    try {
      if (completing) {
        const updated = (await calls.complete(original)) ?? original;
        list.apply(type, updated);
        toast({
          message: `Completed “${original.title}”`,
          action: { label: "Undo", run: () => void toggleComplete(updated, true) },
        });
      } else {
        const res = await calls.reopen(original);
        if (res.task) list.apply(type, res.task);
        if (res.withdrawnTaskId) {
          const next = list.find(res.withdrawnTaskId) ?? create(TaskSchema, { id: res.withdrawnTaskId });
          list.apply(ChangeType.DELETED, next);
        }
        // The completion is taken back: nothing of the series is settling any more.
        if (series) {
          rounds.set(series, (rounds.get(series) ?? 0) + 1);
          toggleIn(setBusySeries, series, false);
        }
      }
    } catch (err) {
      await failed(
        err,
        completing ? "complete" : "reopen",
        original,
        index,
        () => void toggleComplete(original),
      );
    } finally {
      toggleIn(setInFlight, original.id, false);
      if (completing && series) settleSeries(series, original.id);
    }
  }

  async function undelete(original: Task) {
    try {
      const back = await calls.undelete(original.id);
      if (back) list.apply(ChangeType.CREATED, back);
    } catch (err) {
      toast({ kind: "error", message: `Couldn't bring back “${original.title}”: ${errorMessage(err)}` });
    }
  }

  async function remove(task: Task): Promise<void> {
    const { index, original } = snapshot(task);
    if (busy(original)) return;
    toggleIn(setInFlight, original.id, true);
    list.apply(ChangeType.DELETED, original);
    try {
      await calls.remove(original);
      toast({
        message: `Deleted “${original.title}”`,
        action: { label: "Undo", run: () => void undelete(original) },
      });
    } catch (err) {
      await failed(err, "delete", original, index);
    } finally {
      toggleIn(setInFlight, original.id, false);
    }
  }

  return {
    toggleComplete: (task) => toggleComplete(task),
    remove,
    pending: (id) => {
      const task = list.find(id);
      return task ? busy(task) : inFlight().has(id);
    },
  };
}
