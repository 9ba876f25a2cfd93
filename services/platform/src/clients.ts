/**
 * The `clients` port: typed Connect clients for calling another service, with one transport per run
 * mode, chosen by configuration so the calling code never changes:
 * - **in-process** (the embedded mode): a router transport over the very service registrations the
 *   process serves, behind the same interceptor chain as `startServer` (`createInterceptorChain`:
 *   metrics → tracing → errors → auth → extra → validation), so a call made in-process is
 *   authenticated, validated and measured exactly like one that crossed the network;
 * - **direct URL** (`<SERVICE>_SERVICE_URL`): gRPC over h2c to the service's `GRPC_PORT` (the
 *   default), or Connect over HTTP/1.1 to its `PORT` (`<SERVICE>_SERVICE_PROTOCOL=connect`). Extra
 *   headers (such as Dapr's `dapr-app-id`) can be added to every call. While tracing, each call is a
 *   CLIENT span whose trace context goes out in the headers (tracing-rpc.ts), so the callee — and
 *   the Dapr sidecars in between — continue the caller's trace.
 *
 * Calls are made as a user: `createActingAs(tokens)` gives call options carrying a short-lived bearer
 * token for that user, as when the scheduler creates the next instance of someone's recurring task.
 * The same options also carry the user in their `contextValues`; the in-process transport hands that
 * principal to its own auth interceptor through a process-local table (a random one-call id in the
 * `x-todo-in-process-call` header) and drops the token, so in-process calls skip the JWT check. The
 * listeners' auth interceptor never reads that header or table: a network request cannot use it.
 */

