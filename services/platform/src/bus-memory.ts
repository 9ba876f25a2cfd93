/**
 * The in-process `EventBus` of the embedded mode. Each (topic, group) is one ordered queue, like a
 * single Kafka partition: events reach a group in publish order, one at a time, and the handlers of
 * a group take turns. When several events wait and the handler has a `batch`, they go to it together
 * (up to `MAX_HANDLER_BATCH`); if the batch fails, each of them is delivered alone. A failing handler
 * is retried with exponential backoff; after `maxAttempts` the event goes to `<topic>.dlq` carrying
 * the error, and the queue moves on.
 *
 * `publish` resolves only when every group subscribed at that moment has handled the event (or
 * dead-lettered it), so an outbox relay deletes its row only then: a crash of the process in between
 * loses nothing, the event is published again on restart. Consequently a handler must never await a
 * publish to its own topic (it would wait on itself); handlers produce events through the outbox.
 * Events published to a topic with no subscribed group are dropped, so subscribe every consumer before
 * starting the outbox relays.
 */

import { type BackoffPolicy, backoffDelay } from "./backoff";
import {
  type CloudEvent,
  deadLetterTopic,
  type EventBus,
  type EventHandler,
  MAX_HANDLER_BATCH,
  type Subscription,
} from "./events";
import { createLogger, type Logger } from "./logger";
import {
  type ConsumerMetrics,
  consumerMetrics,
  type LagSample,
  observeConsumerLag,
  withSentMetrics,
} from "./metrics-messaging";
import { endSendSpan, startSendSpan, traceProcess } from "./tracing-messaging";

/** Retry and logging settings of the in-process bus. */
export interface MemoryBusOptions {
  /** Handler calls per event before it is dead-lettered; default 5. */
  readonly maxAttempts?: number;
  /** Wait before the first retry, doubling up to `maxBackoffMs`; defaults 50 ms and 5 s. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly logger?: Logger;
}

interface Delivery {
  readonly key: string;
  readonly event: CloudEvent;
  resolve(): void;
  reject(err: Error): void;
}

interface Member {
  readonly handler: EventHandler;
}

interface Group {
  readonly topic: string;
  readonly name: string;
  readonly queue: Delivery[];
  readonly members: Member[];
  readonly metrics: ConsumerMetrics;
  turn: number;
  /** The running pump, while the queue is being worked. */
  pump: Promise<void> | undefined;
  /** The member whose handler is running, so its subscription can wait for it. */
  busy: { member: Member; done: Promise<unknown> } | undefined;
}

