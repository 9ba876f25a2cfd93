/**
 * Test support: fresh databases, in-memory metric and span readers, Kafka helpers. Only tests
 * import this entry.
 */

export * from "../kafka-testing";
export * from "../metrics-testing";
export * from "../testing";
export * from "../tracing-testing";
