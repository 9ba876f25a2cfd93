/** Serving and calling RPCs: the server and its interceptor chain, clients (in-process, remote, through Dapr), health, reflection, request limits, security headers, static files, sessions, validation, Dapr callbacks. */
export * from "../server";
export * from "../clients";
export * from "../client-address";
export * from "../request-limits";
export * from "../security-headers";
export * from "../session-check";
export * from "../static-web";
export * from "../reflection";
export * from "../health";
export * from "../dapr-callback";
export * from "../text-fields";
export * from "../validation";
