/**
 * The steady load of the fault suite: a few paced clients per user creating tasks (some with a
 * reminder a few seconds ahead), completing tasks they created, and one WatchTasks client per user
 * that keeps reconnecting. Everything goes through the edge over Connect on HTTP/1.1, as the web app
 * does. Every call lands in a {@link Ledger} with its phase (which fault was in force), its start and
 * end, and whether the client was acknowledged — the checks count against the acknowledgements only.
 *
 * A call that fails or times out is not retried and not acknowledged: it may or may not have taken
 * effect, and the checks treat it as unknown. Reminder tasks are never completed (completion cancels
 * a reminder), so each acknowledged one must reach the inbox exactly once.
 */
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { connectTransport } from "../../tests/integration/system.ts";

/** One call of the load. */
export interface Op {
  readonly kind: "create" | "complete";
  readonly user: number;
  /** The task created (when acknowledged) or completed. */
  taskId?: string;
  /** The reminder's absolute time (ms) of a create with a reminder. */
  readonly reminderAt?: number;
  readonly phase: number;
  readonly start: number;
  end: number;
  ok: boolean;
  /** The Connect code of a failed call (`deadline_exceeded`, `unavailable`, …). */
  code?: string;
  /** The error's message, without the code prefix. */
  error?: string;
}

/** Records why `op` failed: the Connect code (snake case, as on the wire) and the message. */
export function recordFailure(op: Op, err: unknown): void {
  const connect = ConnectError.from(err);
  op.code = (Code[connect.code] ?? String(connect.code)).replace(
    /[A-Z]/g,
    (c, i) => (i ? "_" : "") + c.toLowerCase(),
  );
  op.error = connect.rawMessage;
}

/** A user of the load: its token, and what its WatchTasks client saw. */
export interface LoadUser {
  readonly userId: string;
  readonly token: string;
}

/** Every call of the run, and the phase now in force (0 = before any fault). */
export class Ledger {
  readonly ops: Op[] = [];
  phase = 0;
}

/** How hard the load pushes. */
export interface LoadOptions {
  /** Clients per user (each one call at a time). */
  readonly clientsPerUser: number;
  /** Pause between two calls of one client, ms. */
  readonly paceMs: number;
  /** Per-call deadline, ms. */
  readonly callTimeoutMs: number;
  /** Reminder lead time range, ms: a reminder task fires this far after its creation. */
  readonly reminderLeadMs: readonly [number, number];
}

/** The default pace: 4 users × 2 clients, a call every 300 ms each (about 25 calls/s in all). */
export const DEFAULT_LOAD: LoadOptions = {
  clientsPerUser: 2,
  paceMs: 300,
  callTimeoutMs: 5000,
  reminderLeadMs: [3000, 12_000],
};

/** When a WatchTasks stream was live: from its first message to its end. */
export interface LiveInterval {
  readonly from: number;
  /** Undefined while it is still live. */
  to?: number;
}

/**
 * A WatchTasks client that reconnects at once when its stream ends and, on every (re)connection,
 * reads the whole list back (after the stream is live, so nothing falls between the two): its view
 * is what a UI built this way would show.
 */
