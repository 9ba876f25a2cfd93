/**
 * What a Dapr sidecar calls in its app. The sidecars run with `--app-protocol grpc` — service
 * invocation is gRPC proxying, and a sidecar has one channel to its app — so events, job triggers and
 * input-binding triggers arrive as `dapr.proto.runtime.v1.AppCallback` RPCs on the app's h2c port,
 * next to the app's own services (`runService` serves them when running under Dapr).
 *
 * The pieces of the process register what they handle here: the Dapr event bus its topics
 * (`bus-dapr.ts`), the Dapr job scheduler its jobs (`jobs-dapr.ts`), a service its input bindings
 * (the task service's daily digest). Subscriptions themselves are declarative (`dapr/`
 * Subscription resources carrying `deadLetterTopic`), so `ListTopicSubscriptions` answers none.
 *
 * Job triggers arrive as `AppCallbackAlpha.OnJobEventAlpha1`: the Dapr protos shipped with `@dapr/dapr`
 * predate the stable `AppCallback.OnJobEvent`, and daprd 1.18 falls back to the alpha method when
 * the stable one is unimplemented.
 *
 * Every callback that delivers something must carry the sidecar's `dapr-api-token` when
 * `APP_API_TOKEN` is set: nothing else may push events, fire jobs or trigger bindings in the app. (The
 * two list calls and the health check are answered without it: daprd 1.18 sends them without the
 * token, and they reveal nothing.)
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  AppCallback,
  AppCallbackAlpha,
  AppCallbackHealthCheck,
  type TopicEventRequest,
  TopicEventResponse_TopicEventResponseStatus as TopicStatus,
} from "@todo/gen/dapr/proto/runtime/v1/appcallback_pb";
import type { CloudEvent } from "./events";
import { createLogger } from "./logger";
import { defineService, type ServiceRegistration } from "./server";

/** Handles one event; a rejection asks the sidecar to retry (then to dead-letter) it. */
export type DaprTopicHandler = (event: CloudEvent) => Promise<void>;
/** Handles one trigger of a job (its Dapr name); a rejection makes the sidecar retry per the job's failure policy. */
export type DaprJobHandler = (name: string) => Promise<void>;
/** Handles one trigger of an input binding; a rejection is reported to the sidecar. */
export type DaprBindingHandler = (
  data: Uint8Array,
  metadata: Readonly<Record<string, string>>,
) => Promise<void>;

/** The process's callback handlers and the services that deliver to them. */
export interface DaprCallbacks {
  /** Handles events of `topic` on the pub/sub component `pubsub`; returns a function that removes it. */
  onTopic(pubsub: string, topic: string, handler: DaprTopicHandler): () => void;
  /** Handles triggers of jobs whose Dapr name starts with `prefix`; returns a function that removes it. */
  onJob(prefix: string, handler: DaprJobHandler): () => void;
  /** Handles triggers of the input binding `name`; returns a function that removes it. */
  onBinding(name: string, handler: DaprBindingHandler): () => void;
  /** The AppCallback services, to serve on the app's gRPC port. */
  registrations(): ServiceRegistration[];
  /** The full names of those services, to list among the server's public (token-less) methods. */
  readonly serviceNames: readonly string[];
}

const EMPTY = {};

