/**
 * The platform's tracing switch and the W3C trace-context helpers every traced component shares
 * (docs/tracing.md). Tracing is off unless `startTelemetry` found the `OTEL_*` variables asking for
 * an exporter (or a test turned it on with `useTestTracing`): while it is off, every place that
 * would make a span checks one boolean and does nothing else — no span, no context lookup, no
 * header — so a process that does not trace pays nothing for it.
 *
 * Trace context is stored with work that outlives the operation that caused it — outbox rows, Kafka
 * records, jobs, pending deliveries — as a W3C `traceparent` string, written and read here
 * directly (not through the configured propagator), because those columns and headers are
 * `traceparent` by contract whatever `OTEL_PROPAGATORS` says. RPC headers go through the
 * configured propagator (tracing-rpc.ts).
 */
import {
  type Context,
  context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { parseTraceParent } from "@opentelemetry/core";
import { errorTypeOf } from "./metric-names";

let enabled = false;
let cachedTracer: Tracer | undefined;

/** The instrumentation scope of every span the platform makes. */
export const TRACER_NAME = "todo.platform";

/** Whether spans are being made in this process (read at every would-be span: it is one boolean). */
export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Turns the platform's spans on or off. `startTelemetry` turns them on once the SDK is registered;
 * tests use `useTestTracing` (tracing-testing.ts). Not for services to call.
 */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
  cachedTracer = undefined;
}

/** The platform's tracer (the global provider's; a no-op one while no SDK is registered). */
export function platformTracer(): Tracer {
  cachedTracer ??= trace.getTracer(TRACER_NAME);
  return cachedTracer;
}

/** `00-<trace id>-<span id>-<flags>` of a valid span context. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags & 1 ? "01" : "00"}`;
}

/** The W3C `traceparent` of the span in `ctx` (default: the active context), if it has a valid one. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? formatTraceparent(sc) : undefined;
}

/** The W3C `traceparent` of `span`, if its context is valid. */
export function traceparentOfSpan(span: Span): string | undefined {
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? formatTraceparent(sc) : undefined;
}

/**
 * A context whose (remote) parent is `traceparent`, on top of `base` (default: the root context);
 * `base` itself when the value is missing or not a valid W3C traceparent.
 */
export function contextFromTraceparent(
  traceparent: string | null | undefined,
  base: Context = ROOT_CONTEXT,
): Context {
  if (!traceparent) return base;
  const sc = parseTraceParent(traceparent);
  return sc && isSpanContextValid(sc) ? trace.setSpanContext(base, { ...sc, isRemote: true }) : base;
}

/** A link to the span in `ctx` when there is a valid one (an empty list otherwise). */
export function linksTo(ctx: Context): Link[] {
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? [{ context: sc }] : [];
}

/** Marks `span` failed by `err`: the exception event, `error.type` (its class name) and ERROR status. */
export function recordFailure(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setAttribute("error.type", errorTypeOf(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
}
