/**
 * The spans of delivery attempts (delivery-tracing.ts), with the in-memory exporter of
 * `useTestTracing`, a real PostgreSQL, the in-process bus (whose `process reminders` span is the one
 * the delivery is queued under, as in a service), a real webhook receiver and a real SMTP server.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { EventBus } from "@todo/platform";
import { createMemoryBus } from "@todo/platform/events";
import {
  createTestDatabase,
  isChildOf,
  SpanKind,
  SpanStatusCode,
  type TestDatabase,
  type TestTracing,
  useTestTracing,
} from "@todo/platform/testing";
import { eventually } from "@todo/testkit/eventually";
import { startWebhookReceiver, type WebhookReceiver } from "@todo/testkit/webhook";
import { type SmtpReceiver, startSmtpReceiver } from "../test/smtp-server";
import { ALICE, authFor, type CallAuth, reminderDue, serviceClient } from "../test/support";
import { createDeliveryWorker, type DeliveryWorker } from "./delivery-worker";
import { createSmtpMailer, type Mailer } from "./mailer";
import { createNotificationHub, type NotificationHub } from "./notification-hub";
import { createRemindersHandler } from "./reminders-consumer";
import { createNotificationStore, migrateNotifications } from "./store";

let tracing: TestTracing;
let db: TestDatabase;
let hub: NotificationHub;
let bus: EventBus;
let client: ReturnType<typeof serviceClient>;
let alice: CallAuth;
let receiver: WebhookReceiver;
let smtp: SmtpReceiver;
let mailer: Mailer;
let worker: DeliveryWorker | undefined;

/** A path segment long enough to be taken for a token (a Slack-style webhook URL). */
const TOKEN = "xoxb0123456789abcdefghij";

beforeAll(async () => {
  tracing = useTestTracing();
  db = await createTestDatabase();
  await migrateNotifications(db.sql);
  hub = createNotificationHub({ sql: db.sql, mode: "local" });
  bus = createMemoryBus();
  await bus.subscribe("reminders", "notification", createRemindersHandler({ sql: db.sql, hub }));
  client = serviceClient({
    store: createNotificationStore(db.sql),
    hub,
    allowPrivateTargets: true,
    emailEnabled: true,
  });
  alice = await authFor(ALICE, "alice");
  receiver = startWebhookReceiver();
  smtp = await startSmtpReceiver();
  mailer = createSmtpMailer({ url: smtp.url, from: "Todo <todo@example.test>" });
});

afterAll(async () => {
  tracing?.stop();
  mailer?.close();
  await smtp?.close();
  receiver?.stop();
  await bus?.close();
  await hub?.close();
  await db?.drop();
});

beforeEach(async () => {
  await db.sql`truncate notification.deliveries, notification.channels, notification.notifications,
    notification.processed_events`;
  receiver.reset();
  smtp.refused.clear();
  tracing = useTestTracing();
});

afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});

function startWorker(maxAttempts = 3): void {
  worker = createDeliveryWorker({
    sql: db.sql,
    mailer,
    allowPrivateTargets: true,
    pollIntervalMs: 20,
    backoffBaseMs: 20,
    timeoutMs: 2000,
    maxAttempts,
  });
  worker.start();
}

async function webhookChannel(url: string): Promise<void> {
  await client.createChannel({ channel: { target: { case: "webhook", value: { url } } } }, alice);
}

/** Publishes a ReminderDue on the in-process bus; resolves once the consumer has handled it. */
async function remind(): Promise<void> {
  await bus.publish("reminders", "t", reminderDue());
}

const processSpan = () => tracing.until("the process reminders span", (s) => s.name === "process reminders");

/** Waits until `n` attempt spans named `name` have ended; returns them in the order they ended. */
async function attemptSpans(name: string, n: number) {
  return eventually(`${n} × ${name}`, async () => {
    const found = tracing.spans().filter((s) => s.name === name);
    return found.length >= n ? found : undefined;
  });
}

