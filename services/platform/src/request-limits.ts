/**
 * How request bytes become messages on every server of the platform (the HTTP/1.1 and h2c listeners
 * of `startServer`, and so `bun start`, every service process and the edge): a read limit, a strict
 * UTF-8 decoder for JSON bodies, and strict JSON reading (unknown fields and unknown enum names are
 * INVALID_ARGUMENT, as unknown enum numbers already were).
 *
 * The limit is sized from the largest legal request. The largest is CreateTask or UpdateTask with
 * every field at its limit (title 500 characters, description 10 000, 20 tags of 64, a 500-character
 * RRULE, 10 reminders, a 100-character request id, the longest zone name) and every character written
 * in its longest form — a JSON `\uXXXX\uXXXX` surrogate-pair escape, 12 bytes a character: about
 * 160 KB (request-limits.test.ts builds it, measures it and sends it). 512 KiB leaves room for
 * pretty-printed JSON; anything larger cannot be a valid request, so it is refused as soon as its
 * size is known — from `content-length` before a byte of the body is read, otherwise (chunked
 * bodies, gRPC messages) as the count passes the limit — with RESOURCE_EXHAUSTED (HTTP 413 where a
 * plain HTTP answer is due), never buffering more than the limit.
 */
import type { JsonReadOptions } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { envInt } from "./config";

/** The default read limit of one request message, in bytes (see the module comment). */
export const DEFAULT_READ_MAX_BYTES = 512 * 1024;

/** The read limit of one request message: `RPC_READ_MAX_BYTES`, or {@link DEFAULT_READ_MAX_BYTES}. */
export function readMaxBytes(): number {
  return envInt("RPC_READ_MAX_BYTES", DEFAULT_READ_MAX_BYTES, 1024);
}

/**
 * The largest HTTP body a listener or the edge accepts: one message plus room for its envelope
 * (gRPC-web's 5-byte prefix and end-of-stream frame).
 */
export function bodyMaxBytes(): number {
  return readMaxBytes() + 1024;
}

/** Decodes a JSON request body, refusing invalid UTF-8 instead of turning it into U+FFFD. */
const strictUtf8 = {
  decoder: new TextDecoder("utf-8", { fatal: true }),
  decode(data: Uint8Array): string {
    try {
      return this.decoder.decode(data);
    } catch (cause) {
      throw new ConnectError(
        "the request body is not valid UTF-8; send JSON encoded as UTF-8",
        Code.InvalidArgument,
        undefined,
        undefined,
        cause,
      );
    }
  },
};

/**
 * The Connect adapter options every server uses: the read limit and strict JSON. Connect-ES ignores
 * unknown JSON fields by default, and that same option makes protobuf-es drop unknown enum names
 * silently (`"priority":"PRIORITY_MEGA"` became no priority), so it is turned off: an unknown field
 * or enum name is INVALID_ARGUMENT naming it. The binary format keeps unknown fields, as protobuf
 * does, so older servers still accept newer binary clients.
 */
export function requestReadOptions(): {
  readMaxBytes: number;
  jsonOptions: Partial<JsonReadOptions> & { textDecoder: { decode(data: Uint8Array): string } };
} {
  return {
    readMaxBytes: readMaxBytes(),
    jsonOptions: { ignoreUnknownFields: false, textDecoder: strictUtf8 },
  };
}

/**
 * Answers 413 for a request whose `content-length` is over `limit`, before reading its body; returns
 * whether it did. The answer is what the caller's protocol understands: a Connect error (code
 * `resource_exhausted`) for JSON and Connect clients, `grpc-status: 8` for gRPC-web.
 */
export function refuseOversizeBody(
  req: { headers: Record<string, string | string[] | undefined> },
  res: {
    writeHead(status: number, headers: Record<string, string>): unknown;
    end(body?: string): unknown;
  },
  limit: number,
): boolean {
  const length = Number(req.headers["content-length"] ?? "0");
  if (!(length > limit)) return false;
  answerOversizeBody(
    req,
    res,
    `the request body is ${length} bytes; the most a request may have is ${limit} bytes`,
  );
  return true;
}

/**
 * The answer {@link refuseOversizeBody} sends, with `message`: for a body found too long while it
 * streams (the edge counting a chunked body it forwards), when its headers have not been sent.
 */
export function answerOversizeBody(
  req: { headers: Record<string, string | string[] | undefined> },
  res: {
    writeHead(status: number, headers: Record<string, string>): unknown;
    end(body?: string): unknown;
  },
  message: string,
): void {
  const type = String(req.headers["content-type"] ?? "");
  if (type.startsWith("application/grpc-web")) {
    res.writeHead(200, {
      "content-type": type,
      "grpc-status": "8",
      "grpc-message": encodeURIComponent(message),
      connection: "close",
    });
    res.end();
  } else {
    res.writeHead(413, { "content-type": "application/json", connection: "close" });
    res.end(JSON.stringify({ code: "resource_exhausted", message }));
  }
}

/**
 * Keeps a client that goes away from taking the server with it. When a browser closes a page
 * mid-stream (a WatchTasks over HTTP/1.1), the server destroys the request with an `aborted` error;
 * a stream that emits `error` with no listener throws it as an uncaught exception, and Bun then
 * exits — which is how a `bun start` under the browser tests died (CI, 2026-12-07: `error: aborted`
 * from `_http_server`'s close). The handler's own reading sees such errors through its listeners
 * while it reads; these listeners only make sure one arriving later is not fatal.
 */
export function surviveClientAborts(
  req: { on(event: "error", listener: (err: Error) => void): unknown },
  res: { on(event: "error", listener: (err: Error) => void): unknown },
): void {
  req.on("error", ignore);
  res.on("error", ignore);
}

function ignore(): void {}
