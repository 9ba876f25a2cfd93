import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { type Task, TaskSchema, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { createRoot, createSignal } from "solid-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ToastInput } from "../components/Toast";
import { createTaskActions, type TaskActionCalls } from "./task-actions";
import { createTaskList, type ListRequest, type ListTasksFn } from "./task-list";
import { DEFAULT_VIEW, type TaskView } from "./view";

const pad = (n: number) => String(n).padStart(3, "0");
/** Task n, created n minutes after a fixed moment (so "newest first" is n descending). */
function t(n: number, patch: MessageInitShape<typeof TaskSchema> = {}): Task {
  return create(TaskSchema, {
    id: `00000000-0000-4000-8000-000000000${pad(n)}`,
    title: `Task ${n}`,
    status: TaskStatus.OPEN,
    createTime: timestampFromDate(new Date(Date.UTC(2026, 0, 1, 0, n))),
    updateTime: timestampFromDate(new Date(Date.UTC(2026, 0, 1, 0, n))),
    ...patch,
  });
}

/** A fake ListTasks over `all` (already in view order), `size` per page, tokens are offsets. */
function fakeServer(all: Task[]) {
  const calls: ListRequest[] = [];
  const fn: ListTasksFn = async (req, { signal }) => {
    calls.push(req);
    await Promise.resolve();
    if (signal.aborted) throw new ConnectError("canceled", Code.Canceled);
    const start = Number(req.pageToken || "0");
    const page = all.slice(start, start + req.pageSize);
    const next = start + req.pageSize < all.length ? String(start + req.pageSize) : "";
    return { tasks: page, nextPageToken: next, totalSize: all.length };
  };
  return { fn, calls };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
let disposers: (() => void)[] = [];
afterEach(() => {
  for (const d of disposers) d();
  disposers = [];
});

function setup(listTasks: ListTasksFn, initial: TaskView = DEFAULT_VIEW, pageSize = 3) {
  return createRoot((dispose) => {
    disposers.push(dispose);
    const [view, setView] = createSignal<TaskView>(initial);
    const list = createTaskList({
      listTasks,
      view,
      context: () => ({ now: new Date("2026-01-02T00:00:00Z"), timeZone: "UTC" }),
      pageSize,
      resyncDelay: 0,
    });
    return { list, setView };
  });
}

const ids = (l: readonly Task[]) => l.map((x) => Number(x.id.slice(-3)));

describe("task list", () => {
  it("passes on a capped count (a search counts to 1 000) and forgets it with the next view", async () => {
    const capped: ListTasksFn = async (req) => ({
      tasks: [t(1)],
      nextPageToken: "",
      totalSize: req.query ? 1000 : 1,
      totalSizeCapped: req.query !== "",
    });
    const { list, setView } = setup(capped, { ...DEFAULT_VIEW, q: "invoice" });
    await settle();
    expect(list.total()).toBe(1000);
    expect(list.totalCapped()).toBe(true);
    setView(DEFAULT_VIEW);
    await settle();
    expect(list.total()).toBe(1);
    expect(list.totalCapped()).toBe(false);
  });

  it("loads the first page, pages on with the token, and never duplicates", async () => {
    const all = [t(9), t(8), t(7), t(6), t(5)];
    const server = fakeServer(all);
    const { list } = setup(server.fn);
    await settle();
    expect(ids(list.items())).toEqual([9, 8, 7]);
    expect(list.total()).toBe(5);
    expect(list.hasMore()).toBe(true);
    expect(server.calls[0]).toMatchObject({
      filter: "status = OPEN",
      orderBy: "create_time desc",
      pageToken: "",
    });
    list.loadMore();
    list.loadMore(); // ignored while one is in flight
    await settle();
    expect(ids(list.items())).toEqual([9, 8, 7, 6, 5]);
    expect(list.hasMore()).toBe(false);
    expect(server.calls.filter((c) => c.pageToken === "3")).toHaveLength(1);
  });

  it("asks for one first page at a time, only for the newest view, and never shows a stale answer", async () => {
    const asked: string[] = [];
    const pending: (() => void)[] = [];
    const fn: ListTasksFn = (req) => {
      asked.push(req.query);
      return new Promise((resolve) => {
        pending.push(() =>
          resolve({
            tasks: [t(req.query === "abc" ? 3 : req.query === "a" ? 1 : 9)],
            nextPageToken: "",
            totalSize: 1,
          }),
        );
      });
    };
    const { list, setView } = setup(fn);
    await settle();
    pending.shift()?.(); // the default view
    await settle();
    expect(ids(list.items())).toEqual([9]);
    setView({ ...DEFAULT_VIEW, q: "a" });
    await settle();
    setView({ ...DEFAULT_VIEW, q: "ab" });
    setView({ ...DEFAULT_VIEW, q: "abc" });
    await settle();
    // "a" is on the wire; "ab" and "abc" wait for it, and "ab" is never asked for.
    expect(asked).toEqual(["", "a"]);
    expect(list.loading()).toBe(true);
    pending.shift()?.(); // "a" answers: dropped, the newest view is asked for at once
    await settle();
    expect(asked).toEqual(["", "a", "abc"]);
    expect(ids(list.items())).toEqual([9]);
    pending.shift()?.();
    await settle();
    expect(ids(list.items())).toEqual([3]);
    expect(list.loading()).toBe(false);
  });

  it("cancels a first page that keeps a newer view waiting too long", async () => {
    const signals: AbortSignal[] = [];
    const fn: ListTasksFn = (req, { signal }) => {
      signals.push(signal);
      return new Promise((resolve, reject) => {
        signal.addEventListener("abort", () => reject(new ConnectError("canceled", Code.Canceled)));
        if (req.query === "b")
          setTimeout(() => resolve({ tasks: [t(2)], nextPageToken: "", totalSize: 1 }), 5);
      });
    };
    const root = createRoot((dispose) => {
      disposers.push(dispose);
      const [view, setView] = createSignal<TaskView>({ ...DEFAULT_VIEW, q: "a" });
      const list = createTaskList({
        listTasks: fn,
        view,
        context: () => ({ now: new Date(), timeZone: "UTC" }),
        coalesceWait: 20,
      });
      return { list, setView };
    });
    await settle();
    root.setView({ ...DEFAULT_VIEW, q: "b" });
    await new Promise((r) => setTimeout(r, 60));
    expect(signals).toHaveLength(2);
    expect(signals[0]?.aborted).toBe(true);
    expect(ids(root.list.items())).toEqual([2]);
  });

  it("keeps the objects of unchanged tasks when a new first page arrives, so their rows stay", async () => {
    const answers: Record<string, Task[]> = {
      inv: [t(9), t(8), t(7)],
      invo: [t(8), t(9, { etag: "changed" }), t(6)],
    };
    const fn: ListTasksFn = async (req) => {
      const tasks = (answers[req.query] ?? []).map((x) => create(TaskSchema, x));
      return { tasks, nextPageToken: "", totalSize: tasks.length };
    };
    const { list, setView } = setup(fn, { ...DEFAULT_VIEW, q: "inv" });
    await settle();
    const [nine, eight] = list.items();
    setView({ ...DEFAULT_VIEW, q: "invo" });
    await settle();
    const after = list.items();
    expect(ids(after)).toEqual([8, 9, 6]);
    // Same id, etag and update time: the very object shown before.
    expect(after[0]).toBe(eight as Task);
    // Changed since: the new snapshot.
    expect(after[1]).not.toBe(nine as Task);
    expect(after[1]?.etag).toBe("changed");
  });

  it("puts live changes where the server would list them", async () => {
    const server = fakeServer([t(9), t(8), t(5)]);
    const { list } = setup(server.fn, DEFAULT_VIEW, 10);
    await settle();
    list.apply(ChangeType.CREATED, t(7));
    expect(ids(list.items())).toEqual([9, 8, 7, 5]);
    expect(list.total()).toBe(4);
    // Completed: no longer an open task.
    list.apply(
      ChangeType.COMPLETED,
      t(8, { status: TaskStatus.COMPLETED, updateTime: timestampFromDate(new Date()) }),
    );
    expect(ids(list.items())).toEqual([9, 7, 5]);
    list.apply(ChangeType.DELETED, t(9));
    expect(ids(list.items())).toEqual([7, 5]);
    expect(list.total()).toBe(2);
    // An older snapshot never overwrites a newer one.
    list.apply(
      ChangeType.UPDATED,
      t(7, { title: "new", updateTime: timestampFromDate(new Date("2027-01-01")) }),
    );
    list.apply(ChangeType.UPDATED, t(7, { title: "old" }));
    expect(list.find(t(7).id)?.title).toBe("new");
  });

  it("does not insert past the loaded pages, and refetches when only the server can tell", async () => {
    const server = fakeServer([t(9), t(8), t(7), t(6)]);
    const { list, setView } = setup(server.fn, DEFAULT_VIEW, 2);
    await settle();
    list.apply(ChangeType.CREATED, t(1)); // sorts after 8, beyond the loaded page
    expect(ids(list.items())).toEqual([9, 8]);
    setView({ ...DEFAULT_VIEW, q: "task" });
    await settle();
    const before = server.calls.length;
    list.apply(ChangeType.CREATED, t(20));
    await new Promise((r) => setTimeout(r, 10));
    expect(server.calls.length).toBe(before + 1);
    expect(server.calls.at(-1)?.query).toBe("task");
  });

  it("separates the server's complaint about the filter", async () => {
    const err = new ConnectError("filter: unknown field", Code.InvalidArgument, undefined, [
      {
        desc: BadRequestSchema,
        value: create(BadRequestSchema, {
          fieldViolations: [{ field: "filter", description: 'unknown field "prio" at column 1' }],
        }),
      },
    ]);
    const { list } = setup(async () => {
      throw err;
    });
    await settle();
    expect(list.error()?.filter).toBe('unknown field "prio" at column 1');
    expect(list.items()).toEqual([]);
  });
});

/** Calls a test does not expect to be made. */
const unused = { complete: vi.fn(), reopen: vi.fn(), remove: vi.fn(), undelete: vi.fn(), get: vi.fn() };

describe("optimistic completion", () => {
  it("removes the row at once and keeps it out when the call succeeds", async () => {
    const server = fakeServer([t(3), t(2), t(1)]);
    const { list } = setup(server.fn, DEFAULT_VIEW, 10);
    await settle();
    const toasts: ToastInput[] = [];
    let finish!: (task: Task) => void;
    const actions = createTaskActions({
      calls: {
        ...unused,
        complete: () => new Promise<Task>((r) => (finish = r)),
      },
      list,
      toast: (x) => toasts.push(x),
    });
    const done = actions.toggleComplete(t(2));
    expect(ids(list.items())).toEqual([3, 1]);
    expect(actions.pending(t(2).id)).toBe(true);
    finish(t(2, { status: TaskStatus.COMPLETED, updateTime: timestampFromDate(new Date("2026-02-01")) }));
    await done;
    expect(ids(list.items())).toEqual([3, 1]);
    expect(actions.pending(t(2).id)).toBe(false);
    expect(toasts[0]?.message).toBe("Completed “Task 2”");
    expect(toasts[0]?.action?.label).toBe("Undo");
  });

  it("puts the row back where it was, and says why, when the call fails", async () => {
    const server = fakeServer([t(3), t(2), t(1)]);
    const { list } = setup(server.fn, DEFAULT_VIEW, 10);
    await settle();
    const toasts: ToastInput[] = [];
    const actions = createTaskActions({
      calls: {
        ...unused,
        complete: async () => {
          throw new ConnectError("task not found", Code.NotFound);
        },
      },
      list,
      toast: (x) => toasts.push(x),
    });
    await actions.toggleComplete(t(2));
    expect(ids(list.items())).toEqual([3, 2, 1]);
    expect(list.find(t(2).id)?.status).toBe(TaskStatus.OPEN);
    expect(list.total()).toBe(3);
    expect(toasts[0]?.kind).toBe("error");
    expect(toasts[0]?.message).toMatch(/^Couldn't complete “Task 2”: It no longer exists/);
  });
});

/** A list over `tasks` (one page) and actions on it with `calls`; the toasts are collected. */
async function withActions(tasks: Task[], calls: Partial<TaskActionCalls>, settleMs?: number) {
  const { list } = setup(fakeServer(tasks).fn, DEFAULT_VIEW, 10);
  await settle();
  const toasts: ToastInput[] = [];
  const actions = createTaskActions({
    calls: { ...unused, ...calls },
    list,
    toast: (x) => toasts.push(x),
    ...(settleMs !== undefined ? { settleMs } : {}),
  });
  return { list, actions, toasts };
}

describe("undo, one row at a time, and delete", () => {
  const SERIES = "00000000-0000-4000-8000-00000000a000";
  const rec = (n: number, patch: Partial<Pick<Task, "status" | "etag" | "updateTime">> = {}) =>
    t(n, { seriesId: SERIES, recurrence: { rrule: "FREQ=DAILY" }, etag: '"1"', ...patch });
  const later = (n: number) => timestampFromDate(new Date(Date.UTC(2026, 1, 1, 0, n)));

  it("Undo of a recurring completion reopens it with its etag and drops the withdrawn next instance", async () => {
    const done = rec(2, { status: TaskStatus.COMPLETED, etag: '"2"', updateTime: later(1) });
    const reopen = vi.fn(async (task: Task) => {
      expect(task.etag).toBe('"2"');
      return { task: rec(2, { etag: '"3"', updateTime: later(3) }), withdrawnTaskId: rec(5).id };
    });
    const { list, actions, toasts } = await withActions(
      [rec(2), t(1)],
      { complete: async () => done, reopen },
      0,
    );
    await actions.toggleComplete(rec(2));
    list.apply(ChangeType.CREATED, rec(5, { updateTime: later(2) })); // the scheduler's next instance
    expect(ids(list.items())).toEqual([5, 1]);
    // Undo at once, while the series is still settling.
    toasts[0]?.action?.run();
    await settle();
    await settle();
    expect(reopen).toHaveBeenCalledTimes(1);
    expect(ids(list.items())).toEqual([2, 1]);
  });

  it("a second click on the series while its completion is answered is ignored; the etag goes out", async () => {
    let finish!: (task: Task) => void;
    const complete = vi.fn((task: Task) => {
      expect(task.etag).toBe('"1"');
      return new Promise<Task>((r) => (finish = r));
    });
    const { list, actions } = await withActions([rec(2), t(1)], { complete }, 100);
    const first = actions.toggleComplete(rec(2));
    void actions.toggleComplete(rec(2));
    finish(rec(2, { status: TaskStatus.COMPLETED, etag: '"2"', updateTime: later(1) }));
    await first;
    // The next instance has not arrived: the series is still busy, whichever instance is clicked.
    void actions.toggleComplete(rec(6));
    expect(complete).toHaveBeenCalledTimes(1);
    // Once it has been there for `settleMs`, it can be completed.
    list.apply(ChangeType.CREATED, rec(7, { updateTime: later(3) }));
    await new Promise((r) => setTimeout(r, 60));
    expect(actions.pending(rec(7).id)).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    expect(actions.pending(rec(7).id)).toBe(false);
  });

  it("a stale etag (ABORTED) shows the task as the server has it", async () => {
    const { list, actions, toasts } = await withActions([t(2), t(1)], {
      complete: async () => {
        throw new ConnectError("the task changed since you read it", Code.Aborted);
      },
      get: async () => t(2, { title: "Task 2, renamed", updateTime: later(1) }),
    });
    await actions.toggleComplete(t(2));
    expect(list.find(t(2).id)?.title).toBe("Task 2, renamed");
    expect(list.find(t(2).id)?.status).toBe(TaskStatus.OPEN);
    expect(toasts[0]?.message).toContain("changed in the meantime");
  });

  it("delete removes the row at once; Undo brings it back through UndeleteTask", async () => {
    const undelete = vi.fn(async () => t(2, { updateTime: later(1) }));
    const { list, actions, toasts } = await withActions([t(3), t(2), t(1)], {
      remove: async () => {},
      undelete,
    });
    await actions.remove(t(2));
    expect(ids(list.items())).toEqual([3, 1]);
    expect(toasts[0]?.message).toBe("Deleted “Task 2”");
    toasts[0]?.action?.run();
    await settle();
    expect(undelete).toHaveBeenCalledWith(t(2).id);
    expect(ids(list.items())).toEqual([3, 2, 1]);
  });

  it("a failed delete puts the row back and says why", async () => {
    const { list, actions, toasts } = await withActions([t(3), t(2), t(1)], {
      remove: async () => {
        throw new ConnectError("down", Code.Unavailable);
      },
    });
    await actions.remove(t(2));
    expect(ids(list.items())).toEqual([3, 2, 1]);
    expect(toasts[0]?.message).toMatch(/^Couldn't delete “Task 2”: Can't reach the server/);
  });
});
