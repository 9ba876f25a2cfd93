/**
 * What the task list does to tasks, optimistically: the row changes at once, the call goes out, and
 * if it fails the row goes back exactly where it was and a toast says why. Completing offers Undo.
 */
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { createSignal } from "solid-js";
import { errorMessage } from "../api/errors";
import type { ToastInput } from "../components/Toast";
import type { TaskListStore } from "./task-list";

/** The calls the actions make (the TaskService client, or stubs in tests). */
export interface TaskActionCalls {
  complete(id: string): Promise<Task | undefined>;
  reopen(id: string): Promise<Task | undefined>;
}

/** The actions. */
export interface TaskActions {
  /** Completes an open task or reopens a completed one. Ignored while a call for it is in flight. */
  toggleComplete(task: Task): Promise<void>;
  /** Whether a call for the task is in flight. */
  pending(id: string): boolean;
}

/** Creates the actions for `list`. */
export function createTaskActions(deps: {
  readonly calls: TaskActionCalls;
  readonly list: TaskListStore;
  readonly toast: (t: ToastInput) => void;
}): TaskActions {
  const [inFlight, setInFlight] = createSignal<ReadonlySet<string>>(new Set());
  const mark = (id: string, on: boolean) =>
    setInFlight((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  async function toggleComplete(task: Task): Promise<void> {
    if (inFlight().has(task.id)) return;
    const { list, calls, toast } = deps;
    const index = list.items().findIndex((t) => t.id === task.id);
    const original = index >= 0 ? (list.items()[index] as Task) : task;
    const completing = original.status !== TaskStatus.COMPLETED;
    const type = completing ? ChangeType.COMPLETED : ChangeType.REOPENED;
    const optimistic: Task = { ...original, status: completing ? TaskStatus.COMPLETED : TaskStatus.OPEN };
    mark(task.id, true);
    list.apply(type, optimistic);
    try {
      const updated = completing ? await calls.complete(task.id) : await calls.reopen(task.id);
      if (updated) list.apply(type, updated);
      if (completing) {
        toast({
          message: `Completed “${original.title}”`,
          action: { label: "Undo", run: () => void toggleComplete(updated ?? optimistic) },
        });
      }
    } catch (err) {
      if (index >= 0) list.restore(original, index);
      else list.apply(ChangeType.UPDATED, original);
      toast({
        kind: "error",
        message: `Couldn't ${completing ? "complete" : "reopen"} “${original.title}”: ${errorMessage(err)}`,
        action: { label: "Retry", run: () => void toggleComplete(original) },
      });
    } finally {
      mark(task.id, false);
    }
  }

  return { toggleComplete, pending: (id) => inFlight().has(id) };
}
