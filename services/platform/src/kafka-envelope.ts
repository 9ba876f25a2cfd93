/**
 * CloudEvents on Kafka in binary content mode (CloudEvents Kafka protocol binding 1.0): the record
 * value is the event's data (Protobuf bytes), the record key is the partitioning key (task or tag
 * id), and every attribute is a header — `ce_<attribute>` for the context attributes and extensions,
 * `content-type` for `datacontenttype`. The W3C trace context travels twice: as the CloudEvents
 * distributed-tracing extension `ce_traceparent`, and as a plain `traceparent` header, which
 * OpenTelemetry's Kafka instrumentations and other tooling read.
 */
import { fromStructuredJson, MalformedEventError, SPEC_VERSION } from "./cloudevent-json";

export { MalformedEventError, SPEC_VERSION };

import type { CloudEvent } from "./events";

/** Header names of the attributes the bus maps explicitly (the rest of `ce_*` are extensions). */
export const CeHeaders = {
  specVersion: "ce_specversion",
  id: "ce_id",
  source: "ce_source",
  type: "ce_type",
  subject: "ce_subject",
  time: "ce_time",
  dataSchema: "ce_dataschema",
  traceparent: "ce_traceparent",
  contentType: "content-type",
  /** The bare W3C header, written beside `ce_traceparent` for tracing tools. */
  w3cTraceparent: "traceparent",
} as const;

const EXPLICIT = new Set<string>(Object.values(CeHeaders));
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

/** A Kafka header value as kafkajs hands it over. */
export type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

/**
 * The headers of `event` in binary content mode. Extension names must be CloudEvents attribute
 * names (lower-case letters and digits, at most 20), since they become `ce_<name>`; others throw.
 */
export function toKafkaHeaders(event: CloudEvent): Record<string, string> {
  const headers: Record<string, string> = {
    [CeHeaders.specVersion]: SPEC_VERSION,
    [CeHeaders.id]: event.id,
    [CeHeaders.source]: event.source,
    [CeHeaders.type]: event.type,
    [CeHeaders.subject]: event.subject,
    [CeHeaders.time]: event.time.toISOString(),
    [CeHeaders.contentType]: event.dataContentType,
    [CeHeaders.dataSchema]: event.dataSchema,
  };
  if (event.traceparent) {
    headers[CeHeaders.traceparent] = event.traceparent;
    headers[CeHeaders.w3cTraceparent] = event.traceparent;
  }
  for (const [name, value] of Object.entries(event.extensions ?? {})) {
    const header = `ce_${name}`;
    if (!EXTENSION_NAME.test(name) || EXPLICIT.has(header)) {
      throw new Error(`"${name}" cannot be a CloudEvents extension attribute of event ${event.id}`);
    }
    headers[header] = value;
  }
  return headers;
}

function headerText(value: HeaderValue): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === "string" ? first : first.toString("utf8");
}

/**
 * Rebuilds the CloudEvent of a binary-mode record from its headers and value (or of a
 * structured-mode record from its JSON value). Throws
 * {@link MalformedEventError} when a required attribute is missing, the spec version or content
 * type is not the one the bus writes, or the time is not a timestamp — retrying such a record can
 * never succeed, so the bus dead-letters it at once.
 */
export function fromKafkaRecord(
  headers: Readonly<Record<string, HeaderValue>> | undefined,
  value: Buffer | null,
): CloudEvent {
  const text: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const v = headerText(raw);
    if (v !== undefined) text[name.toLowerCase()] = v;
  }
  // Structured content mode (what a Dapr sidecar writes, cloudevent-json.ts): no ce_ headers, the
  // whole event as JSON in the value.
  if (text[CeHeaders.specVersion] === undefined && value && value[0] === 0x7b /* { */) {
    let json: unknown;
    try {
      json = JSON.parse(value.toString("utf8"));
    } catch {
      throw new MalformedEventError("record has no ce_specversion header and its value is not JSON");
    }
    return fromStructuredJson(json);
  }
  const required = (header: string, allowEmpty = false): string => {
    const v = text[header];
    if (v === undefined || (v === "" && !allowEmpty)) {
      throw new MalformedEventError(`record has no ${header} header`);
    }
    return v;
  };
  const specVersion = required(CeHeaders.specVersion);
  if (specVersion !== SPEC_VERSION) {
    throw new MalformedEventError(`unsupported CloudEvents specversion ${JSON.stringify(specVersion)}`);
  }
  const contentType = required(CeHeaders.contentType);
  if (contentType !== "application/protobuf") {
    throw new MalformedEventError(`unsupported content-type ${JSON.stringify(contentType)}`);
  }
  const time = new Date(required(CeHeaders.time));
  if (Number.isNaN(time.getTime()))
    throw new MalformedEventError(`bad ${CeHeaders.time} ${text[CeHeaders.time]}`);
  const traceparent = text[CeHeaders.traceparent] ?? text[CeHeaders.w3cTraceparent];
  const extensions: Record<string, string> = {};
  for (const [name, v] of Object.entries(text)) {
    if (name.startsWith("ce_") && !EXPLICIT.has(name)) extensions[name.slice(3)] = v;
  }
  return {
    id: required(CeHeaders.id),
    source: required(CeHeaders.source),
    type: required(CeHeaders.type),
    subject: required(CeHeaders.subject, true),
    time,
    ...(traceparent ? { traceparent } : {}),
    dataContentType: "application/protobuf",
    dataSchema: required(CeHeaders.dataSchema),
    data: value ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(0),
    ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
  };
}
