import { describe, expect, test } from "bun:test";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { Kafka, logLevel } from "kafkajs";
import { createEventBus, parseBrokers } from "./bus";
import { type CloudEvent, toCloudEvent } from "./events";
import { fetchTopicOffsets, requireKafkaBrokers, uniqueKafkaName } from "./kafka-testing";
import { silentLogger as quiet } from "./logger";

function event(name: string): CloudEvent {
  return toCloudEvent(
    TagDeletedSchema,
    { userId: "u", tagId: name, name },
    { source: "/todo/test", type: "todo.tag.v1.deleted", subject: name },
  );
}

describe("createEventBus", () => {
  test("KAFKA_BROKERS is a comma-separated list; blanks are ignored", () => {
    expect(parseBrokers(undefined)).toEqual([]);
    expect(parseBrokers(" ")).toEqual([]);
    expect(parseBrokers("a:9092, b:9093,,")).toEqual(["a:9092", "b:9093"]);
  });

  test("without KAFKA_BROKERS it is the in-process bus, with BUS_MAX_ATTEMPTS applied", async () => {
    const bus = await createEventBus({ BUS_MAX_ATTEMPTS: "2" }, { logger: quiet });
    let calls = 0;
    const dead: CloudEvent[] = [];
    await bus.subscribe("t.dlq", "ops", async (e) => void dead.push(e));
    await bus.subscribe("t", "g", async () => {
      calls++;
      throw new Error("always");
    });
    // The in-process bus resolves publish only after every group handled (or dead-lettered) it.
    await bus.publish("t", "k", event("x"));
    expect(calls).toBe(2);
    for (let i = 0; i < 100 && dead.length === 0; i++) await Bun.sleep(5);
    expect(dead[0]?.extensions?.dlqattempts).toBe("2");
    await bus.close();
  });

  test("malformed settings are refused with the variable named", async () => {
    await expect(createEventBus({ BUS_MAX_ATTEMPTS: "0" })).rejects.toThrow("BUS_MAX_ATTEMPTS");
    await expect(createEventBus({ KAFKA_BROKERS: "127.0.0.1:1", KAFKA_PARTITIONS: "x" })).rejects.toThrow(
      "KAFKA_PARTITIONS",
    );
  });

  test("with KAFKA_BROKERS it is the Kafka bus: events land on the broker", async () => {
    const brokers = requireKafkaBrokers();
    const bus = await createEventBus(
      { KAFKA_BROKERS: brokers.join(","), KAFKA_PARTITIONS: "2" },
      { clientId: "bus-factory-test", logger: quiet },
    );
    const topic = uniqueKafkaName("factory");
    // Nobody subscribes: the record must still be on the broker, not dropped as in-process.
    await bus.publish(topic, "k", event("kept"));
    await bus.close();
    const admin = new Kafka({ clientId: "bus-factory-check", brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const offsets = await fetchTopicOffsets(admin, topic);
      expect(offsets).toHaveLength(2);
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
    } finally {
      await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => {});
      await admin.disconnect();
    }
  });
});
