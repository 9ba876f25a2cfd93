/**
 * JSON logs, one object per line on stderr, carrying the active trace and span ids so a log line can
 * be found from a trace and back. The level comes from `LOG_LEVEL` (debug, info, warn, error; default
 * info). When the `OTEL_*` variables ask for logs, each line also goes out as an OpenTelemetry log
 * record (log-export.ts sets the sink; stderr stays as it is).
 */
import { trace } from "@opentelemetry/api";

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
/** A log level name. */
export type LogLevel = keyof typeof levels;

function threshold(): number {
  const name = (process.env.LOG_LEVEL ?? "info").toLowerCase();
  return name in levels ? levels[name as LogLevel] : levels.info;
}

/** A structured logger bound to a component name. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Receives every line that passed the level (log-export.ts's: the line as a log record). */
export type LogRecordSink = (
  level: LogLevel,
  component: string,
  msg: string,
  fields: Readonly<Record<string, unknown>> | undefined,
) => void;

let sink: LogRecordSink | undefined;

/** Sets (or, with `undefined`, removes) the sink every logger hands its lines to besides stderr. */
export function setLogRecordSink(next: LogRecordSink | undefined): void {
  sink = next;
}

function serialise(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/** Creates a logger whose lines carry `component`. */
export function createLogger(component: string): Logger {
  const min = threshold();
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (levels[level] < min) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, component, msg };
    const span = trace.getActiveSpan()?.spanContext();
    if (span && span.traceId !== "00000000000000000000000000000000") {
      line.trace_id = span.traceId;
      line.span_id = span.spanId;
    }
    if (fields) for (const [k, v] of Object.entries(fields)) line[k] = serialise(v);
    process.stderr.write(`${JSON.stringify(line)}\n`);
    if (sink) sink(level, component, msg, fields);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

/** A logger that writes nothing: for tests and benchmarks that provoke failures on purpose. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
