/**
 * Starting OpenTelemetry metrics for a process (docs/metrics.md): a meter provider with a pull
 * reader behind the Prometheus endpoint (`/metrics` on `METRICS_PORT`, its own listener) and/or a
 * periodic OTLP exporter when the standard `OTEL_*` variables ask for one; the process and runtime
 * metrics; and the postgres.js hook (installed when the first pool is opened, metrics-db.ts). With
 * neither an endpoint nor OTLP nothing is installed and every instrument stays the API's no-op.
 */
import { randomUUID } from "node:crypto";
import { DiagLogLevel, diag, metrics } from "@opentelemetry/api";
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from "@opentelemetry/resources";
import {
  MeterProvider,
  MetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from "@opentelemetry/sdk-metrics";
import { createLogger } from "./logger";
import { boundMetricsProducer } from "./metrics-bound";
import { installMeterProvider, PLATFORM_METER } from "./metrics-instruments";
import { startProcessMetrics } from "./metrics-process";
import { PROMETHEUS_CONTENT_TYPE, serializePrometheus } from "./metrics-prometheus";

type Env = Readonly<Record<string, string | undefined>>;

/** The OTLP wire formats. */
export type OtlpProtocol = "http/protobuf" | "http/json" | "grpc";

/** What the environment asks for. */
export interface MetricsConfig {
  /** Serve `/metrics` here (port 0 picks a free one). */
  readonly prometheus?: { readonly host: string; readonly port: number };
  /** Push over OTLP (endpoint and headers are read by the exporter from `OTEL_EXPORTER_OTLP_*`). */
  readonly otlp?: {
    readonly protocol: OtlpProtocol;
    readonly intervalMs: number;
    readonly timeoutMs: number;
  };
}

const value = (env: Env, name: string) => {
  const v = env[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
};

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/**
 * Reads the metrics settings: `METRICS_PORT` and `METRICS_HOST` (default `HOST`, else 127.0.0.1);
 * `OTEL_METRICS_EXPORTER` (`otlp`, `prometheus`, `none`, comma-separated); OTLP also when that is
 * unset and `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` is;
 * `OTEL_EXPORTER_OTLP[_METRICS]_PROTOCOL`, `OTEL_METRIC_EXPORT_INTERVAL`/`_TIMEOUT`,
 * `OTEL_EXPORTER_PROMETHEUS_HOST`/`_PORT`; `OTEL_SDK_DISABLED=true` turns everything off.
 */
export function metricsConfigFromEnv(env: Env = process.env): MetricsConfig {
  if (value(env, "OTEL_SDK_DISABLED")?.toLowerCase() === "true") return {};
  const exporters = (value(env, "OTEL_METRICS_EXPORTER") ?? "")
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "");
  const none = exporters.includes("none");
  const host = value(env, "METRICS_HOST") ?? value(env, "HOST") ?? "127.0.0.1";
  let prometheus: MetricsConfig["prometheus"];
  if (value(env, "METRICS_PORT") !== undefined) {
    prometheus = { host, port: integer(env, "METRICS_PORT", 0, 0, 65535) };
  } else if (!none && exporters.includes("prometheus")) {
    prometheus = {
      host: value(env, "OTEL_EXPORTER_PROMETHEUS_HOST") ?? host,
      port: integer(env, "OTEL_EXPORTER_PROMETHEUS_PORT", 9464, 0, 65535),
    };
  }
  const endpoint =
    value(env, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") !== undefined ||
    value(env, "OTEL_EXPORTER_OTLP_ENDPOINT") !== undefined;
  const wantsOtlp = !none && (exporters.includes("otlp") || (exporters.length === 0 && endpoint));
  let otlp: MetricsConfig["otlp"];
  if (wantsOtlp) {
    const protocol =
      value(env, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL") ??
      value(env, "OTEL_EXPORTER_OTLP_PROTOCOL") ??
      "http/protobuf";
    if (protocol !== "http/protobuf" && protocol !== "http/json" && protocol !== "grpc") {
      throw new Error(
        `OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf, http/json or grpc, got ${JSON.stringify(protocol)}`,
      );
    }
    const intervalMs = integer(env, "OTEL_METRIC_EXPORT_INTERVAL", 60_000, 1, 86_400_000);
    const timeoutMs = Math.min(intervalMs, integer(env, "OTEL_METRIC_EXPORT_TIMEOUT", 30_000, 1, 86_400_000));
    otlp = { protocol, intervalMs, timeoutMs };
  }
  return { ...(prometheus ? { prometheus } : {}), ...(otlp ? { otlp } : {}) };
}

/** Metrics running in this process. */
export interface RunningMetrics {
  /** The Prometheus endpoint (`http://host:port/metrics`), when served. */
  readonly url: string | undefined;
  readonly port: number | undefined;
  /** Collects now and returns the exposition `/metrics` would answer. */
  scrape(): Promise<string>;
  /** Pushes what OTLP has not sent yet, stops serving and recording. */
  shutdown(): Promise<void>;
}

/** A reader that collects only when asked: behind `/metrics`. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/**
 * A metric reader that collects only when its `collect()` is called (the `/metrics` endpoint's),
 * reading the SDK's instruments and the platform's bound series (metrics-bound.ts).
 */
export function createPullReader(): MetricReader {
  return new PullReader({ metricProducers: [boundMetricsProducer] });
}

async function otlpExporter(protocol: OtlpProtocol): Promise<PushMetricExporter> {
  switch (protocol) {
    case "grpc":
      return new (await import("@opentelemetry/exporter-metrics-otlp-grpc")).OTLPMetricExporter();
    case "http/json":
      return new (await import("@opentelemetry/exporter-metrics-otlp-http")).OTLPMetricExporter();
    default:
      return new (await import("@opentelemetry/exporter-metrics-otlp-proto")).OTLPMetricExporter();
  }
}

/**
 * Starts metrics for the process named `serviceName` (`OTEL_SERVICE_NAME` wins) as `env` asks, or
 * returns undefined when it asks for none. Call once, before building anything that records.
 * Rejects when `METRICS_PORT` cannot be listened on.
 */
export async function startMetrics(
  serviceName: string,
  env: Env = process.env,
): Promise<RunningMetrics | undefined> {
  const config = metricsConfigFromEnv(env);
  if (!config.prometheus && !config.otlp) return undefined;
  const log = createLogger("metrics");
  if (value(env, "OTEL_LOG_LEVEL") === undefined) {
    // Export failures reach the OpenTelemetry diag channel only; make them visible as JSON logs.
    diag.setLogger(
      {
        error: (message, ...args) => log.error(`opentelemetry: ${message}`, { args: args.map(String) }),
        warn: () => {},
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      DiagLogLevel.ERROR,
    );
  }
  const detected = detectResources({ detectors: [envDetector] });
  const name =
    value(env, "OTEL_SERVICE_NAME") ??
    (detected.attributes["service.name"] as string | undefined) ??
    serviceName;
  const resource = defaultResource()
    .merge(detected)
    .merge(resourceFromAttributes({ "service.name": name, "service.instance.id": randomUUID() }));
  const pull = config.prometheus ? createPullReader() : undefined;
  const readers: MetricReader[] = pull ? [pull] : [];
  if (config.otlp) {
    readers.push(
      new PeriodicExportingMetricReader({
        metricProducers: [boundMetricsProducer],
        exporter: await otlpExporter(config.otlp.protocol),
        exportIntervalMillis: config.otlp.intervalMs,
        exportTimeoutMillis: config.otlp.timeoutMs,
      }),
    );
  }
  const provider = new MeterProvider({ resource, readers });
  if (!installMeterProvider(provider)) {
    await provider.shutdown();
    log.warn("a meter provider is installed already; not starting a second one");
    return undefined;
  }
  const stopProcess = startProcessMetrics(metrics.getMeter(PLATFORM_METER));

  const scrape = async () => {
    if (!pull) throw new Error("metrics are exported over OTLP only; set METRICS_PORT to scrape them");
    const { resourceMetrics, errors } = await pull.collect({ timeoutMillis: 5_000 });
    if (errors.length > 0) log.warn("some metrics could not be collected", { errors: errors.map(String) });
    return serializePrometheus(resourceMetrics);
  };

  let server: ReturnType<typeof Bun.serve> | undefined;
  if (config.prometheus) {
    const { host, port } = config.prometheus;
    try {
      server = Bun.serve({
        hostname: host,
        port,
        async fetch(req) {
          if (new URL(req.url).pathname !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
            return new Response("not found; metrics are at /metrics\n", { status: 404 });
          }
          try {
            return new Response(await scrape(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
          } catch (err) {
            log.error("serving /metrics failed", { err });
            return new Response(`# collecting metrics failed: ${String(err)}\n`, { status: 500 });
          }
        },
      });
    } catch (err) {
      stopProcess();
      await provider.shutdown();
      throw new Error(`${serviceName}: cannot serve metrics on ${host}:${port} (METRICS_PORT)`, {
        cause: err,
      });
    }
  }
  const shown = (h: string) => (h === "0.0.0.0" || h === "::" ? "127.0.0.1" : h.includes(":") ? `[${h}]` : h);
  const port = server?.port;
  log.info("metrics started", {
    ...(port !== undefined ? { prometheus: `${shown(config.prometheus?.host ?? "")}:${port}` } : {}),
    ...(config.otlp ? { otlp: config.otlp.protocol } : {}),
  });
  return {
    url: server && config.prometheus ? `http://${shown(config.prometheus.host)}:${port}/metrics` : undefined,
    port,
    scrape,
    async shutdown() {
      await server?.stop(true);
      stopProcess();
      await provider.shutdown().catch((err) => log.warn("flushing metrics failed", { err }));
    },
  };
}
