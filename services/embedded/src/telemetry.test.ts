/**
 * Telemetry end to end: `bun start` with the standard OTEL_* variables exports a SERVER span per RPC
 * over OTLP/HTTP (received here by a small collector stand-in), continuing the caller's W3C
 * traceparent, and its JSON log lines carry the same trace id.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..", "..", "..");
const received: unknown[] = [];
let collector: ReturnType<typeof Bun.serve>;
let dataDir: string;

beforeAll(() => {
  collector = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      if (new URL(req.url).pathname === "/v1/traces") received.push(await req.json());
      return new Response("{}", { headers: { "content-type": "application/json" } });
    },
  });
  dataDir = mkdtempSync(join(tmpdir(), "todo-otel-"));
});

afterAll(() => {
  collector.stop(true);
  rmSync(dataDir, { recursive: true, force: true });
});

function spanNamesWithTrace(traceIdHex: string): string[] {
  const names: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const o = node as Record<string, unknown>;
      if (
        typeof o.name === "string" &&
        typeof o.traceId === "string" &&
        o.traceId.toLowerCase() === traceIdHex
      ) {
        names.push(o.name);
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(received);
  return names;
}

test("an RPC makes a span in the caller's trace and logs carry its trace id", async () => {
  const proc = Bun.spawn(["bun", "services/embedded/src/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: "",
      TODO_DATA_DIR: dataDir,
      PORT: "0",
      GRPC_PORT: "0",
      LOG_LEVEL: "debug",
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
      OTEL_BSP_SCHEDULE_DELAY: "100",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  let stdout = "";
  const reader = proc.stdout.getReader();
  while (!/http:\/\/[^:]+:(\d+)\n/.test(stdout)) {
    const { value, done } = await reader.read();
    if (done)
      throw new Error(`bun start exited early:\n${stdout}\n${await new Response(proc.stderr).text()}`);
    stdout += decoder.decode(value);
  }
  reader.releaseLock();
  const port = /HTTP\/1\.1\): http:\/\/[^:]+:(\d+)/.exec(stdout)?.[1];
  expect(port).toBeDefined();

  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const res = await fetch(`http://127.0.0.1:${port}/todo.identity.v1.AuthService/SignUp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    },
    body: JSON.stringify({ email: "otel@example.com", password: "telemetry horse battery" }),
  });
  expect(res.status).toBe(200);

  proc.kill("SIGTERM"); // shutting down flushes the span processor
  expect(await proc.exited).toBe(0);
  const stderr = await new Response(proc.stderr).text();

  expect(spanNamesWithTrace(traceId)).toContain("todo.identity.v1.AuthService/SignUp");
  const rpcLog = stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === "rpc" && l.rpc === "todo.identity.v1.AuthService/SignUp");
  expect(rpcLog?.trace_id).toBe(traceId);
  expect(rpcLog?.code).toBe("ok");
}, 60_000);
