/**
 * OpenTelemetry. Metrics (metrics.ts, docs/metrics.md) start when `METRICS_PORT` or the `OTEL_*`
 * variables ask for them; traces (docs/tracing.md) when the standard variables ask for a trace
 * exporter: `OTEL_TRACES_EXPORTER` set to anything but `none`, or, with it unset,
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the SDK then reads the
 * rest: protocol, headers, `OTEL_TRACES_SAMPLER`, `OTEL_BSP_*`, `OTEL_PROPAGATORS`, the resource).
 * Logs (log-export.ts) the same way: `OTEL_LOGS_EXPORTER` not `none`, or, with it unset,
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT`; every log line then also
 * goes out as a log record (the SDK builds the exporter of the protocol and the `OTEL_BLRP_*` batch).
 * `OTEL_SDK_DISABLED=true` turns all off. Otherwise every span of the platform is skipped at one
 * boolean check (tracing.ts), every log record at one check too (logger.ts). Bun's `http2` is not auto-instrumented: RPC spans come from the
 * interceptors in tracing-rpc.ts, the bus, jobs, outbox and database spans from the platform itself.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { isDatabaseUnavailable } from "./db-unavailable";
import { startLogExport, stopLogExport } from "./log-export";
import { createLogger } from "./logger";
import { type RunningMetrics, startMetrics } from "./metrics";
import { setTracingEnabled } from "./tracing";

export { createClientTracingInterceptor, createTracingInterceptor } from "./tracing-rpc";

/** A process's telemetry. */
export interface Telemetry {
  /** The metrics, when `METRICS_PORT` or `OTEL_*` asked for them (`metrics.url` is `/metrics`). */
  readonly metrics: RunningMetrics | undefined;
  /** Flushes and stops traces, log records and metrics. */
  stop(): Promise<void>;
}

/**
 * Starts metrics, traces and log records as configured. Call it first, before anything that records is built
 * (instruments made earlier stay no-ops). Rejects when `METRICS_PORT` cannot be listened on.
 */
export async function startTelemetry(serviceName: string): Promise<Telemetry> {
  const metrics = await startMetrics(serviceName);
  const traces = tracesWanted(process.env);
  const logs = logsWanted(process.env);
  if (!traces && !logs) return { metrics, stop: async () => metrics?.shutdown() };
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  // Metrics are metrics.ts's: no readers here, so the SDK registers no second meter provider. A
  // signal not asked for gets no processors (the SDK would default it to OTLP on localhost).
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ?? serviceName,
    metricReaders: [],
    ...(traces ? {} : { spanProcessors: [] }),
    ...(logs ? {} : { logRecordProcessors: [] }),
  });
  sdk.start();
  if (traces) setTracingEnabled(true);
  if (logs) startLogExport();
  createLogger("telemetry").info("OpenTelemetry started", { service: serviceName, traces, logs });
  return {
    metrics,
    async stop() {
      setTracingEnabled(false);
      stopLogExport();
      await sdk.shutdown();
      await metrics?.shutdown();
    },
  };
}

/** Whether `env` asks for traces to be exported (see the file comment). */
export function tracesWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  return exportWanted(env, "TRACES");
}

/** Whether `env` asks for log records to be exported (see the file comment). */
export function logsWanted(env: Readonly<Record<string, string | undefined>>): boolean {
  return exportWanted(env, "LOGS");
}

function exportWanted(env: Readonly<Record<string, string | undefined>>, signal: "TRACES" | "LOGS"): boolean {
  const value = (name: string) => env[name]?.trim() || undefined;
  if (value("OTEL_SDK_DISABLED")?.toLowerCase() === "true") return false;
  const exporters = (value(`OTEL_${signal}_EXPORTER`) ?? "")
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== "");
  if (exporters.includes("none")) return false;
  if (exporters.length > 0) return true;
  return (
    value("OTEL_EXPORTER_OTLP_ENDPOINT") !== undefined ||
    value(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`) !== undefined
  );
}

/**
 * Turns anything that is not a `ConnectError` into INTERNAL with a message free of internals, keeping
 * the original as `cause` and in the log — except a database that cannot be reached for now
 * (db-unavailable.ts), which is UNAVAILABLE so that clients know a retry may succeed.
 */
export function createErrorInterceptor(serviceName: string): Interceptor {
  const log = createLogger(serviceName);
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      if (err instanceof Error && err.name === "AbortError") throw ConnectError.from(err);
      // The caller went away (cancelled, past its deadline, disconnected) and what failed after that
      // is the consequence (its statement or stream connection ended with the call), not an outage.
      if (req.signal.aborted) throw ConnectError.from(req.signal.reason ?? err, Code.Canceled);
      if (isDatabaseUnavailable(err)) {
        log.warn("database unavailable", { rpc: `${req.service.typeName}/${req.method.name}`, err });
        throw new ConnectError(
          "the database is not reachable right now; try again",
          Code.Unavailable,
          undefined,
          undefined,
          err,
        );
      }
      log.error("unexpected error", { rpc: `${req.service.typeName}/${req.method.name}`, err });
      throw new ConnectError("internal error", Code.Internal, undefined, undefined, err);
    }
  };
}