import { randomUUID } from "node:crypto";
import type { DescService } from "@bufbuild/protobuf";
import {
  type CallOptions,
  type Client,
  createClient,
  createContextKey,
  createContextValues,
  createRouterTransport,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import type { Principal, TokenService } from "./auth";
import { envString } from "./config";
import { type DaprSidecar, daprSidecarFromEnv } from "./dapr";
import { createInterceptorChain, type ServiceRegistration } from "./server";
import { createClientTracingInterceptor } from "./tracing-rpc";

/** Services to call inside this process. */
export interface InProcessTarget {
  /** The registrations to route to (the same objects the process serves). */
  readonly services: readonly ServiceRegistration[];
  /** Verifies the bearer tokens of in-process calls, like the server does. */
  readonly tokens: TokenService;
  /** Names the in-process "server" in logs and traces; default `in-process`. */
  readonly name?: string;
  /** Methods callable without a token, as in `ServerOptions.publicMethods`. */
  readonly publicMethods?: readonly string[];
  /** Interceptors run after authentication and before validation, as in `ServerOptions.interceptors`. */
  readonly interceptors?: readonly Interceptor[];
}

/** How to reach a service over the network. */
export type RemoteProtocol = "grpc" | "connect";

/** A service at a URL. */
export interface RemoteTarget {
  /** Its base URL, `http://host:port` (h2c for gRPC, HTTP/1.1 for Connect). */
  readonly url: string;
  /** `grpc` (HTTP/2 without TLS, the default) or `connect` (Connect protocol over HTTP/1.1). */
  readonly protocol?: RemoteProtocol;
  /** Headers added to every call (for example `dapr-app-id` when calling through a Dapr sidecar). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A deadline for calls that set none; default 10 s. */
  readonly defaultTimeoutMs?: number;
  /** Client interceptors, run before the headers are added. */
  readonly interceptors?: readonly Interceptor[];
}

/** Where a client's calls go: a URL when one is configured, else this process. */
export interface ServiceTarget {
  readonly remote?: RemoteTarget;
  readonly inProcess?: InProcessTarget;
}

/** The user a call acts as (set by `createActingAs`), read by the in-process transport. */
const actingAsKey = createContextKey<Principal | undefined>(undefined, { description: "acting as" });

/** The header naming an in-process call's handed-over caller; meaningful only inside one transport. */
export const IN_PROCESS_CALL_HEADER = "x-todo-in-process-call";

/**
 * A transport to services registered in this process, behind the server's interceptor chain. A call
 * whose options come from `createActingAs` is authenticated by handing its principal over in-process
 * (no token is verified); any other call is authenticated by its bearer token, as on the network.
 */
export function createInProcessTransport(target: InProcessTarget): Transport {
  // One-call id → principal, alive only while that call is running; never leaves this transport.
  const handing = new Map<string, Principal>();
  const interceptors = createInterceptorChain({
    name: target.name ?? "in-process",
    services: target.services,
    tokens: target.tokens,
    publicMethods: target.publicMethods,
    extra: target.interceptors,
    handedOver: (header) => {
      const id = header.get(IN_PROCESS_CALL_HEADER);
      if (!id) return undefined;
      header.delete(IN_PROCESS_CALL_HEADER); // the handler sees neither a token nor the id
      return handing.get(id);
    },
  });
  const handOver: Interceptor = (next) => async (req) => {
    req.header.delete(IN_PROCESS_CALL_HEADER); // only this interceptor may set it
    const principal = req.contextValues.get(actingAsKey);
    if (!principal) return next(req);
    const id = randomUUID();
    handing.set(id, principal);
    req.header.delete("authorization");
    req.header.set(IN_PROCESS_CALL_HEADER, id);
    try {
      return await next(req);
    } finally {
      handing.delete(id);
    }
  };
  return createRouterTransport(
    (router) => {
      for (const s of target.services) s.register(router);
    },
    { router: { interceptors }, transport: { interceptors: [handOver] } },
  );
}

function headerInterceptor(headers: Readonly<Record<string, string>>): Interceptor {
  return (next) => (req) => {
    for (const [key, value] of Object.entries(headers)) req.header.set(key, value);
    return next(req);
  };
}

/** A transport to a service at a URL: gRPC over h2c, or Connect over HTTP/1.1. */
export function createRemoteTransport(target: RemoteTarget): Transport {
  const url = new URL(target.url);
  if (url.protocol !== "http:") {
    throw new Error(
      `service URL ${target.url}: only http:// (h2c or HTTP/1.1 inside the cluster) is supported`,
    );
  }
  const protocol = target.protocol ?? "grpc";
  const interceptors = [
    // Outermost: the CLIENT span covers the whole call and its context goes out in the headers.
    createClientTracingInterceptor(protocol, target.url),
    ...(target.interceptors ?? []),
    ...(target.headers && Object.keys(target.headers).length > 0 ? [headerInterceptor(target.headers)] : []),
  ];
  const common = { baseUrl: target.url, interceptors, defaultTimeoutMs: target.defaultTimeoutMs ?? 10_000 };
  return protocol === "grpc"
    ? createGrpcTransport(common)
    : createConnectTransport({ ...common, httpVersion: "1.1" });
}

/** The transport for `target`: remote when a URL is configured, else in-process. */
export function createServiceTransport(target: ServiceTarget): Transport {
  if (target.remote) return createRemoteTransport(target.remote);
  if (target.inProcess) return createInProcessTransport(target.inProcess);
  throw new Error("no service target: configure its URL, or run it in this process");
}

/**
 * The target of service `name` through this process's Dapr sidecar: gRPC to the sidecar's API port
 * with `dapr-app-id: <appId>`, which the sidecar proxies to that app's sidecar and on to the app
 * (resiliency policies, mTLS and tracing on the way), plus `dapr-api-token` when the sidecar wants it.
 */
export function daprServiceTarget(sidecar: DaprSidecar, appId: string): ServiceTarget {
  return {
    remote: {
      url: `http://127.0.0.1:${sidecar.grpcPort}`,
      protocol: "grpc",
      headers: { "dapr-app-id": appId, ...(sidecar.apiToken ? { "dapr-api-token": sidecar.apiToken } : {}) },
    },
  };
}

/**
 * Reads where service `name` is from the environment: `<NAME>_SERVICE_URL` (for example
 * `TASK_SERVICE_URL=http://127.0.0.1:50052`) and `<NAME>_SERVICE_PROTOCOL` (`grpc`, the default, or
 * `connect`). Without a URL, under a Dapr sidecar (`DAPR_HTTP_PORT`), calls go through the sidecar to
 * the app `<NAME>_SERVICE_APP_ID` (default `name`); otherwise the target is `inProcess` (which may be
 * undefined when the service does not run in this process — then `createServiceTransport` says what
 * to set).
 */
export function serviceTargetFromEnv(name: string, inProcess?: InProcessTarget): ServiceTarget {
  const prefix = `${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_SERVICE`;
  const url = envString(`${prefix}_URL`);
  const sidecar = url ? undefined : daprSidecarFromEnv();
  if (sidecar) return daprServiceTarget(sidecar, envString(`${prefix}_APP_ID`, name));
  if (!url) {
    if (!inProcess) throw new Error(`set ${prefix}_URL to the ${name} service's URL (http://host:port)`);
    return { inProcess };
  }
  const protocol = envString(`${prefix}_PROTOCOL`, "grpc");
  if (protocol !== "grpc" && protocol !== "connect") {
    throw new Error(`${prefix}_PROTOCOL must be grpc or connect, got ${JSON.stringify(protocol)}`);
  }
  return { remote: { url, protocol } };
}

/** A typed client for `service` at `target` (a transport or a target to build one for). */
export function createServiceClient<S extends DescService>(
  service: S,
  target: Transport | ServiceTarget,
): Client<S> {
  const transport = "unary" in target ? (target as Transport) : createServiceTransport(target);
  return createClient(service, transport);
}

/** Makes call options that act as `principal` (merged into `options`). */
export type ActingAs = (principal: Principal, options?: CallOptions) => Promise<CallOptions>;

/** Options of `createActingAs`. */
export interface ActingAsOptions {
  /** A token is reused until this long before it expires; default 60 s. */
  readonly renewBeforeMs?: number;
  /** How many users' tokens are kept; default 1000. */
  readonly maxCached?: number;
}

/**
 * Call options with an `authorization: Bearer` token issued by `tokens` for the given user, so a
 * service can act on a user's behalf (the callee's auth interceptor sees that user). Give it a token
 * service with a short TTL (minutes): these tokens never leave the cluster and need not outlive the
 * call. Tokens are cached per user and renewed before they expire. In-process calls
 * (`createInProcessTransport`) do not send the token: they hand `principal` over directly.
 */
export function createActingAs(tokens: TokenService, options: ActingAsOptions = {}): ActingAs {
  const renewBeforeMs = options.renewBeforeMs ?? 60_000;
  const maxCached = options.maxCached ?? 1000;
  const cache = new Map<string, { token: string; expireTime: Date }>();
  return async (principal, callOptions = {}) => {
    const key = `${principal.userId}\u0000${principal.email}\u0000${principal.timeZone}`;
    let entry = cache.get(key);
    if (!entry || entry.expireTime.getTime() - renewBeforeMs <= Date.now()) {
      entry = await tokens.issue(principal);
      if (cache.size >= maxCached) cache.clear();
      cache.set(key, entry);
    }
    const headers = new Headers(callOptions.headers);
    headers.set("authorization", `Bearer ${entry.token}`);
    const contextValues = callOptions.contextValues ?? createContextValues();
    contextValues.set(actingAsKey, principal);
    return { ...callOptions, headers, contextValues };
  };
}
