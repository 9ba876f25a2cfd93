/**
 * The notification service on the embedded store (PGlite behind its socket, as `bun start` runs it):
 * the migrations apply, the consumer deduplicates, WatchNotifications works in `local` mode (NOTIFY
 * does not cross PGlite's socket), and the delivery worker's claim query runs there too.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { DeliveryState } from "@todo/gen/todo/notification/v1/channel_pb";
import { type Database, openDatabase } from "@todo/platform";
import { eventually } from "@todo/testkit/eventually";
import { ALICE, authFor, reminderDue, serviceClient } from "../test/support";
import { createDeliveryWorker } from "./delivery-worker";
import { createNotificationHub, type NotificationHub, watchModeFor } from "./notification-hub";
import { createRemindersHandler } from "./reminders-consumer";
import { createNotificationStore, migrateNotifications } from "./store";

let db: Database;
let hub: NotificationHub;

beforeAll(async () => {
  db = await openDatabase({ dataDir: "memory://" });
  expect(db.kind).toBe("pglite");
  expect(await migrateNotifications(db.sql)).toEqual([1, 2, 3]);
  hub = createNotificationHub({ sql: db.sql, mode: watchModeFor(db.kind) });
});

afterAll(async () => {
  await hub?.close();
  await db?.close();
});

test("inbox, live stream and webhook delivery on PGlite", async () => {
  expect(hub.mode).toBe("local");
  const worker = createDeliveryWorker({ sql: db.sql, allowPrivateTargets: true, pollIntervalMs: 1000 });
  const handle = createRemindersHandler({ sql: db.sql, hub, afterCommit: () => worker.wake() });
  const client = serviceClient({
    store: createNotificationStore(db.sql),
    hub,
    allowPrivateTargets: true,
    keepAliveMs: 60_000,
  });
  const alice = await authFor(ALICE, "alice");
  const bodies: string[] = [];
  const http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      bodies.push(await req.text());
      return new Response(null, { status: 204 });
    },
  });
  const abort = new AbortController();
  try {
    const { channel } = await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: `http://127.0.0.1:${http.port}/hook` } } } },
      alice,
    );
    worker.start();
    const stream = client.watchNotifications({}, { ...alice, signal: abort.signal })[Symbol.asyncIterator]();
    expect((await stream.next()).value?.notification).toBeUndefined(); // live

    const event = reminderDue({ taskTitle: "Embedded" });
    await handle(event);
    await handle(event); // redelivered
    await handle(reminderDue({ taskTitle: "Second" }));
    expect((await stream.next()).value?.notification?.title).toBe("Reminder: Embedded");
    expect((await stream.next()).value?.notification?.title).toBe("Reminder: Second");

    const { notifications, unreadCount } = await client.listNotifications({}, alice);
    expect(notifications.length).toBe(2);
    expect(unreadCount).toBe(2);

    // Woken by the consumer (well before its 1 s poll), the worker delivers both.
    await eventually("both deliveries to succeed", async () => {
      const { deliveries } = await client.listDeliveries({ channelId: channel?.id as string }, alice);
      return deliveries.length === 2 && deliveries.every((d) => d.state === DeliveryState.SUCCEEDED)
        ? true
        : undefined;
    });
    expect(bodies.length).toBe(2);
  } finally {
    // The server's generator is suspended at a `yield` here (this client stopped pulling): the watch
    // must be released by the abort itself.
    abort.abort();
    await worker.stop();
    http.stop(true);
  }
  await eventually("the watcher to be released", async () => (hub.watcherCount === 0 ? true : undefined));
});
