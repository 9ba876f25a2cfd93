/**
 * Log records: when the variables ask for them (`logsWanted`), how a line becomes a record
 * (`toLogRecord`), and the real SDK's logger provider receiving the platform's log lines with the
 * active span's ids. The records crossing a real collector: observability/otel-collector/logs.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { logs, SeverityNumber, trace } from "@opentelemetry/api";
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { LOG_SCOPE, startLogExport, stopLogExport, toLogRecord } from "./log-export";
import { createLogger } from "./logger";
import { logsWanted } from "./telemetry";
import { type TestTracing, useTestTracing } from "./tracing-testing";

describe("logsWanted", () => {
  const cases: [Record<string, string>, boolean][] = [
    [{}, false],
    [{ OTEL_LOGS_EXPORTER: "otlp" }, true],
    [{ OTEL_LOGS_EXPORTER: "console" }, true],
    [{ OTEL_LOGS_EXPORTER: " none " }, false],
    [{ OTEL_LOGS_EXPORTER: "otlp,none" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, true],
    [{ OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: "http://collector:4318/v1/logs" }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_LOGS_EXPORTER: "none" }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "   " }, false],
    [{ OTEL_LOGS_EXPORTER: "otlp", OTEL_SDK_DISABLED: "TRUE" }, false],
    [{ OTEL_LOGS_EXPORTER: "otlp", OTEL_SDK_DISABLED: "false" }, true],
  ];
  for (const [env, wanted] of cases)
    test(`${JSON.stringify(env)} → ${wanted}`, () => expect(logsWanted(env)).toBe(wanted));
});

describe("toLogRecord", () => {
  test("severity, body and the fields as attributes", () => {
    const record = toLogRecord("warn", "scheduler", "reminder late", {
      task_id: "t1",
      late_ms: 1250,
      retry: false,
      topic: undefined,
      ids: ["a", "b"],
      big: 12n,
    });
    expect(record).toEqual({
      severityNumber: SeverityNumber.WARN,
      severityText: "WARN",
      body: "reminder late",
      attributes: {
        component: "scheduler",
        task_id: "t1",
        late_ms: 1250,
        retry: false,
        ids: '["a","b"]',
        big: "12",
      },
    });
  });

  test("an Error is the record's exception and a short attribute", () => {
    const err = new TypeError("bad input");
    const record = toLogRecord("error", "task", "unexpected error", { err, other: new Error("second") });
    expect(record.severityNumber).toBe(SeverityNumber.ERROR);
    expect(record.exception).toBe(err);
    expect(record.attributes).toEqual({
      component: "task",
      err: "TypeError: bad input",
      other: "Error: second",
    });
  });

  test("each level has its severity", () => {
    expect(
      ["debug", "info", "warn", "error"].map((l) => toLogRecord(l as "info", "c", "m", undefined)),
    ).toEqual([
      expect.objectContaining({ severityNumber: SeverityNumber.DEBUG, severityText: "DEBUG" }),
      expect.objectContaining({ severityNumber: SeverityNumber.INFO, severityText: "INFO" }),
      expect.objectContaining({ severityNumber: SeverityNumber.WARN, severityText: "WARN" }),
      expect.objectContaining({ severityNumber: SeverityNumber.ERROR, severityText: "ERROR" }),
    ]);
  });
});

describe("the platform's log lines through the SDK's logger provider", () => {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] });
  let tracing: TestTracing;

  beforeAll(() => {
    tracing = useTestTracing();
    if (!logs.setGlobalLoggerProvider(provider)) throw new Error("a logger provider was registered already");
  });
  afterAll(() => {
    stopLogExport();
    tracing.stop();
  });

  test("a line inside a span becomes a record with that span's ids; after stop, none", async () => {
    startLogExport();
    const log = createLogger("log-export-test");
    const spanContext = trace.getTracer("log-export-test").startActiveSpan("work", (span) => {
      log.error("delivery failed", { attempt: 3, err: new Error("connection refused") });
      span.end();
      return span.spanContext();
    });
    log.info("outside any span");
    stopLogExport();
    log.info("not exported");
    await provider.forceFlush();

    const records = exporter.getFinishedLogRecords();
    expect(records.map((r) => r.body)).toEqual(["delivery failed", "outside any span"]);
    const [inSpan, outside] = records;
    expect(inSpan?.instrumentationScope.name).toBe(LOG_SCOPE);
    expect(inSpan?.severityNumber).toBe(SeverityNumber.ERROR);
    expect(inSpan?.severityText).toBe("ERROR");
    expect(inSpan?.spanContext?.traceId).toBe(spanContext.traceId);
    expect(inSpan?.spanContext?.spanId).toBe(spanContext.spanId);
    expect(inSpan?.attributes).toMatchObject({
      component: "log-export-test",
      attempt: 3,
      err: "Error: connection refused",
      "exception.type": "Error",
      "exception.message": "connection refused",
    });
    expect(outside?.spanContext).toBeUndefined();
  });
});
