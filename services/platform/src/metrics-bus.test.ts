/**
 * Event bus metrics on the in-process bus and on a real Kafka broker (`KAFKA_BROKERS`): events sent
 * per topic, consumed and processed per group (failed attempts with `error.type`), dead-lettered
 * per topic, and consumer lag — the events a group has been given but not finished (in-process) or
 * not committed (Kafka, read with the admin API) — which falls back to zero once they are handled.
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { Kafka, logLevel } from "kafkajs";
import { createKafkaBus } from "./bus-kafka";
import { createMemoryBus } from "./bus-memory";
import { type CloudEvent, type EventBus, toCloudEvent } from "./events";
import { requireKafkaBrokers, uniqueKafkaName } from "./kafka-testing";
import { silentLogger as quiet } from "./logger";
import { sumOf, type TestMetrics, useTestMetrics } from "./metrics-testing";

let metrics: TestMetrics;
const buses: EventBus[] = [];
const previousRefresh = process.env.METRICS_REFRESH_SECONDS;

beforeAll(() => {
  process.env.METRICS_REFRESH_SECONDS = "0"; // the lag is read at every scrape here
  metrics = useTestMetrics();
});

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  if (previousRefresh === undefined) delete process.env.METRICS_REFRESH_SECONDS;
  else process.env.METRICS_REFRESH_SECONDS = previousRefresh;
});

function event(subject: string): CloudEvent {
  return toCloudEvent(
    TagDeletedSchema,
    { userId: "user-1", tagId: subject, name: subject },
    { source: "/todo/test", type: "todo.tag.v1.deleted", subject },
  );
}

/** A handler that holds every event until `release()`, and fails events whose subject is `bad`. */
function gate() {
  let open: () => void = () => {};
  let opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const seen: string[] = [];
  return {
    seen,
    release: () => open(),
    close: () => {
      opened = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    handler: async (e: CloudEvent) => {
      if (e.subject === "bad") throw new Error("cannot handle this one");
      await opened;
      seen.push(e.subject);
    },
  };
}

test("in-process bus: sent, consumed, processed, dead-lettered and lag", async () => {
  const topic = uniqueKafkaName("mem-topic");
  const bus = createMemoryBus({ maxAttempts: 2, minBackoffMs: 1, logger: quiet });
  buses.push(bus);
  const g = gate();
  await bus.subscribe(topic, "grp", g.handler);
  const base = { messaging_system: "in-process", messaging_destination_name: topic };
  const group = { ...base, messaging_consumer_group_name: "grp" };

  const publishing = ["a", "b", "c"].map((s) => bus.publish(topic, "k", event(s)));
  const waiting = await metrics.until(
    (e) => sumOf(e, "todo_messaging_consumer_lag", group) === 3,
    "a lag of 3",
  );
  expect(
    sumOf(waiting, "todo_messaging_consumer_lag", { ...group, messaging_destination_partition_id: "0" }),
  ).toBe(3);
  g.release();
  await Promise.all(publishing);
  await bus.publish(topic, "k", event("bad"));
  const after = await metrics.until(
    (e) => sumOf(e, "todo_messaging_consumer_lag", group) === 0,
    "the lag to clear",
  );

  expect(
    sumOf(after, "messaging_client_sent_messages_total", { ...base, messaging_operation_name: "send" }),
  ).toBe(4);
  expect(
    sumOf(after, "messaging_client_consumed_messages_total", {
      ...group,
      messaging_operation_name: "receive",
    }),
  ).toBe(4);
  expect(
    sumOf(after, "messaging_process_duration_seconds_count", {
      ...group,
      messaging_operation_name: "process",
    }),
  ).toBe(5);
  expect(sumOf(after, "messaging_process_duration_seconds_count", { ...group, error_type: "Error" })).toBe(2);
  expect(sumOf(after, "todo_messaging_dead_lettered_total", group)).toBe(1);
});

test("consumer groups named with a UUID are one series", async () => {
  const topic = uniqueKafkaName("mem-watch");
  const bus = createMemoryBus({ logger: quiet });
  buses.push(bus);
  await bus.subscribe(topic, `task-watch-${Bun.randomUUIDv7()}`, async () => {});
  await bus.subscribe(topic, `task-watch-${Bun.randomUUIDv7()}`, async () => {});
  await bus.publish(topic, "k", event("x"));
  const e = await metrics.scrape();
  const series = e.samples.filter(
    (s) =>
      s.name === "messaging_client_consumed_messages_total" && s.labels.messaging_destination_name === topic,
  );
  expect(series.map((s) => [s.labels.messaging_consumer_group_name, s.value])).toEqual([["task-watch", 2]]);
});

test("Kafka bus: sent and consumed per topic, lag per partition from the broker, dead-lettered", async () => {
  const brokers = requireKafkaBrokers();
  const prefix = `${uniqueKafkaName("metrics")}.`;
  const bus = await createKafkaBus({
    brokers,
    clientId: "metrics-bus-test",
    partitions: 1,
    maxAttempts: 1,
    minBackoffMs: 10,
    sessionTimeoutMs: 6000,
    topicPrefix: prefix,
    logger: quiet,
  });
  buses.push(bus);
  const topic = "lag-topic";
  const g = gate();
  const subscription = await bus.subscribe(topic, "lagging", g.handler);
  const base = { messaging_system: "kafka", messaging_destination_name: topic };
  const group = { ...base, messaging_consumer_group_name: "lagging" };
  try {
    for (const s of ["a", "b", "c", "d"]) await bus.publish(topic, "k", event(s));
    const stuck = await metrics.until(
      (e) =>
        sumOf(e, "todo_messaging_consumer_lag", { ...group, messaging_destination_partition_id: "0" }) === 4,
      "a lag of 4 on partition 0",
    );
    expect(
      sumOf(stuck, "messaging_client_sent_messages_total", { ...base, messaging_operation_name: "send" }),
    ).toBe(4);
    g.release();
    await bus.publish(topic, "k", event("bad"));
    const done = await metrics.until(
      (e) =>
        sumOf(e, "todo_messaging_consumer_lag", group) === 0 &&
        sumOf(e, "todo_messaging_dead_lettered_total", group) === 1,
      "the lag to clear and the bad event to be dead-lettered",
    );
    expect(g.seen).toEqual(["a", "b", "c", "d"]);
    expect(sumOf(done, "messaging_client_consumed_messages_total", group)).toBe(5);
    expect(sumOf(done, "messaging_process_duration_seconds_count", { ...group, error_type: "Error" })).toBe(
      1,
    );
  } finally {
    g.release();
    await subscription.unsubscribe();
    const admin = new Kafka({
      clientId: "metrics-bus-test-admin",
      brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      await admin.deleteTopics({ topics: mine }).catch(() => {});
      await admin.deleteGroups([`${prefix}lagging`]).catch(() => {});
    } finally {
      await admin.disconnect();
    }
  }
}, 90_000);
