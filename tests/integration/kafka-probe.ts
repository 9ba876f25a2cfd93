/**
 * Kafka as an integration test sees it, through plain kafkajs (no service code in between): it
 * produces records of its choosing (copies of real events, garbage, hand-made events) and collects
 * what the services publish, with each record's partition, offset and broker timestamp.
 *
 * All names go through `topic()`, which applies the system's namespace: the `KAFKA_TOPIC_PREFIX` the
 * services were given when they honour it (checked by `detectNamespace`), else none.
 */
import { Kafka, type KafkaMessage, logLevel, type Producer } from "kafkajs";

/** One record as read from a topic; header values as UTF-8 text. */
export interface CollectedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  /** The broker record timestamp (the producer's send time), ms since the epoch. */
  readonly timestamp: number;
}

/** Records of one topic, gathered from when the collector started. */
export interface Collector {
  readonly records: readonly CollectedRecord[];
  /** Resolves with the records matching `predicate` once there are at least `count` of them. */
  waitFor(
    what: string,
    predicate: (r: CollectedRecord) => boolean,
    count?: number,
    timeoutMs?: number,
  ): Promise<CollectedRecord[]>;
  /** The records matching `predicate` so far. */
  matching(predicate: (r: CollectedRecord) => boolean): CollectedRecord[];
  /** Each time the collecting consumer crashed, and whether kafkajs restarted it. */
  readonly crashes: readonly string[];
}

/** Header values as text (the first value of repeated headers). */
export function headerText(message: Pick<KafkaMessage, "headers">): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first !== undefined) out[name] = typeof first === "string" ? first : first.toString("utf8");
  }
  return out;
}

/** A producer, collectors and an admin client on one Kafka namespace. */
export class KafkaProbe {
  private readonly kafka: Kafka;
  private readonly admin;
  private producer: Producer | undefined;
  private readonly consumers: { disconnect(): Promise<void> }[] = [];
  private namespace: string | undefined;

  constructor(
    brokers: readonly string[],
    /** The prefix the services were asked to use. */
    private readonly requestedPrefix: string,
  ) {
    this.kafka = new Kafka({
      clientId: "integration-probe",
      brokers: [...brokers],
      logLevel: logLevel.NOTHING,
    });
    this.admin = this.kafka.admin();
  }

  async connect(): Promise<void> {
    await this.admin.connect();
  }

  /**
   * Finds out whether the services honour `KAFKA_TOPIC_PREFIX`: call it once a Kafka-using service is
   * SERVING (it creates the system topics at start-up). Prefixed `task-events` present: the namespace
   * is the prefix. Absent: the services ignore it, the tests run on the shared topics, and a warning
   * says that runs can then disturb each other.
   */
  async detectNamespace(): Promise<string> {
    if (this.namespace !== undefined) return this.namespace;
    const topics = new Set(await this.admin.listTopics());
    if (topics.has(`${this.requestedPrefix}task-events`)) {
      this.namespace = this.requestedPrefix;
    } else {
      console.warn(
        "integration tests: the services ignore KAFKA_TOPIC_PREFIX, so these tests share the topics and " +
          "consumer groups of every other run on this broker (apply /work/notes/integration-fixes/kafka-topic-prefix.patch)",
      );
      this.namespace = "";
    }
    return this.namespace;
  }

  /** The broker-side name of `topic` in this namespace. */
  topic(name: string): string {
    if (this.namespace === undefined)
      throw new Error("call detectNamespace() after starting a service first");
    return `${this.namespace}${name}`;
  }

  /** The broker-side name of consumer group `name` in this namespace. */
  group(name: string): string {
    return this.topic(name);
  }

