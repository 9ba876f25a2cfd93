/**
 * The event port. Services exchange facts as CloudEvents 1.0 whose data is a binary Protobuf message
 * from `proto/todo/events/v1/`; the `EventBus` moves them between services with at-least-once
 * delivery, per-key order and a dead-letter topic. One adapter per run mode implements it (in-process:
 * `bus-memory.ts`; Apache Kafka: `bus-kafka.ts`; `bus.ts` picks one from the environment), so
 * producers and consumers never know which one they talk to.
 */
import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { type Context, context as otelContext } from "@opentelemetry/api";
import { contextFromTraceparent, traceparentOf } from "./tracing";

/**
 * One event: the CloudEvents 1.0 attributes plus Protobuf-binary data (binary content mode, so on
 * Kafka the attributes become `ce_*` headers and `data` the record value).
 */
export interface CloudEvent {
  /** Unique per event; consumers deduplicate by it. */
  readonly id: string;
  /** The producing service, as a URI reference (`/todo/tag`). */
  readonly source: string;
  /** What happened, for example `todo.task.v1.completed`. */
  readonly type: string;
  /** What it happened to: the task or tag id. */
  readonly subject: string;
  /** When it happened. */
  readonly time: Date;
  /** The W3C trace context of the change that caused the event, when one was being traced. */
  readonly traceparent?: string;
  readonly dataContentType: "application/protobuf";
  /** The full name of the Protobuf message in `data` (`todo.events.v1.TaskCreated`). */
  readonly dataSchema: string;
  readonly data: Uint8Array;
  /**
   * CloudEvents extension attributes (lower-case alphanumeric names, at most 20 characters). The
   * bus adds the {@link DeadLetterExtensions} when it dead-letters an event.
   */
  readonly extensions?: Readonly<Record<string, string>>;
}

/**
 * Handles one event. A rejection means "not processed": the bus retries it, then dead-letters it.
 *
 * A handler may also carry `batch`, which handles several events of one group at once — in order,
 * all or nothing (the idempotent consumers do them in one transaction: `idempotentHandler`). An
 * adapter that has more than one event ready may call `batch` instead; when it rejects, the adapter
 * handles each of those events alone, with the usual retries and dead-lettering, so one bad event
 * never holds back the others. Adapters that do not batch just call the handler.
 */
export type EventHandler = ((event: CloudEvent) => Promise<void>) & {
  readonly batch?: (events: readonly CloudEvent[]) => Promise<void>;
};

/** The most events an adapter hands to one `batch` call. */
export const MAX_HANDLER_BATCH = 100;

/** An active subscription. */
export interface Subscription {
  /** Stops delivering to this handler; waits for a delivery in progress to finish. */
  unsubscribe(): Promise<void>;
}

/** How a subscription starts. */
export interface SubscribeOptions {
  /**
   * Where a group with no position of its own yet starts reading: `earliest` (the default: every
   * event the bus still holds, so a service deployed after its producers misses nothing) or `latest`
   * (only events published from about now on: for live views such as WatchTasks, whose per-replica
   * groups must not replay history). Once a group has committed a position, it resumes from there.
   * The in-process bus holds no history, so it behaves as `latest` either way.
   */
  readonly from?: "earliest" | "latest";
  /**
   * A group that lives only as long as this subscription (the per-replica groups of live views): it
   * is deleted when the subscription ends, so restarts leave nothing behind on the broker. While it
   * lives it commits its position like any group, so a consumer the client restarts (a broker
   * restart, a rebalance) resumes where it was instead of skipping to the latest record — a live
   * view that silently skips changes is worse than one that sees a change twice.
   */
  readonly ephemeral?: boolean;
}

/** One event of a `publishBatch`: on `topic`, ordered with the other events of `key`. */
export interface PublishEntry {
  readonly topic: string;
  readonly key: string;
  readonly event: CloudEvent;
}

/** Moves events between services: at least once, in order per key within a topic. */
export interface EventBus {
  /**
   * Publishes `event` on `topic`; events with the same `key` (the task or tag id) are delivered in
   * the order they were published. Resolves once the bus has taken responsibility for the event.
   */
  publish(topic: string, key: string, event: CloudEvent): Promise<void>;
  /**
   * Optional: publishes many events in one go, in the order given (events with the same key keep that
   * order). Resolves once the bus has taken responsibility for all of them. On rejection any subset
   * may have been published, so the caller publishes them all again (at-least-once; consumers are
   * idempotent). Adapters without it get one `publish` per event.
   */
  publishBatch?(entries: readonly PublishEntry[]): Promise<void>;
  /** Handlers of one group share the work; each group gets every event. Handler errors are retried with
   *  backoff (configurable attempts), then the event goes to `<topic>.dlq` with the error attached. */
  subscribe(
    topic: string,
    group: string,
    handler: EventHandler,
    options?: SubscribeOptions,
  ): Promise<Subscription>;
  /** Stops delivering and releases resources. */
  close(): Promise<void>;
}

