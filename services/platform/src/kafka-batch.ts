/**
 * Batched consumption for the Kafka bus: a handler with a `batch` (events.ts) gets the records of a
 * fetched partition batch together, up to `MAX_HANDLER_BATCH` at a time, in offset order; once the
 * batch handler succeeds their offsets are resolved and committed together. When it fails — or a
 * record in the chunk is malformed — each record of the chunk goes through the bus's one-by-one path
 * (its retries, backoff and dead-lettering), so one bad event never holds back or sinks the others.
 */
import type { EachBatchPayload, EachMessagePayload, KafkaMessage } from "kafkajs";
import { type CloudEvent, type EventHandler, MAX_HANDLER_BATCH } from "./events";
import { fromKafkaRecord } from "./kafka-envelope";
import type { Logger } from "./logger";
import type { ConsumerMetrics } from "./metrics-messaging";
import { traceProcess } from "./tracing-messaging";

/** What `eachBatchHandler` needs of its subscription. */
export interface BatchSubscription {
  readonly topic: string;
  readonly group: string;
  /** The subscription's handler; only its `batch` is used here. */
  readonly handler: EventHandler;
  /** The bus's one-by-one path for one record (retries, dead-lettering). */
  readonly handleOne: (payload: EachMessagePayload) => Promise<void>;
  readonly metrics: ConsumerMetrics;
  readonly log: Logger;
}

/** The span attribute of a batch's size (OpenTelemetry messaging conventions). */
const BATCH_SIZE = "messaging.batch.message_count";

/** A kafkajs `eachBatch` (run with `eachBatchAutoResolve: false`) for `sub`. */
export function eachBatchHandler(sub: BatchSubscription): (payload: EachBatchPayload) => Promise<void> {
  const handleBatch = sub.handler.batch;
  if (!handleBatch) throw new Error("eachBatchHandler needs a handler with a batch");
  /** The chunk's events, or undefined when one of them is malformed (the one-by-one path dead-letters it). */
  const eventsOf = (messages: readonly KafkaMessage[]): CloudEvent[] | undefined => {
    try {
      return messages.map((m) => fromKafkaRecord(m.headers, m.value));
    } catch {
      return undefined;
    }
  };
  return async (payload) => {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause } = payload;
    for (let i = 0; i < batch.messages.length; i += MAX_HANDLER_BATCH) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + MAX_HANDLER_BATCH);
      const events = chunk.length > 1 ? eventsOf(chunk) : undefined;
      if (events && (await tryBatch(sub, handleBatch, events))) {
        for (const _ of events) sub.metrics.consumed();
        resolveOffset((chunk.at(-1) as KafkaMessage).offset);
      } else {
        for (const message of chunk) {
          if (!isRunning() || isStale()) return;
          await sub.handleOne({ topic: batch.topic, partition: batch.partition, message, heartbeat, pause });
          resolveOffset(message.offset);
        }
      }
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  };
}

/** One attempt of the batch handler; false (logged) when it fails. */
async function tryBatch(
  sub: BatchSubscription,
  handleBatch: (events: readonly CloudEvent[]) => Promise<void>,
  events: readonly CloudEvent[],
): Promise<boolean> {
  const first = events[0] as CloudEvent;
  const attempt = () => handleBatch(events);
  try {
    await traceProcess("kafka", sub.topic, sub.group, first, { [BATCH_SIZE]: events.length }, () =>
      sub.metrics.process(attempt, first),
    );
    return true;
  } catch (err) {
    sub.log.debug("event batch failed; handling its events one by one", {
      topic: sub.topic,
      group: sub.group,
      events: events.length,
      err,
    });
    return false;
  }
}
