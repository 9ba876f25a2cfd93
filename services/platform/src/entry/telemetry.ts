/** Telemetry: logging, tracing and metrics (OpenTelemetry), and the one call that sets them up. */

export * from "../log-export";
export * from "../logger";
export * from "../metric-names";
export * from "../metrics";
export * from "../metrics-bound";
export * from "../metrics-db";
export * from "../metrics-instruments";
export * from "../metrics-messaging";
export * from "../metrics-process";
export * from "../metrics-prometheus";
export * from "../metrics-refresh";
export * from "../metrics-rpc";
export * from "../telemetry";
export * from "../tracing";
export * from "../tracing-client";
export * from "../tracing-db";
export * from "../tracing-http";
export * from "../tracing-jobs";
export * from "../tracing-messaging";
export * from "../tracing-rpc";
