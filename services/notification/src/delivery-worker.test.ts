/**
 * The delivery worker against real receivers started by the tests, on 127.0.0.1 only: an HTTP server
 * (Bun.serve) for webhooks and an SMTP server (`smtp-server`, ../test/smtp-server.ts) for e-mail.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Delivery, DeliveryState } from "@todo/gen/todo/notification/v1/channel_pb";
import { type Database, type EventHandler, openDatabase } from "@todo/platform";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { eventually } from "@todo/testkit/eventually";
import { type CapturedMail, type SmtpReceiver, startSmtpReceiver } from "../test/smtp-server";
import { ALICE, authFor, type CallAuth, reminderDue, serviceClient } from "../test/support";
import { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from "./delivery-worker";
import { createSmtpMailer, type Mailer } from "./mailer";
import { createNotificationHub, type NotificationHub } from "./notification-hub";
import { createRemindersHandler } from "./reminders-consumer";
import { createNotificationStore, migrateNotifications } from "./store";

interface Received {
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
  readonly at: number;
}

let db: TestDatabase;
let hub: NotificationHub;
let handle: EventHandler;
let client: ReturnType<typeof serviceClient>;
let alice: CallAuth;
let http: ReturnType<typeof Bun.serve>;
let received: Received[] = [];
/** Status codes to answer per path, consumed one by one; 200 when the list is empty. */
const script = new Map<string, number[]>();
const workers: DeliveryWorker[] = [];
const pools: Database[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateNotifications(db.sql);
  hub = createNotificationHub({ sql: db.sql, mode: "local" });
  handle = createRemindersHandler({ sql: db.sql, hub });
  client = serviceClient({
    store: createNotificationStore(db.sql),
    hub,
    allowPrivateTargets: true,
    emailEnabled: true,
  });
  alice = await authFor(ALICE, "alice");
  http = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      received.push({ path, headers: req.headers, body: await req.text(), at: Date.now() });
      if (path === "/slow") await Bun.sleep(2000);
      const status = script.get(path)?.shift() ?? 200;
      return new Response(status === 200 ? "ok" : "receiver is having a bad day", { status });
    },
  });
});

afterAll(async () => {
  http?.stop(true);
  await hub?.close();
  for (const p of pools) await p.close();
  await db?.drop();
});

beforeEach(async () => {
  await db.sql`truncate notification.deliveries, notification.channels, notification.notifications,
    notification.processed_events`;
  received = [];
  script.clear();
});

afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop();
});

function startWorker(options: Partial<DeliveryWorkerOptions> = {}): DeliveryWorker {
  const worker = createDeliveryWorker({
    sql: db.sql,
    allowPrivateTargets: true,
    pollIntervalMs: 20,
    backoffBaseMs: 50,
    timeoutMs: 2000,
    ...options,
  });
  workers.push(worker);
  worker.start();
  return worker;
}

async function webhook(path: string): Promise<{ id: string; secret: string }> {
  const url = `http://127.0.0.1:${http.port}${path}`;
  const res = await client.createChannel({ channel: { target: { case: "webhook", value: { url } } } }, alice);
  return { id: res.channel?.id as string, secret: res.signingSecret };
}

async function deliveries(channelId: string): Promise<Delivery[]> {
  return (await client.listDeliveries({ channelId }, alice)).deliveries;
}

/** Waits until the channel's only delivery satisfies `done`, and returns it. */
function deliveryWhen(channelId: string, what: string, done: (d: Delivery) => boolean): Promise<Delivery> {
  return eventually(what, async () => {
    const [d] = await deliveries(channelId);
    return d && done(d) ? d : undefined;
  });
}

