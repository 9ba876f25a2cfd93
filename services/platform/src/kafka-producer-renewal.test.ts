/**
 * The producer renewal of kafka-producer-renewal.ts against the real broker: kafkajs's own
 * OUT_OF_ORDER_SEQUENCE_NUMBER error (plain, and wrapped as kafkajs's retrier wraps it) replaces the
 * producer, and the send after it goes through a new, connected producer; other errors keep the
 * producer. The broker's side — a producer whose sequences it refuses after a restart — is what
 * `bun run chaos` ("restart Kafka broker") exercises (docs/reliability.md).
 */
import { afterAll, expect, test } from "bun:test";
import { Kafka, KafkaJSNonRetriableError, KafkaJSProtocolError, logLevel, type Producer } from "kafkajs";
import { isOutOfOrderSequence, renewingProducer } from "./kafka-producer-renewal";
import { fetchTopicOffsets, requireKafkaBrokers, uniqueKafkaName } from "./kafka-testing";
import { memoryLogger } from "./testing";

const kafka = new Kafka({
  brokers: requireKafkaBrokers(),
  clientId: "renewal-test",
  logLevel: logLevel.NOTHING,
});
const made: Producer[] = [];
const admin = kafka.admin();

afterAll(async () => {
  await Promise.allSettled(made.map((p) => p.disconnect()));
  await admin.disconnect();
});

const outOfOrder = () =>
  new KafkaJSProtocolError({
    type: "OUT_OF_ORDER_SEQUENCE_NUMBER",
    code: 45,
    retriable: false,
    message: "The broker received an out of order sequence number",
  } as unknown as Error);

test("recognises kafkajs's OUT_OF_ORDER_SEQUENCE_NUMBER, also wrapped", () => {
  expect(isOutOfOrderSequence(outOfOrder())).toBe(true);
  expect(
    isOutOfOrderSequence(Object.assign(new KafkaJSNonRetriableError(outOfOrder()), { cause: outOfOrder() })),
  ).toBe(true);
  expect(isOutOfOrderSequence(new Error("connect ECONNREFUSED"))).toBe(false);
  expect(isOutOfOrderSequence(undefined)).toBe(false);
});

test("a refused sequence replaces the producer; the next send goes through the new one", async () => {
  const topic = uniqueKafkaName("renewal");
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const { logger, lines } = memoryLogger();
  const producer = renewingProducer(() => {
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    made.push(p);
    return p;
  }, logger);
  await producer.connect();
  const send = (value: string) =>
    producer.use((p) => p.send({ topic, acks: -1, messages: [{ key: "k", value }] }));
  // A new topic may not be in the broker's metadata yet (UNKNOWN_TOPIC_OR_PARTITION): wait for it.
  for (const deadline = Date.now() + 30_000; ; ) {
    const ok = await send("one").then(
      () => true,
      (e: unknown) => {
        if ((e as { retriable?: boolean }).retriable !== true || Date.now() > deadline) throw e;
        return false;
      },
    );
    if (ok) break;
    await Bun.sleep(200);
  }

  let first: Producer | undefined;
  const failed = await producer
    .use(async (p) => {
      first = p;
      throw outOfOrder();
    })
    .catch((e: unknown) => e);
  expect(isOutOfOrderSequence(failed)).toBe(true);
  expect(producer.renewals).toBe(1);
  expect(lines.map((l) => l.msg)).toEqual([
    "the broker refused the Kafka producer's sequence numbers; starting a new producer",
  ]);

  let second: Producer | undefined;
  const [sent] = await producer.use(async (p) => {
    second = p;
    return p.send({ topic, acks: -1, messages: [{ key: "k", value: "two" }] });
  });
  expect(second).toBeDefined();
  expect(second).not.toBe(first);
  expect(sent?.errorCode).toBe(0);

  // Any other failure keeps the producer.
  await producer.use(() => Promise.reject(new Error("something else"))).catch(() => {});
  expect(producer.renewals).toBe(1);
  await send("three");
  const ends = await fetchTopicOffsets(admin, topic);
  expect(ends.map((p) => p.high)).toEqual(["3"]);
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
}, 60_000);
