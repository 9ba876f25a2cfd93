/**
 * The `EventBus` adapter on Dapr pub/sub (run mode 3, docs/dapr.md), for a sidecar whose `pubsub`
 * component is Kafka.
 *
 * Publishing: each event goes to the sidecar as a **structured-mode CloudEvent**
 * (`application/cloudevents+json`) with our attributes as they are — id, source, type, subject, time,
 * dataschema, traceparent, extensions — and the Protobuf bytes in `data_base64`, so the sidecar keeps
 * the envelope instead of wrapping it in one of its own (a new id would defeat the consumers'
 * deduplication). The event's key becomes the Kafka `partitionKey`, so per-key order holds exactly as
 * with the direct Kafka adapter; that adapter reads such structured records too, so the two can share
 * a topic.
 *
 * Subscribing: the sidecar pushes events to the app (`dapr-callback.ts`) according to declarative
 * Subscription resources (`dapr/`), which carry each topic's `deadLetterTopic`; retries before
 * dead-lettering come from the resiliency policy of the component. `subscribe` therefore checks that
 * the sidecar has such a subscription for the topic and fails loudly when it has not, rather than
 * waiting for events that will never come. The consumer group is the component's (`{appID}`: every
 * replica of a service shares the work); a live view's `ephemeral` subscription uses the broadcast
 * component, whose consumer group is unique per sidecar and starts at the newest offset.
 */
import { context } from "@opentelemetry/api";
import { toStructuredJson } from "./cloudevent-json";
import { envString } from "./config";
import { type DaprSidecar, daprFetch, expectOk, waitForSidecar } from "./dapr";
import type { DaprCallbacks } from "./dapr-callback";
import {
  deadLetterTopic,
  type EventBus,
  type EventHandler,
  type SubscribeOptions,
  type Subscription,
} from "./events";
import { createLogger, type Logger } from "./logger";
import { consumerMetrics, withSentMetrics } from "./metrics-messaging";
import { endSendSpan, startSendSpan, traceProcess } from "./tracing-messaging";

/** How a Dapr bus runs. */
export interface DaprBusOptions {
  readonly sidecar: DaprSidecar;
  readonly callbacks: DaprCallbacks;
  /**
   * Prepended to every topic, like the Kafka adapter's (default `KAFKA_TOPIC_PREFIX`); the
   * Subscription resources name the prefixed topics.
   */
  readonly topicPrefix?: string;
  /** The deadline of one publish; default 10 s. */
  readonly publishTimeoutMs?: number;
  readonly logger?: Logger;
}

interface MetadataSubscription {
  readonly pubsubname?: string;
  readonly topic?: string;
  readonly deadLetterTopic?: string;
}

/** Creates the bus. Handlers registered by `subscribe` receive events once the app's server listens. */
export function createDaprBus(options: DaprBusOptions): EventBus {
  const { sidecar, callbacks } = options;
  const log = options.logger ?? createLogger("bus.dapr");
  const timeoutMs = options.publishTimeoutMs ?? 10_000;
  const removers = new Set<() => void>();
  const prefix = options.topicPrefix ?? envString("KAFKA_TOPIC_PREFIX", "");

  /** The declarative subscriptions the sidecar has loaded. */
  const declared = async (): Promise<MetadataSubscription[]> => {
    await waitForSidecar(sidecar);
    const res = await expectOk(await daprFetch(sidecar, "/v1.0/metadata"), "metadata");
    const body = (await res.json()) as { subscriptions?: MetadataSubscription[] };
    return body.subscriptions ?? [];
  };

  const bus: EventBus = {
    async publish(topic, key, event) {
      // The publish API itself (not the SDK's client, which cannot send headers): the `traceparent`
      // header makes the sidecar's publish span a child of ours, and the sidecar writes its own span
      // into the CloudEvent it hands to Kafka, so the subscribers' sidecars and apps continue it.
      const traced = startSendSpan("dapr", topic, key, event);
      const sent = traced?.event ?? event;
      const headers: Record<string, string> = { "content-type": "application/cloudevents+json" };
      if (sent.traceparent) headers.traceparent = sent.traceparent;
      const path = `/v1.0/publish/${encodeURIComponent(sidecar.pubsub)}/${encodeURIComponent(prefix + topic)}`;
      try {
        const res = await daprFetch(sidecar, `${path}?metadata.partitionKey=${encodeURIComponent(key)}`, {
          method: "POST",
          headers,
          body: JSON.stringify(toStructuredJson(sent)),
          timeoutMs,
        }).catch((err: unknown) => {
          throw new Error(`publishing ${event.type} to ${topic} through Dapr failed`, { cause: err });
        });
        await expectOk(res, `publishing ${event.id} to ${topic}`);
        endSendSpan(traced);
      } catch (err) {
        endSendSpan(traced, err);
        throw err;
      }
    },

    async subscribe(
      topic: string,
      group: string,
      handler: EventHandler,
      subscribeOptions?: SubscribeOptions,
    ): Promise<Subscription> {
      const pubsub = subscribeOptions?.ephemeral ? sidecar.broadcastPubsub : sidecar.pubsub;
      const name = prefix + topic;
      const subscription = (await declared()).find((s) => s.pubsubname === pubsub && s.topic === name);
      if (!subscription) {
        throw new Error(
          `the Dapr sidecar has no subscription to ${name} on ${pubsub}: add a Subscription resource ` +
            `scoped to this app (see deploy/helm/todo/files/dapr/subscriptions.yaml)`,
        );
      }
      if (!subscribeOptions?.ephemeral && subscription.deadLetterTopic !== deadLetterTopic(name)) {
        log.warn("the subscription's dead-letter topic is not the bus's convention", {
          topic,
          deadLetterTopic: subscription.deadLetterTopic,
        });
      }
      // Deliveries in progress, so that unsubscribe can wait for them as the port promises.
      const inFlight = new Set<Promise<void>>();
      // The sidecar retries by delivering again, so under Dapr every delivery counts as consumed.
      const metrics = consumerMetrics("dapr", topic, group);
      const remove = callbacks.onTopic(pubsub, name, async (event) => {
        metrics.consumed();
        // Inside the callback's SERVER span (the child of the sidecar's delivery span): its parent.
        const delivery = traceProcess(
          "dapr",
          topic,
          group,
          event,
          undefined,
          () => metrics.process(handler, event),
          context.active(),
        );
        inFlight.add(delivery);
        try {
          await delivery;
        } finally {
          inFlight.delete(delivery);
        }
      });
      removers.add(remove);
      return {
        async unsubscribe() {
          remove();
          removers.delete(remove);
          await Promise.allSettled([...inFlight]);
        },
      };
    },

    async close() {
      for (const remove of removers) remove();
      removers.clear();
    },
  };
  return withSentMetrics(bus, "dapr");
}
