/**
 * Durable jobs (timers): the interface and its PostgreSQL implementation. The Dapr Jobs
 * implementation is in `./adapters`.
 */
export * from "../jobs";
export * from "../jobs-postgres";
