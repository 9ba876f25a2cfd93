/**
 * Spans of RPCs (docs/tracing.md, "RPCs"). Bun's `http2` is not auto-instrumented, so Connect calls
 * are traced by interceptors:
 *
 * - `createTracingInterceptor` (every server and in-process transport, server.ts): a SERVER span
 *   `<package>.<Service>/<Method>` per RPC, continuing the caller's trace context from the request
 *   headers (the configured propagator: W3C `traceparent` by default) — or, for an in-process call,
 *   the caller's active context;
 * - `createClientTracingInterceptor` (every remote transport, clients.ts): a CLIENT span of the same
 *   name that sends its context in the request headers, so the callee's SERVER span — and, through
 *   a Dapr sidecar, the sidecars' spans — are its children.
 *
 * While tracing is off both only time the call for the debug log.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { createLogger } from "./logger";
import { SERVER_ERROR_CODES, STATUS_CODE_NAMES } from "./metric-names";
import { platformTracer, tracingEnabled } from "./tracing";

/**
 * RPC span attribute keys (checked against the conventions by tracing-names.test.ts). The RPC
 * conventions of `@opentelemetry/semantic-conventions` 1.45 (stable): `rpc.system.name`, `rpc.method`
 * fully qualified (`todo.task.v1.TaskService/CreateTask`, as in the RPC metrics) and `rpc.status_code`
 * as the code's name; beside them their predecessors, which most tools still read: `rpc.system`,
 * `rpc.service` and the numeric `rpc.grpc.status_code`.
 */
export const RpcSpanAttributes = {
  system: "rpc.system",
  systemName: "rpc.system.name",
  service: "rpc.service",
  method: "rpc.method",
  grpcStatusCode: "rpc.grpc.status_code",
  statusCode: "rpc.status_code",
  serverAddress: "server.address",
  serverPort: "server.port",
} as const;

const A = RpcSpanAttributes;

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

const headerSetter = {
  set: (carrier: Headers, key: string, value: string) => carrier.set(key, value),
};

const isGrpc = (header: Headers) => header.get("content-type")?.startsWith("application/grpc") ?? false;

/**
 * Records the outcome of an RPC on its span: the status code (number and name) and, for the codes
 * that count as server errors (as in the RPC metrics), `error.type`, the exception and ERROR status.
 */
function settle(span: Span, err: unknown) {
  const ce = err === undefined ? undefined : ConnectError.from(err);
  const code = ce?.code ?? 0;
  span.setAttribute(A.grpcStatusCode, code);
  span.setAttribute(A.statusCode, STATUS_CODE_NAMES[code] ?? "UNKNOWN");
  if (!ce || !SERVER_ERROR_CODES.has(code)) return;
  span.recordException(ce);
  span.setAttribute("error.type", STATUS_CODE_NAMES[code] ?? "UNKNOWN");
  span.setStatus({ code: SpanStatusCode.ERROR, message: ce.rawMessage });
}

/** Makes a SERVER span for every RPC (named `package.Service/Method`) and logs each call at debug level. */
export function createTracingInterceptor(serviceName: string): Interceptor {
  const log = createLogger(serviceName);
  return (next) => async (req) => {
    const name = `${req.service.typeName}/${req.method.name}`;
    const started = performance.now();
    const done = (code: number) =>
      log.debug("rpc", {
        rpc: name,
        code: code === 0 ? "ok" : Code[code],
        ms: +(performance.now() - started).toFixed(2),
      });
    if (!tracingEnabled()) {
      try {
        const res = await next(req);
        done(0);
        return res;
      } catch (err) {
        done(ConnectError.from(err).code);
        throw err;
      }
    }
    const parent = propagation.extract(context.active(), req.header, headerGetter);
    const grpc = isGrpc(req.header);
    const span = platformTracer().startSpan(
      name,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [A.system]: grpc ? "grpc" : "connect_rpc",
          [A.systemName]: grpc ? "grpc" : "connectrpc",
          [A.service]: req.service.typeName,
          [A.method]: name,
        },
      },
      parent,
    );
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        const res = await next(req);
        settle(span, undefined);
        done(0);
        return res;
      } catch (err) {
        settle(span, err);
        done(ConnectError.from(err).code);
        throw err;
      } finally {
        span.end();
      }
    });
  };
}

/**
 * Makes a CLIENT span for every call through a remote transport and sends its context in the
 * request headers. `protocol` and `url` are the transport's (for `rpc.system` and `server.*`). A
 * server-streaming call's span ends when the stream is open, not when it ends.
 */
export function createClientTracingInterceptor(protocol: "grpc" | "connect", url: string): Interceptor {
  const target = new URL(url);
  const fixed: Attributes = {
    [A.system]: protocol === "grpc" ? "grpc" : "connect_rpc",
    [A.systemName]: protocol === "grpc" ? "grpc" : "connectrpc",
    [A.serverAddress]: target.hostname,
    [A.serverPort]: Number(target.port || 80),
  };
  return (next) => async (req) => {
    if (!tracingEnabled()) return next(req);
    const parent = context.active();
    const name = `${req.service.typeName}/${req.method.name}`;
    const span = platformTracer().startSpan(
      name,
      {
        kind: SpanKind.CLIENT,
        attributes: { ...fixed, [A.service]: req.service.typeName, [A.method]: name },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    propagation.inject(ctx, req.header, headerSetter);
    try {
      const res = await context.with(ctx, () => next(req));
      settle(span, undefined);
      return res;
    } catch (err) {
      settle(span, err);
      throw err;
    } finally {
      span.end();
    }
  };
}
