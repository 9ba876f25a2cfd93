/**
 * The collector configuration, read by the collector itself (`otelcol-todo validate`, built from
 * builder.yaml by `bun run obs:tools`), then run for real between a client and real backends: a
 * span sent over OTLP/HTTP reaches a real Jaeger, and a metric reaches a real Prometheus through
 * remote write, named as a scrape would name it (job from service.name).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type RunningCollector,
  type RunningJaeger,
  type RunningPrometheus,
  startCollector,
  startJaeger,
  startPrometheus,
} from "../../scripts/lib/observability-servers.ts";
import { ensureObservabilityTools, type ObservabilityTools } from "../../scripts/lib/observability-tools.ts";
import { capture } from "../../scripts/lib/proc.ts";
import { eventually } from "../../tests/integration/system.ts";

const dir = import.meta.dir;
const config = join(dir, "config.yaml");
const kubernetes = join(dir, "kubernetes.yaml");

let tools: ObservabilityTools;
let jaeger: RunningJaeger;
let prometheus: RunningPrometheus;
let collector: RunningCollector;

beforeAll(async () => {
  tools = await ensureObservabilityTools();
  [jaeger, prometheus] = await Promise.all([
    startJaeger({ tools }),
    startPrometheus({ tools, config: { global: { scrape_interval: "15s" } } }),
  ]);
  collector = await startCollector({
    tools,
    configFiles: [config],
    env: {
      TRACES_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
      PROMETHEUS_REMOTE_WRITE_URL: `${prometheus.url}/api/v1/write`,
      TODO_ENVIRONMENT: "test",
    },
  });
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  await Promise.all([jaeger?.stop(), prometheus?.stop()]);
});

const validate = (files: string[]) =>
  capture([tools.otelcol, "validate", ...files.flatMap((f) => ["--config", f])]);

describe("otelcol validate", () => {
  test("accepts the configuration, alone and with the Kubernetes overlay", async () => {
    for (const files of [[config], [config, kubernetes]]) {
      const result = await validate(files);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
  });

  test("refuses a pipeline that names an exporter nobody configured", async () => {
    const broken = join(collector.dir, "broken.yaml");
    writeFileSync(broken, readFileSync(config, "utf8").replace("otlp_grpc/traces:", "otlp_grpc/trace:"));
    const result = await validate([broken]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('references exporter "otlp_grpc/traces" which is not configured');
  });
});

describe("the collector between a client and the backends", () => {
  test("a span sent over OTLP/HTTP reaches Jaeger, with the environment added", async () => {
    const traceId = crypto.getRandomValues(new Uint8Array(16)).toHex();
    const now = BigInt(Date.now()) * 1_000_000n;
    const res = await fetch(`${collector.otlpHttpUrl}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: {
              attributes: [{ key: "service.name", value: { stringValue: "todo-collector-test" } }],
            },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId,
                    spanId: crypto.getRandomValues(new Uint8Array(8)).toHex(),
                    name: "todo.task.v1.TaskService/CreateTask",
                    kind: 2,
                    startTimeUnixNano: String(now - 5_000_000n),
                    endTimeUnixNano: String(now),
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const trace = await eventually("the span in Jaeger", () => jaeger.trace(traceId), 30_000, 250);
    expect(trace.spans.map((s) => s.operationName)).toEqual(["todo.task.v1.TaskService/CreateTask"]);
    const process = Object.values(trace.processes)[0];
    expect(process?.serviceName).toBe("todo-collector-test");
    expect(process?.tags).toContainEqual(
      expect.objectContaining({ key: "deployment.environment.name", value: "test" }),
    );
  }, 60_000);

  test("a metric sent over OTLP/HTTP reaches Prometheus by remote write, job from service.name", async () => {
    const now = String(BigInt(Date.now()) * 1_000_000n);
    const res = await fetch(`${collector.otlpHttpUrl}/v1/metrics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceMetrics: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "todo-task" } }] },
            scopeMetrics: [
              {
                metrics: [
                  {
                    name: "todo.outbox.rows",
                    unit: "{row}",
                    sum: {
                      aggregationTemporality: 2,
                      isMonotonic: false,
                      dataPoints: [
                        {
                          asInt: "7",
                          timeUnixNano: now,
                          attributes: [{ key: "todo.outbox.schema", value: { stringValue: "task" } }],
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const [sample] = await eventually(
      "the gauge in Prometheus",
      async () => {
        const found = await prometheus.query('todo_outbox_rows{job="todo-task"}');
        return found.length > 0 ? found : undefined;
      },
      30_000,
      250,
    );
    expect(sample?.metric.todo_outbox_schema).toBe("task");
    expect(sample?.value[1]).toBe("7");
  }, 60_000);
});
