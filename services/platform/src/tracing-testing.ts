/**
 * Test support for traces: a real tracer provider for the test process, recording every finished
 * span in memory, with the context manager and propagator `startTelemetry`'s NodeSDK would install
 * (AsyncLocalStorage, W3C trace context), so a test sees exactly the spans — names, kinds,
 * attributes, parentage — a trace backend would receive.
 *
 * The OpenTelemetry API takes one provider, context manager and propagator per process, so they are
 * installed once, by the first `useTestTracing()` (the propagator again by each call, should a test
 * have disabled it); each call turns the platform's spans on
 * (`setTracingEnabled`) and forgets what was recorded, and `stop()` turns them off again, so test
 * files sharing a `bun test` process do not see each other's spans.
 */
import { context, propagation, type SpanContext, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { setTracingEnabled, TRACER_NAME } from "./tracing";

/** The span kinds, for tests of services that do not depend on the OpenTelemetry API themselves. */
export { SpanKind, SpanStatusCode } from "@opentelemetry/api";

/** Reads the test process's finished spans. */
export interface TestTracing {
  /** Every span finished since the last `reset()` (or `useTestTracing()`), in the order they ended. */
  spans(): ReadableSpan[];
  /** The finished spans of one trace. */
  traceOf(traceId: string): ReadableSpan[];
  /** Waits (every 20 ms, for `ms`, default 15 s) until `pick` finds a span; throws naming `what` if not. */
  until(what: string, pick: (span: ReadableSpan) => boolean, ms?: number): Promise<ReadableSpan>;
  /** Forgets the spans recorded so far. */
  reset(): void;
  /** Turns the platform's spans off and forgets the recorded ones (the provider stays installed). */
  stop(): void;
}

let exporter: InMemorySpanExporter | undefined;
const PROPAGATOR = new W3CTraceContextPropagator();

/** Installs the provider, context manager and propagator once; throws if someone else did. */
function install(): InMemorySpanExporter {
  if (exporter) return exporter;
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "todo-test" }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) throw new Error("a context manager is installed already");
  if (!trace.setGlobalTracerProvider(provider))
    throw new Error("a tracer provider is installed already (was startTelemetry called in this test?)");
  exporter = memory;
  return memory;
}

/**
 * Turns the platform's spans on in this test process and returns how to read them. Call it before
 * building what is traced when that matters: `openDatabase` hooks statements only while tracing is on.
 */
export function useTestTracing(): TestTracing {
  const memory = install();
  // Again on every call: a test file may have disabled the global propagator (events.test.ts does
  // after each of its tests), which would silently stop RPC headers from carrying the context.
  propagation.setGlobalPropagator(PROPAGATOR);
  memory.reset();
  setTracingEnabled(true);
  const spans = () => memory.getFinishedSpans().filter((s) => s.instrumentationScope.name === TRACER_NAME);
  return {
    spans,
    traceOf: (traceId) => spans().filter((s) => s.spanContext().traceId === traceId),
    async until(what, pick, ms = 15_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = spans().find(pick);
        if (found) return found;
        if (Date.now() > deadline) {
          const seen = spans().map((s) => s.name);
          throw new Error(`timed out waiting for ${what}; the spans were: ${seen.join(", ") || "none"}`);
        }
        await Bun.sleep(20);
      }
    },
    reset: () => memory.reset(),
    stop() {
      setTracingEnabled(false);
      memory.reset();
    },
  };
}

/** The id of `span`'s parent, when it has one. */
export function parentIdOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** Whether `child`'s parent is `parent` (same trace, parent span id). */
export function isChildOf(child: ReadableSpan, parent: ReadableSpan | SpanContext): boolean {
  const p = "spanContext" in parent ? parent.spanContext() : parent;
  return child.spanContext().traceId === p.traceId && child.parentSpanContext?.spanId === p.spanId;
}
