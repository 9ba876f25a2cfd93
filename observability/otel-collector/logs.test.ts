/**
 * Logs over OTLP, end to end: a process logging the way a Todo service does (log-emitter.ts:
 * `startTelemetry` and the platform's logger, inside a span) sends its log record to the real
 * collector of config.yaml, over each protocol the SDK offers (`OTEL_EXPORTER_OTLP_PROTOCOL`), and
 * the collector's logs pipeline hands it, with `deployment.environment.name` added, to its
 * `otlp_http/logs` exporter, which POSTs it to `LOGS_OTLP_HTTP_ENDPOINT` + `/v1/logs`: Loki's OTLP
 * path `/otlp/v1/logs`, with the tenant header `LOGS_TENANT`. There this test listens in Loki's place (Loki is not built here: see
 * docs/observability.md#logs) and reads the protobuf it gets. The span goes through the same
 * collector to a real Jaeger, so the record's trace id is one Jaeger shows.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import {
  type RunningCollector,
  type RunningJaeger,
  startCollector,
  startJaeger,
} from "../../scripts/lib/observability-servers.ts";
import { ensureObservabilityTools } from "../../scripts/lib/observability-tools.ts";
import { capture } from "../../scripts/lib/proc.ts";
import { eventually, freePort } from "../../tests/integration/system.ts";
import { decodeLogsRequest, type OtlpLogRecord } from "./otlp-logs-wire.ts";

const dir = import.meta.dir;
const emitter = join(dir, "log-emitter.ts");

/** What the stand-in for Loki received. */
const received: {
  path: string;
  contentType: string | null;
  contentEncoding: string | null;
  tenant: string | null;
  records: OtlpLogRecord[];
}[] = [];
let loki: ReturnType<typeof Bun.serve>;
let jaeger: RunningJaeger;
let collector: RunningCollector;

beforeAll(async () => {
  const tools = await ensureObservabilityTools();
  loki = Bun.serve({
    hostname: "127.0.0.1",
    port: await freePort(),
    async fetch(req) {
      const raw = new Uint8Array(await req.arrayBuffer());
      const contentType = req.headers.get("content-type");
      const contentEncoding = req.headers.get("content-encoding");
      // The exporter compresses with gzip by default (Loki takes it).
      const body = contentEncoding === "gzip" ? Bun.gunzipSync(raw) : raw;
      received.push({
        path: new URL(req.url).pathname,
        contentType,
        contentEncoding,
        tenant: req.headers.get("x-scope-orgid"),
        records: contentType === "application/x-protobuf" ? decodeLogsRequest(body) : [],
      });
      // An empty ExportLogsServiceResponse, as Loki answers.
      return new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
    },
  });
  jaeger = await startJaeger({ tools });
  collector = await startCollector({
    tools,
    configFiles: [join(dir, "config.yaml")],
    env: {
      TRACES_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
      LOGS_OTLP_HTTP_ENDPOINT: `http://127.0.0.1:${loki.port}/otlp`,
      LOGS_TENANT: "todo-test",
      TODO_ENVIRONMENT: "test",
    },
  });
}, 120_000);

afterAll(async () => {
  await collector?.stop();
  await jaeger?.stop();
  loki?.stop(true);
});

/** This process's environment without any OTEL_* variable, so only the test's reach the child. */
function baseEnv(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OTEL_")));
}

describe("a service's log lines through the collector to Loki's OTLP endpoint", () => {
  for (const protocol of ["http/protobuf", "grpc", "http/json"] as const) {
    test(`over ${protocol}: the record arrives with its severity, fields and trace context`, async () => {
      const message = `reminder delivery failed (${protocol}, ${crypto.randomUUID()})`;
      const endpoint = protocol === "grpc" ? `http://${collector.otlpGrpcEndpoint}` : collector.otlpHttpUrl;
      const run = await capture(["bun", emitter], {
        cwd: dir,
        env: {
          ...baseEnv(),
          // Only the endpoint: logs and traces both follow it (logsWanted, tracesWanted).
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_METRICS_EXPORTER: "none",
          OTEL_SERVICE_NAME: "todo-log-emitter",
          LOG_EMITTER_MESSAGE: message,
        },
      });
      expect(run.stderr).toContain(message); // stderr JSON stays
      expect(run.code).toBe(0);
      const { traceId, spanId } = JSON.parse(run.stdout) as { traceId: string; spanId: string };

      const record = await eventually(
        "the log record at the Loki endpoint",
        () => received.flatMap((r) => r.records).find((r) => r.body === message),
        30_000,
        100,
      );
      const request = received.find((r) => r.records.includes(record));
      expect(request?.path).toBe("/otlp/v1/logs");
      expect(request?.contentType).toBe("application/x-protobuf");
      expect(request?.contentEncoding).toBe("gzip");
      expect(request?.tenant).toBe("todo-test");
      expect(record).toMatchObject({
        traceId,
        spanId,
        severityNumber: 13,
        severityText: "WARN",
        scope: "todo.platform",
        attributes: {
          component: "log-emitter",
          attempt: 3,
          err: "Error: connection refused",
          "exception.type": "Error",
          "exception.message": "connection refused",
        },
      });
      expect(record.resource).toMatchObject({
        "service.name": "todo-log-emitter",
        "deployment.environment.name": "test",
      });

      const trace = await eventually("the trace in Jaeger", () => jaeger.trace(traceId), 30_000, 250);
      expect(trace.spans.map((s) => [s.spanID, s.operationName])).toEqual([[spanId, "log-emitter.work"]]);
    }, 60_000);
  }
});

describe("logs off", () => {
  test("OTEL_LOGS_EXPORTER=none sends no record, traces still go", async () => {
    const message = `not exported (${crypto.randomUUID()})`;
    const run = await capture(["bun", emitter], {
      cwd: dir,
      env: {
        ...baseEnv(),
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpHttpUrl,
        OTEL_LOGS_EXPORTER: "none",
        OTEL_METRICS_EXPORTER: "none",
        LOG_EMITTER_MESSAGE: message,
      },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(message);
    const { traceId } = JSON.parse(run.stdout) as { traceId: string };
    // The span crossed the same collector, so a record sent with it would have been handed on by now.
    await eventually("the trace in Jaeger", () => jaeger.trace(traceId), 30_000, 250);
    await Bun.sleep(2500); // the collector's batch timeout (config.yaml: 2s)
    expect(received.flatMap((r) => r.records).filter((r) => r.body === message)).toEqual([]);
  }, 60_000);
});