describe("webhooks", () => {
  test("POSTs the notification as signed JSON; the receiver can verify signature and timestamp", async () => {
    const channel = await webhook("/ok");
    await handle(
      reminderDue({
        taskTitle: "Pay rent",
        fireTime: new Date("2031-03-10T19:00:00Z"),
        dueTime: new Date("2031-03-11T08:00:00Z"),
        timeZone: "Europe/Berlin",
      }),
    );
    const before = Math.floor(Date.now() / 1000);
    startWorker();
    const done = await deliveryWhen(
      channel.id,
      "the delivery to succeed",
      (d) => d.state === DeliveryState.SUCCEEDED,
    );
    const after = Math.ceil(Date.now() / 1000);

    expect(received.length).toBe(1);
    const req = received[0] as Received;
    expect(req.headers.get("content-type")).toBe("application/json");
    const timestamp = Number(req.headers.get("x-todo-timestamp"));
    expect(Number.isInteger(timestamp)).toBe(true);
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    const expected = createHmac("sha256", channel.secret).update(`${timestamp}.${req.body}`).digest("hex");
    expect(req.headers.get("x-todo-signature")).toBe(`sha256=${expected}`);
    // A receiver with another secret, or a tampered body, would not match.
    const forged = createHmac("sha256", "whsec_other").update(`${timestamp}.${req.body}`).digest("hex");
    expect(req.headers.get("x-todo-signature")).not.toBe(`sha256=${forged}`);

    const body = JSON.parse(req.body) as {
      id: string;
      type: string;
      sent_at: string;
      notification: Record<string, string>;
    };
    const [n] = (await client.listNotifications({}, alice)).notifications;
    expect(body.id).toBe(done.id);
    expect(body.type).toBe("notification");
    expect(Math.abs(Date.parse(body.sent_at) / 1000 - timestamp)).toBeLessThan(1);
    expect(body.notification).toMatchObject({
      id: n?.id as string,
      title: "Reminder: Pay rent",
      body: "Due tomorrow 09:00 (Europe/Berlin)",
      task_id: n?.taskId as string,
      reminder_id: "r1",
      fire_time: "2031-03-10T19:00:00Z",
    });

    expect(done.attempts).toBe(1);
    expect(done.lastStatusCode).toBe(200);
    expect(done.lastError).toBe("");
    expect(done.nextAttemptTime).toBeUndefined();
    expect(done.notificationId).toBe(n?.id as string);
  });

  test("retries after 5xx answers with exponential backoff, then succeeds", async () => {
    const channel = await webhook("/flaky");
    script.set("/flaky", [500, 500]);
    await handle(reminderDue());
    startWorker({ backoffBaseMs: 200 });
    const pending = await deliveryWhen(channel.id, "the first failed attempt", (d) => d.attempts === 1);
    expect(pending.state).toBe(DeliveryState.PENDING);
    expect(pending.lastStatusCode).toBe(500);
    expect(pending.lastError).toBe("HTTP 500: receiver is having a bad day");
    expect(pending.nextAttemptTime).toBeDefined();
    const due = timestampDate(pending.nextAttemptTime as NonNullable<typeof pending.nextAttemptTime>);
    expect(due.getTime()).toBeGreaterThan(Date.now() - 1000);

    const done = await deliveryWhen(
      channel.id,
      "the delivery to succeed",
      (d) => d.state === DeliveryState.SUCCEEDED,
    );
    expect(done.attempts).toBe(3);
    expect(done.lastStatusCode).toBe(200);
    expect(done.lastError).toBe("");
    expect(received.length).toBe(3);
    const [t1, t2, t3] = received.map((r) => r.at) as [number, number, number];
    expect(t2 - t1).toBeGreaterThanOrEqual(190); // base
    expect(t3 - t2).toBeGreaterThanOrEqual(390); // doubled
    // Every attempt is the same delivery, so the receiver can drop repeats by id.
    expect(new Set(received.map((r) => (JSON.parse(r.body) as { id: string }).id)).size).toBe(1);
  });

  test("gives up after maxAttempts: FAILED with the last status and error", async () => {
    const channel = await webhook("/down");
    script.set("/down", Array(10).fill(503));
    await handle(reminderDue());
    startWorker({ maxAttempts: 3, backoffBaseMs: 20 });
    const failed = await deliveryWhen(
      channel.id,
      "the delivery to fail",
      (d) => d.state === DeliveryState.FAILED,
    );
    expect(failed.attempts).toBe(3);
    expect(failed.lastStatusCode).toBe(503);
    expect(failed.lastError).toContain("HTTP 503");
    expect(failed.nextAttemptTime).toBeUndefined();
    await Bun.sleep(200);
    expect(received.length).toBe(3);
  });

  test("a receiver slower than the timeout counts as a failed attempt", async () => {
    const channel = await webhook("/slow");
    await handle(reminderDue());
    startWorker({ timeoutMs: 300, maxAttempts: 1 });
    const failed = await deliveryWhen(
      channel.id,
      "the delivery to fail",
      (d) => d.state === DeliveryState.FAILED,
    );
    expect(failed.lastError).toContain("no answer within 300 ms");
    expect(failed.lastStatusCode).toBe(0);
  });

  test("re-checks the target at send time: a host now resolving to loopback is refused", async () => {
    // Accepted while private targets were allowed (as a public name could have been, before its DNS
    // answer changed); the worker of a server that does not allow them must not call it.
    const channel = await webhook("/ok");
    await db.sql`update notification.channels set target = ${`http://localhost:${http.port}/ok`}`;
    await handle(reminderDue());
    startWorker({ allowPrivateTargets: false, maxAttempts: 2, backoffBaseMs: 20 });
    const failed = await deliveryWhen(
      channel.id,
      "the delivery to fail",
      (d) => d.state === DeliveryState.FAILED,
    );
    expect(failed.attempts).toBe(2);
    expect(failed.lastStatusCode).toBe(0);
    expect(failed.lastError).toContain("localhost resolves to");
    expect(failed.lastError).toContain("loopback");
    expect(received).toEqual([]);
  });

  test("two workers on separate connections (replicas) never send one delivery twice", async () => {
    const channel = await webhook("/ok");
    for (let i = 0; i < 30; i++) await handle(reminderDue());
    const other = await openDatabase({ url: db.url, maxConnections: 4 });
    pools.push(other);
    startWorker({ batchSize: 4 });
    startWorker({ sql: other.sql, batchSize: 4 });
    await eventually("every delivery to succeed", async () => {
      const [row] = await db.sql<{ n: number }[]>`
        select count(*)::int as n from notification.deliveries where state = 'succeeded'`;
      return row?.n === 30 ? true : undefined;
    });
    const ids = received.map((r) => (JSON.parse(r.body) as { id: string }).id);
    expect(ids.length).toBe(30);
    expect(new Set(ids).size).toBe(30);
    const all = (await client.listDeliveries({ channelId: channel.id, pageSize: 100 }, alice)).deliveries;
    expect(all.every((d) => d.attempts === 1)).toBe(true);
  });
});

