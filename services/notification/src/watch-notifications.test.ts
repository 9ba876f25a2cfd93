/**
 * WatchNotifications across replicas: two service instances on one PostgreSQL database, each with its
 * own pool, its own LISTEN connection and its own gRPC server, as two processes would be. A row
 * written by one replica's consumer reaches watchers on both; cancelling a watch leaves nothing
 * behind.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  NotificationService,
  type WatchNotificationsResponse,
} from "@todo/gen/todo/notification/v1/notification_service_pb";
import {
  type Database,
  defineService,
  type EventHandler,
  openDatabase,
  type RunningServer,
  startServer,
} from "@todo/platform";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { eventually } from "@todo/testkit/eventually";
import { ALICE, authFor, BOB, type CallAuth, reminderDue, tokens } from "../test/support";
import { createNotificationHub, type NotificationHub, type WatchMode } from "./notification-hub";
import { createNotificationService } from "./notification-service";
import { createRemindersHandler } from "./reminders-consumer";
import { createNotificationStore, migrateNotifications } from "./store";
import { notificationValidators } from "./validation";

/** One service instance: its own pool, hub, consumer and server. */
interface Replica {
  readonly db: Database;
  readonly hub: NotificationHub;
  readonly handle: EventHandler;
  readonly server: RunningServer;
  readonly client: Client<typeof NotificationService>;
  close(): Promise<void>;
}

let testDb: TestDatabase;
const replicas: Replica[] = [];
let alice: CallAuth;
let bob: CallAuth;

