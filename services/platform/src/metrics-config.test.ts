/** What `METRICS_PORT` and the standard `OTEL_*` variables turn on (docs/metrics.md, "Turning it on"). */
import { expect, test } from "bun:test";
import { metricsConfigFromEnv } from "./metrics";

test("nothing is on by default", () => {
  expect(metricsConfigFromEnv({})).toEqual({});
  expect(metricsConfigFromEnv({ METRICS_PORT: "" })).toEqual({});
});

test("METRICS_PORT serves the endpoint on HOST unless METRICS_HOST says otherwise", () => {
  expect(metricsConfigFromEnv({ METRICS_PORT: "9464" })).toEqual({
    prometheus: { host: "127.0.0.1", port: 9464 },
  });
  expect(metricsConfigFromEnv({ METRICS_PORT: "0", HOST: "0.0.0.0" })).toEqual({
    prometheus: { host: "0.0.0.0", port: 0 },
  });
  expect(
    metricsConfigFromEnv({ METRICS_PORT: "9100", HOST: "0.0.0.0", METRICS_HOST: "127.0.0.1" }).prometheus,
  ).toEqual({ host: "127.0.0.1", port: 9100 });
  expect(() => metricsConfigFromEnv({ METRICS_PORT: "http" })).toThrow(/METRICS_PORT/);
  expect(() => metricsConfigFromEnv({ METRICS_PORT: "70000" })).toThrow(/METRICS_PORT/);
});

test("OTLP when asked for, or when an endpoint is set and no exporter is named", () => {
  const otlp = { protocol: "http/protobuf", intervalMs: 60_000, timeoutMs: 30_000 } as const;
  expect(metricsConfigFromEnv({ OTEL_METRICS_EXPORTER: "otlp" })).toEqual({ otlp });
  expect(metricsConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toEqual({ otlp });
  expect(metricsConfigFromEnv({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://c:4318/v1/metrics" })).toEqual({
    otlp,
  });
  // The traces test sets an endpoint and OTEL_METRICS_EXPORTER=none: no metrics then.
  expect(
    metricsConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_METRICS_EXPORTER: "none" }),
  ).toEqual({});
  expect(
    metricsConfigFromEnv({
      OTEL_METRICS_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/json",
      OTEL_METRIC_EXPORT_INTERVAL: "5000",
      OTEL_METRIC_EXPORT_TIMEOUT: "9000",
    }).otlp,
  ).toEqual({ protocol: "http/json", intervalMs: 5000, timeoutMs: 5000 });
  expect(() =>
    metricsConfigFromEnv({ OTEL_METRICS_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_PROTOCOL: "udp" }),
  ).toThrow();
});

test("OTEL_METRICS_EXPORTER=prometheus uses the standard port; METRICS_PORT wins and survives none", () => {
  expect(metricsConfigFromEnv({ OTEL_METRICS_EXPORTER: "prometheus" }).prometheus).toEqual({
    host: "127.0.0.1",
    port: 9464,
  });
  expect(
    metricsConfigFromEnv({ OTEL_METRICS_EXPORTER: "prometheus,otlp", OTEL_EXPORTER_PROMETHEUS_PORT: "9999" }),
  ).toMatchObject({ prometheus: { port: 9999 }, otlp: { protocol: "http/protobuf" } });
  expect(
    metricsConfigFromEnv({ OTEL_METRICS_EXPORTER: "prometheus", METRICS_PORT: "9101" }).prometheus?.port,
  ).toBe(9101);
  expect(metricsConfigFromEnv({ OTEL_METRICS_EXPORTER: "none", METRICS_PORT: "9101" })).toEqual({
    prometheus: { host: "127.0.0.1", port: 9101 },
  });
});

test("OTEL_SDK_DISABLED turns everything off", () => {
  expect(
    metricsConfigFromEnv({ OTEL_SDK_DISABLED: "true", METRICS_PORT: "9464", OTEL_METRICS_EXPORTER: "otlp" }),
  ).toEqual({});
});
