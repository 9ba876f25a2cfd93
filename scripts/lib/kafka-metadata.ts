/**
 * A minimal Kafka Metadata request (v8) over a raw socket: enough to learn whether the broker is up
 * and lists itself, without a client library.
 */
import { Socket } from "node:net";
import { HOST } from "./kafka-config.ts";

/** A Metadata response's prefix: which brokers the cluster has, its id and its controller. */
export interface MetadataSummary {
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number }[];
  readonly clusterId: string | null;
  readonly controllerId: number;
}

/** The Metadata API version the probe speaks (v8: the newest non-flexible one; Kafka 4 serves v4+). */
const METADATA_VERSION = 8;

/**
 * Encodes a Kafka Metadata request (API key 3, v8, request header v1) for no topics, size-prefixed,
 * as a client would send it to learn the cluster's brokers.
 */
export function encodeMetadataRequest(correlationId: number, clientId: string): Uint8Array {
  const client = Buffer.from(clientId, "utf8");
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4 + 1 + 1 + 1);
  let at = 0;
  at = body.writeInt16BE(3, at); // api_key: Metadata
  at = body.writeInt16BE(METADATA_VERSION, at);
  at = body.writeInt32BE(correlationId, at);
  at = body.writeInt16BE(client.length, at);
  at += client.copy(body, at);
  at = body.writeInt32BE(0, at); // topics: none (an empty array, not null = all topics)
  at = body.writeInt8(0, at); // allow_auto_topic_creation
  at = body.writeInt8(0, at); // include_cluster_authorized_operations
  body.writeInt8(0, at); // include_topic_authorized_operations
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * Decodes the start of a Metadata v8 response (without its size prefix): correlation id, then
 * throttle time, brokers, cluster id and controller id. Throws on a truncated or mismatched reply.
 */
export function decodeMetadataResponse(payload: Uint8Array, correlationId: number): MetadataSummary {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let at = 0;
  const int32 = () => {
    const v = buf.readInt32BE(at);
    at += 4;
    return v;
  };
  const string = (): string | null => {
    const length = buf.readInt16BE(at);
    at += 2;
    if (length < 0) return null;
    if (at + length > buf.length) throw new RangeError("truncated string");
    const v = buf.toString("utf8", at, at + length);
    at += length;
    return v;
  };
  const got = int32();
  if (got !== correlationId) throw new Error(`response for request ${got}, expected ${correlationId}`);
  int32(); // throttle_time_ms
  const count = int32();
  if (count < 0 || count > 10_000) throw new Error(`implausible broker count ${count}`);
  const brokers: { nodeId: number; host: string; port: number }[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = int32();
    const host = string() ?? "";
    const port = int32();
    string(); // rack
    brokers.push({ nodeId, host, port });
  }
  const clusterId = string();
  const controllerId = int32();
  return { brokers, clusterId, controllerId };
}

/**
 * Sends one Metadata request to `host:port` and returns the summary; rejects when nothing listens,
 * the peer is not a Kafka broker, or no complete answer comes within `timeoutMs`.
 */
export function probeMetadata(port: number, timeoutMs = 3000, host = HOST): Promise<MetadataSummary> {
  return new Promise((resolve, reject) => {
    const correlationId = Math.floor(Math.random() * 1_000_000) + 1;
    const socket = new Socket();
    let received = Buffer.alloc(0);
    const finish = (error: Error | null, summary?: MetadataSummary) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else if (summary) resolve(summary);
    };
    const timer = setTimeout(
      () => finish(new Error(`no Metadata answer from ${host}:${port} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("error", (error) => finish(error));
    socket.once("close", () => finish(new Error(`${host}:${port} closed the connection without answering`)));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (size < 0 || size > 64 * 1024 * 1024)
        return finish(new Error(`${host}:${port} is not a Kafka broker`));
      if (received.length < 4 + size) return;
      try {
        finish(null, decodeMetadataResponse(received.subarray(4, 4 + size), correlationId));
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.connect(port, host, () => {
      socket.write(encodeMetadataRequest(correlationId, "todo-infra-probe"));
    });
  });
}
