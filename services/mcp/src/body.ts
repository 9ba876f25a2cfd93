/**
 * Reads an `/mcp` request body with a bound, before the MCP SDK sees it. The listeners refuse a
 * body whose `content-length` is over the limit (request-limits.ts), but a chunked body has no
 * length: the SDK would read it up to its own 4 MiB default, and whatever a client sends past that
 * is still received. Here the bytes are counted as they arrive, and reading stops the moment the
 * count passes the limit — at most `limit` bytes (plus one chunk) are ever held — so the caller can
 * answer 413 and close the connection.
 */
import type { IncomingMessage } from "node:http";

/** What {@link readBoundedBody} found: the whole body, or that it was longer than the limit. */
export type BoundedBody =
  | { readonly tooLarge: false; readonly bytes: Uint8Array }
  | { readonly tooLarge: true; readonly received: number };

/**
 * Reads `req`'s body, at most `limit` bytes. A declared `content-length` over the limit is refused
 * without reading; otherwise the read stops (the stream is paused and its listeners removed, nothing
 * more is buffered) as soon as more than `limit` bytes have arrived.
 */
export function readBoundedBody(req: IncomingMessage, limit: number): Promise<BoundedBody> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > limit) return Promise.resolve({ tooLarge: true, received: 0 });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.byteLength;
      if (received > limit) {
        stop();
        req.pause();
        chunks.length = 0;
        resolve({ tooLarge: true, received });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve({ tooLarge: false, bytes: Buffer.concat(chunks) });
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/** The message of the 413 answer for a body over `limit`. */
export function bodyTooLargeMessage(limit: number): string {
  return `the request body is longer than ${limit} bytes, the most an MCP request may have; send smaller requests`;
}
