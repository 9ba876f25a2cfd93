/**
 * Test support: one RPC sent as raw bytes, so a test can put on the wire what no generated client
 * would (invalid UTF-8, unknown JSON names, oversize bodies) and read the status the server answers.
 * Connect (JSON or binary, unary or enveloped stream) goes over HTTP/1.1 with `fetch`; gRPC over h2c
 * with `node:http2`.
 */
import http2 from "node:http2";
import type { DescMethod } from "@bufbuild/protobuf";

/** How the request body is sent. */
export type RawProtocol = "connect-json" | "connect-proto" | "grpc";

/** The outcome: a Connect code name (`invalid_argument`, `ok` …) and the message. */
export interface RawOutcome {
  readonly code: string;
  readonly message: string;
  readonly httpStatus: number;
}

const GRPC_CODES = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

function envelope(body: Uint8Array, flags = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + body.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, body.byteLength);
  out.set(body, 5);
  return out;
}

/** The end-of-stream message of a Connect streaming response. */
function connectEndStream(bytes: Uint8Array): { code: string; message: string } {
  let at = 0;
  while (at + 5 <= bytes.byteLength) {
    const flags = bytes[at] ?? 0;
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
    const body = bytes.subarray(at + 5, at + 5 + length);
    if (flags & 2) {
      const end = JSON.parse(new TextDecoder().decode(body)) as {
        error?: { code: string; message?: string };
      };
      return end.error
        ? { code: end.error.code, message: end.error.message ?? "" }
        : { code: "ok", message: "" };
    }
    at += 5 + length;
  }
  return { code: "ok", message: "" };
}

/** Sends `body` (already encoded for `protocol`) as a call of `method`. */
export async function rawCall(options: {
  readonly protocol: RawProtocol;
  /** `http://host:port` of the HTTP/1.1 listener (Connect) or of the h2c listener (gRPC). */
  readonly baseUrl: string;
  readonly method: DescMethod;
  readonly body: Uint8Array;
  readonly token?: string;
}): Promise<RawOutcome> {
  const { method, body } = options;
  const path = `/${method.parent.typeName}/${method.name}`;
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  if (options.protocol === "grpc") return grpcCall(options.baseUrl, path, envelope(body), auth);
  const json = options.protocol === "connect-json";
  const unary = method.methodKind === "unary";
  const type = unary
    ? json
      ? "application/json"
      : "application/proto"
    : json
      ? "application/connect+json"
      : "application/connect+proto";
  const res = await fetch(`${options.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": type, "connect-protocol-version": "1", "connect-timeout-ms": "5000", ...auth },
    body: (unary ? body : envelope(body)) as Uint8Array<ArrayBuffer>,
    signal: AbortSignal.timeout(10_000),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!unary) return { ...connectEndStream(bytes), httpStatus: res.status };
  if (res.ok) return { code: "ok", message: "", httpStatus: res.status };
  const error = JSON.parse(new TextDecoder().decode(bytes)) as { code: string; message?: string };
  return { code: error.code, message: error.message ?? "", httpStatus: res.status };
}

/** A gRPC call in flight over its own h2c connection: write the request body to `stream`. */
export interface GrpcCall {
  readonly stream: http2.ClientHttp2Stream;
  /**
   * The status, once the server sends it (in headers or trailers). As a gRPC client does, the call
   * then stops sending: the stream is cancelled and the connection closed.
   */
  readonly outcome: Promise<RawOutcome>;
}

/** Opens a gRPC call of `path` (`/<service>/<method>`) on `baseUrl`, sending `headers` besides the usual. */
export function openGrpcCall(baseUrl: string, path: string, headers: Record<string, string> = {}): GrpcCall {
  const session = http2.connect(baseUrl);
  const stream = session.request({
    ":method": "POST",
    ":path": path,
    "content-type": "application/grpc+proto",
    te: "trailers",
    ...headers,
  });
  const outcome = new Promise<RawOutcome>((resolve, reject) => {
    let httpStatus = 0;
    const done = (h: http2.IncomingHttpHeaders) => {
      const status = Number(h["grpc-status"]);
      stream.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
      resolve({
        code: GRPC_CODES[status] ?? "unknown",
        message: decodeURIComponent(String(h["grpc-message"] ?? "")),
        httpStatus,
      });
    };
    session.on("error", reject);
    stream.on("error", reject);
    stream.on("response", (h) => {
      httpStatus = Number(h[":status"] ?? 0);
      if (h["grpc-status"] !== undefined) done(h);
    });
    stream.on("trailers", done);
    stream.on("data", () => {});
    stream.on("close", () => reject(new Error(`the gRPC call of ${path} closed without a status`)));
  });
  return { stream, outcome };
}

function grpcCall(
  baseUrl: string,
  path: string,
  body: Uint8Array,
  auth: Record<string, string>,
): Promise<RawOutcome> {
  const call = openGrpcCall(baseUrl, path, { "grpc-timeout": "5S", ...auth });
  call.stream.end(body);
  return call.outcome;
}
