/**
 * Spans of plain HTTP exchanges (docs/tracing.md, "HTTP"), after the OpenTelemetry HTTP semantic
 * conventions: a SERVER span per request the edge forwards (services/edge), and a CLIENT span per
 * outgoing request the platform's services make themselves (the notification service's webhooks).
 * Connect and gRPC calls are not traced here but by the RPC interceptors (tracing-rpc.ts).
 *
 * A SERVER span continues the caller's context, read from the request headers through the configured
 * propagator (W3C `traceparent` by default), like an RPC's; `inject` writes the span's own context
 * into the headers of what the request is forwarded as, so the next hop is its child. A CLIENT span
 * (tracing-client.ts) is the child of a stored `traceparent` or of the active context; what goes out
 * with the request is the caller's business (a webhook carries the span's W3C `traceparent`, by
 * contract, whatever `OTEL_PROPAGATORS` says).
 *
 * Failure follows the conventions: a SERVER span fails on a 5xx answer (a 4xx is the client's
 * mistake, not the server's), a CLIENT span on any answer of 400 or more, both with `error.type` the
 * status code; a request that got no answer fails with `error.type` the error's code or class.
 */
import {
  type Attributes,
  type Context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import { platformTracer, tracingEnabled } from "./tracing";
import { type ClientSpan, errorTypeOfFailure, startClientSpan } from "./tracing-client";

/** Span attribute keys of the HTTP and URL conventions (checked by tracing-names.test.ts). */
export const HttpSpanAttributes = {
  method: "http.request.method",
  methodOriginal: "http.request.method_original",
  statusCode: "http.response.status_code",
  resendCount: "http.request.resend_count",
  route: "http.route",
  urlFull: "url.full",
  urlPath: "url.path",
  urlScheme: "url.scheme",
  serverAddress: "server.address",
  serverPort: "server.port",
  errorType: "error.type",
} as const;

const A = HttpSpanAttributes;

/** The methods the conventions know; any other is recorded as `_OTHER` (the original beside it). */
const KNOWN_METHODS = new Set([
  "CONNECT",
  "DELETE",
  "GET",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "POST",
  "PUT",
  "TRACE",
]);

/** `http.request.method` (and `http.request.method_original` when the method is not a known one). */
export function httpMethodAttributes(method: string): Attributes {
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper)
    ? { [A.method]: upper }
    : { [A.method]: "_OTHER", [A.methodOriginal]: method };
}

/** A path segment this long is taken for a secret (the token in a Slack or Discord webhook URL). */
const SECRET_SEGMENT_LENGTH = 16;

/**
 * `url.full` without anything secret: no user info, no query, no fragment, and each path segment of
 * 16 or more characters replaced by `REDACTED` (`https://hooks.example.com/services/T0/REDACTED`).
 * Webhook URLs often carry their credential in the path; the trace store must not get it.
 */
export function redactedUrl(url: URL): string {
  const path = url.pathname
    .split("/")
    .map((segment) => (segment.length >= SECRET_SEGMENT_LENGTH ? "REDACTED" : segment))
    .join("/");
  return `${url.protocol}//${url.host}${path}`;
}

/** Fails `span` with `error.type` and ERROR status (the exception event too, when there is an error). */
function fail(span: Span, errorType: string, message: string, err?: unknown): void {
  if (err !== undefined) span.recordException(err instanceof Error ? err : new Error(String(err)));
  span.setAttribute(A.errorType, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/** Header names → values, as `node:http` gives and takes them. */
type Headers = Record<string, string | string[] | undefined>;

/** The SERVER span of one HTTP request. */
export interface HttpServerSpan {
  /** The context with the span active. */
  readonly context: Context;
  /** Writes the span's context into `headers` (the forwarded request's) through the propagator. */
  inject(headers: Record<string, string | string[]>): void;
  /** Records the answer's status code (a 5xx fails the span). */
  status(code: number): void;
  /** Fails the span: the request could not be served (`err` is recorded; the status, if any, set apart). */
  fail(err: unknown): void;
  /** Ends the span (idempotent). */
  end(): void;
}

/**
 * Starts the SERVER span `<METHOD> <route>` of a request for `path`, routed as `route`, continuing
 * the context in `headers` (through the configured propagator); undefined while tracing is off.
 */
export function startHttpServerSpan(request: {
  readonly method: string;
  readonly headers: Headers;
  readonly path: string;
  readonly route: string;
  readonly scheme?: string;
}): HttpServerSpan | undefined {
  if (!tracingEnabled()) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, request.headers);
  const methodAttributes = httpMethodAttributes(request.method);
  const span = platformTracer().startSpan(
    `${methodAttributes[A.method] === "_OTHER" ? "HTTP" : methodAttributes[A.method]} ${request.route}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        ...methodAttributes,
        [A.urlPath]: request.path,
        [A.urlScheme]: request.scheme ?? "http",
        [A.route]: request.route,
      },
    },
    parent,
  );
  const ctx = trace.setSpan(parent, span);
  let ended = false;
  return {
    context: ctx,
    inject(headers) {
      propagation.inject(ctx, headers);
    },
    status(code) {
      span.setAttribute(A.statusCode, code);
      if (code >= 500) fail(span, String(code), `HTTP ${code}`);
    },
    fail(err) {
      fail(
        span,
        errorTypeOfFailure(err),
        err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        err,
      );
    },
    end() {
      if (ended) return;
      ended = true;
      span.end();
    },
  };
}

/** The CLIENT span of one HTTP request. */
export interface HttpClientSpan extends ClientSpan {
  /**
   * Records how the request ended and ends the span: the answer's `status` (400 or more fails it,
   * `error.type` the code), or `err` when there was no answer.
   */
  finish(result: { readonly status?: number; readonly err?: unknown }): void;
}

/**
 * Starts the CLIENT span `<METHOD>` of a request to `url`, the child of `traceparent` (else of the
 * active context), with `url.full` redacted (`redactedUrl`), `server.address`, `server.port` and
 * `attributes`; undefined while tracing is off. `attempt` (1 = the first) sets
 * `http.request.resend_count` on a retry.
 */
export function startHttpClientSpan(request: {
  readonly method: string;
  readonly url: URL;
  readonly traceparent?: string | null;
  readonly attempt?: number;
  readonly attributes?: Attributes;
}): HttpClientSpan | undefined {
  const { url } = request;
  const methodAttributes = httpMethodAttributes(request.method);
  const method = methodAttributes[A.method];
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const resends = (request.attempt ?? 1) - 1;
  const span = startClientSpan(method === "_OTHER" ? "HTTP" : String(method), {
    traceparent: request.traceparent,
    attributes: {
      ...methodAttributes,
      [A.urlFull]: redactedUrl(url),
      [A.serverAddress]: url.hostname,
      [A.serverPort]: port,
      ...(resends > 0 ? { [A.resendCount]: resends } : {}),
      ...request.attributes,
    },
  });
  if (!span) return undefined;
  return {
    ...span,
    finish({ status, err }) {
      if (status !== undefined && status > 0) {
        span.set({ [A.statusCode]: status });
        if (status >= 400) span.fail({ message: `HTTP ${status}`, errorType: String(status) });
      } else if (err !== undefined) {
        span.fail({ message: err instanceof Error ? `${err.name}: ${err.message}` : String(err), err });
      }
      span.end();
    },
  };
}