  /** Produces `messages` onto `topic` (a logical name) with acks from all replicas. */
  async produce(
    topic: string,
    messages: {
      key?: string | Buffer | null;
      value: Buffer | string | null;
      headers?: Record<string, string | Buffer>;
      partition?: number;
    }[],
  ): Promise<void> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
      await this.producer.connect();
    }
    await this.producer.send({ topic: this.topic(topic), acks: -1, messages });
  }

  /**
   * Starts collecting `topic` (a logical name) in a consumer group of its own. Only records written
   * after this call are kept (the topic's end offsets are read first), so a shared topic's history
   * does not leak in; resolves once the consumer is assigned its partitions.
   */
  async collect(topic: string): Promise<Collector> {
    const name = this.topic(topic);
    const since = new Map<number, bigint>();
    for (const p of await this.fetchEndOffsets(name)) since.set(p.partition, BigInt(p.high));
    const records: CollectedRecord[] = [];
    const crashes: string[] = [];
    const consumer = this.kafka.consumer({
      groupId: `${this.namespace}probe-${crypto.randomUUID()}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
    });
    this.consumers.push(consumer);
    consumer.on(consumer.events.CRASH, (e) => {
      const restarted = e.payload.restart ? "restarted" : "not restarted: records after this are missed";
      crashes.push(`${new Date().toISOString()} ${String(e.payload.error)} (${restarted})`);
    });
    const joined = new Promise<void>((resolve) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [name], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        if (BigInt(message.offset) < (since.get(partition) ?? 0n)) return;
        records.push({
          topic: t,
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: headerText(message),
          timestamp: Number(message.timestamp),
        });
      },
    });
    await joined;
    return {
      records,
      crashes,
      matching: (predicate) => records.filter(predicate),
      async waitFor(what, predicate, count = 1, timeoutMs = 30_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const found = records.filter(predicate);
          if (found.length >= count) return found;
          if (Date.now() > deadline) {
            throw new Error(
              `timed out after ${timeoutMs} ms waiting for ${count} record(s) on ${name}: ${what} (found ${found.length})`,
            );
          }
          await Bun.sleep(50);
        }
      },
    };
  }

  /** The offsets consumer group `group` has committed on `topic` (logical names), by partition. */
  async committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    const [found] = await this.admin.fetchOffsets({
      groupId: this.group(group),
      topics: [this.topic(topic)],
    });
    return new Map((found?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  }

  /** The end offset of each partition of `topic` (a logical name): where the next record will go. */
  async endOffsets(topic: string): Promise<Map<number, number>> {
    return new Map((await this.fetchEndOffsets(this.topic(topic))).map((p) => [p.partition, Number(p.high)]));
  }

  /**
   * Moves consumer group `group` back to `offsets` on `topic`, as if it had committed nothing since.
   * Waits first until the group has no members (a SIGKILLed member stays until its session times out).
   */
  async rewind(group: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void> {
    const groupId = this.group(group);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { groups } = await this.admin.describeGroups([groupId]);
      const state = groups[0]?.state;
      if (state === "Empty" || state === "Dead") break;
      if (Date.now() > deadline) throw new Error(`group ${groupId} still ${state} after 90 s`);
      await Bun.sleep(250);
    }
    await this.admin.setOffsets({
      groupId,
      topic: this.topic(topic),
      partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })),
    });
  }

  /** The end offsets of broker topic `name`, retried while a just-created topic has no leader yet. */
  private async fetchEndOffsets(name: string): Promise<{ partition: number; high: string }[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return await this.admin.fetchTopicOffsets(name);
      } catch (err) {
        const retriable = (err as { retriable?: boolean }).retriable === true;
        if (!retriable || Date.now() > deadline) throw err;
        await Bun.sleep(200);
      }
    }
  }

  /**
   * Disconnects, then deletes the topics and consumer groups under the requested prefix (there are
   * none when the services ignored it; nothing shared is ever deleted).
   */
  async close(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.disconnect()));
    await this.producer?.disconnect().catch(() => {});
    if (this.requestedPrefix) {
      const prefix = this.requestedPrefix;
      try {
        const topics = (await this.admin.listTopics()).filter((t) => t.startsWith(prefix));
        if (topics.length > 0) await this.admin.deleteTopics({ topics, timeout: 10_000 });
        const { groups } = await this.admin.listGroups();
        const mine = groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
        // Groups of SIGKILLed members stay non-empty until their session ends; those expire by themselves.
        if (mine.length > 0) await this.admin.deleteGroups(mine).catch(() => {});
      } catch (err) {
        console.warn(`integration tests: could not clean up Kafka namespace ${prefix}: ${String(err)}`);
      }
    }
    await this.admin.disconnect();
  }
}
