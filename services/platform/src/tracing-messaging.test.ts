/**
 * One event's trace from the change that made it to the consumer that handled it: the operation's
 * span → (outbox row) → the relay's `send` span → the consumer's `process` span → its statements,
 * on the in-process bus and on the Kafka bus against a real broker, with the messaging conventions'
 * attributes.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type Context,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { Kafka, logLevel } from "kafkajs";
import { createKafkaBus } from "./bus-kafka";
import { createMemoryBus } from "./bus-memory";
import { ensureProcessedEvents, idempotentHandler } from "./consumer";
import { type CloudEvent, deadLetterTopic, type EventBus, Topics, toCloudEvent } from "./events";
import { requireKafkaBrokers, uniqueKafkaName } from "./kafka-testing";
import { silentLogger as quiet } from "./logger";
import { enqueueEvent, ensureOutbox, startOutboxRelay } from "./outbox";
import { createTestDatabase, type TestDatabase } from "./testing";
import { contextFromTraceparent, platformTracer, setTracingEnabled } from "./tracing";
import { traceProcess } from "./tracing-messaging";
import { isChildOf, type TestTracing, useTestTracing } from "./tracing-testing";

const SCHEMA = "trace_msg";
const TOPIC = Topics.tagEvents;

let tracing: TestTracing;
let db: TestDatabase;

beforeAll(async () => {
  // Before the database opens: statements are hooked only while tracing is on.
  tracing = useTestTracing();
  db = await createTestDatabase();
  await ensureOutbox(db.sql, SCHEMA);
  await ensureProcessedEvents(db.sql, SCHEMA);
});
afterAll(async () => {
  await db?.drop();
  tracing?.stop();
});

/** Makes a change in a traced operation: the event row goes into the outbox in its transaction. */
async function change(subject: string): Promise<{ op: SpanContext; event: CloudEvent }> {
  return platformTracer().startActiveSpan("todo.tag.v1.TagService/DeleteTag", async (span) => {
    try {
      const event = toCloudEvent(
        TagDeletedSchema,
        { userId: "u", tagId: subject, name: subject },
        { source: "/todo/tag", type: "todo.tag.v1.deleted", subject },
      );
      await db.sql.begin((tx) => enqueueEvent(tx, SCHEMA, { topic: TOPIC, key: subject, event }));
      return { op: span.spanContext(), event };
    } finally {
      span.end();
    }
  });
}

/** Subscribes a consumer that records its event's id in a transaction and notes its active span. */
async function consume(bus: EventBus, group: string) {
  const active = new Map<string, SpanContext | undefined>();
  const handler = idempotentHandler(db.sql, SCHEMA, group, async (tx, event) => {
    await tx`select ${event.id}::text as id`;
    active.set(event.subject, trace.getActiveSpan()?.spanContext());
  });
  await bus.subscribe(TOPIC, group, handler);
  return active;
}

/**
 * Runs one change through the outbox, a relay on `bus` and a consumer, and returns the spans of its
 * trace: the operation, the send, the process (with the consumer's active span checked).
 */
