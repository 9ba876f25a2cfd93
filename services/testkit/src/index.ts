/**
 * The test kit: what tests across packages need to drive the real system — the one-process app on
 * free ports with every kind of client (embedded-app.ts), the same system without listeners for
 * the scheduler's and the assistant's suites (scheduler-env.ts, assistant-stack.ts), the edge in
 * front of an app (test-edge.ts), raw RPCs for what no generated client sends (raw-rpc.ts), and
 * every string field of the API (request-fields.ts). Only tests, scripts and
 * benchmarks import it (scripts/lib/import-rooms.ts checks that).
 */

export * from "./assistant-stack";
export * from "./embedded-app";
export * from "./eventually";
export * from "./raw-rpc";
export * from "./request-fields";
export * from "./scheduler-env";
export * from "./test-edge";
