/**
 * Test support for the scheduler: the whole embedded-mode system (`createSystem`, the one `bun start`
 * runs) on a fresh PostgreSQL database of its own — TaskService's outbox relay publishing
 * `task-events` on the in-process bus, the scheduler's consumer, its Postgres jobs, its outbox relay
 * publishing `reminders`, and SchedulerService — with the services reached through the in-process
 * client transport (so auth and validation apply), recorders on both topics and a TaskService
 * client for the timers that fails on request. Needs `DATABASE_URL`; without it `createSchedulerTestEnv`
 * throws, so the tests fail loudly rather than being skipped. With `database: "pglite"` the same
 * pipeline runs on an in-memory PGlite, as `bun start` does (one connection, no LISTEN/NOTIFY).
 */

import { type CallOptions, type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createSystem, migrateSystem } from "@todo/embedded";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import {
  type CloudEvent,
  createTokenService,
  type EventHandler,
  openDatabase,
  type Principal,
  silentLogger as quiet,
  type Sql,
  Topics,
} from "@todo/platform";
import type { JobScheduler } from "@todo/platform/jobs";
import { createActingAs, createInProcessTransport } from "@todo/platform/serving";
import { createTestDatabase } from "@todo/platform/testing";
import { migrateScheduler } from "@todo/scheduler";

/** Everything a scheduler test needs. */
export interface SchedulerTestEnv {
  /** `postgres` (a fresh database on `DATABASE_URL`) or `pglite` (in memory, as `bun start` runs). */
  readonly kind: "postgres" | "pglite";
  readonly sql: Sql;
  readonly jobs: JobScheduler;
  readonly tasks: Client<typeof TaskService>;
  readonly scheduler: Client<typeof SchedulerService>;
  /** The scheduler's `task-events` handler, for feeding it events again (redelivery). */
  readonly handleTaskEvent: EventHandler;
  /** Every event published on `task-events`, in order. */
  readonly taskEvents: CloudEvent[];
  /** Every event published on `reminders`, with the time it was published. */
  readonly reminders: { readonly event: CloudEvent; readonly at: number }[];
  /** How many CreateTask calls the scheduler made (including failed ones). */
  readonly createCalls: () => number;
  /** Makes the scheduler's next `n` CreateTask calls fail with UNAVAILABLE. */
  failNextCreates(n: number): void;
  /** Call options acting as `user`. */
  as(user: Principal): Promise<CallOptions>;
  /** A new user (random id) in `timeZone`. */
  user(timeZone?: string): Principal;
  /** Waits until every task event committed so far has been handled by the scheduler. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Polls `check` every 10 ms until it holds; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

/** Options of `createSchedulerTestEnv`. */
export interface SchedulerTestEnvOptions {
  /** Default `postgres`. `pglite` runs the embedded mode: one connection, no LISTEN/NOTIFY. */
  readonly database?: "postgres" | "pglite";
}

async function openTestDatabase(kind: "postgres" | "pglite"): Promise<{ sql: Sql; drop(): Promise<void> }> {
  if (kind === "postgres") return createTestDatabase();
  const db = await openDatabase({ dataDir: "memory://" });
  return { sql: db.sql, drop: () => db.close() };
}

/** Builds the pipeline; call `close()` in `afterAll`. */
export async function createSchedulerTestEnv(
  options: SchedulerTestEnvOptions = {},
): Promise<SchedulerTestEnv> {
  const kind = options.database ?? "postgres";
  const db = await openTestDatabase(kind);
  const { sql } = db;
  await migrateSystem(sql);
  await migrateScheduler(sql); // a second start applies nothing and fails nothing

  const tokens = createTokenService({
    secret: "scheduler-tests-secret-0123456789abcdefgh",
    issuer: "todo",
    audience: "todo-api",
    ttlSeconds: 3600,
  });
  const taskEvents: CloudEvent[] = [];
  const reminders: { event: CloudEvent; at: number }[] = [];

  let creates = 0;
  let failures = 0;
  // The scheduler's timers call TaskService through this: it counts the calls and fails on request.
  const flaky = (tasks: Client<typeof TaskService>) =>
    ({
      createTask: async (...args: Parameters<typeof tasks.createTask>) => {
        creates += 1;
        if (failures > 0) {
          failures -= 1;
          throw new ConnectError("task service unavailable", Code.Unavailable);
        }
        return tasks.createTask(...args);
      },
    }) as unknown as Client<typeof TaskService>;

  const system = await createSystem({
    sql,
    databaseKind: kind,
    tokens,
    logger: quiet,
    tuning: {
      relayPollMs: 200,
      jobs: { pollIntervalMs: 500, minBackoffMs: 100, maxBackoffMs: 400 },
      bus: { maxAttempts: 3, minBackoffMs: 20 },
    },
    schedulerTasks: flaky,
    subscribers: [
      {
        topic: Topics.taskEvents,
        group: "recorder",
        handler: async (e) => {
          taskEvents.push(e);
        },
      },
      {
        topic: Topics.reminders,
        group: "recorder",
        handler: async (e) => {
          reminders.push({ event: e, at: Date.now() });
        },
      },
    ],
  });
  const actingAs = createActingAs(tokens);
  const scheduler = createClient(
    SchedulerService,
    createInProcessTransport({ services: system.services, tokens }),
  );
  const { tasks, jobs } = system;

  let users = 0;
  return {
    kind,
    sql,
    jobs,
    tasks,
    scheduler,
    handleTaskEvent: system.schedulerTaskEvents,
    taskEvents,
    reminders,
    createCalls: () => creates,
    failNextCreates(n) {
      failures = n;
    },
    as: (user) => actingAs(user),
    user(timeZone = "UTC") {
      users += 1;
      return { userId: crypto.randomUUID(), email: `user${users}@example.com`, timeZone };
    },
    async settle() {
      await until(async () => {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from task.outbox`;
        return row?.n === 0;
      });
    },
    async close() {
      await system.close();
      await db.drop();
    },
  };
}
