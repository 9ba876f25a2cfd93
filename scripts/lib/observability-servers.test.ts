import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  type RunningJaeger,
  type RunningPrometheus,
  startAlertmanager,
  startJaeger,
  startPrometheus,
} from "./observability-servers.ts";
import { ensureObservabilityTools, type ObservabilityTools } from "./observability-tools.ts";

// Real servers from the cached tools (`bun run obs:tools` builds them; a miss builds here, slowly).
let tools: ObservabilityTools;
beforeAll(async () => {
  tools = await ensureObservabilityTools();
}, 1_800_000);

/** Polls `probe` until it returns a value, or throws after `ms`. */
async function eventually<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: nothing after ${ms} ms`);
    await Bun.sleep(200);
  }
}

describe("startPrometheus", () => {
  // A hand-written exposition, the way a service's /metrics answers.
  let scrapes = 0;
  const target = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      if (new URL(req.url).pathname !== "/metrics") return new Response("not found", { status: 404 });
      scrapes++;
      return new Response(
        [
          "# HELP todo_tasks_created_total Tasks created.",
          "# TYPE todo_tasks_created_total counter",
          'todo_tasks_created_total{service="task"} 42',
          "# HELP todo_outbox_backlog Rows waiting in the outbox.",
          "# TYPE todo_outbox_backlog gauge",
          'todo_outbox_backlog{service="task"} 3.5',
          "",
        ].join("\n"),
        { headers: { "content-type": "text/plain; version=0.0.4" } },
      );
    },
  });
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    prometheus = await startPrometheus({
      tools,
      config: {
        global: { scrape_interval: "1s", evaluation_interval: "1s" },
        scrape_configs: [{ job_name: "todo", static_configs: [{ targets: [`127.0.0.1:${target.port}`] }] }],
      },
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    target.stop(true);
  });

  test("scrapes a tiny endpoint, and /api/v1/query returns its values", async () => {
    const created = await eventually(
      async () => (await prometheus.query("todo_tasks_created_total"))[0],
      20_000,
      "todo_tasks_created_total",
    );
    expect(created.metric).toEqual({
      __name__: "todo_tasks_created_total",
      service: "task",
      job: "todo",
      instance: `127.0.0.1:${target.port}`,
    });
    expect(created.value[1]).toBe("42");
    const [backlog] = await prometheus.query('todo_outbox_backlog{service="task"}');
    expect(backlog?.value[1]).toBe("3.5");
    expect((await prometheus.query('up{job="todo"}'))[0]?.value[1]).toBe("1");
    expect(scrapes).toBeGreaterThan(0);
  }, 30_000);

  test("reload() loads new rules, and a rule evaluates over the scraped data", async () => {
    const rules = join(prometheus.dir, "todo-rules.yml");
    writeFileSync(
      rules,
      [
        "groups:",
        "  - name: todo",
        "    rules:",
        "      - record: todo:outbox_backlog:max",
        "        expr: max(todo_outbox_backlog)",
        "      - alert: TodoOutboxBacklog",
        "        expr: todo_outbox_backlog > 1",
        "        labels: { severity: warning }",
      ].join("\n"),
    );
    await prometheus.reload({ rules: [rules] });
    const recorded = await eventually(
      async () => (await prometheus.query("todo:outbox_backlog:max"))[0],
      20_000,
      "the recording rule",
    );
    expect(recorded.value[1]).toBe("3.5");
    const alerts = await eventually(
      async () => {
        const data = await prometheus.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          "/api/v1/alerts",
        );
        return data.alerts.find((a) => a.state === "firing");
      },
      20_000,
      "the firing alert",
    );
    expect(alerts.labels).toMatchObject({
      alertname: "TodoOutboxBacklog",
      severity: "warning",
      service: "task",
    });
  }, 60_000);

  test("reload() refuses a broken configuration and keeps the old one", async () => {
    await expect(
      prometheus.reload({ config: "scrape_configs: [{ job_name: 7, scrape_interval: soon }]\n" }),
    ).rejects.toThrow("prometheus refused the reload");
    expect((await prometheus.query('up{job="todo"}'))[0]?.value[1]).toBe("1");
  }, 30_000);

  test("the classic web UI is served with its scripts", async () => {
    const page = await (await fetch(`${prometheus.url}/graph`)).text();
    expect(page).toContain("<title>Prometheus Time Series Collection and Processing Server</title>");
    // Each of these is a symlink into another extracted Debian package (libjs-*).
    for (const asset of [
      "jquery/jquery.min.js",
      "bootstrap4/css/bootstrap.min.css",
      "rickshaw/rickshaw.min.js",
      "moment-timezone/moment-timezone-with-data.min.js",
    ]) {
      const href = new RegExp(`(?:src|href)="(/classic/static/${asset.replaceAll(".", "\\.")}[^"]*)"`).exec(
        page,
      )?.[1];
      expect(href).toBeDefined();
      const res = await fetch(new URL(href as string, prometheus.url));
      expect(res.status).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(10_000);
    }
  });
});