async function flow(bus: EventBus, group: string) {
  const active = await consume(bus, group);
  const relay = startOutboxRelay({ sql: db.sql, schema: SCHEMA, bus, pollIntervalMs: 100, listen: false });
  try {
    const subject = `tag-${crypto.randomUUID()}`;
    const { op, event } = await change(subject);
    expect(event.traceparent).toBe(`00-${op.traceId}-${op.spanId}-01`);
    relay.wake();
    const process = await tracing.until(
      "the process span",
      (s) => s.kind === SpanKind.CONSUMER && s.attributes["cloudevents.event_subject"] === subject,
      30_000,
    );
    const spans = tracing.traceOf(op.traceId);
    const send = spans.find((s) => s.kind === SpanKind.PRODUCER);
    const operation = spans.find((s) => s.spanContext().spanId === op.spanId);
    if (!send || !operation) throw new Error(`missing spans: ${spans.map((s) => s.name).join(", ")}`);
    expect(isChildOf(send, operation)).toBe(true);
    expect(isChildOf(process, send)).toBe(true);
    // The handler ran inside the process span: its statements are the process span's children.
    expect(active.get(subject)?.spanId).toBe(process.spanContext().spanId);
    const statements = spans.filter((s) => s.kind === SpanKind.CLIENT && isChildOf(s, process));
    // The processed id is recorded with `insert … select … from unnest(ids)` (a batch of one).
    expect(statements.map((s) => s.name)).toContain("INSERT trace_msg.processed_events SELECT");
    // The outbox insert is the operation's child too.
    const inserts = spans.filter((s) => s.name === "INSERT trace_msg.outbox SELECT added");
    expect(inserts.every((s) => isChildOf(s, operation))).toBe(true);
    expect(inserts).toHaveLength(1);
    for (const s of [send, process]) {
      expect(s.name).toBe(`${s === send ? "send" : "process"} ${TOPIC}`);
      expect(s.status.code).toBe(SpanStatusCode.UNSET);
      expect(s.attributes).toMatchObject({
        "messaging.destination.name": TOPIC,
        "messaging.operation.type": s === send ? "send" : "process",
        "messaging.operation.name": s === send ? "send" : "process",
        "messaging.message.id": event.id,
        "cloudevents.event_id": event.id,
        "cloudevents.event_type": "todo.tag.v1.deleted",
        "cloudevents.event_source": "/todo/tag",
        "cloudevents.event_subject": subject,
      });
    }
    expect(send.attributes["messaging.consumer.group.name"]).toBeUndefined();
    expect(process.attributes["messaging.consumer.group.name"]).toBe(group);
    return { send, process, subject };
  } finally {
    await relay.stop();
  }
}

