/**
 * CloudEvents in structured content mode (the JSON event format 1.0): every attribute a JSON member,
 * the Protobuf data base64-encoded in `data_base64`. The Dapr bus publishes this form (bus-dapr.ts),
 * so the Kafka records a Dapr sidecar writes are structured, while the direct Kafka adapter writes
 * binary mode (kafka-envelope.ts) — and reads both, so the two adapters can share a topic.
 */
import type { CloudEvent } from "./events";

/** The CloudEvents spec version the buses write and accept. */
export const SPEC_VERSION = "1.0";

/** Thrown when a record or message is not a CloudEvent the bus can deliver (retrying cannot help). */
export class MalformedEventError extends Error {
  override readonly name = "MalformedEventError";
}

/** The JSON members `toStructuredJson` writes that are not extensions. */
const ATTRIBUTES = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "subject",
  "time",
  "datacontenttype",
  "dataschema",
  "traceparent",
  "tracestate",
  "data_base64",
  "data",
]);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

/** The structured-mode JSON object of `event`. */
export function toStructuredJson(event: CloudEvent): Record<string, string> {
  return {
    ...event.extensions,
    specversion: SPEC_VERSION,
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time.toISOString(),
    datacontenttype: event.dataContentType,
    dataschema: event.dataSchema,
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
    data_base64: Buffer.from(event.data).toString("base64"),
  };
}

/**
 * The event of a structured-mode JSON object. Throws {@link MalformedEventError} when it is not one
 * the bus can deliver (wrong spec version or content type, a missing attribute, no base64 data).
 * Members a sidecar adds (its own `traceid`, `topic`, `pubsubname`) are not kept as extensions.
 */
export function fromStructuredJson(json: unknown): CloudEvent {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new MalformedEventError("a structured CloudEvent must be a JSON object");
  }
  const o = json as Record<string, unknown>;
  const text = (name: string, allowEmpty = false): string => {
    const v = o[name];
    if (typeof v !== "string" || (v === "" && !allowEmpty))
      throw new MalformedEventError(`event has no ${name}`);
    return v;
  };
  if (text("specversion") !== SPEC_VERSION) {
    throw new MalformedEventError(`unsupported CloudEvents specversion ${JSON.stringify(o.specversion)}`);
  }
  if (text("datacontenttype") !== "application/protobuf") {
    throw new MalformedEventError(`unsupported datacontenttype ${JSON.stringify(o.datacontenttype)}`);
  }
  const time = new Date(text("time"));
  if (Number.isNaN(time.getTime())) throw new MalformedEventError(`bad time ${JSON.stringify(o.time)}`);
  const extensions: Record<string, string> = {};
  for (const [name, v] of Object.entries(o)) {
    if (!ATTRIBUTES.has(name) && typeof v === "string" && EXTENSION_NAME.test(name)) extensions[name] = v;
  }
  for (const added of ["traceid", "topic", "pubsubname"]) delete extensions[added];
  const traceparent = typeof o.traceparent === "string" && o.traceparent !== "" ? o.traceparent : undefined;
  return {
    id: text("id"),
    source: text("source"),
    type: text("type"),
    subject: text("subject", true),
    time,
    ...(traceparent ? { traceparent } : {}),
    dataContentType: "application/protobuf",
    dataSchema: text("dataschema"),
    data: new Uint8Array(Buffer.from(text("data_base64", true), "base64")),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
}