describe("startJaeger", () => {
  let jaeger: RunningJaeger;
  beforeAll(async () => {
    jaeger = await startJaeger({ tools });
  }, 60_000);
  afterAll(async () => await jaeger?.stop());

  test("accepts spans over OTLP/HTTP, and /api/traces returns them with their parent", async () => {
    const traceId = crypto.getRandomValues(new Uint8Array(16)).toHex();
    const [parentId, childId] = [0, 1].map(() => crypto.getRandomValues(new Uint8Array(8)).toHex());
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = (spanId: string, name: string, parent?: string) => ({
      traceId,
      spanId,
      ...(parent ? { parentSpanId: parent } : {}),
      name,
      kind: parent ? 4 : 2,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 5_000_000n),
      attributes: [{ key: "rpc.method", value: { stringValue: "CreateTask" } }],
    });
    const res = await fetch(`${jaeger.otlpHttpUrl}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "obs-test-task" } }] },
            scopeSpans: [
              {
                scope: { name: "obs-test" },
                spans: [
                  span(parentId as string, "todo.v1.TaskService/CreateTask"),
                  span(childId as string, "publish task-events", parentId),
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const [trace] = await eventually(
      async () => {
        const traces = await jaeger.traces("obs-test-task");
        return traces.length > 0 && traces[0]?.spans.length === 2 ? traces : undefined;
      },
      15_000,
      "the trace in Jaeger",
    );
    expect(trace?.traceID).toBe(traceId);
    const byId = new Map(trace?.spans.map((s) => [s.spanID, s]));
    expect(byId.get(parentId as string)?.operationName).toBe("todo.v1.TaskService/CreateTask");
    expect(byId.get(childId as string)?.references).toEqual([
      { refType: "CHILD_OF", traceID: traceId, spanID: parentId as string },
    ]);
    expect(trace?.processes[byId.get(childId as string)?.processID as string]?.serviceName).toBe(
      "obs-test-task",
    );
    expect((await jaeger.trace(traceId))?.spans.length).toBe(2);
    expect(await jaeger.trace("0123456789abcdef0123456789abcdef")).toBeUndefined();
  }, 30_000);

  test("answers OTLP over gRPC too (an empty TraceService/Export)", async () => {
    // An empty message is a valid, empty ExportTraceServiceRequest: the call proves the service.
    const client = new grpc.Client(jaeger.otlpGrpcEndpoint, grpc.credentials.createInsecure());
    try {
      const reply = await new Promise<Buffer>((ok, fail) =>
        client.makeUnaryRequest(
          "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          { deadline: Date.now() + 10_000 },
          (error, value) => (error ? fail(error) : ok(value as Buffer)),
        ),
      );
      expect(reply).toBeInstanceOf(Buffer);
    } finally {
      client.close();
    }
  });
});

describe("startAlertmanager", () => {
  test("starts, takes an alert over its API, and stops, deleting its directory", async () => {
    const am = await startAlertmanager({
      tools,
      config: { route: { receiver: "null", group_wait: "1s" }, receivers: [{ name: "null" }] },
    });
    try {
      const post = await fetch(`${am.url}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ labels: { alertname: "TodoTest", severity: "warning" } }]),
      });
      expect(post.status).toBe(200);
      const alerts = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as {
        labels: Record<string, string>;
      }[];
      expect(alerts.map((a) => a.labels.alertname)).toEqual(["TodoTest"]);
      await am.reload({ route: { receiver: "other" }, receivers: [{ name: "other" }] });
      const status = (await (await fetch(`${am.url}/api/v2/status`)).json()) as {
        config: { original: string };
      };
      expect(status.config.original).toContain("receiver: other");
    } finally {
      await am.stop();
    }
    expect(existsSync(am.dir)).toBe(false);
  }, 60_000);
});

describe("a missing binary", () => {
  test("fails the start loudly instead of skipping", async () => {
    const missing = join(tmpdir(), "todo-no-such-prometheus");
    await expect(
      startPrometheus({ tools: { ...tools, prometheus: missing }, config: { scrape_configs: [] } }),
    ).rejects.toThrow(`prometheus: ${missing} is missing (bun run obs:tools builds it)`);
    await expect(startJaeger({ tools: { ...tools, jaeger: missing } })).rejects.toThrow("is missing");
  });
});