describe("e-mail", () => {
  let smtp: SmtpReceiver;
  let mailer: Mailer;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    mailer = createSmtpMailer({ url: smtp.url, from: "Todo <todo@example.test>" });
  });

  afterAll(async () => {
    mailer?.close();
    await smtp?.close();
  });

  beforeEach(() => {
    smtp.mails.length = 0;
    smtp.refused.clear();
  });

  async function emailChannel(address: string): Promise<string> {
    const res = await client.createChannel(
      { channel: { target: { case: "email", value: { address } } } },
      alice,
    );
    return res.channel?.id as string;
  }

  test("sends the notification over SMTP: To, Subject and body", async () => {
    const channel = await emailChannel("alice@example.com");
    await handle(
      reminderDue({
        taskTitle: "Pay rent",
        fireTime: new Date("2031-03-10T19:00:00Z"),
        dueTime: new Date("2031-03-11T08:00:00Z"),
        timeZone: "Europe/Berlin",
      }),
    );
    startWorker({ mailer });
    const done = await deliveryWhen(
      channel,
      "the e-mail to be sent",
      (d) => d.state === DeliveryState.SUCCEEDED,
    );
    expect(done.attempts).toBe(1);
    expect(smtp.mails.length).toBe(1);
    const mail = smtp.mails[0] as CapturedMail;
    expect(mail.user).toBe("todo");
    expect(mail.from).toBe("todo@example.test");
    expect(mail.to).toEqual(["alice@example.com"]);
    const [head = "", ...rest] = mail.raw.split("\r\n\r\n");
    expect(head).toMatch(/^To: alice@example\.com$/m);
    expect(head).toMatch(/^From: Todo <todo@example\.test>$/m);
    expect(head).toMatch(/^Subject: Reminder: Pay rent$/m);
    expect(head).toMatch(new RegExp(`^X-Todo-Delivery: ${done.id}$`, "m"));
    expect(rest.join("\r\n\r\n")).toContain("Due tomorrow 09:00 (Europe/Berlin)");
  });

  test("a recipient the SMTP server refuses is retried, then FAILED with the server's answer", async () => {
    smtp.refused.add("gone@example.com");
    const channel = await emailChannel("gone@example.com");
    await handle(reminderDue());
    startWorker({ mailer, maxAttempts: 2, backoffBaseMs: 20 });
    const failed = await deliveryWhen(channel, "the e-mail to fail", (d) => d.state === DeliveryState.FAILED);
    expect(failed.attempts).toBe(2);
    expect(failed.lastError).toContain("550");
    expect(smtp.mails).toEqual([]);
  });

  test("without a mailer, e-mail deliveries fail saying SMTP is not configured", async () => {
    const channel = await emailChannel("alice@example.com");
    await handle(reminderDue());
    startWorker({ maxAttempts: 1 });
    const failed = await deliveryWhen(channel, "the e-mail to fail", (d) => d.state === DeliveryState.FAILED);
    expect(failed.lastError).toContain("SMTP is not configured");
  });
});
