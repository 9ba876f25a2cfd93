/**
 * `/metrics` of the one-process server (`bun start`) as a real subprocess with `METRICS_PORT=0`:
 * after real RPCs it serves valid Prometheus text (parsed strictly) with the documented names — RPC
 * counts by method and code, SQL timings, the outbox backlog of every relay, events published, the
 * process's CPU, memory and event-loop delay — every family it serves is documented in
 * docs/metrics.md, and other paths are 404. With `OTEL_METRICS_EXPORTER=otlp` the same metrics are
 * pushed to an OTLP/HTTP receiver (a stand-in here), as JSON and as protobuf.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parsePrometheusText, sumOf } from "@todo/platform/testing";
import { removeDir, repoRoot, startMainProcess, tempDir } from "@todo/testkit";

const dataDir = tempDir("todo-metrics");
let child: Bun.Subprocess<"ignore", "pipe", "pipe"> | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  removeDir(dataDir);
});

const HTTP_URL = /HTTP\/1\.1\):\s+(http:\/\/\S+)/;
const METRICS_URL = /metrics \(Prometheus\):\s+(http:\/\/\S+)/;

async function startMain(): Promise<{ http: string; metrics: string }> {
  const started = await startMainProcess(dataDir, [HTTP_URL, METRICS_URL], {
    METRICS_PORT: "0",
    METRICS_REFRESH_SECONDS: "0",
  });
  child = started.child;
  return {
    http: HTTP_URL.exec(started.output())?.[1] as string,
    metrics: METRICS_URL.exec(started.output())?.[1] as string,
  };
}

async function rpc(base: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${base}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

test("bun start serves the documented metrics on METRICS_PORT after real RPCs", async () => {
  const app = await startMain();
  const signUp = await rpc(app.http, "todo.identity.v1.AuthService/SignUp", {
    email: `metrics-${crypto.randomUUID()}@example.com`,
    password: "metrics password",
  });
  expect(signUp.status).toBe(200);
  const { accessToken } = (await signUp.json()) as { accessToken: string };
  for (let i = 0; i < 3; i++) {
    const created = await rpc(
      app.http,
      "todo.task.v1.TaskService/CreateTask",
      { task: { title: `t${i}` } },
      accessToken,
    );
    expect(created.status).toBe(200);
  }
  const missing = await rpc(
    app.http,
    "todo.task.v1.TaskService/GetTask",
    { id: "0193a1b2-0000-7000-8000-000000000000" },
    accessToken,
  );
  expect(missing.status).toBe(404);
  expect((await rpc(app.http, "todo.task.v1.TaskService/ListTasks", {})).status).toBe(401);

  // The task events go through the outbox relay to the in-process bus; wait until they were sent.
  let text = "";
  let exposition = parsePrometheusText("");
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(app.metrics);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    text = await res.text();
    exposition = parsePrometheusText(text);
    const sent = sumOf(exposition, "messaging_client_sent_messages_total", {
      messaging_system: "in-process",
      messaging_destination_name: "task-events",
    });
    if (sent >= 3 && sumOf(exposition, "todo_outbox_rows", { todo_outbox_schema: "task" }) === 0) break;
    if (Date.now() > deadline) throw new Error(`the task events were not published:\n${text}`);
    await Bun.sleep(100);
  }

  const calls = (method: string, code: string) =>
    sumOf(exposition, "rpc_server_call_duration_seconds_count", {
      rpc_method: method,
      rpc_status_code: code,
    });
  expect(calls("todo.identity.v1.AuthService/SignUp", "OK")).toBe(1);
  expect(calls("todo.task.v1.TaskService/CreateTask", "OK")).toBe(3);
  expect(calls("todo.task.v1.TaskService/GetTask", "NOT_FOUND")).toBe(1);
  expect(calls("todo.task.v1.TaskService/ListTasks", "UNAUTHENTICATED")).toBe(1);
  expect(
    sumOf(exposition, "db_client_operation_duration_seconds_count", { db_operation_name: "INSERT" }),
  ).toBeGreaterThan(0);
  expect(sumOf(exposition, "db_client_connection_max", { db_client_connection_pool_name: "todo" })).toBe(1);
  for (const schema of ["task", "tag", "scheduler"]) {
    expect(
      exposition.samples.some((s) => s.name === "todo_outbox_rows" && s.labels.todo_outbox_schema === schema),
    ).toBe(true);
  }
  expect(
    sumOf(exposition, "messaging_client_consumed_messages_total", { messaging_consumer_group_name: "tag" }),
  ).toBeGreaterThanOrEqual(3);
  expect(sumOf(exposition, "process_cpu_time_seconds_total", { cpu_mode: "user" })).toBeGreaterThan(0);
  expect(sumOf(exposition, "process_memory_usage_bytes")).toBeGreaterThan(10_000_000);
  expect(exposition.types.get("nodejs_eventloop_delay_p99_seconds")).toBe("gauge");
  expect(exposition.samples.find((s) => s.name === "target_info")?.labels.service_name).toBe("todo");

  // Every family served is in the contract others build alerts and dashboards on.
  const doc = readFileSync(join(repoRoot, "docs", "metrics.md"), "utf8");
  const undocumented = [...exposition.types.keys()].filter((name) => !doc.includes(name));
  expect(undocumented).toEqual([]);

  expect((await fetch(app.metrics.replace("/metrics", "/other"))).status).toBe(404);
  child?.kill("SIGTERM");
  expect(await child?.exited).toBe(0);
}, 60_000);

test("with OTEL_METRICS_EXPORTER=otlp the same metrics are pushed over OTLP/HTTP", async () => {
  const received: { type: string | null; body: Uint8Array }[] = [];
  const collector = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      if (new URL(req.url).pathname === "/v1/metrics") {
        received.push({
          type: req.headers.get("content-type"),
          body: new Uint8Array(await req.arrayBuffer()),
        });
      }
      return new Response("{}", { headers: { "content-type": "application/json" } });
    },
  });
  const otlpDir = tempDir("todo-metrics-otlp");
  try {
    for (const protocol of ["http/json", "http/protobuf"]) {
      received.length = 0;
      const started = await startMainProcess(otlpDir, [HTTP_URL], {
        OTEL_METRICS_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
        OTEL_METRIC_EXPORT_INTERVAL: "300",
        OTEL_SERVICE_NAME: "todo-otlp-test",
      });
      try {
        expect(started.output()).not.toContain("metrics (Prometheus)"); // no METRICS_PORT: no endpoint
        const http = HTTP_URL.exec(started.output())?.[1] as string;
        expect((await rpc(http, "grpc.health.v1.Health/Check", {})).status).toBe(200);
        const deadline = Date.now() + 15_000;
        const has = (needle: string) =>
          received.some((r) => new TextDecoder().decode(r.body).includes(needle));
        while (!(has("rpc.server.call.duration") && has("grpc.health.v1.Health/Check"))) {
          if (Date.now() > deadline) throw new Error(`no OTLP metrics (${protocol}) with the RPC arrived`);
          await Bun.sleep(100);
        }
        const expectedType = protocol === "http/json" ? "application/json" : "application/x-protobuf";
        expect(received.every((r) => r.type === expectedType)).toBe(true);
        expect(has("todo-otlp-test")).toBe(true); // the resource's service.name
        if (protocol === "http/json") {
          const body = JSON.parse(new TextDecoder().decode(received.at(-1)?.body)) as {
            resourceMetrics: { scopeMetrics: { metrics: { name: string; unit: string }[] }[] }[];
          };
          const metrics = body.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
          expect(metrics.find((m) => m.name === "rpc.server.call.duration")?.unit).toBe("s");
        }
      } finally {
        started.child.kill("SIGTERM");
        expect(await started.child.exited).toBe(0);
      }
    }
  } finally {
    collector.stop(true);
    removeDir(otlpDir);
  }
}, 90_000);
