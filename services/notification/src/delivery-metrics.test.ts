/**
 * Delivery metrics against a real webhook receiver (Bun.serve on 127.0.0.1) and PostgreSQL: every
 * attempt counts under its channel kind and outcome — `retrying` while attempts remain, then
 * `succeeded` or, after the last attempt, `failed` — with its duration, and deliveries waiting for
 * an attempt are reported as pending.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import {
  createTestDatabase,
  type Exposition,
  sumOf,
  type TestDatabase,
  type TestMetrics,
  useTestMetrics,
} from "@todo/platform/testing";
import { ALICE, authFor, reminderDue, serviceClient } from "../test/support";
import { createDeliveryWorker } from "./delivery-worker";
import { createNotificationHub, type NotificationHub } from "./notification-hub";
import { createRemindersHandler } from "./reminders-consumer";
import { createNotificationStore, migrateNotifications } from "./store";

let metrics: TestMetrics;
let db: TestDatabase;
let hub: NotificationHub;
let http: ReturnType<typeof Bun.serve>;
/** Status codes to answer per path, consumed one by one; 200 when the list is empty. */
const script = new Map<string, number[]>();
const previousRefresh = process.env.METRICS_REFRESH_SECONDS;

beforeAll(async () => {
  process.env.METRICS_REFRESH_SECONDS = "0";
  metrics = useTestMetrics();
  db = await createTestDatabase();
  await migrateNotifications(db.sql);
  hub = createNotificationHub({ sql: db.sql, mode: "local" });
  http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const status = script.get(new URL(req.url).pathname)?.shift() ?? 200;
      return new Response(status === 200 ? "ok" : "no", { status });
    },
  });
});

afterAll(async () => {
  http?.stop(true);
  await hub?.close();
  await db?.drop();
  if (previousRefresh === undefined) delete process.env.METRICS_REFRESH_SECONDS;
  else process.env.METRICS_REFRESH_SECONDS = previousRefresh;
});

test("delivery attempts are counted by channel kind and outcome, and pending ones are reported", async () => {
  const client = serviceClient({
    store: createNotificationStore(db.sql),
    hub,
    allowPrivateTargets: true,
    emailEnabled: true,
  });
  const alice = await authFor(ALICE, "alice");
  for (const path of ["/flaky", "/down"]) {
    const url = `http://127.0.0.1:${http.port}${path}`;
    await client.createChannel({ channel: { target: { case: "webhook", value: { url } } } }, alice);
  }
  script.set("/flaky", [500]);
  script.set("/down", [500, 500, 500]);
  await createRemindersHandler({ sql: db.sql, hub })(reminderDue());

  const outcomes = (e: Exposition, outcome: string) =>
    sumOf(e, "todo_notification_deliveries_total", {
      todo_notification_channel: "webhook",
      todo_notification_outcome: outcome,
    });
  const before = await metrics.scrape();
  const worker = createDeliveryWorker({
    sql: db.sql,
    allowPrivateTargets: true,
    maxAttempts: 2,
    pollIntervalMs: 20,
    backoffBaseMs: 300,
    timeoutMs: 2000,
  });
  worker.start();
  try {
    // After the first round both wait for their second attempt.
    const waiting = await metrics.until(
      (e) => outcomes(e, "retrying") - outcomes(before, "retrying") === 2,
      "two failed first attempts",
    );
    expect(sumOf(waiting, "todo_notification_deliveries_pending")).toBe(2);
    const after = await metrics.until(
      (e) =>
        outcomes(e, "succeeded") - outcomes(before, "succeeded") === 1 &&
        outcomes(e, "failed") - outcomes(before, "failed") === 1,
      "one success (/flaky) and one final failure (/down)",
    );
    expect(outcomes(after, "retrying") - outcomes(before, "retrying")).toBe(2);
    expect(
      sumOf(after, "todo_notification_delivery_duration_seconds_count", {
        todo_notification_channel: "webhook",
      }) -
        sumOf(before, "todo_notification_delivery_duration_seconds_count", {
          todo_notification_channel: "webhook",
        }),
    ).toBe(4);
    await metrics.until((e) => sumOf(e, "todo_notification_deliveries_pending") === 0, "nothing pending");
  } finally {
    await worker.stop();
  }
});
