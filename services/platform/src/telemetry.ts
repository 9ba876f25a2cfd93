/**
 * OpenTelemetry. Metrics (metrics.ts, docs/metrics.md) start when `METRICS_PORT` or the `OTEL_*`
 * variables ask for them; traces when the standard variables ask for an exporter
 * (`OTEL_TRACES_EXPORTER` other than `none`, or `OTEL_EXPORTER_OTLP_ENDPOINT`). Otherwise the API is
 * a no-op and costs next to nothing. Bun's `http2` is not auto-instrumented, so every RPC gets its
 * span from `createTracingInterceptor`, continuing the caller's W3C `traceparent`.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { createLogger } from "./logger";
import { type RunningMetrics, startMetrics } from "./metrics";

/** A process's telemetry. */
export interface Telemetry {
  /** The metrics, when `METRICS_PORT` or `OTEL_*` asked for them (`metrics.url` is `/metrics`). */
  readonly metrics: RunningMetrics | undefined;
  /** Flushes and stops traces and metrics. */
  stop(): Promise<void>;
}

/**
 * Starts metrics and traces as configured. Call it first, before anything that records is built
 * (instruments made earlier stay no-ops). Rejects when `METRICS_PORT` cannot be listened on.
 */
export async function startTelemetry(serviceName: string): Promise<Telemetry> {
  const metrics = await startMetrics(serviceName);
  const exporter = process.env.OTEL_TRACES_EXPORTER;
  const wanted =
    (exporter !== undefined && exporter !== "none") || process.env.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  if (!wanted) return { metrics, stop: async () => metrics?.shutdown() };
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  // Metrics are metrics.ts's: no readers here, so the SDK registers no second meter provider.
  const sdk = new NodeSDK({ serviceName: process.env.OTEL_SERVICE_NAME ?? serviceName, metricReaders: [] });
  sdk.start();
  createLogger("telemetry").info("OpenTelemetry started", { service: serviceName });
  return {
    metrics,
    async stop() {
      await sdk.shutdown();
      await metrics?.shutdown();
    },
  };
}

const headerGetter = {
  keys: (carrier: Headers) => {
    const names: string[] = [];
    carrier.forEach((_value, name) => {
      names.push(name);
    });
    return names;
  },
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

/** Makes a SERVER span for every RPC (named `package.Service/Method`) and logs failures as JSON. */
export function createTracingInterceptor(serviceName: string): Interceptor {
  const tracer = trace.getTracer(serviceName);
  const log = createLogger(serviceName);
  return (next) => async (req) => {
    const parent = propagation.extract(context.active(), req.header, headerGetter);
    const name = `${req.service.typeName}/${req.method.name}`;
    const span = tracer.startSpan(
      name,
      {
        kind: SpanKind.SERVER,
        attributes: {
          "rpc.system": req.header.get("content-type")?.startsWith("application/grpc")
            ? "grpc"
            : "connect_rpc",
          "rpc.service": req.service.typeName,
          "rpc.method": req.method.name,
        },
      },
      parent,
    );
    const started = performance.now();
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        const res = await next(req);
        span.setAttribute("rpc.grpc.status_code", 0);
        log.debug("rpc", { rpc: name, code: "ok", ms: +(performance.now() - started).toFixed(2) });
        return res;
      } catch (err) {
        const ce = ConnectError.from(err);
        span.setAttribute("rpc.grpc.status_code", ce.code);
        if (ce.code === Code.Internal || ce.code === Code.Unknown) {
          span.recordException(ce);
          span.setStatus({ code: SpanStatusCode.ERROR, message: ce.rawMessage });
        }
        log.debug("rpc", { rpc: name, code: Code[ce.code], ms: +(performance.now() - started).toFixed(2) });
        throw err;
      } finally {
        span.end();
      }
    });
  };
}

/**
 * Turns anything that is not a `ConnectError` into INTERNAL with a message free of internals, keeping
 * the original as `cause` and in the log.
 */
export function createErrorInterceptor(serviceName: string): Interceptor {
  const log = createLogger(serviceName);
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ConnectError) throw err;
      if (err instanceof Error && err.name === "AbortError") throw ConnectError.from(err);
      log.error("unexpected error", { rpc: `${req.service.typeName}/${req.method.name}`, err });
      throw new ConnectError("internal error", Code.Internal, undefined, undefined, err);
    }
  };
}
