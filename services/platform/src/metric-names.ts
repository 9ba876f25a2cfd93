/**
 * The names of every metric the platform records, their attribute keys and histogram buckets: the
 * one place they are spelt, so docs/metrics.md, the recording code and the tests cannot drift.
 * OpenTelemetry semantic-convention names where a convention exists (checked against
 * `@opentelemetry/semantic-conventions` by metric-names.test.ts), `todo.*` otherwise.
 */

/** Metric names (OpenTelemetry spelling; docs/metrics.md gives each one's Prometheus name). */
export const MetricNames = {
  rpcServerCallDuration: "rpc.server.call.duration",
  rpcServerActiveRequests: "todo.rpc.server.active_requests",
  rpcServerOpenStreams: "todo.rpc.server.open_streams",
  rpcServerStreamDuration: "todo.rpc.server.stream.duration",
  dbOperationDuration: "db.client.operation.duration",
  dbConnectionCount: "db.client.connection.count",
  dbConnectionMax: "db.client.connection.max",
  dbConnectionPendingRequests: "db.client.connection.pending_requests",
  messagingSent: "messaging.client.sent.messages",
  messagingConsumed: "messaging.client.consumed.messages",
  messagingProcessDuration: "messaging.process.duration",
  messagingConsumerLag: "todo.messaging.consumer.lag",
  messagingDeadLettered: "todo.messaging.dead_lettered",
  outboxRows: "todo.outbox.rows",
  outboxOldestAge: "todo.outbox.oldest_age",
  outboxClaimDuration: "todo.outbox.claim.duration",
  jobLateness: "todo.job.lateness",
  jobPending: "todo.job.pending",
  jobDue: "todo.job.due",
  jobFailures: "todo.job.failures",
  processCpuTime: "process.cpu.time",
  processMemoryUsage: "process.memory.usage",
  processUptime: "process.uptime",
  eventLoopDelayMin: "nodejs.eventloop.delay.min",
  eventLoopDelayMax: "nodejs.eventloop.delay.max",
  eventLoopDelayMean: "nodejs.eventloop.delay.mean",
  eventLoopDelayP50: "nodejs.eventloop.delay.p50",
  eventLoopDelayP90: "nodejs.eventloop.delay.p90",
  eventLoopDelayP99: "nodejs.eventloop.delay.p99",
  processMemoryLimit: "todo.process.memory.limit",
  processCpuLimit: "todo.process.cpu.limit",
} as const;

/** Attribute keys (semantic-convention keys where one exists). */
export const MetricAttributes = {
  errorType: "error.type",
  rpcSystemName: "rpc.system.name",
  rpcMethod: "rpc.method",
  rpcStatusCode: "rpc.status_code",
  dbSystemName: "db.system.name",
  dbOperationName: "db.operation.name",
  dbResponseStatusCode: "db.response.status_code",
  dbPoolName: "db.client.connection.pool.name",
  dbConnectionState: "db.client.connection.state",
  messagingSystem: "messaging.system",
  messagingOperationName: "messaging.operation.name",
  messagingDestination: "messaging.destination.name",
  messagingConsumerGroup: "messaging.consumer.group.name",
  messagingPartition: "messaging.destination.partition.id",
  outboxSchema: "todo.outbox.schema",
  jobKind: "todo.job.kind",
  cpuMode: "cpu.mode",
} as const;

/** The convention's buckets for RPC and message-processing durations, in seconds. */
export const RPC_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
/** Buckets for the lifetime of server streams (live views last minutes to hours), in seconds. */
export const STREAM_DURATION_BUCKETS = [1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800];
/** The convention's buckets for database operations, in seconds. */
export const DB_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
/** Sub-second buckets for how late a job fires, up to an hour, in seconds. */
export const JOB_LATENESS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];

/** gRPC's canonical names of the codes 0–16 (Connect's `Code` enum has the same numbers). */
export const STATUS_CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

/** The codes the gRPC and Connect conventions count as errors of the server (they get `error.type`). */
export const SERVER_ERROR_CODES: ReadonlySet<number> = new Set([2, 4, 12, 13, 14, 15]);

const TRAILING_UUID = /[-_.]?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A consumer group's name as an attribute value: without a trailing UUID, so the per-process
 * groups of the live views (`task-watch-<uuid>`) are one series (`task-watch`), not one per start.
 */
export function groupAttribute(group: string): string {
  return group.replace(TRAILING_UUID, "");
}

/** The kind of a job, for `todo.job.kind`: its name up to the first `/` (`reminder`, `next`). */
export function jobKind(name: string): string {
  const slash = name.indexOf("/");
  return slash > 0 ? name.slice(0, slash) : "other";
}

/** A low-cardinality `error.type` for a thrown value: its class name (`KafkaJSError`, `Error`). */
export function errorTypeOf(err: unknown): string {
  if (err instanceof Error) return err.name || "Error";
  return "_OTHER";
}
