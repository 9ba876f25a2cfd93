/**
 * The `kafka-clients` phase of `bench:events`: the kafkajs exit path (docs/events.md), measured.
 * The same N real `task-updates` events (bench/lib/bench-change.ts, Protobuf data with `ce_*`
 * headers as `kafka-envelope.ts` writes them) go through each client on a fresh topic with the
 * services' topic config (`KAFKA_PARTITIONS`, default 3), an idempotent producer with acks=all, and
 * one consumer group reading from the earliest offset. The producer sends batches of `batch`
 * records, one request in flight (as the outbox relay does with `publishBatch`).
 *
 * Reported per client: produce rate (records acknowledged per second), end-to-end consume rate
 * (records received per second from the first send to the last receipt), p50/p99 latency (send call
 * start of a record's batch → its receipt by the consumer), and CPU per message (this process's
 * user+system CPU over the run, producer and consumer together, divided by N).
 */
import type { CloudEvent } from "@todo/platform";
import { toKafkaHeaders } from "@todo/platform/adapters";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { benchChange } from "../lib/bench-change";
import { ms, type Summary, summarize, table } from "../lib/stats";

/** One client's numbers. */
export interface ClientResult {
  readonly client: string;
  readonly version: string;
  readonly messages: number;
  readonly produceRate: number;
  readonly consumeRate: number;
  readonly latency: Summary;
  readonly cpuMicrosPerMessage: number;
}

/** What a client adapter does: produce all batches, and consume calling `onRecord` per record. */
interface ClientAdapter {
  readonly name: string;
  readonly version: string;
  start(topic: string, group: string, onRecord: (index: number) => void): Promise<void>;
  sendBatch(topic: string, records: readonly OutRecord[]): Promise<void>;
  stop(): Promise<void>;
}

interface OutRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

const INDEX_HEADER = "bench_i";

function records(n: number): OutRecord[] {
  const now = new Date();
  return Array.from({ length: n }, (_, i) => {
    const key = `0197a0b0-0000-7000-8000-${(i % 1000).toString(16).padStart(12, "0")}`;
    const event: CloudEvent = benchChange(key, i, now);
    return {
      key,
      value: Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength),
      headers: { ...toKafkaHeaders(event), [INDEX_HEADER]: String(i) },
    };
  });
}

function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return "?";
  }
}

function kafkajsAdapter(brokers: string[]): ClientAdapter {
  const kafka = new Kafka({ clientId: "bench-kafkajs", brokers, logLevel: logLevel.WARN });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  let consumer: ReturnType<Kafka["consumer"]> | undefined;
  return {
    name: "kafkajs (patched)",
    version: versionOf("kafkajs"),
    async start(topic, group, onRecord) {
      await producer.connect();
      consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let joined: () => void = () => {};
      const ready = new Promise<void>((r) => {
        joined = r;
      });
      consumer.on(consumer.events.GROUP_JOIN, () => joined());
      await consumer.run({
        eachMessage: async ({ message }) => onRecord(Number(message.headers?.[INDEX_HEADER]?.toString())),
      });
      await ready;
    },
    async sendBatch(topic, batch) {
      await producer.send({ topic, acks: -1, messages: batch.map((r) => ({ ...r })) });
    },
    async stop() {
      await consumer?.disconnect();
      await producer.disconnect();
    },
  };
}

async function platformaticAdapter(brokers: string[]): Promise<ClientAdapter> {
  const pk = await import("@platformatic/kafka");
  const producer = new pk.Producer({
    clientId: "bench-platformatic",
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: pk.ProduceAcks.ALL,
    autocreateTopics: false,
    serializers: {
      key: pk.stringSerializer,
      value: undefined,
      headerKey: pk.stringSerializer,
      headerValue: pk.stringSerializer,
    },
  });
  let consumer: InstanceType<typeof pk.Consumer<string, Buffer, string, string>> | undefined;
  let stream: { close(): Promise<void> } | undefined;
  return {
    name: "@platformatic/kafka",
    version: versionOf("@platformatic/kafka"),
    async start(topic, group, onRecord) {
      consumer = new pk.Consumer({
        clientId: "bench-platformatic",
        groupId: group,
        bootstrapBrokers: brokers,
        sessionTimeout: 10_000,
        deserializers: {
          key: pk.stringDeserializer,
          headerKey: pk.stringDeserializer,
          headerValue: pk.stringDeserializer,
        },
      });
      const s = await consumer.consume({
        topics: [topic],
        mode: pk.MessagesStreamModes.EARLIEST,
        autocommit: true,
      });
      stream = s;
      s.on("data", (message: { headers: Map<string, string> }) =>
        onRecord(Number(message.headers.get(INDEX_HEADER))),
      );
    },
    async sendBatch(topic, batch) {
      await producer.send({
        messages: batch.map((r) => ({ topic, key: r.key, value: r.value, headers: r.headers })),
      });
    },
    async stop() {
      await stream?.close();
      await consumer?.close(true);
      await producer.close();
    },
  };
}

