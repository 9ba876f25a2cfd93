/**
 * What both entry points export besides `createTodoClient`: the generated API, the client's types,
 * the error helpers, and Connect's `ConnectError` and `Code` (so callers need not match versions).
 */
export { Code, ConnectError } from "@connectrpc/connect";
export * from "./api.js";
export { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, type RetryOptions, type TokenSource } from "./call-policy.js";
export type { TodoClient, TodoClientOptions, TransportName } from "./client.js";
export { type FieldViolation, fieldViolations } from "./errors.js";
export type { ListAllTasksRequest } from "./list-all-tasks.js";
export { RETRIED_METHODS } from "./retried-methods.js";
export type { WatchDisconnect, WatchTasksOptions } from "./watch-tasks.js";
