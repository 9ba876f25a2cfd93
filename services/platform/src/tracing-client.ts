/**
 * CLIENT spans of outgoing requests that are neither RPCs (tracing-rpc.ts) nor database statements
 * (tracing-db.ts) — a webhook's HTTP request (tracing-http.ts), an SMTP send — as a small handle, so
 * a service makes them without touching the OpenTelemetry API itself.
 *
 * Work that outlives the operation that asked for it (a pending delivery) stores that operation's
 * W3C `traceparent`; the span of each attempt is its child, so the attempt joins the operation's
 * trace however much later it runs (the same reasoning as jobs, tracing-jobs.ts). Without a stored
 * `traceparent` the span continues the active context, or is a root.
 */
import { type Attributes, context, type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { errorTypeOf } from "./metric-names";
import { contextFromTraceparent, platformTracer, traceparentOfSpan, tracingEnabled } from "./tracing";

/** Convention attribute keys of any CLIENT span (checked by tracing-names.test.ts). */
export const ClientSpanAttributes = {
  serverAddress: "server.address",
  serverPort: "server.port",
  protocolName: "network.protocol.name",
  errorType: "error.type",
} as const;

/** An attribute value a span takes. */
export type SpanAttributeValue = string | number | boolean;

/** A started CLIENT span. */
export interface ClientSpan {
  /** The span's W3C `traceparent` (what a request sends, so its receiver can join the trace). */
  readonly traceparent: string | undefined;
  /** Adds attributes. */
  set(attributes: Readonly<Record<string, SpanAttributeValue>>): void;
  /**
   * Fails the span: `error.type` (given, or from `err`: its system code such as `ECONNREFUSED`, or
   * its class), ERROR status with `message`, and an `exception` event when there is an `err`.
   */
  fail(failure: { readonly message: string; readonly err?: unknown; readonly errorType?: string }): void;
  /** Ends the span (idempotent). */
  end(): void;
}

/** The `error.type` of `err`: its system error code (`ECONNREFUSED`, `ENOTFOUND`) or its class. */
export function errorTypeOfFailure(err: unknown): string {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^E[A-Z0-9_]+$/.test(code) ? code : errorTypeOf(err);
}

/** Wraps `span` as a `ClientSpan`. */
export function clientSpanOf(span: Span): ClientSpan {
  let ended = false;
  return {
    traceparent: traceparentOfSpan(span),
    set(attributes) {
      span.setAttributes(attributes as Attributes);
    },
    fail({ message, err, errorType }) {
      if (err !== undefined) span.recordException(err instanceof Error ? err : new Error(String(err)));
      span.setAttribute(
        ClientSpanAttributes.errorType,
        errorType ?? (err === undefined ? "_OTHER" : errorTypeOfFailure(err)),
      );
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    },
    end() {
      if (ended) return;
      ended = true;
      span.end();
    },
  };
}

/**
 * Starts the CLIENT span `name`, the child of `traceparent` when one is given (else of the active
 * context), with `attributes`; undefined while tracing is off.
 */
export function startClientSpan(
  name: string,
  options: { readonly traceparent?: string | null; readonly attributes?: Attributes } = {},
): ClientSpan | undefined {
  if (!tracingEnabled()) return undefined;
  const parent = options.traceparent ? contextFromTraceparent(options.traceparent) : context.active();
  return clientSpanOf(
    platformTracer().startSpan(name, { kind: SpanKind.CLIENT, attributes: options.attributes ?? {} }, parent),
  );
}
