/**
 * A process that logs the way a Todo service does, for logs.test.ts: `startTelemetry` with the
 * `OTEL_*` variables it was given, one span of the platform's tracer, a warning logged inside it
 * (`LOG_EMITTER_MESSAGE`, fields `attempt` and `err`), then `stop()`, which flushes the SDK's log
 * and span batches before exit. Prints `{"traceId","spanId"}` of that span on stdout.
 */
import { createLogger, startTelemetry } from "@todo/platform";
import { platformTracer } from "@todo/platform/telemetry";

const message = process.env.LOG_EMITTER_MESSAGE;
if (!message) throw new Error("LOG_EMITTER_MESSAGE is not set");
const telemetry = await startTelemetry("log-emitter");
const log = createLogger("log-emitter");
const ids = platformTracer().startActiveSpan("log-emitter.work", (span) => {
  log.warn(message, { attempt: 3, err: new Error("connection refused") });
  span.end();
  return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
});
await telemetry.stop();
process.stdout.write(`${JSON.stringify(ids)}\n`);
