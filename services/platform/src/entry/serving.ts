/**
 * Serving and calling RPCs: the server and its interceptor chain, clients (in-process, remote,
 * through Dapr), health, reflection, request limits, security headers, static files, sessions,
 * validation, Dapr callbacks.
 */

export * from "../client-address";
export * from "../clients";
export * from "../dapr-callback";
export * from "../health";
export * from "../reflection";
export * from "../request-limits";
export * from "../security-headers";
export * from "../server";
export * from "../session-check";
export * from "../static-web";
export * from "../text-fields";
export * from "../validation";