describe("webhook attempts", () => {
  test("a CLIENT span per attempt under the consumer's span, with the HTTP client attributes, and the receiver gets its traceparent", async () => {
    await webhookChannel(`${receiver.url}/hooks/T01/${TOKEN}?key=secret`);
    await remind();
    const process = await processSpan();
    startWorker();
    const [span] = await attemptSpans("POST", 1);
    if (!span) throw new Error("no span");

    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(isChildOf(span, process)).toBe(true);
    const port = Number(new URL(receiver.url).port);
    expect(span.attributes).toMatchObject({
      "http.request.method": "POST",
      "url.full": `http://127.0.0.1:${port}/hooks/T01/REDACTED`,
      "server.address": "127.0.0.1",
      "server.port": port,
      "http.response.status_code": 200,
      "todo.notification.channel": "webhook",
      "todo.notification.outcome": "succeeded",
      "todo.notification.delivery.attempt": 1,
    });
    expect(span.attributes["http.request.resend_count"]).toBeUndefined();
    expect(span.attributes["error.type"]).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // Neither the query nor the token reaches the trace.
    expect(JSON.stringify(span.attributes)).not.toContain("secret");
    expect(JSON.stringify(span.attributes)).not.toContain(TOKEN);

    const [req] = receiver.received;
    const { traceId, spanId } = span.spanContext();
    expect(req?.headers.get("traceparent")).toBe(`00-${traceId}-${spanId}-01`);
    const [row] = await db.sql<{ id: string; traceparent: string }[]>`
      select id, traceparent from notification.deliveries`;
    expect(span.attributes["todo.notification.delivery.id"]).toBe(row?.id as string);
    expect(row?.traceparent).toBe(`00-${traceId}-${process.spanContext().spanId}-01`);
  });

  test("a retry is a second span in the same trace: the failed one has the status as error.type", async () => {
    await webhookChannel(`${receiver.url}/flaky`);
    receiver.script("/flaky", [503]);
    await remind();
    const process = await processSpan();
    startWorker();
    const [first, second] = await attemptSpans("POST", 2);
    if (!first || !second) throw new Error("no spans");
    for (const s of [first, second]) expect(isChildOf(s, process)).toBe(true);
    expect(first.attributes).toMatchObject({
      "http.response.status_code": 503,
      "error.type": "503",
      "todo.notification.outcome": "retrying",
      "todo.notification.delivery.attempt": 1,
    });
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(second.attributes).toMatchObject({
      "http.response.status_code": 200,
      "http.request.resend_count": 1,
      "todo.notification.outcome": "succeeded",
      "todo.notification.delivery.attempt": 2,
    });
    // Each request carried its own attempt's context.
    expect(receiver.received.map((r) => r.headers.get("traceparent"))).toEqual(
      [first, second].map((s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`),
    );
  });

  test("a target that refuses the connection: the error's code as error.type, failed after the last attempt", async () => {
    const closed = startWebhookReceiver();
    const url = `${closed.url}/gone`;
    closed.stop();
    await webhookChannel(url);
    await remind();
    startWorker(1);
    const [span] = await attemptSpans("POST", 1);
    expect(span?.attributes).toMatchObject({
      "error.type": "ECONNREFUSED",
      "todo.notification.outcome": "failed",
    });
    expect(span?.attributes["http.response.status_code"]).toBeUndefined();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.events.map((e) => e.name)).toContain("exception");
  });
});

describe("e-mail attempts", () => {
  async function emailChannel(address: string): Promise<void> {
    await client.createChannel({ channel: { target: { case: "email", value: { address } } } }, alice);
  }

  test("`smtp send`: a CLIENT span with the SMTP server's address and port, under the consumer's span", async () => {
    await emailChannel("alice@example.com");
    await remind();
    const process = await processSpan();
    startWorker();
    const [span] = await attemptSpans("smtp send", 1);
    if (!span) throw new Error("no span");
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(isChildOf(span, process)).toBe(true);
    expect(span.attributes).toMatchObject({
      "network.protocol.name": "smtp",
      "server.address": "127.0.0.1",
      "server.port": smtp.port,
      "todo.notification.channel": "email",
      "todo.notification.outcome": "succeeded",
      "todo.notification.delivery.attempt": 1,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  test("a refused recipient fails each attempt's span, the last one `failed`", async () => {
    smtp.refused.add("gone@example.com");
    await emailChannel("gone@example.com");
    await remind();
    startWorker(2);
    const spans = await attemptSpans("smtp send", 2);
    expect(spans.map((s) => s.attributes["todo.notification.outcome"])).toEqual(["retrying", "failed"]);
    for (const s of spans) {
      expect(s.status.code).toBe(SpanStatusCode.ERROR);
      expect(s.status.message).toContain("550");
      expect(s.attributes["error.type"]).toBe("EENVELOPE");
    }
  });
});

describe("with tracing off", () => {
  test("no span, no traceparent stored, no traceparent header", async () => {
    tracing.stop();
    await webhookChannel(`${receiver.url}/quiet`);
    await remind();
    startWorker();
    const req = await receiver.until("the webhook request", (r) => r.path === "/quiet");
    expect(req.headers.get("traceparent")).toBeNull();
    const [row] = await db.sql<
      { traceparent: string | null }[]
    >`select traceparent from notification.deliveries`;
    expect(row?.traceparent).toBeNull();
    expect(tracing.spans()).toEqual([]);
  });
});