/** Reads a CloudEvent attribute Dapr passed on as an extension. */
function extensionText(extensions: JsonObject | undefined, name: string): string | undefined {
  const value = extensions?.[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The attributes of our envelope that are not CloudEvents extensions to pass on. */
const KNOWN = new Set([
  "subject",
  "time",
  "dataschema",
  "traceparent",
  "tracestate",
  "traceid",
  "topic",
  "pubsubname",
  "datacontenttype",
  "specversion",
]);

/**
 * The event a sidecar delivered, in our envelope. The bus publishes structured-mode CloudEvents with
 * the Protobuf bytes in `data_base64` (bus-dapr.ts); the sidecar decodes them into `data` and passes
 * the other attributes as extensions.
 */
export function cloudEventFromDapr(req: TopicEventRequest): CloudEvent {
  const ext = req.extensions;
  const time = extensionText(ext, "time");
  const traceparent = extensionText(ext, "traceparent");
  const extensions: Record<string, string> = {};
  for (const [key, value] of Object.entries(ext ?? {})) {
    if (!KNOWN.has(key) && typeof value === "string" && /^[a-z0-9]{1,20}$/.test(key)) extensions[key] = value;
  }
  return {
    id: req.id,
    source: req.source,
    type: req.type,
    subject: extensionText(ext, "subject") ?? "",
    time: time ? new Date(time) : new Date(),
    ...(traceparent ? { traceparent } : {}),
    dataContentType: "application/protobuf",
    dataSchema: extensionText(ext, "dataschema") ?? "",
    data: req.data,
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Creates a registry of callback handlers (one per process: see `daprCallbacks`). */
export function createDaprCallbacks(options: { appToken?: string } = {}): DaprCallbacks {
  const log = createLogger("dapr-callback");
  const topics = new Map<string, DaprTopicHandler>();
  const jobs = new Map<string, DaprJobHandler>();
  const bindings = new Map<string, DaprBindingHandler>();
  const topicKey = (pubsub: string, topic: string) => `${pubsub}\u0000${topic}`;

  const checkToken = (ctx: HandlerContext) => {
    if (options.appToken && ctx.requestHeader.get("dapr-api-token") !== options.appToken) {
      throw new ConnectError("callbacks must come from this app's Dapr sidecar", Code.Unauthenticated);
    }
  };

  const remover =
    <V>(map: Map<string, V>, key: string, value: V) =>
    () => {
      if (map.get(key) === value) map.delete(key);
    };

  const onJobEvent = async (name: string, ctx: HandlerContext) => {
    checkToken(ctx);
    let handler: DaprJobHandler | undefined;
    let longest = -1;
    for (const [prefix, h] of jobs) {
      if (name.startsWith(prefix) && prefix.length > longest) {
        handler = h;
        longest = prefix.length;
      }
    }
    if (!handler) {
      // Unavailable: the sidecar keeps retrying per the job's failure policy until a handler exists
      // (a job that fires while the app is still starting is not lost).
      throw new ConnectError(`no handler for the job ${name}`, Code.Unavailable);
    }
    try {
      await handler(name);
    } catch (err) {
      log.warn("job handler failed; the sidecar retries per the job's failure policy", { job: name, err });
      throw new ConnectError(`job ${name} failed: ${errorText(err)}`, Code.Internal);
    }
    return EMPTY;
  };

  const appCallback: ServiceImpl<typeof AppCallback> = {
    onInvoke(_req, ctx) {
      checkToken(ctx);
      throw new ConnectError(
        "this app takes service invocation as gRPC proxying (dapr-app-id), not OnInvoke",
        Code.Unimplemented,
      );
    },
    // daprd 1.18 asks for the lists without its token; they reveal nothing but names.
    listTopicSubscriptions() {
      return { subscriptions: [] };
    },
    async onTopicEvent(req, ctx) {
      checkToken(ctx);
      const handler = topics.get(topicKey(req.pubsubName, req.topic));
      if (!handler) {
        log.error("an event arrived for a topic nobody here handles; asking to retry", {
          pubsub: req.pubsubName,
          topic: req.topic,
          event_id: req.id,
        });
        return { status: TopicStatus.RETRY };
      }
      try {
        await handler(cloudEventFromDapr(req));
        return { status: TopicStatus.SUCCESS };
      } catch (err) {
        log.warn("event handler failed; the sidecar retries it, then dead-letters it", {
          topic: req.topic,
          event_id: req.id,
          err,
        });
        return { status: TopicStatus.RETRY };
      }
    },
    listInputBindings() {
      return { bindings: [...bindings.keys()] };
    },
    async onBindingEvent(req, ctx) {
      checkToken(ctx);
      const handler = bindings.get(req.name);
      if (!handler)
        throw new ConnectError(`no handler for the input binding ${req.name}`, Code.Unimplemented);
      await handler(req.data, req.metadata);
      return { data: new Uint8Array(), states: [], to: [], storeName: "" };
    },
    onBulkTopicEvent(_req, ctx) {
      checkToken(ctx);
      throw new ConnectError("bulk subscriptions are not used", Code.Unimplemented);
    },
  };

  const alpha: ServiceImpl<typeof AppCallbackAlpha> = {
    onBulkTopicEventAlpha1(_req, ctx) {
      checkToken(ctx);
      throw new ConnectError("bulk subscriptions are not used", Code.Unimplemented);
    },
    onJobEventAlpha1: (req, ctx) => onJobEvent(req.name, ctx),
  };

  const health: ServiceImpl<typeof AppCallbackHealthCheck> = {
    healthCheck() {
      return EMPTY;
    },
  };

  return {
    onTopic(pubsub, topic, handler) {
      const key = topicKey(pubsub, topic);
      if (topics.has(key)) throw new Error(`a handler for ${topic} on ${pubsub} is already registered`);
      topics.set(key, handler);
      return remover(topics, key, handler);
    },
    onJob(prefix, handler) {
      if (jobs.has(prefix)) throw new Error(`a handler for jobs ${prefix}* is already registered`);
      jobs.set(prefix, handler);
      return remover(jobs, prefix, handler);
    },
    onBinding(name, handler) {
      if (bindings.has(name)) throw new Error(`a handler for the binding ${name} is already registered`);
      bindings.set(name, handler);
      return remover(bindings, name, handler);
    },
    registrations: () => [
      defineService(AppCallback, appCallback),
      defineService(AppCallbackAlpha, alpha),
      defineService(AppCallbackHealthCheck, health),
    ],
    serviceNames: [AppCallback.typeName, AppCallbackAlpha.typeName, AppCallbackHealthCheck.typeName],
  };
}

let shared: DaprCallbacks | undefined;

/** The process's callback registry (`APP_API_TOKEN` from the environment), created on first use. */
export function daprCallbacks(): DaprCallbacks {
  shared ??= createDaprCallbacks({ appToken: process.env.APP_API_TOKEN?.trim() || undefined });
  return shared;
}