/** The span attribute of a batch's size (OpenTelemetry messaging conventions). */
const BATCH_SIZE = "messaging.batch.message_count";

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Creates an in-process event bus. */
export function createMemoryBus(options: MemoryBusOptions = {}): EventBus {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const backoff: BackoffPolicy = { minMs: options.minBackoffMs ?? 50, maxMs: options.maxBackoffMs ?? 5000 };
  const log = options.logger ?? createLogger("event-bus");
  const topics = new Map<string, Map<string, Group>>();
  const sleepers = new Set<() => void>();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });

  const enqueue = (topic: string, key: string, event: CloudEvent): Promise<void> => {
    if (closed) return Promise.reject(new Error("event bus closed"));
    const groups = [...(topics.get(topic)?.values() ?? [])];
    if (groups.length === 0) {
      log.debug("event published with no subscriber", { topic, event_id: event.id, type: event.type });
      return Promise.resolve();
    }
    return Promise.all(
      groups.map(
        (group) =>
          new Promise<void>((resolve, reject) => {
            group.queue.push({ key, event, resolve, reject });
            if (!group.pump) {
              // Never run a handler inside publish(): start the pump on a later tick.
              group.pump = new Promise<void>((r) => queueMicrotask(r)).then(() => pump(group));
            }
          }),
      ),
    ).then(() => {});
  };

  const invoke = (group: Group, member: Member, event: CloudEvent) =>
    traceProcess("in-process", group.topic, group.name, event, undefined, () =>
      group.metrics.process(member.handler, event),
    );

  /** Delivers one event to its group: retries, then dead-letters. Never throws. */
  const deliver = async (group: Group, d: Delivery) => {
    group.metrics.consumed();
    for (let attempt = 1; ; attempt++) {
      if (closed) return d.reject(new Error("event bus closed"));
      const member = group.members[group.turn++ % group.members.length];
      if (!member) return d.reject(new Error(`group ${group.name} has no subscriber left`));
      let failure: unknown;
      const done = invoke(group, member, d.event).then(
        () => undefined,
        (err: unknown) => {
          failure = err ?? new Error("handler failed");
        },
      );
      group.busy = { member, done };
      await done;
      group.busy = undefined;
      if (failure === undefined) return d.resolve();
      if (closed) return d.reject(new Error("event bus closed"));
      if (attempt >= maxAttempts) {
        deadLetter(group, d, failure, attempt);
        return d.resolve();
      }
      log.warn("event handler failed; retrying", {
        topic: group.topic,
        group: group.name,
        event_id: d.event.id,
        attempt,
        err: failure,
      });
      await sleep(backoffDelay(attempt, backoff));
    }
  };

  /**
   * Delivers `batch` (more than one event) to one member's `batch` handler in a single attempt.
   * Returns whether it succeeded; on failure the caller delivers each event alone.
   */
  const deliverBatch = async (group: Group, batch: readonly Delivery[]): Promise<boolean> => {
    const member = group.members[group.turn++ % group.members.length];
    const handleBatch = member?.handler.batch;
    if (!member || !handleBatch || closed) return false;
    const events = batch.map((d) => d.event);
    const first = events[0] as CloudEvent;
    const attempt = () => handleBatch(events);
    const done = traceProcess(
      "in-process",
      group.topic,
      group.name,
      first,
      { [BATCH_SIZE]: events.length },
      () => group.metrics.process(attempt, first),
    ).then(
      () => true,
      (err: unknown) => {
        log.debug("event batch failed; delivering its events one by one", {
          topic: group.topic,
          group: group.name,
          events: events.length,
          err,
        });
        return false;
      },
    );
    group.busy = { member, done };
    const ok = await done;
    group.busy = undefined;
    if (!ok) return false;
    for (const d of batch) {
      group.metrics.consumed();
      d.resolve();
    }
    return true;
  };

  const deadLetter = (group: Group, d: Delivery, failure: unknown, attempts: number) => {
    log.error("event handler kept failing; dead-lettering the event", {
      topic: group.topic,
      group: group.name,
      event_id: d.event.id,
      type: d.event.type,
      subject: d.event.subject,
      attempts,
      err: failure,
    });
    if (group.topic.endsWith(".dlq")) return;
    group.metrics.deadLettered();
    const event: CloudEvent = {
      ...d.event,
      extensions: {
        ...d.event.extensions,
        dlqerror: errorText(failure),
        dlqtopic: group.topic,
        dlqgroup: group.name,
        dlqattempts: String(attempts),
      },
    };
    // Not awaited: the group moves on as soon as the event is handed to the dead-letter queue.
    enqueue(deadLetterTopic(group.topic), d.key, event).catch((err) =>
      log.error("dead-lettering failed", { event_id: d.event.id, err }),
    );
  };

  const pump = async (group: Group) => {
    try {
      while (group.queue.length > 0) {
        const batching = group.queue.length > 1 && group.members.some((m) => m.handler.batch);
        const batch = group.queue.splice(0, batching ? MAX_HANDLER_BATCH : 1);
        if (batch.length > 1 && (await deliverBatch(group, batch))) continue;
        for (const d of batch) await deliver(group, d);
      }
    } finally {
      group.pump = undefined;
    }
  };

  const dropQueue = (group: Group, reason: string) => {
    for (let d = group.queue.shift(); d; d = group.queue.shift()) d.reject(new Error(reason));
  };

  // Lag: what a group has been given and not finished (its queue, plus the event in its handler).
  const stopLag = observeConsumerLag("in-process", () => {
    const samples: LagSample[] = [];
    for (const groups of topics.values()) {
      for (const g of groups.values()) {
        samples.push({
          topic: g.topic,
          group: g.name,
          partition: "0",
          lag: g.queue.length + (g.busy ? 1 : 0),
        });
      }
    }
    return samples;
  });

  const bus: EventBus = {
    // The `send` span ends once the event is queued for every group: that is the hand-over (the
    // promise resolves later, when the groups have handled it).
    publish(topic, key, event) {
      const traced = startSendSpan("in-process", topic, key, event);
      const queued = enqueue(topic, key, traced?.event ?? event);
      endSendSpan(traced, closed ? new Error("event bus closed") : undefined);
      return queued;
    },

    async subscribe(topic, groupName, handler): Promise<Subscription> {
      if (closed) throw new Error("event bus closed");
      let groups = topics.get(topic);
      if (!groups) {
        groups = new Map();
        topics.set(topic, groups);
      }
      let group = groups.get(groupName);
      if (!group) {
        group = {
          topic,
          name: groupName,
          queue: [],
          members: [],
          metrics: consumerMetrics("in-process", topic, groupName),
          turn: 0,
          pump: undefined,
          busy: undefined,
        };
        groups.set(groupName, group);
      }
      const member: Member = { handler };
      group.members.push(member);
      const owner = group;
      let active = true;
      return {
        async unsubscribe() {
          if (!active) return;
          active = false;
          const i = owner.members.indexOf(member);
          if (i >= 0) owner.members.splice(i, 1);
          if (owner.members.length === 0) {
            topics.get(topic)?.delete(groupName);
            dropQueue(owner, `group ${groupName} has no subscriber left`);
          }
          if (owner.busy?.member === member) await owner.busy.done;
        },
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      stopLag();
      for (const wake of [...sleepers]) wake();
      const pumps: Promise<void>[] = [];
      for (const groups of topics.values()) {
        for (const group of groups.values()) {
          dropQueue(group, "event bus closed");
          if (group.pump) pumps.push(group.pump);
        }
      }
      await Promise.all(pumps);
      topics.clear();
    },
  };
  return withSentMetrics(bus, "in-process");
}
