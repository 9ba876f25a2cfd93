/**
 * One virtual user, as a person uses the product: its WatchTasks and WatchNotifications streams stay
 * open (the other window, the bell), and after each think time it lists, searches, creates with
 * quick add, updates, completes or deletes one of its tasks — one call at a time, as a person waits
 * for the answer before the next click. The user keeps its own open tasks (ids and etags from the
 * responses; the next instances of its recurring tasks from its stream), so updates, completions
 * and deletions name tasks that exist and send the etag they last saw.
 */
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import type { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { Priority, type Task } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { ChangeMatcher, changeKey, keyOfChange } from "./change-matcher";
import type { WireProtocol } from "./clients";
import type { MixOperation, UserBehaviour } from "./options";
import { pick, quickAddLine, quickAddTask, SEARCH_WORDS, VIEWS } from "./quick-add";
import type { Operation, Recorder, StreamName } from "./recorder";

/** A call that hangs longer than this fails with DEADLINE_EXCEEDED (and counts as an error). */
const CALL_TIMEOUT_MS = 30_000;

/** One of the user's open tasks. */
interface OwnTask {
  readonly id: string;
  etag: string;
  readonly recurring: boolean;
  /** Wall clock (ms) before which it is neither completed nor deleted: its reminder is pending. */
  readonly keepUntil: number;
}

/** The clients a user calls with, over its protocol. */
export interface UserClients {
  readonly protocol: WireProtocol;
  readonly tasks: Client<typeof TaskService>;
  readonly notifications: Client<typeof NotificationService>;
}

/** A think time: exponential with mean `mean` ms, cut at five means. */
export function thinkTime(mean: number, rng: () => number = Math.random): number {
  return Math.min(5 * mean, -mean * Math.log(1 - rng()));
}

/** One virtual user. */
export class VirtualUser {
  readonly matcher: ChangeMatcher;
  private readonly own = new Map<string, OwnTask>();
  /** Tasks this user completed or deleted: a late CREATED event never brings them back. */
  private readonly gone = new Set<string>();
  private readonly abort = new AbortController();
  private readonly streams: Promise<void>[] = [];
  private readonly weights: [MixOperation, number][];
  private readonly totalWeight: number;
  /** Wall clock (ms) of the measured interval: reminders due within it are expected and timed. */
  private measureStartWall = 0;
  private measureEndWall = 0;

  constructor(
    private readonly clients: UserClients,
    private readonly recorder: Recorder,
    private readonly behaviour: UserBehaviour,
  ) {
    this.matcher = new ChangeMatcher(recorder);
    this.weights = Object.entries(behaviour.mix) as [MixOperation, number][];
    this.totalWeight = this.weights.reduce((s, [, w]) => s + w, 0);
  }

  get protocol(): WireProtocol {
    return this.clients.protocol;
  }

  /** Opens both streams; each reopens itself after a failure (counted) until {@link close}. */
  openStreams(): void {
    this.streams.push(this.keepOpen("watchTasks", () => this.watchTasks()));
    this.streams.push(this.keepOpen("watchNotifications", () => this.watchNotifications()));
  }

  /** Creates the user's first tasks (before measuring), which also shows its WatchTasks stream is live. */
  async seed(): Promise<void> {
    for (let i = 0; i < this.behaviour.seedTasks; i++) await this.create(false);
  }

  /** Acts until `until` (performance.now()), the measured interval ending at wall clock `endWall`. */
  async live(until: number, endWall: number): Promise<void> {
    this.measureStartWall = Date.now();
    this.measureEndWall = endWall;
    await Bun.sleep(Math.random() * this.behaviour.thinkMs);
    while (performance.now() < until) {
      await this.act();
      this.matcher.sweep();
      const wait = thinkTime(this.behaviour.thinkMs);
      if (performance.now() + wait >= until) break;
      await Bun.sleep(wait);
    }
  }

  /** Ends both streams. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled(this.streams);
  }

  private chooseOperation(): MixOperation {
    let r = Math.random() * this.totalWeight;
    for (const [op, w] of this.weights) {
      r -= w;
      if (r < 0) return op;
    }
    return "list";
  }

  private async act(): Promise<void> {
    switch (this.chooseOperation()) {
      case "list":
        return this.list();
      case "search":
        return this.search();
      case "create":
        return this.create(true);
      case "update":
        return this.update();
      case "complete":
        return this.finish("complete");
      case "delete":
        return this.finish("delete");
    }
  }

  /** Runs `call` as operation `op`: its latency or its error is recorded; undefined when it failed. */
  private async timed<T>(
    op: Operation,
    call: () => Promise<T>,
  ): Promise<{ value: T; start: number } | undefined> {
    const start = performance.now();
    try {
      const value = await call();
      this.recorder.call(op, this.protocol, performance.now() - start);
      return { value, start };
    } catch (err) {
      if (!this.abort.signal.aborted) this.recorder.failure(op, err);
      return undefined;
    }
  }

  private async list(): Promise<void> {
    const view = pick(VIEWS, Math.random);
    await this.timed("list", () =>
      this.clients.tasks.listTasks(
        { pageSize: 50, filter: view.filter, orderBy: view.orderBy },
        { timeoutMs: CALL_TIMEOUT_MS },
      ),
    );
  }

  private async search(): Promise<void> {
    const query = pick(SEARCH_WORDS, Math.random);
    await this.timed("search", () =>
      this.clients.tasks.listTasks({ pageSize: 20, query }, { timeoutMs: CALL_TIMEOUT_MS }),
    );
  }

  /** Quick add; with `mayRemind`, a share of the tasks gets a reminder due soon. */
  private async create(mayRemind: boolean): Promise<void> {
    const { behaviour } = this;
    const task = quickAddTask(
      quickAddLine(Math.random, behaviour.recurringShare),
      new Date(),
      behaviour.timeZone,
    );
    let fireAt = 0;
    if (mayRemind && Math.random() < behaviour.reminderShare) {
      // Due 1–4 × reminderDelayS from now (5–20 s by default).
      fireAt = Date.now() + behaviour.reminderDelayS * 1000 * (1 + 3 * Math.random());
      task.reminders = [
        ...(task.reminders ?? []),
        { trigger: { case: "at", value: timestampFromDate(new Date(fireAt)) } },
      ];
    }
    const done = await this.timed("create", () =>
      this.clients.tasks.createTask({ task, requestId: crypto.randomUUID() }, { timeoutMs: CALL_TIMEOUT_MS }),
    );
    const created = done?.value.task;
    if (!done || !created) return;
    if (fireAt > 0 && this.recorder.measuring && fireAt < this.measureEndWall) this.recorder.reminderDue();
    this.remember(created, fireAt > 0 ? fireAt + 5_000 : 0);
    this.matcher.expect(changeKey(ChangeType.CREATED, created.id, created.etag), done.start);
  }

  private async update(): Promise<void> {
    const target = this.pickOwn(false);
    if (!target) return this.create(true);
    const kind = Math.floor(Math.random() * 3);
    const fields =
      kind === 0
        ? {
            title: `${quickAddTask(quickAddLine(Math.random, 0), new Date(), this.behaviour.timeZone).title} (edited)`,
          }
        : kind === 1
          ? { priority: pick([Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT], Math.random) }
          : {
              dueTime: timestampFromDate(
                new Date(Date.now() + (1 + Math.floor(Math.random() * 7)) * 86_400_000),
              ),
            };
    const path = kind === 0 ? "title" : kind === 1 ? "priority" : "due_time";
    const done = await this.timed("update", () =>
      this.clients.tasks.updateTask(
        { task: { id: target.id, etag: target.etag, ...fields }, updateMask: { paths: [path] } },
        { timeoutMs: CALL_TIMEOUT_MS },
      ),
    );
    const updated = done?.value.task;
    if (!done || !updated) return;
    // An update that changed nothing (the priority it already had) keeps the etag and sends no event.
    const changed = updated.etag !== target.etag;
    target.etag = updated.etag;
    if (changed) this.matcher.expect(changeKey(ChangeType.UPDATED, updated.id, updated.etag), done.start);
  }

  /** Completes (a recurring task half the time, when the user has one) or deletes one of its tasks. */
  private async finish(op: "complete" | "delete"): Promise<void> {
    const target = this.pickOwn(op === "complete" && Math.random() < 0.5);
    if (!target) return this.create(true);
    this.own.delete(target.id);
    this.gone.add(target.id);
    const request = { id: target.id, etag: target.etag };
    if (op === "complete") {
      const done = await this.timed("complete", () =>
        this.clients.tasks.completeTask(request, { timeoutMs: CALL_TIMEOUT_MS }),
      );
      const task = done?.value.task;
      if (done && task) this.matcher.expect(changeKey(ChangeType.COMPLETED, task.id, task.etag), done.start);
    } else {
      const done = await this.timed("delete", () =>
        this.clients.tasks.deleteTask(request, { timeoutMs: CALL_TIMEOUT_MS }),
      );
      if (done) this.matcher.expect(changeKey(ChangeType.DELETED, target.id, ""), done.start);
    }
  }

  /** An open task whose reminder is not pending; a recurring one when `recurring` and there is one. */
  private pickOwn(recurring: boolean): OwnTask | undefined {
    const now = Date.now();
    const free = [...this.own.values()].filter((t) => t.keepUntil < now);
    const preferred = recurring ? free.filter((t) => t.recurring) : [];
    const from = preferred.length > 0 ? preferred : free;
    return from.length > 0 ? pick(from, Math.random) : undefined;
  }

  private remember(task: Task, keepUntil: number): void {
    if (this.gone.has(task.id) || task.completeTime) return;
    const known = this.own.get(task.id);
    if (known) {
      if (keepUntil === 0) return;
      this.own.delete(task.id);
    }
    this.own.set(task.id, { id: task.id, etag: task.etag, recurring: Boolean(task.recurrence), keepUntil });
  }

  private async keepOpen(name: StreamName, open: () => Promise<void>): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        await open();
        if (!this.abort.signal.aborted) this.recorder.streamFailure(name, new Error(`${name} ended`));
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.recorder.streamFailure(name, err);
      }
      await Bun.sleep(1000);
    }
  }

  private async watchTasks(): Promise<void> {
    for await (const res of this.clients.tasks.watchTasks({}, { signal: this.abort.signal })) {
      const change = res.change;
      if (!change?.task) continue;
      this.matcher.arrived(keyOfChange(change), performance.now());
      // The next instance of a completed recurring task is created by the scheduler: adopt it.
      if (change.type === ChangeType.CREATED && !this.own.has(change.task.id)) this.remember(change.task, 0);
    }
  }

  private async watchNotifications(): Promise<void> {
    for await (const res of this.clients.notifications.watchNotifications(
      {},
      { signal: this.abort.signal },
    )) {
      const fire = res.notification?.fireTime;
      if (!fire) continue;
      const fireMs = timestampDate(fire).getTime();
      // Only reminders due while measuring count (older ones are the inbox's backlog or the set-up's).
      if (fireMs >= this.measureStartWall && fireMs <= this.measureEndWall) {
        this.recorder.reminderLateness(Date.now() - fireMs);
      }
    }
  }
}