/** The topics of the system; each has a dead-letter twin named by `deadLetterTopic`. */
export const Topics = {
  taskEvents: "task-events",
  tagEvents: "tag-events",
  reminders: "reminders",
  taskUpdates: "task-updates",
} as const;

/** One of the system's topics. */
export type Topic = (typeof Topics)[keyof typeof Topics];

/** Where events that keep failing on `topic` end up: `<topic>.dlq`. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * The extension attributes a bus adds to an event it dead-letters, so whoever reads `<topic>.dlq`
 * knows where the event came from and why it failed. On Kafka they are `ce_<name>` headers.
 */
export const DeadLetterExtensions = {
  /** The last handler error, `Name: message`. */
  error: "dlqerror",
  /** How many times the handler was called. */
  attempts: "dlqattempts",
  /** The topic the event failed on. */
  topic: "dlqtopic",
  /** The consumer group whose handler failed. */
  group: "dlqgroup",
  /** Kafka only: partition and offset of the failed record in `dlqtopic`. */
  partition: "dlqpartition",
  offset: "dlqoffset",
} as const;

/**
 * The CloudEvents `type` of every event in `proto/todo/events/v1/` (catalogue: docs/events.md).
 * A type names what happened; its Protobuf message is in the event's `dataschema`.
 */
export const EventTypes = {
  taskCreated: "todo.task.v1.created",
  taskUpdated: "todo.task.v1.updated",
  taskCompleted: "todo.task.v1.completed",
  taskReopened: "todo.task.v1.reopened",
  taskDeleted: "todo.task.v1.deleted",
  tagRenamed: "todo.tag.v1.renamed",
  tagDeleted: "todo.tag.v1.deleted",
  /** A reminder's time has come (`ReminderDue`, topic `reminders`, from the scheduler). */
  reminderDue: "todo.scheduler.v1.reminder_due",
  /** A user's daily digest of overdue tasks is due (`DigestDue`, topic `reminders`, from the task service). */
  digestDue: "todo.task.v1.digest_due",
  /** Any change of a task, for live views (`TaskChanged`, topic `task-updates`, from the task service). */
  taskChanged: "todo.task.v1.changed",
} as const;

/** The attributes `toCloudEvent` needs besides the data. */
export interface CloudEventAttributes {
  readonly source: string;
  readonly type: string;
  readonly subject: string;
  /** Defaults to a fresh UUIDv7. */
  readonly id?: string;
  /** Defaults to now. */
  readonly time?: Date;
  /** The context whose trace the event continues; defaults to the active one. */
  readonly context?: Context;
}

/**
 * Packs `message` into a CloudEvent, carrying the W3C `traceparent` of the active (or given) context's
 * span when there is one — the span of the operation that made the change (the RPC's SERVER span, a
 * consumer's `process` span, a job's `fire` span) — so the relay's publish and every consumer's work
 * join that operation's trace.
 */
export function toCloudEvent<Desc extends DescMessage>(
  schema: Desc,
  message: MessageInitShape<Desc>,
  attrs: CloudEventAttributes,
): CloudEvent {
  const traceparent = traceparentOf(attrs.context ?? otelContext.active());
  return {
    id: attrs.id ?? Bun.randomUUIDv7(),
    source: attrs.source,
    type: attrs.type,
    subject: attrs.subject,
    time: attrs.time ?? new Date(),
    ...(traceparent ? { traceparent } : {}),
    dataContentType: "application/protobuf",
    dataSchema: schema.typeName,
    data: toBinary(schema, create(schema, message)),
  };
}

/** Whether `event` carries a `schema` message. */
export function isEventOf(schema: DescMessage, event: CloudEvent): boolean {
  return event.dataSchema === schema.typeName;
}

/** Unpacks the data of `event`; throws when it carries another message type. */
export function fromCloudEvent<Desc extends DescMessage>(
  schema: Desc,
  event: CloudEvent,
): MessageShape<Desc> {
  if (!isEventOf(schema, event)) {
    throw new Error(`event ${event.id} carries ${event.dataSchema}, not ${schema.typeName}`);
  }
  return fromBinary(schema, event.data);
}

/**
 * The trace context an event was produced in, from its `traceparent` (the root context when it
 * carries none): the parent of whatever span handles it — the bus's `send` span, then the
 * consumer's `process` span.
 */
export function eventContext(event: CloudEvent): Context {
  return contextFromTraceparent(event.traceparent);
}
