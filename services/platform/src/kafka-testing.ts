/**
 * Test support for code that talks to a real Kafka broker: the broker list from `KAFKA_BROKERS`
 * (failing loudly, never skipping, when it is missing) and names that no other test run uses, so
 * runs never see each other's records or consumer-group offsets.
 */
import type { Admin } from "kafkajs";
import { parseBrokers } from "./bus";

/** The brokers in `KAFKA_BROKERS`; throws, with how to fix it, when unset. */
export function requireKafkaBrokers(): string[] {
  const brokers = parseBrokers(process.env.KAFKA_BROKERS);
  if (brokers.length === 0) {
    throw new Error(
      "KAFKA_BROKERS is not set: these tests need a Kafka broker. Start one with `bun scripts/infra.ts up kafka` " +
        "and export the KAFKA_BROKERS it prints (or run them through `bun run test`).",
    );
  }
  return brokers;
}

/** A topic or group name unique to this call: `<prefix>-<time>-<random>`, Kafka-legal. */
export function uniqueKafkaName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}

/** The latest offsets of each partition, as kafkajs's admin reports them. */
export type TopicOffsets = Awaited<ReturnType<Admin["fetchTopicOffsets"]>>;

/**
 * `admin.fetchTopicOffsets(topic)`, asked again while the broker answers with a retriable error:
 * right after a topic is created its partitions' leaders are still being elected, and a broker then
 * answers NOT_LEADER_FOR_PARTITION (or UNKNOWN_TOPIC_OR_PARTITION) for a while.
 */
export async function fetchTopicOffsets(
  admin: Admin,
  topic: string,
  timeoutMs = 10_000,
): Promise<TopicOffsets> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || Date.now() > end) throw err;
      await Bun.sleep(100);
    }
  }
}