async function startReplica(mode: WatchMode, keepAliveMs = 15_000): Promise<Replica> {
  const db = await openDatabase({ url: testDb.url, maxConnections: 4 });
  const hub = createNotificationHub({ sql: db.sql, mode });
  const handle = createRemindersHandler({ sql: db.sql, hub });
  const server = await startServer({
    name: "notification-test",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    tokens,
    services: [
      defineService(
        NotificationService,
        createNotificationService({ store: createNotificationStore(db.sql), hub, keepAliveMs }),
        notificationValidators,
      ),
    ],
  });
  const client = createClient(
    NotificationService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpcPort}` }),
  );
  const replica: Replica = {
    db,
    hub,
    handle,
    server,
    client,
    async close() {
      await hub.close();
      await server.close();
      await db.close();
    },
  };
  replicas.push(replica);
  return replica;
}

/** A running watch: its iterator and how to cancel it. */
interface Watch {
  next(timeoutMs?: number): Promise<WatchNotificationsResponse>;
  cancel(): void;
  /** Resolves with how the client's stream ended (the error, or "done"). */
  readonly ended: Promise<unknown>;
}

function watch(replica: Replica, auth: CallAuth): Watch {
  const abort = new AbortController();
  const received: WatchNotificationsResponse[] = [];
  const waiters: (() => void)[] = [];
  const ended = (async () => {
    try {
      for await (const res of replica.client.watchNotifications({}, { ...auth, signal: abort.signal })) {
        received.push(res);
        for (const w of waiters.splice(0)) w();
      }
      return "done";
    } catch (err) {
      return err;
    } finally {
      for (const w of waiters.splice(0)) w();
    }
  })();
  let done = false;
  void ended.then(() => {
    done = true;
  });
  return {
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length === 0) {
        if (done) throw new Error("the stream ended");
        if (Date.now() > deadline) throw new Error("no message on the stream in time");
        await Promise.race([new Promise<void>((r) => waiters.push(r)), Bun.sleep(50)]);
      }
      return received.shift() as WatchNotificationsResponse;
    },
    cancel: () => abort.abort(),
    ended,
  };
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  await migrateNotifications(testDb.sql);
  alice = await authFor(ALICE, "alice");
  bob = await authFor(BOB, "bob");
});

afterAll(async () => {
  for (const r of replicas) await r.close();
  await testDb?.drop();
});

describe("WatchNotifications", () => {
  test("a notification written through one replica reaches the caller's watchers on every replica", async () => {
    const a = await startReplica("listen");
    const b = await startReplica("listen");
    const onA = watch(a, alice);
    const onB = watch(b, alice);
    const bobOnA = watch(a, bob);
    // The first message says the watch is live: everything committed after it is streamed.
    for (const w of [onA, onB, bobOnA]) expect((await w.next()).notification).toBeUndefined();
    expect(a.hub.watcherCount).toBe(2);

    // Each replica listens on one connection, however many watchers it has.
    const listeners = await testDb.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and query ilike 'listen%notification_created%'`;
    expect(listeners[0]?.n).toBe(2);

    // Replica B's consumer handles the events; alice's watcher on A hears of hers, not bob's.
    const first = reminderDue({ userId: ALICE, taskTitle: "Water the plants" });
    await b.handle(first);
    const fromA = await onA.next();
    expect(fromA.notification?.title).toBe("Reminder: Water the plants");
    const fromB = await onB.next();
    expect(fromB.notification?.id).toBe(fromA.notification?.id as string);
    await b.handle(reminderDue({ userId: BOB, taskTitle: "Bob's task" }));
    expect((await bobOnA.next()).notification?.title).toBe("Reminder: Bob's task");

    // A redelivery, or a duplicate of an occurrence, writes nothing, so nothing more is streamed.
    await a.handle(first);
    await b.handle(
      reminderDue({ userId: ALICE, occurrenceKey: "0190c000-0000-7000-8000-000000000001/r1/x" }),
    );
    await b.handle(
      reminderDue({ userId: ALICE, occurrenceKey: "0190c000-0000-7000-8000-000000000001/r1/x" }),
    );
    expect((await onA.next()).notification?.title).toMatch(/^Reminder: Task \d+$/);
    await a.handle(reminderDue({ userId: ALICE, taskTitle: "Second" }));
    expect((await onA.next()).notification?.title).toBe("Reminder: Second");
    expect((await onB.next()).notification?.title).toMatch(/^Reminder: Task \d+$/);
    expect((await onB.next()).notification?.title).toBe("Reminder: Second");

    // Cancelling ends the client's stream and leaves no watcher behind on the server.
    onA.cancel();
    const err = await onA.ended;
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Canceled);
    await eventually("the cancelled watcher to be released", async () =>
      a.hub.watcherCount === 1 ? true : undefined,
    );
    bobOnA.cancel();
    onB.cancel();
    await Promise.all([bobOnA.ended, onB.ended]);
    await eventually("every watcher to be released", async () =>
      a.hub.watcherCount + b.hub.watcherCount === 0 ? true : undefined,
    );
  });

  test("sends a keep-alive (no notification) after each quiet interval", async () => {
    const r = await startReplica("listen", 150);
    const w = watch(r, alice);
    const start = Date.now();
    expect((await w.next()).notification).toBeUndefined(); // live
    expect((await w.next(2000)).notification).toBeUndefined();
    expect((await w.next(2000)).notification).toBeUndefined();
    expect(Date.now() - start).toBeGreaterThanOrEqual(280);
    w.cancel();
    await w.ended;
    await eventually("the watcher to be released", async () => (r.hub.watcherCount === 0 ? true : undefined));
  });

  test("in local mode (the embedded store) the consumer's rows are fanned out in-process", async () => {
    const r = await startReplica("local");
    const w = watch(r, alice);
    expect((await w.next()).notification).toBeUndefined();
    await r.handle(reminderDue({ userId: ALICE, taskTitle: "Local" }));
    expect((await w.next()).notification?.title).toBe("Reminder: Local");
    w.cancel();
    await w.ended;
    await eventually("the watcher to be released", async () => (r.hub.watcherCount === 0 ? true : undefined));
  });

  test("closing the hub ends open watches cleanly", async () => {
    const r = await startReplica("listen");
    const w = watch(r, alice);
    expect((await w.next()).notification).toBeUndefined();
    await r.hub.close();
    expect(await w.ended).toBe("done");
    expect(r.hub.watcherCount).toBe(0);
  });

  test("needs an access token", async () => {
    const r = replicas[0] as Replica;
    const w = watch(r, { headers: { authorization: "Bearer nope" } });
    const err = await w.ended;
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
  });
});
