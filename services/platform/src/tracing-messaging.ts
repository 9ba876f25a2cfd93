/**
 * Spans of the event bus (docs/tracing.md, "Events"), after the OpenTelemetry messaging semantic
 * conventions: a PRODUCER span `send <topic>` per event published, and a CONSUMER span
 * `process <topic>` per handler attempt, the second a child of the first.
 *
 * The chain runs through the event's `traceparent`: an event is created with the traceparent of the
 * operation that caused it (`toCloudEvent`), so the relay's `send` span — made hours later by a
 * process that knows nothing else of that operation — is its child; the bus then publishes the event
 * with the `send` span's own traceparent (the record's `ce_traceparent` and `traceparent` headers on
 * Kafka, the CloudEvent's attribute through Dapr), so each consumer's `process` span is the child of
 * the `send` span. One trace, parented hop by hop, however many services and how much time lie
 * between.
 *
 * Attributes follow the conventions of `@opentelemetry/semantic-conventions` 1.45 and keep their
 * predecessors beside them where 1.45 renamed one, since most tools and dashboards still read
 * those: `messaging.system` and `messaging.system.name`, `messaging.kafka.message.key` and
 * `kafka.message.key`, `messaging.kafka.offset` and `kafka.offset`.
 */
import { type Attributes, type Context, context, type Span, SpanKind, trace } from "@opentelemetry/api";
import { type CloudEvent, eventContext } from "./events";
import type { MessagingSystem } from "./metrics-messaging";
import {
  contextFromTraceparent,
  linksTo,
  platformTracer,
  recordFailure,
  traceparentOfSpan,
  tracingEnabled,
} from "./tracing";

/** Span attribute keys of the messaging and CloudEvents conventions (checked by tracing-names.test.ts). */
export const MessagingSpanAttributes = {
  system: "messaging.system",
  systemName: "messaging.system.name",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  destination: "messaging.destination.name",
  partition: "messaging.destination.partition.id",
  consumerGroup: "messaging.consumer.group.name",
  messageId: "messaging.message.id",
  bodySize: "messaging.message.body.size",
  kafkaKey: "messaging.kafka.message.key",
  kafkaKeyCurrent: "kafka.message.key",
  kafkaOffset: "messaging.kafka.offset",
  kafkaOffsetCurrent: "kafka.offset",
  eventId: "cloudevents.event_id",
  eventSource: "cloudevents.event_source",
  eventType: "cloudevents.event_type",
  eventSubject: "cloudevents.event_subject",
  eventSpecVersion: "cloudevents.event_spec_version",
} as const;

const A = MessagingSpanAttributes;

/** The attributes every messaging span of `event` on `topic` carries. */
function baseAttributes(system: MessagingSystem, topic: string, event: CloudEvent): Attributes {
  return {
    [A.system]: system,
    [A.systemName]: system,
    [A.destination]: topic,
    [A.messageId]: event.id,
    [A.bodySize]: event.data.byteLength,
    [A.eventId]: event.id,
    [A.eventSource]: event.source,
    [A.eventType]: event.type,
    [A.eventSubject]: event.subject,
    [A.eventSpecVersion]: "1.0",
  };
}

/** The key attributes of a Kafka record (`system` kafka only: the key is Kafka's notion). */
export function kafkaKeyAttributes(key: string): Attributes {
  return { [A.kafkaKey]: key, [A.kafkaKeyCurrent]: key };
}

/** Where a Kafka record landed or came from. */
export function kafkaPositionAttributes(partition: number, offset: string | number | undefined): Attributes {
  const attributes: Attributes = { [A.partition]: String(partition) };
  if (offset !== undefined) {
    const n = Number(offset);
    attributes[A.kafkaOffset] = n;
    attributes[A.kafkaOffsetCurrent] = n;
  }
  return attributes;
}

/** A `send` span in progress and the event to publish in its stead (carrying its traceparent). */
export interface SendSpan {
  readonly span: Span;
  readonly event: CloudEvent;
}

/**
 * Starts the PRODUCER span `send <topic>` of publishing `event`, the child of the context the event
 * was created in (its `traceparent`; the active context when it has none), and returns it with the
 * event to publish instead: the same event carrying the span's own traceparent. Undefined while
 * tracing is off (publish `event` as it is). End it with {@link endSendSpan}.
 */
export function startSendSpan(
  system: MessagingSystem,
  topic: string,
  key: string,
  event: CloudEvent,
): SendSpan | undefined {
  if (!tracingEnabled()) return undefined;
  const parent = event.traceparent ? contextFromTraceparent(event.traceparent) : context.active();
  const attributes = baseAttributes(system, topic, event);
  attributes[A.operationType] = "send";
  attributes[A.operationName] = "send";
  if (system === "kafka") Object.assign(attributes, kafkaKeyAttributes(key));
  const span = platformTracer().startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes }, parent);
  const traceparent = traceparentOfSpan(span);
  return { span, event: traceparent ? { ...event, traceparent } : event };
}

/** Ends a `send` span, failed when `err` is given, with where the record landed when known. */
export function endSendSpan(send: SendSpan | undefined, err?: unknown, position?: Attributes): void {
  if (!send) return;
  if (position) send.span.setAttributes(position);
  if (err !== undefined) recordFailure(send.span, err);
  send.span.end();
}

/**
 * Runs one handler attempt on `event` inside the CONSUMER span `process <topic>`, with `extra`
 * attributes (partition, offset, key). Its parent is the context the event carries (the producer's
 * `send` span), or `parent` when the bus was handed the event inside a span of its own — through
 * Dapr, the app callback's SERVER span, itself the child of the subscriber sidecar's delivery span,
 * so the chain runs send → sidecar publish → sidecar delivery → callback → process (the event's
 * traceparent is the publishing sidecar's span). When `parent` is in another trace than the event,
 * the event's context is a link. A rejection fails the span and is rethrown. While tracing is off,
 * just runs `attempt`.
 */
export function traceProcess(
  system: MessagingSystem,
  topic: string,
  group: string,
  event: CloudEvent,
  extra: Attributes | undefined,
  attempt: () => Promise<void>,
  parent?: Context,
): Promise<void> {
  if (!tracingEnabled()) return attempt();
  const attributes = baseAttributes(system, topic, event);
  attributes[A.operationType] = "process";
  attributes[A.operationName] = "process";
  attributes[A.consumerGroup] = group;
  if (extra) Object.assign(attributes, extra);
  const produced = eventContext(event);
  const parentContext = parent && trace.getSpanContext(parent) ? parent : produced;
  const sameTrace = trace.getSpanContext(parentContext)?.traceId === trace.getSpanContext(produced)?.traceId;
  return platformTracer().startActiveSpan(
    `process ${topic}`,
    { kind: SpanKind.CONSUMER, attributes, links: sameTrace ? [] : linksTo(produced) },
    parentContext,
    async (span) => {
      try {
        await attempt();
      } catch (err) {
        recordFailure(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