describe("the trace of an event", () => {
  test("in-process bus: operation → send → process → the handler's statements", async () => {
    tracing.reset();
    const bus = createMemoryBus({ logger: quiet });
    try {
      const { send, process } = await flow(bus, "memory-group");
      for (const s of [send, process]) {
        expect(s.attributes["messaging.system"]).toBe("in-process");
        expect(s.attributes["messaging.system.name"]).toBe("in-process");
      }
    } finally {
      await bus.close();
    }
  });

  test("Kafka bus (real broker): the same trace, with the record's key, partition and offset", async () => {
    tracing.reset();
    const brokers = requireKafkaBrokers();
    const prefix = `${uniqueKafkaName("trace")}.`;
    const group = "trace-group";
    const bus = await createKafkaBus({
      brokers,
      clientId: "tracing-messaging-test",
      partitions: 2,
      topicPrefix: prefix,
      sessionTimeoutMs: 6000,
      logger: quiet,
    });
    try {
      const { send, process, subject } = await flow(bus, group);
      for (const s of [send, process]) {
        expect(s.attributes).toMatchObject({
          "messaging.system": "kafka",
          "messaging.system.name": "kafka",
          "messaging.kafka.message.key": subject,
          "kafka.message.key": subject,
        });
        expect(["0", "1"]).toContain(s.attributes["messaging.destination.partition.id"] as string);
        expect(s.attributes["kafka.offset"]).toBeNumber();
        expect(s.attributes["messaging.kafka.offset"]).toBe(s.attributes["kafka.offset"] as number);
      }
      // The consumer read the very record the producer wrote.
      expect(process.attributes["messaging.destination.partition.id"]).toBe(
        send.attributes["messaging.destination.partition.id"] as string,
      );
      expect(process.attributes["kafka.offset"]).toBe(send.attributes["kafka.offset"] as number);
    } finally {
      await bus.close();
      const admin = new Kafka({ clientId: "tracing-cleanup", brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      await admin.deleteTopics({ topics: mine }).catch(() => {});
      await admin.deleteGroups([`${prefix}${group}`]).catch(() => {});
      await admin.disconnect();
    }
  }, 60_000);

  test("a failing handler attempt fails its process span; the retry is a sibling under the same send", async () => {
    tracing.reset();
    const bus = createMemoryBus({ logger: quiet, maxAttempts: 3, minBackoffMs: 5, maxBackoffMs: 10 });
    try {
      let calls = 0;
      await bus.subscribe(TOPIC, "flaky", async () => {
        calls += 1;
        if (calls === 1) throw new Error("not yet");
      });
      const { op } = await platformTracer().startActiveSpan("op", async (span) => {
        await bus.publish(
          TOPIC,
          "k",
          toCloudEvent(TagDeletedSchema, {}, { source: "s", type: "t", subject: "k" }),
        );
        span.end();
        return { op: span.spanContext() };
      });
      await tracing.until(
        "two attempts",
        () => tracing.spans().filter((s) => s.kind === SpanKind.CONSUMER).length === 2,
      );
      const spans = tracing.traceOf(op.traceId);
      const send = spans.find((s) => s.kind === SpanKind.PRODUCER) as ReadableSpan;
      const [failed, ok] = spans.filter((s) => s.kind === SpanKind.CONSUMER);
      expect(failed && isChildOf(failed, send)).toBe(true);
      expect(ok && isChildOf(ok, send)).toBe(true);
      expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
      expect(failed?.attributes["error.type"]).toBe("Error");
      expect(ok?.status.code).toBe(SpanStatusCode.UNSET);
    } finally {
      await bus.close();
    }
  });

  test("a process span handed a parent (the Dapr callback's span) is its child, linked to the producer's trace", async () => {
    tracing.reset();
    const event = await platformTracer().startActiveSpan("producer", async (span) => {
      span.end();
      return toCloudEvent(TagDeletedSchema, {}, { source: "s", type: "t", subject: "k" });
    });
    const producer = tracing.spans()[0] as ReadableSpan;
    /** A process span under a callback span started in `ctx`; returns both. */
    const processUnder = async (ctx: Context) => {
      tracing.reset();
      const callback = platformTracer().startSpan("callback", { kind: SpanKind.SERVER }, ctx);
      await traceProcess(
        "dapr",
        TOPIC,
        "g",
        event,
        undefined,
        async () => {},
        trace.setSpan(ROOT_CONTEXT, callback),
      );
      callback.end();
      const process = tracing.spans().find((s) => s.kind === SpanKind.CONSUMER) as ReadableSpan;
      expect(isChildOf(process, callback.spanContext())).toBe(true);
      return process;
    };
    const elsewhere = await processUnder(ROOT_CONTEXT);
    expect(elsewhere.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId]);
    // In the producer's own trace, the parent alone says it all: no link.
    const sameTrace = await processUnder(contextFromTraceparent(event.traceparent));
    expect(sameTrace.links).toEqual([]);
  });

  test("with tracing off: no span, and the event carries no traceparent", async () => {
    tracing.reset();
    setTracingEnabled(false);
    const bus = createMemoryBus({ logger: quiet });
    try {
      const got: CloudEvent[] = [];
      await bus.subscribe(deadLetterTopic(TOPIC), "off", async (e) => {
        got.push(e);
      });
      const event = toCloudEvent(TagDeletedSchema, {}, { source: "s", type: "t", subject: "k" });
      expect(event.traceparent).toBeUndefined();
      await bus.publish(deadLetterTopic(TOPIC), "k", event);
      await db.sql`select 1`;
      for (let i = 0; i < 50 && got.length === 0; i++) await Bun.sleep(10);
      expect(got).toHaveLength(1);
      expect(got[0]?.traceparent).toBeUndefined();
    } finally {
      setTracingEnabled(true);
      await bus.close();
    }
    expect(tracing.spans()).toEqual([]);
  });
});
