/**
 * Durable jobs (timers) and work queues: the job interface and its PostgreSQL implementation, and
 * the lease worker every PostgreSQL work queue runs on (with its backoff policy and its sleeper).
 * The Dapr Jobs implementation is in `./adapters`.
 */
export * from "../backoff";
export * from "../jobs";
export * from "../jobs-postgres";
export * from "../lease-worker";
export * from "../sleeper";