/** The client names `--kafka-clients` accepts. */
export const KAFKA_CLIENTS = ["kafkajs", "platformatic"] as const;

/**
 * Runs the comparison on `brokers` for each of `clients`, one after the other, each on a topic and
 * group of its own (created here with kafkajs's admin, deleted afterwards).
 */
export async function kafkaClientsPhase(
  brokers: string[],
  clients: readonly (typeof KAFKA_CLIENTS)[number][],
  n: number,
  batch: number,
  partitions: number,
  prefix: string,
  log: (message: string) => void,
): Promise<ClientResult[]> {
  const admin = new Kafka({ clientId: "bench-clients-admin", brokers, logLevel: logLevel.WARN }).admin();
  await admin.connect();
  const out: ClientResult[] = [];
  const payload = records(n);
  try {
    for (const name of clients) {
      const adapter = name === "kafkajs" ? kafkajsAdapter(brokers) : await platformaticAdapter(brokers);
      const run = `${Date.now().toString(36)}-${name}`;
      const topic = `${prefix}bench-clients-${run}`;
      const group = `${prefix}bench-clients-${run}`;
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }] });
      const sentAt = new Float64Array(n);
      const latencies: number[] = [];
      const seen = new Uint8Array(n);
      let received = 0;
      let lastAt = 0;
      let done: () => void = () => {};
      const all = new Promise<void>((r) => {
        done = r;
      });
      await adapter.start(topic, group, (i) => {
        if (!(i >= 0 && i < n) || seen[i]) return;
        seen[i] = 1;
        lastAt = performance.now();
        latencies.push(lastAt - (sentAt[i] ?? lastAt));
        if (++received === n) done();
      });
      log(`kafka-clients: ${adapter.name} consuming ${topic}; producing ${n} records in batches of ${batch}`);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < n; i += batch) {
        const slice = payload.slice(i, i + batch);
        const at = performance.now();
        sentAt.fill(at, i, i + slice.length);
        await adapter.sendBatch(topic, slice);
      }
      const produced = performance.now();
      const timeout = setTimeout(() => done(), 120_000);
      await all;
      clearTimeout(timeout);
      const cpu = process.cpuUsage(cpu0);
      if (received < n) log(`kafka-clients: ${adapter.name} received only ${received} of ${n} in 120 s`);
      out.push({
        client: adapter.name,
        version: adapter.version,
        messages: received,
        produceRate: n / ((produced - t0) / 1000),
        consumeRate: received / ((lastAt - t0) / 1000),
        latency: summarize(latencies),
        cpuMicrosPerMessage: (cpu.user + cpu.system) / n,
      });
      await adapter.stop();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.deleteGroups([group]).catch(() => {});
    }
  } finally {
    await admin.disconnect();
  }
  return out;
}

/** The phase's markdown table. */
export function kafkaClientsTable(results: readonly ClientResult[]): string {
  const int = (x: number) => Math.round(x).toLocaleString("en-US");
  return table(
    ["client", "version", "received", "produce/s", "end-to-end consume/s", "p50", "p99", "CPU µs/message"],
    results.map((r) => [
      r.client,
      r.version,
      int(r.messages),
      int(r.produceRate),
      int(r.consumeRate),
      ms(r.latency.p50),
      ms(r.latency.p99),
      r.cpuMicrosPerMessage.toFixed(1),
    ]),
  );
}
