/**
 * The Apache Kafka `EventBus` (services mode), on kafkajs.
 *
 * Producing: one idempotent producer per bus (`idempotent: true`, one request in flight, `acks=-1`),
 * so a retried send never duplicates or reorders a record; replaced by a new one when the broker
 * refuses its sequence numbers (kafka-producer-renewal.ts). The record key is the key given to
 * `publish` (the task or tag id): Kafka's default (murmur2) partitioner puts one key on one
 * partition, which keeps one task's events in order. Events travel in CloudEvents binary content
 * mode (`kafka-envelope.ts`): the value is the Protobuf data, the attributes are `ce_*` headers.
 *
 * Consuming: `subscribe(topic, group, handler)` starts one consumer in that consumer group. Within a
 * partition, records are handled one at a time in offset order (or, for a handler with a `batch`,
 * a fetch's records together: kafka-batch.ts); different partitions are handled concurrently. An offset is committed only after its record was handled (or dead-lettered), so a
 * consumer that dies mid-record leaves it to be delivered again to the group's next owner of the
 * partition: at-least-once, with idempotent consumers (`consumer.ts`) absorbing the repeats. A failing
 * handler is retried in place with exponential backoff (heartbeating meanwhile, so the group does
 * not evict a consumer that is merely waiting); after `maxAttempts` the record is published to
 * `<topic>.dlq` with the error attached and committed, so the partition keeps flowing. A record that
 * is not a CloudEvent at all is dead-lettered at once.
 *
 * Namespaces: with a `topicPrefix` (`KAFKA_TOPIC_PREFIX`) every topic and consumer group this bus
 * touches is `<prefix><name>` on the broker, while callers keep using the plain names (`reminders`,
 * group `notification`); so several deployments or test runs can share one cluster without reading
 * each other's records or joining each other's groups.
 *
 * Topics: `Topics` and their `.dlq` twins are created at start-up when missing (the broker is
 * expected to refuse implicit creation); any other topic is created the first time it is published
 * to or subscribed to. A new consumer group starts from the earliest retained record (so events
 * published before a service's first start are not lost) unless it subscribes with
 * `{ from: "latest" }`.
 */
import {
  type Admin,
  type Consumer,
  type EachMessagePayload,
  type ICustomPartitioner,
  Kafka,
  KafkaJSError,
  logLevel as KafkaLogLevel,
  Partitioners,
  type RecordMetadata,
} from "kafkajs";
import { type BackoffPolicy, backoffDelay } from "./backoff";
import { envInt, envString } from "./config";
import {
  type CloudEvent,
  DeadLetterExtensions,
  deadLetterTopic,
  type EventBus,
  type EventHandler,
  type PublishEntry,
  type Subscription,
  Topics,
} from "./events";
import { eachBatchHandler } from "./kafka-batch";
import { fromKafkaRecord, MalformedEventError, toKafkaHeaders } from "./kafka-envelope";
import { kafkaLogCreator, StoppingError } from "./kafka-log";
import { renewingProducer } from "./kafka-producer-renewal";
import { createLogger, type Logger } from "./logger";
import {
  type ConsumerMetrics,
  consumerMetrics,
  type LagSample,
  observeConsumerLag,
  withSentMetrics,
} from "./metrics-messaging";
import { refreshing } from "./metrics-refresh";
import { tracingEnabled } from "./tracing";
import {
  endSendSpan,
  kafkaKeyAttributes,
  kafkaPositionAttributes,
  type SendSpan,
  startSendSpan,
  traceProcess,
} from "./tracing-messaging";

