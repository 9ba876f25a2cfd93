/**
 * Event bus metrics (docs/metrics.md, "Events"), shared by the three adapters: events sent per
 * topic, events consumed and each handler attempt's duration per topic and group, events
 * dead-lettered, and — where the adapter can see it — consumer lag per partition. Attribute sets are
 * built once per topic (and group); every accessor is a no-op while metrics are off.
 */
import type { Attributes, ObservableResult } from "@opentelemetry/api";
import type { CloudEvent, EventBus, EventHandler } from "./events";
import { errorTypeOf, groupAttribute, MetricAttributes } from "./metric-names";
import type { BoundCounter, BoundHistogram } from "./metrics-bound";
import { platformInstruments } from "./metrics-instruments";

/** `messaging.system` of each adapter. */
export type MessagingSystem = "kafka" | "in-process" | "dapr";

/** A consumer's measurements, bound to one topic and group. */
export interface ConsumerMetrics {
  /** An event was handed to the handler (call once per event, not per attempt). */
  consumed(): void;
  /** Runs one handler attempt, recording its duration (and `error.type` when it throws). */
  process(handler: EventHandler, event: CloudEvent): Promise<void>;
  /** The event was copied to `<topic>.dlq`. */
  deadLettered(): void;
}

/** One partition's lag, as reported by an adapter. */
export interface LagSample {
  readonly topic: string;
  readonly group: string;
  readonly partition: string;
  readonly lag: number;
}

const NOOP_CONSUMER: ConsumerMetrics = {
  consumed() {},
  process: (handler, event) => handler(event),
  deadLettered() {},
};

/** Measurements of `system`'s consumer of `topic` in `group`. */
export function consumerMetrics(system: MessagingSystem, topic: string, group: string): ConsumerMetrics {
  const inst = platformInstruments();
  if (!inst) return NOOP_CONSUMER;
  const base: Attributes = {
    [MetricAttributes.messagingSystem]: system,
    [MetricAttributes.messagingDestination]: topic,
    [MetricAttributes.messagingConsumerGroup]: groupAttribute(group),
  };
  const consumed = inst.messagingConsumed.bind({
    ...base,
    [MetricAttributes.messagingOperationName]: "receive",
  });
  const process = { ...base, [MetricAttributes.messagingOperationName]: "process" };
  const processed = inst.messagingProcessDuration.bind(process);
  const failed = new Map<string, BoundHistogram>();
  return {
    consumed: () => consumed.add(1),
    async process(handler, event) {
      const started = performance.now();
      try {
        await handler(event);
        processed.record((performance.now() - started) / 1000);
      } catch (err) {
        const type = errorTypeOf(err);
        let series = failed.get(type);
        if (!series) {
          series = inst.messagingProcessDuration.bind({ ...process, [MetricAttributes.errorType]: type });
          failed.set(type, series);
        }
        series.record((performance.now() - started) / 1000);
        throw err;
      }
    },
    deadLettered: () => inst.messagingDeadLettered.add(1, base),
  };
}

/**
 * Wraps `bus` so that every event it accepts through `publish`/`publishBatch` — or refuses — counts
 * in `messaging.client.sent.messages` by topic. Returns `bus` itself while metrics are off.
 */
export function withSentMetrics(bus: EventBus, system: MessagingSystem): EventBus {
  const inst = platformInstruments();
  if (!inst) return bus;
  const byTopic = new Map<string, BoundCounter>();
  const sent = (topic: string, err?: unknown) => {
    const type = err === undefined ? "" : errorTypeOf(err);
    const key = `${topic}\u0000${type}`;
    let series = byTopic.get(key);
    if (!series) {
      series = inst.messagingSent.bind({
        [MetricAttributes.messagingSystem]: system,
        [MetricAttributes.messagingOperationName]: "send",
        [MetricAttributes.messagingDestination]: topic,
        ...(type ? { [MetricAttributes.errorType]: type } : {}),
      });
      byTopic.set(key, series);
    }
    return series;
  };
  const countBatch = (entries: readonly { topic: string }[], err?: unknown) => {
    const counts = new Map<string, number>();
    for (const { topic } of entries) counts.set(topic, (counts.get(topic) ?? 0) + 1);
    for (const [topic, n] of counts) sent(topic, err).add(n);
  };
  const wrapped: EventBus = {
    async publish(topic, key, event) {
      try {
        await bus.publish(topic, key, event);
      } catch (err) {
        sent(topic, err).add(1);
        throw err;
      }
      sent(topic).add(1);
    },
    subscribe: (topic, group, handler, options) => bus.subscribe(topic, group, handler, options),
    close: () => bus.close(),
  };
  const batch = bus.publishBatch?.bind(bus);
  if (batch) {
    wrapped.publishBatch = async (entries) => {
      try {
        await batch(entries);
      } catch (err) {
        countBatch(entries, err);
        throw err;
      }
      countBatch(entries);
    };
  }
  return wrapped;
}

/**
 * Reports consumer lag from `read` whenever metrics are collected (`read` should cache, see
 * metrics-refresh.ts). Returns how to stop reporting.
 */
export function observeConsumerLag(
  system: MessagingSystem,
  read: () => Promise<readonly LagSample[]> | readonly LagSample[],
): () => void {
  const inst = platformInstruments();
  if (!inst) return () => {};
  const callback = async (result: ObservableResult) => {
    for (const s of await read()) {
      result.observe(s.lag, {
        [MetricAttributes.messagingSystem]: system,
        [MetricAttributes.messagingDestination]: s.topic,
        [MetricAttributes.messagingConsumerGroup]: groupAttribute(s.group),
        [MetricAttributes.messagingPartition]: s.partition,
      });
    }
  };
  inst.messagingLag.addCallback(callback);
  return () => inst.messagingLag.removeCallback(callback);
}