export class Watcher {
  /** Task id → status and update time, as the client believes them. */
  readonly view = new Map<string, { status: TaskStatus; updateMs: number }>();
  /** Task id → the change types the stream delivered for it. */
  readonly seen = new Map<string, Set<ChangeType>>();
  readonly intervals: LiveInterval[] = [];
  /** Streams established again after the first one ended. */
  reconnects = 0;
  /** The phase in force at each reconnection. */
  readonly reconnectPhases: number[] = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly tasks: Client<typeof TaskService>,
    private readonly ledger: Ledger,
  ) {
    this.done = this.loop();
  }

  private apply(task: Task | undefined): void {
    if (!task?.id) return;
    const updateMs = task.updateTime ? timestampDate(task.updateTime).getTime() : 0;
    const known = this.view.get(task.id);
    if (!known || known.updateMs <= updateMs) this.view.set(task.id, { status: task.status, updateMs });
  }

  private async loop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let interval: LiveInterval | undefined;
      try {
        for await (const message of this.tasks.watchTasks({}, { signal: this.abort.signal })) {
          if (!interval) {
            interval = { from: Date.now() };
            if (this.intervals.length > 0) {
              this.reconnects++;
              this.reconnectPhases.push(this.ledger.phase);
            }
            this.intervals.push(interval);
            for (const task of await listAll(this.tasks, this.abort.signal)) this.apply(task);
          }
          const change = message.change;
          if (!change?.task?.id) continue;
          const types = this.seen.get(change.task.id) ?? new Set<ChangeType>();
          types.add(change.type);
          this.seen.set(change.task.id, types);
          this.apply(change.task);
        }
      } catch {
        // the stream broke (edge or task service gone): reconnect below
      }
      if (interval) interval.to = Date.now();
      if (this.abort.signal.aborted) break;
      await Bun.sleep(200);
    }
  }

  /** Whether the stream was live over the whole of `[from, to]`. */
  liveOver(from: number, to: number): boolean {
    return this.intervals.some((i) => i.from <= from && (i.to === undefined || i.to >= to));
  }

  /** Ends the stream. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

/** Every task of the caller (all statuses), page by page. */
export async function listAll(tasks: Client<typeof TaskService>, signal?: AbortSignal): Promise<Task[]> {
  const out: Task[] = [];
  let pageToken = "";
  do {
    const page = await tasks.listTasks({ pageSize: 1000, pageToken }, { signal, timeoutMs: 15_000 });
    out.push(...page.tasks);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return out;
}

/** A running load: its watchers, and how to stop it. */
export interface RunningLoad {
  readonly watchers: readonly Watcher[];
  /** Stops the clients (waits for calls in flight) and the watchers. */
  stop(): Promise<void>;
}

/** A TaskService client of `user` through the edge at `edgeUrl`. */
export function taskClient(edgeUrl: string, user: LoadUser): Client<typeof TaskService> {
  return createClient(TaskService, connectTransport(edgeUrl, user.token));
}

/** Starts the clients and watchers for `users` against the edge at `edgeUrl`. */
export function startLoad(
  edgeUrl: string,
  users: readonly LoadUser[],
  ledger: Ledger,
  options: LoadOptions = DEFAULT_LOAD,
): RunningLoad {
  let running = true;
  const watchers = users.map((u) => new Watcher(taskClient(edgeUrl, u), ledger));
  const open = users.map(() => [] as string[]);
  const client = async (u: number, c: number) => {
    const tasks = taskClient(edgeUrl, users[u] as LoadUser);
    const mine = open[u] as string[];
    for (let n = 0; running; n++) {
      const roll = Math.random();
      const started = Date.now();
      const phase = ledger.phase;
      const [lo, hi] = options.reminderLeadMs;
      if (roll < 0.25 && mine.length > 0) {
        const taskId = mine.splice(Math.floor(Math.random() * mine.length), 1)[0] as string;
        const op: Op = { kind: "complete", user: u, taskId, phase, start: started, end: 0, ok: false };
        ledger.ops.push(op);
        try {
          await tasks.completeTask({ id: taskId }, { timeoutMs: options.callTimeoutMs });
          op.ok = true;
        } catch (err) {
          recordFailure(op, err);
        }
        op.end = Date.now();
      } else {
        const reminderAt = roll < 0.5 ? started + lo + Math.floor(Math.random() * (hi - lo)) : undefined;
        const op: Op = {
          kind: "create",
          user: u,
          phase,
          start: started,
          end: 0,
          ok: false,
          ...(reminderAt ? { reminderAt } : {}),
        };
        ledger.ops.push(op);
        try {
          const { task } = await tasks.createTask(
            {
              task: {
                title: `chaos u${u} c${c} #${n}`,
                reminders: reminderAt
                  ? [{ trigger: { case: "at", value: timestampFromDate(new Date(reminderAt)) } }]
                  : [],
              },
              requestId: crypto.randomUUID(),
            },
            { timeoutMs: options.callTimeoutMs },
          );
          if (!task?.id) throw new Error("CreateTask answered no task");
          op.taskId = task.id;
          op.ok = true;
          if (!reminderAt) mine.push(task.id);
        } catch (err) {
          recordFailure(op, err);
        }
        op.end = Date.now();
      }
      await Bun.sleep(options.paceMs);
    }
  };
  const clients = users.flatMap((_, u) =>
    Array.from({ length: options.clientsPerUser }, (_, c) => client(u, c)),
  );
  return {
    watchers,
    async stop() {
      running = false;
      await Promise.all(clients);
      await Promise.all(watchers.map((w) => w.stop()));
    },
  };
}

/** The change type a WatchTasks client must see for an acknowledged `op`. */
export function expectedChange(op: Op): ChangeType {
  return op.kind === "create" ? ChangeType.CREATED : ChangeType.COMPLETED;
}

/** The status an acknowledged op leaves its task in (a later completion may change a create's). */
export function statusAfter(op: Op): TaskStatus {
  return op.kind === "create" ? TaskStatus.OPEN : TaskStatus.COMPLETED;
}
