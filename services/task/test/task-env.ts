/**
 * Test support for the task service: a real TaskService on a fresh PostgreSQL database of its own
 * (`createTestDatabase`), served through an in-memory Connect router with the production interceptor
 * chain (errors → auth → validation), and one typed client per user whose calls carry that user's
 * bearer token. Tests therefore exercise exactly what a remote client would: token checks, request
 * validation, handler, store and SQL — only the network hop is missing.
 *
 * Needs `DATABASE_URL` (set by `bun run test`); without it `createTaskTestEnv` throws, so the tests
 * fail loudly rather than being skipped.
 */
import { expect } from "bun:test";
import {
  type Client,
  Code,
  ConnectError,
  createClient,
  createRouterTransport,
  type Interceptor,
} from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import type { TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import {
  type ListTasksRequest,
  TaskService,
  type WatchTasksResponse,
} from "@todo/gen/todo/task/v1/task_service_pb";
import {
  createAuthInterceptor,
  createErrorInterceptor,
  createTokenService,
  createValidationInterceptor,
  type Principal,
  type Sql,
  type TokenService,
  Topics,
} from "@todo/platform";
import { createMemoryBus, ensureOutbox, startOutboxRelay } from "@todo/platform/events";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { createTaskStore, migrateTasks, type TaskStore } from "../src/store";
import { createTaskService } from "../src/task-service";
import { taskValidators } from "../src/validation";
import { createWatchHub, type WatchHub } from "../src/watch-hub";

/** A typed TaskService client. */
export type TaskClient = Client<typeof TaskService>;

/** A settable clock: the service reads the time only through it. */
export interface TestClock {
  /** The current test time (a copy). */
  now(): Date;
  /** Moves the clock to `time`. */
  set(time: Date | string): void;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
}

/** Creates a clock standing still at `start` until moved. */
export function createTestClock(start: Date | string): TestClock {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    set: (time) => {
      current = new Date(time).getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/** A user of the test environment: who they are and a client acting as them. */
export interface TestUser {
  readonly principal: Principal;
  readonly token: string;
  readonly client: TaskClient;
}

/** Everything a task-service test needs. */
export interface TaskTestEnv {
  readonly db: TestDatabase;
  readonly sql: Sql;
  readonly store: TaskStore;
  readonly clock: TestClock;
  readonly tokens: TokenService;
  /** A user in UTC. */
  readonly alice: TestUser;
  /** A user in Asia/Tokyo. */
  readonly bob: TestUser;
  /** A client that sends no authorization header. */
  readonly anonymous: TaskClient;
  /** A client whose calls carry `authorization` exactly as given (for bad-token tests). */
  clientWithAuthorization(header: string): TaskClient;
  /** Signs up another user (a new random id) in `timeZone`. */
  addUser(timeZone: string, email?: string): Promise<TestUser>;
  /** The number of rows in task.tasks, of one user or of everybody. */
  countTasks(userId?: string): Promise<number>;
  /** The number of `task-events` events waiting in the task outbox. */
  countEvents(): Promise<number>;
  /** Routes `task-updates` to WatchTasks streams (keep-alive every 200 ms). */
  readonly hub: WatchHub;
  /**
   * Starts the path a change takes to watchers: an outbox relay into an in-process bus whose
   * `task-updates` feed the hub. Returns how to stop it.
   */
  startLiveUpdates(): Promise<() => Promise<void>>;
  /** Drops the database. */
  close(): Promise<void>;
}

/** Options of `createTaskTestEnv`. */
export interface TaskTestEnvOptions {
  /** Where the clock starts (default 2026-03-07T15:00:00Z, a Saturday, the day before US DST starts). */
  readonly now?: Date | string;
  readonly aliceTimeZone?: string;
  readonly bobTimeZone?: string;
}

/** A 32+ byte HS256 secret used only by tests. */
const TEST_SECRET = "task-service-tests-secret-0123456789abcdef";

/** Adds `authorization: <header>` to every call of a client transport. */
function withAuthorization(header: string | undefined): Interceptor {
  return (next) => (req) => {
    if (header !== undefined) req.header.set("authorization", header);
    return next(req);
  };
}

/**
 * Builds a TaskService on a new database and returns clients for two users (alice in UTC, bob in
 * Asia/Tokyo unless overridden). Call `close()` in `afterAll`.
 */
export async function createTaskTestEnv(options: TaskTestEnvOptions = {}): Promise<TaskTestEnv> {
  const db = await createTestDatabase();
  const { sql } = db;
  await migrateTasks(sql);
  await ensureOutbox(sql, "task");
  const store = createTaskStore(sql);
  const clock = createTestClock(options.now ?? "2026-03-07T15:00:00Z");
  const hub = createWatchHub({ keepAliveMs: 200 });
  const service = createTaskService({ store, clock: () => clock.now(), hub });
  const tokens = createTokenService({
    secret: TEST_SECRET,
    issuer: "todo",
    audience: "todo-api",
    ttlSeconds: 3600,
  });

  const clientWithAuthorization = (header: string | undefined): TaskClient =>
    createClient(
      TaskService,
      createRouterTransport((router) => router.service(TaskService, service), {
        router: {
          interceptors: [
            createErrorInterceptor("test"),
            createAuthInterceptor(tokens, []),
            createValidationInterceptor(new Map([[TaskService, taskValidators]])),
          ],
        },
        transport: { interceptors: [withAuthorization(header)] },
      }),
    );

  let users = 0;
  const addUser = async (timeZone: string, email?: string): Promise<TestUser> => {
    users += 1;
    const principal: Principal = {
      userId: crypto.randomUUID(),
      email: email ?? `user${users}@example.com`,
      timeZone,
    };
    const { token } = await tokens.issue(principal);
    return { principal, token, client: clientWithAuthorization(`Bearer ${token}`) };
  };

  const alice = await addUser(options.aliceTimeZone ?? "UTC", "alice@example.com");
  const bob = await addUser(options.bobTimeZone ?? "Asia/Tokyo", "bob@example.com");

  return {
    db,
    sql,
    store,
    clock,
    tokens,
    alice,
    bob,
    anonymous: clientWithAuthorization(undefined),
    clientWithAuthorization,
    addUser,
    async countTasks(userId) {
      const [row] = userId
        ? await sql<{ n: number }[]>`select count(*)::int as n from task.tasks where user_id = ${userId}`
        : await sql<{ n: number }[]>`select count(*)::int as n from task.tasks`;
      return row?.n ?? 0;
    },
    async countEvents() {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from task.outbox where topic = 'task-events'`;
      return row?.n ?? 0;
    },
    hub,
    async startLiveUpdates() {
      const bus = createMemoryBus();
      const subscription = await bus.subscribe(Topics.taskUpdates, "watch", hub.deliver);
      const relay = startOutboxRelay({ sql, schema: "task", bus, pollIntervalMs: 50 });
      return async () => {
        await relay.stop();
        await subscription.unsubscribe();
        await bus.close();
      };
    },
    close: () => db.drop(),
  };
}

/** Awaits `call`, expects it to fail with `code`, and returns the error. */
export async function expectCode(call: Promise<unknown>, code: Code): Promise<ConnectError> {
  let error: unknown;
  try {
    await call;
  } catch (err) {
    error = err;
  }
  if (error === undefined) throw new Error(`expected ${Code[code]}, but the call succeeded`);
  const connectError = ConnectError.from(error);
  if (connectError.code !== code) {
    throw new Error(`expected ${Code[code]}, got ${Code[connectError.code]}: ${connectError.rawMessage}`);
  }
  return connectError;
}

/** The `google.rpc.BadRequest` field violations attached to an error. */
export function fieldViolations(error: ConnectError): { field: string; description: string }[] {
  return error
    .findDetails(BadRequestSchema)
    .flatMap((d) => d.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
}

/**
 * Expects INVALID_ARGUMENT with a BadRequest violation on exactly `field` (and, when given, a
 * description matching `description`); returns the violations.
 */
export async function expectInvalid(
  call: Promise<unknown>,
  field: string,
  description?: RegExp,
): Promise<{ field: string; description: string }[]> {
  const error = await expectCode(call, Code.InvalidArgument);
  const violations = fieldViolations(error);
  const match = violations.find((v) => v.field === field);
  if (!match) {
    throw new Error(`no violation on ${field}; got ${JSON.stringify(violations)} (${error.rawMessage})`);
  }
  if (description) expect(match.description).toMatch(description);
  // The message repeats the violations, so a client without detail support still sees the field.
  expect(error.rawMessage).toContain(field);
  return violations;
}

/**
 * Pages through ListTasks until `next_page_token` is empty, returning every task in order and the
 * number of pages. Fails after `maxPages` pages, so a token that never ends cannot hang a test.
 */
export async function listAll(
  client: TaskClient,
  request: Partial<Pick<ListTasksRequest, "filter" | "orderBy" | "query" | "pageSize">>,
  maxPages = 1000,
): Promise<{ tasks: Task[]; pages: number; totalSize: number }> {
  const tasks: Task[] = [];
  let pageToken = "";
  let totalSize = -1;
  for (let pages = 1; pages <= maxPages; pages++) {
    const res = await client.listTasks({ ...request, pageToken });
    tasks.push(...res.tasks);
    if (pages === 1) totalSize = res.totalSize;
    if (res.nextPageToken === "") return { tasks, pages, totalSize };
    if (request.pageSize) expect(res.tasks.length).toBe(request.pageSize);
    pageToken = res.nextPageToken;
  }
  throw new Error(`ListTasks did not end within ${maxPages} pages`);
}

/**
 * Opens a WatchTasks stream for `client` and collects its changes; `until(count)` waits until `count`
 * arrived (or `ms` passed), `stop()` ends the stream.
 */
export function watchChanges(client: TaskClient) {
  const controller = new AbortController();
  const changes: TaskChange[] = [];
  let keepAlives = 0;
  let waiter: { count: number; resolve: () => void } | undefined;
  const done = (async () => {
    try {
      for await (const res of client.watchTasks(
        {},
        { signal: controller.signal },
      ) as AsyncIterable<WatchTasksResponse>) {
        if (res.change) changes.push(res.change);
        else keepAlives++;
        if (waiter && changes.length >= waiter.count) waiter.resolve();
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
  })();
  return {
    changes,
    keepAlives: () => keepAlives,
    async until(count: number, ms = 5000) {
      if (changes.length >= count) return;
      await Promise.race([
        new Promise<void>((resolve) => {
          waiter = { count, resolve };
        }),
        Bun.sleep(ms),
      ]);
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}
