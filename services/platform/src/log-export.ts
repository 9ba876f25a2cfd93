/**
 * Log records over OTLP (docs/observability.md#logs). When the standard variables ask for logs
 * (`logsWanted` in telemetry.ts), `startTelemetry` registers the OpenTelemetry SDK's logger
 * provider, which the SDK builds from the environment: `OTEL_LOGS_EXPORTER` (`otlp`, `console`),
 * the OTLP log exporter of `OTEL_EXPORTER_OTLP_LOGS_PROTOCOL` / `OTEL_EXPORTER_OTLP_PROTOCOL`
 * (`http/protobuf` by default, `grpc`, `http/json`; packages `@opentelemetry/exporter-logs-otlp-*`),
 * the endpoint, headers and the batch processor's `OTEL_BLRP_*`. Then {@link startLogExport} hands
 * logger.ts a sink, and every line the platform's loggers write to stderr also becomes one log
 * record: the same severity, message and fields, and the active span's trace and span ids (the SDK
 * takes them from the context current at `emit`). Off, logger.ts checks one variable per line.
 */
import { type Attributes, type LogRecord, logs, SeverityNumber } from "@opentelemetry/api";
import { type LogLevel, setLogRecordSink } from "./logger";

/** The instrumentation scope of every record (the component is an attribute, as on stderr). */
export const LOG_SCOPE = "todo.platform";

const severities: Record<LogLevel, SeverityNumber> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};

/**
 * One log line as an OpenTelemetry log record: body the message; `severityText` the level in
 * capitals (`INFO`); attributes `component` and the fields, strings, numbers and booleans as
 * they are, anything else as its JSON text (so a backend can show it and nothing is lost); the
 * first `Error` among the fields also as the record's exception (`exception.type`, `.message`,
 * `.stacktrace`). The context is left out: `emit` takes the current one.
 */
export function toLogRecord(
  level: LogLevel,
  component: string,
  msg: string,
  fields: Readonly<Record<string, unknown>> | undefined,
): LogRecord {
  const attributes: Attributes = { component };
  let exception: Error | undefined;
  if (fields)
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      if (value instanceof Error) {
        exception ??= value;
        attributes[key] = `${value.name}: ${value.message}`;
      } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        attributes[key] = value;
      } else {
        attributes[key] =
          typeof value === "bigint" ? value.toString() : (JSON.stringify(value) ?? String(value));
      }
    }
  return {
    severityNumber: severities[level],
    severityText: level.toUpperCase(),
    body: msg,
    attributes,
    ...(exception ? { exception } : {}),
  };
}

/** Sends every log line on as a record through the global logger provider (the SDK's, once registered). */
export function startLogExport(): void {
  const logger = logs.getLogger(LOG_SCOPE);
  setLogRecordSink((level, component, msg, fields) =>
    logger.emit(toLogRecord(level, component, msg, fields)),
  );
}

/** Stops sending records (before the SDK's shutdown flushes what it holds). */
export function stopLogExport(): void {
  setLogRecordSink(undefined);
}