/** Settings of the Kafka bus. */
export interface KafkaBusOptions {
  /** Bootstrap brokers, `host:port` each (e.g. `KAFKA_BROKERS` split on commas). */
  readonly brokers: readonly string[];
  /** The client id the broker sees in its logs and quotas: the service name. */
  readonly clientId: string;
  /** Partitions of topics this bus creates; default `KAFKA_PARTITIONS`, else 3. */
  readonly partitions?: number;
  /** Handler calls per record before it is dead-lettered; default `BUS_MAX_ATTEMPTS`, else 5. */
  readonly maxAttempts?: number;
  /** Wait before the first retry, doubling up to `maxBackoffMs`; defaults 100 ms and 10 s. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * How long the group coordinator waits for a silent consumer before handing its partitions to
   * another member; default 10 s (the broker accepts 6 s to 5 min). Lower means faster failover.
   */
  readonly sessionTimeoutMs?: number;
  /**
   * Prepended to every topic and consumer-group name on the broker (default `KAFKA_TOPIC_PREFIX`,
   * else none); callers and dead-letter headers keep the plain names.
   */
  readonly topicPrefix?: string;
  readonly logger?: Logger;
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/**
 * Connects to Kafka and returns an `EventBus` on it, once the system's topics exist. Rejects when
 * the brokers cannot be reached (kafkajs retries for a while first).
 */
export async function createKafkaBus(options: KafkaBusOptions): Promise<EventBus> {
  if (options.brokers.length === 0) throw new Error("createKafkaBus: no brokers given");
  const partitions = options.partitions ?? envInt("KAFKA_PARTITIONS", 3, 1, 10_000);
  const maxAttempts = Math.max(1, options.maxAttempts ?? envInt("BUS_MAX_ATTEMPTS", 5, 1, 1000));
  const backoff: BackoffPolicy = {
    minMs: options.minBackoffMs ?? 100,
    maxMs: options.maxBackoffMs ?? 10_000,
  };
  const sessionTimeout = options.sessionTimeoutMs ?? 10_000;
  const prefix = options.topicPrefix ?? envString("KAFKA_TOPIC_PREFIX", "");
  if (!/^[A-Za-z0-9._-]*$/.test(prefix)) {
    throw new Error(
      `KAFKA_TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-", got ${JSON.stringify(prefix)}`,
    );
  }
  /** The broker-side name of topic or group `name`. */
  const onBroker = (name: string) => `${prefix}${name}`;
  const log = options.logger ?? createLogger("kafka-bus");
  const shutdown = new AbortController();
  /** Broker-side names of groups to delete when their subscription ends. */
  const ephemeralGroups = new Set<string>();
  const deleteGroups = async (groups: string[]) => {
    if (groups.length === 0) return;
    await admin
      .deleteGroups(groups)
      .catch((err: unknown) => log.warn("could not delete groups", { groups, err }));
  };

  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: KafkaLogLevel.WARN,
    logCreator: kafkaLogCreator(log),
  });
  const admin: Admin = kafka.admin();
  // The default (murmur2) partitioner, noting while tracing which partition each record went to, so
  // its `send` span can say where it landed (kafkajs hands the record objects through unchanged).
  const landed = new WeakMap<object, number>();
  const createPartitioner: ICustomPartitioner = () => {
    const partitioner = Partitioners.DefaultPartitioner();
    return (args) => {
      const partition = partitioner(args);
      if (tracingEnabled()) landed.set(args.message, partition);
      return partition;
    };
  };
  const producer = renewingProducer(
    () =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner,
      }),
    log,
  );
  const consumers = new Set<Consumer>();
  /** Topics known to exist (or being created), so each is looked up once per bus. */
  const ensured = new Map<string, Promise<void>>();

  const createMissing = async (logicalNames: readonly string[]) => {
    const names = logicalNames.map(onBroker);
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((name) => !existing.has(name));
    if (missing.length === 0) return;
    // false means "already there": another service won the race, which is fine. kafkajs's own
    // waitForLeaders gives up when the broker has not yet published the new topic in its metadata
    // (UNKNOWN_TOPIC_OR_PARTITION right after CreateTopics, common on a fresh KRaft node), so the
    // wait for leaders is done below instead.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
    });
    await waitForLeaders(missing);
    log.info("created topics", { topics: missing, partitions });
  };

  /** Polls metadata until every partition of `topics` has a leader (30 s at most). */
  const waitForLeaders = async (topics: readonly string[]) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
        const ready =
          found.length === topics.length &&
          found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        if (ready) return;
      } catch (err) {
        if (!(err instanceof KafkaJSError) || !err.retriable) throw err;
      }
      if (Date.now() > deadline) throw new Error(`topics ${topics.join(", ")} have no leader after 30 s`);
      await Bun.sleep(100);
    }
  };

  /** Makes sure `topic` and its dead-letter topic exist. */
  const ensureTopic = (topic: string): Promise<void> => {
    let pending = ensured.get(topic);
    if (!pending) {
      const names = topic.endsWith(".dlq") ? [topic] : [topic, deadLetterTopic(topic)];
      pending = createMissing(names).catch((err: unknown) => {
        ensured.delete(topic);
        throw err;
      });
      ensured.set(topic, pending);
    }
    return pending;
  };

  // No record timestamp from the event: the producer stamps the send time. The event's own time is
  // in ce_time, and Kafka 4 refuses records stamped over an hour in the future
  // (log.message.timestamp.after.max.ms), which a skewed clock could otherwise trigger.
  const record = (key: string, event: CloudEvent) => ({
    key,
    value: Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength),
    headers: toKafkaHeaders(event),
  });

  type OutRecord = ReturnType<typeof record>;

  /**
   * The partition and offset of each of `messages` (sent to `brokerTopic` in this order), from the
   * produce response: a partition's records were appended in order from its base offset.
   */
  const positionsOf = (response: RecordMetadata[], brokerTopic: string, messages: readonly OutRecord[]) => {
    const base = new Map<number, number>();
    for (const r of response) {
      if (r.topicName === brokerTopic && r.baseOffset !== undefined)
        base.set(r.partition, Number(r.baseOffset));
    }
    const next = new Map<number, number>();
    return messages.map((message) => {
      const partition = landed.get(message);
      if (partition === undefined) return undefined;
      const offset = base.get(partition);
      const index = next.get(partition) ?? 0;
      next.set(partition, index + 1);
      return kafkaPositionAttributes(partition, offset === undefined ? undefined : offset + index);
    });
  };

  const send = async (topic: string, key: string, event: CloudEvent) => {
    const traced = startSendSpan("kafka", topic, key, event);
    try {
      await ensureTopic(topic);
      const message = record(key, traced?.event ?? event);
      const response = await producer.use((p) =>
        p.send({ topic: onBroker(topic), acks: -1, messages: [message] }),
      );
      endSendSpan(traced, undefined, traced && positionsOf(response, onBroker(topic), [message])[0]);
    } catch (err) {
      endSendSpan(traced, err);
      throw err;
    }
  };

  /**
   * Many events in one produce request. The idempotent producer has one request per broker in flight
   * (kafkajs holds a broker lock around each produce), so a request per event caps a publisher at
   * one broker round trip per event. Within a partition the records are appended in the order given,
   * which keeps each key's order.
   */
  const sendBatch = async (entries: readonly PublishEntry[]) => {
    const byTopic = new Map<string, OutRecord[]>();
    // While tracing: one `send` span per event, in the same order as its topic's records.
    const spans = tracingEnabled() ? new Map<string, (SendSpan | undefined)[]>() : undefined;
    for (const { topic, key, event } of entries) {
      const traced = spans && startSendSpan("kafka", topic, key, event);
      const message = record(key, traced?.event ?? event);
      const list = byTopic.get(topic);
      if (list) list.push(message);
      else byTopic.set(topic, [message]);
      if (spans) {
        const topicSpans = spans.get(topic);
        if (topicSpans) topicSpans.push(traced);
        else spans.set(topic, [traced]);
      }
    }
    let response: RecordMetadata[];
    try {
      await Promise.all([...byTopic.keys()].map(ensureTopic));
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic: onBroker(topic), messages }));
      response = await producer.use((p) => p.sendBatch({ acks: -1, topicMessages }));
    } catch (err) {
      for (const list of spans?.values() ?? []) for (const traced of list) endSendSpan(traced, err);
      throw err;
    }
    for (const [topic, list] of spans ?? []) {
      const positions = positionsOf(response, onBroker(topic), byTopic.get(topic) ?? []);
      list.forEach((traced, i) => {
        endSendSpan(traced, undefined, positions[i]);
      });
    }
  };

  try {
    await admin.connect();
    await producer.connect();
    const systemTopics = Object.values(Topics);
    await createMissing(systemTopics.flatMap((topic) => [topic, deadLetterTopic(topic)]));
    for (const topic of systemTopics) ensured.set(topic, Promise.resolve());
  } catch (err) {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    throw err;
  }

  const invoke = (
    topic: string,
    group: string,
    handler: EventHandler,
    event: CloudEvent,
    payload: EachMessagePayload,
    metrics: ConsumerMetrics,
  ) =>
    traceProcess(
      "kafka",
      topic,
      group,
      event,
      tracingEnabled()
        ? {
            ...kafkaPositionAttributes(payload.partition, payload.message.offset),
            ...(payload.message.key ? kafkaKeyAttributes(payload.message.key.toString("utf8")) : {}),
          }
        : undefined,
      () => metrics.process(handler, event),
    );

  /** Publishes a copy of the failed record to `<topic>.dlq`; the caller then commits the original. */
  const deadLetter = async (
    topic: string,
    group: string,
    payload: EachMessagePayload,
    event: CloudEvent | undefined,
    failure: unknown,
    attempts: number,
    metrics: ConsumerMetrics,
  ) => {
    const { partition, message } = payload;
    const fields = {
      topic,
      group,
      partition,
      offset: message.offset,
      event_id: event?.id,
      type: event?.type,
      subject: event?.subject,
      attempts,
      err: failure,
    };
    if (topic.endsWith(".dlq")) {
      log.error("handler of a dead-letter topic failed; dropping the record", fields);
      return;
    }
    log.error("event handler kept failing; dead-lettering the record", fields);
    const extra: Record<string, string> = {
      [DeadLetterExtensions.error]: errorText(failure),
      [DeadLetterExtensions.attempts]: String(attempts),
      [DeadLetterExtensions.topic]: topic,
      [DeadLetterExtensions.group]: group,
      [DeadLetterExtensions.partition]: String(partition),
      [DeadLetterExtensions.offset]: message.offset,
    };
    const target = deadLetterTopic(topic);
    await ensureTopic(target);
    // The record is copied as it came (even when it is not a valid CloudEvent), plus the headers.
    const headers: Record<string, string | Buffer> = {};
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      const first = Array.isArray(value) ? value[0] : value;
      if (first !== undefined) headers[name] = first;
    }
    for (const [name, value] of Object.entries(extra)) headers[`ce_${name}`] = value;
    const messages = [{ key: message.key, value: message.value, headers }];
    await producer.use((p) => p.send({ topic: onBroker(target), acks: -1, messages }));
    metrics.deadLettered();
  };

  /**
   * Consumer lag of every committed subscription of this bus: the end offset of each partition minus
   * the group's committed offset (the earliest retained one when it has none), read with the admin
   * API at most once per METRICS_REFRESH_SECONDS per subscription.
   */
  const lagSources = new Map<string, () => Promise<LagSample[] | undefined>>();
  const lagOf = (topic: string, group: string) =>
    refreshing(
      async (): Promise<LagSample[]> => {
        const [ends, committed] = await Promise.all([
          admin.fetchTopicOffsets(onBroker(topic)),
          admin.fetchOffsets({ groupId: onBroker(group), topics: [onBroker(topic)] }),
        ]);
        const byPartition = new Map(
          (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const),
        );
        return ends.map((p) => {
          const done = byPartition.get(p.partition) ?? -1;
          const from = done >= 0 ? done : Number(p.low);
          return { topic, group, partition: String(p.partition), lag: Math.max(0, Number(p.high) - from) };
        });
      },
      { logger: log, name: `consumer lag of ${group} on ${topic}` },
    );
  const stopLag = observeConsumerLag("kafka", async () => {
    const all = await Promise.all([...lagSources.values()].map((read) => read()));
    return all.flatMap((samples) => samples ?? []);
  });

  const bus: EventBus = {
    publish: async (topic, key, event) => {
      if (shutdown.signal.aborted) throw new Error("event bus closed");
      await send(topic, key, event);
    },

    publishBatch: async (entries) => {
      if (shutdown.signal.aborted) throw new Error("event bus closed");
      if (entries.length > 0) await sendBatch(entries);
    },

    async subscribe(topic, group, handler, subscribeOptions = {}): Promise<Subscription> {
      if (shutdown.signal.aborted) throw new Error("event bus closed");
      await ensureTopic(topic);
      const consumer = kafka.consumer({
        groupId: onBroker(group),
        allowAutoTopicCreation: false,
        sessionTimeout: sessionTimeout,
        heartbeatInterval: Math.min(1000, Math.floor(sessionTimeout / 3)),
        maxWaitTimeInMs: 500,
      });
      const stopping = new AbortController();
      const stop = () => stopping.abort();
      shutdown.signal.addEventListener("abort", stop);
      const metrics = consumerMetrics("kafka", topic, group);

      const handle = async (payload: EachMessagePayload) => {
        const { message, heartbeat } = payload;
        let event: CloudEvent;
        try {
          event = fromKafkaRecord(message.headers, message.value);
        } catch (err) {
          if (!(err instanceof MalformedEventError)) throw err;
          await deadLetter(topic, group, payload, undefined, err, 0, metrics);
          return;
        }
        metrics.consumed();
        for (let attempt = 1; ; attempt++) {
          if (stopping.signal.aborted) throw new StoppingError("subscription stopping");
          let failure: unknown;
          try {
            await invoke(topic, group, handler, event, payload, metrics);
            return;
          } catch (err) {
            failure = err ?? new Error("handler failed");
          }
          // Shutting down mid-retry: leave the record uncommitted for the next owner.
          if (stopping.signal.aborted) throw new StoppingError("subscription stopping");
          if (attempt >= maxAttempts) {
            await deadLetter(topic, group, payload, event, failure, attempt, metrics);
            return;
          }
          const wait = backoffDelay(attempt, backoff);
          log.warn("event handler failed; retrying", {
            topic,
            group,
            partition: payload.partition,
            offset: message.offset,
            event_id: event.id,
            attempt,
            retry_in_ms: wait,
            err: failure,
          });
          // Sleep in slices, heartbeating, so a long backoff does not cost the partition.
          const until = Date.now() + wait;
          for (let left = wait; left > 0 && !stopping.signal.aborted; left = until - Date.now()) {
            await pause(Math.min(left, 1000), stopping.signal);
            await heartbeat();
          }
        }
      };

      const joined = new Promise<void>((resolve, reject) => {
        const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
          offJoin();
          offCrash();
          resolve();
        });
        // kafkajs restarts the consumer after a retriable failure (e.g. the group coordinator is
        // still loading right after the broker started); only a crash it gives up on is final.
        const offCrash = consumer.on(consumer.events.CRASH, (e) => {
          if (e.payload.restart) return;
          offJoin();
          offCrash();
          reject(e.payload.error);
        });
      });
      try {
        await consumer.connect();
        await consumer.subscribe({
          topics: [onBroker(topic)],
          fromBeginning: (subscribeOptions.from ?? "earliest") === "earliest",
        });
        await consumer.run({
          // Ephemeral groups commit too: with no committed position, kafkajs restarting the
          // consumer after a broker restart would begin again at the latest record and skip every
          // change published meanwhile (found by `bun run chaos`, docs/reliability.md).
          autoCommit: true,
          // Commit after every handled record: nothing handled is ever handed out again, except
          // after a crash between the handler and the commit.
          autoCommitThreshold: 1,
          partitionsConsumedConcurrently: Math.max(1, partitions),
          // A handler that takes batches gets a fetch's records together (kafka-batch.ts).
          ...(handler.batch
            ? {
                eachBatchAutoResolve: false,
                eachBatch: eachBatchHandler({ topic, group, handler, handleOne: handle, metrics, log }),
              }
            : { eachMessage: handle }),
        });
        // Resolve once the group has given this consumer its share, so a caller knows it is live.
        await joined;
      } catch (err) {
        shutdown.signal.removeEventListener("abort", stop);
        await consumer.disconnect().catch(() => {});
        throw err;
      }
      consumers.add(consumer);
      if (subscribeOptions.ephemeral) ephemeralGroups.add(onBroker(group));
      // A live view's group is one replica's and short-lived: its lag is not the system's backlog.
      const lagKey = `${topic}\u0000${group}`;
      if (!subscribeOptions.ephemeral) lagSources.set(lagKey, lagOf(topic, group));
      let active = true;
      return {
        async unsubscribe() {
          if (!active) return;
          active = false;
          lagSources.delete(lagKey);
          stop();
          shutdown.signal.removeEventListener("abort", stop);
          consumers.delete(consumer);
          await consumer.disconnect();
          if (ephemeralGroups.delete(onBroker(group))) await deleteGroups([onBroker(group)]);
        },
      };
    },

    async close() {
      if (shutdown.signal.aborted) return;
      shutdown.abort();
      stopLag();
      lagSources.clear();
      const all = [...consumers];
      consumers.clear();
      await Promise.allSettled(all.map((c) => c.disconnect()));
      await deleteGroups([...ephemeralGroups]);
      ephemeralGroups.clear();
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
  return withSentMetrics(bus, "kafka");
}
