/**
 * The read limit of `/mcp` for bodies without a `content-length`: a chunked body over the limit is
 * answered 413 (a JSON-RPC error) and its connection closed, and the server never buffers it — a
 * 64 MiB chunked body leaves the process's memory where it was — while chunked and ordinary MCP
 * calls under the limit still work and a body that is not JSON is the JSON-RPC parse error.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { bodyMaxBytes } from "@todo/platform/serving";
import {
  signUpUser,
  startTestApp,
  startTestEdge,
  type TestApp,
  type TestEdge,
  type TestUser,
} from "@todo/testkit";
import { connectHttp } from "../test/mcp-client";
import { TOOL_NAMES } from "./tools";

let server: TestApp;
let alice: TestUser;
let edge: TestEdge;
let port: number;

beforeAll(async () => {
  server = await startTestApp("pglite");
  port = Number(new URL(server.httpUrl).port);
  alice = await signUpUser(server, { protocol: "connect", name: "alice" });
  // The edge of `start:services` streams a chunked body on to the process serving `/mcp`.
  edge = await startTestEdge(server);
}, 60_000);

afterAll(async () => {
  await edge?.close();
  await server?.close();
});

/** What a raw chunked POST to `/mcp` got: the answer's status and body, and how much was sent. */
interface ChunkedOutcome {
  readonly status: number;
  readonly body: string;
  readonly sentBytes: number;
}

/**
 * POSTs `total` bytes to `/mcp` as 64 KiB chunks over a raw socket (honouring back-pressure, so the
 * client itself never buffers the body), stopping when the server answers or closes.
 */
function postChunked(chunks: Iterable<Uint8Array>, to = port): Promise<ChunkedOutcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(to, "127.0.0.1");
    let answer = "";
    let sentBytes = 0;
    let closed = false;
    socket.on("data", (d) => {
      answer += d.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      const head = answer.indexOf("\r\n\r\n");
      let body = head < 0 ? "" : answer.slice(head + 4);
      if (/transfer-encoding: chunked/i.test(answer.slice(0, head))) body = unchunk(body);
      if (!status) reject(new Error(`no HTTP answer after sending ${sentBytes} bytes: ${answer}`));
      else resolve({ status, body, sentBytes });
    });
    socket.on("connect", async () => {
      socket.write(
        "POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\n" +
          `authorization: Bearer ${alice.token}\r\n` +
          "content-type: application/json\r\naccept: application/json, text/event-stream\r\n" +
          "transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
      );
      for (const chunk of chunks) {
        if (closed || answer) return;
        sentBytes += chunk.byteLength;
        const ok = socket.write(
          Buffer.concat([Buffer.from(`${chunk.byteLength.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]),
        );
        if (!ok)
          await new Promise((r) => {
            socket.once("drain", r);
            socket.once("close", r);
          });
      }
      if (!closed) socket.write("0\r\n\r\n");
    });
  });
}

/** The payload of a chunked HTTP/1.1 body. */
function unchunk(encoded: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const eol = encoded.indexOf("\r\n", at);
    const size = Number.parseInt(encoded.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += encoded.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

function* repeat(chunk: Uint8Array, times: number): Iterable<Uint8Array> {
  for (let i = 0; i < times; i++) yield chunk;
}

describe("/mcp bounds bodies without a content-length", () => {
  // `bun start` answers with a JSON-RPC error (body.ts); the edge, which counts the body it
  // forwards against the same limit, answers before the process behind it, with its own error.
  test.each([
    [
      "bun start",
      () => port,
      (body: string) => {
        const error = JSON.parse(body) as { jsonrpc: string; error: { code: number; message: string } };
        expect(error.jsonrpc).toBe("2.0");
        expect(error.error.code).toBe(-32000);
        expect(error.error.message).toContain(`${bodyMaxBytes()} bytes`);
      },
    ],
    [
      "the edge",
      () => edge.port,
      (body: string) => {
        const error = JSON.parse(body) as { code: string; message: string };
        expect(error.code).toBe("resource_exhausted");
        expect(error.message).toContain(`${bodyMaxBytes()} bytes`);
      },
    ],
  ] as const)(
    "a 64 MiB chunked body gets 413 and is never buffered, through %s",
    async (name, to, check) => {
      const chunk = new Uint8Array(64 * 1024).fill(0x20); // spaces: valid JSON whitespace, were it ever read
      Bun.gc(true);
      const before = process.memoryUsage().rss;
      const outcome = await postChunked(repeat(chunk, 1024), to());
      Bun.gc(true);
      const grown = process.memoryUsage().rss - before;
      expect(outcome.status).toBe(413);
      check(outcome.body);
      // The server stopped reading: far less than the 64 MiB went out (socket buffers hold a few MiB),
      // and the process grew by far less than the body.
      expect(outcome.sentBytes).toBeLessThan(32 * 1024 * 1024);
      expect(grown).toBeLessThan(32 * 1024 * 1024);
      console.log(
        `64 MiB chunked body through ${name}: 413 after ${outcome.sentBytes} bytes sent, RSS +${(grown / 2 ** 20).toFixed(1)} MiB`,
      );
    },
    30_000,
  );

  test("a chunked MCP call under the limit is answered", async () => {
    const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} });
    const bytes = new TextEncoder().encode(call);
    const outcome = await postChunked([bytes.slice(0, 10), bytes.slice(10)]);
    expect(outcome.status).toBe(200);
    const answer = JSON.parse(outcome.body) as { id: number; result: { tools: { name: string }[] } };
    expect(answer.id).toBe(1);
    expect(answer.result.tools.map((t) => t.name)).toEqual([...TOOL_NAMES]);
  });

  test("a body that is not JSON is the JSON-RPC parse error", async () => {
    const outcome = await postChunked([new TextEncoder().encode('{"jsonrpc": "2.0", ')]);
    expect(outcome.status).toBe(400);
    expect((JSON.parse(outcome.body) as { error: { code: number } }).error.code).toBe(-32700);
  });

  test("the SDK's client still lists and calls tools", async () => {
    const client = await connectHttp(`${server.httpUrl}/mcp`, alice.token);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([...TOOL_NAMES]);
      const result = await client.callTool({ name: "list_tasks", arguments: {} });
      expect(result.isError).not.toBe(true);
    } finally {
      await client.close();
    }
  });
});
