/**
 * Serving. One Connect router answers on two listeners: HTTP/1.1 on `httpPort` (Connect and gRPC-web,
 * what browsers speak, plus an optional fallback for the web app) and h2c on `grpcPort` (gRPC, Connect
 * and gRPC-web over HTTP/2). Both carry the same interceptors, `grpc.health.v1.Health` and server
 * reflection. `close()` flips health to NOT_SERVING first, then drains. Every HTTP/1.1 response
 * carries the API security headers (security-headers.ts); the web app's fallback replaces them with
 * the page's.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor, ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "@todo/gen/grpc/health/v1/health_pb";
import { createAuthInterceptor, type Principal, type TokenService } from "./auth";
import { connectionContextValues } from "./client-address";
import { envInt } from "./config";
import { createHealthRegistry, createHealthService, type HealthRegistry } from "./health";
import { createMetricsInterceptor } from "./metrics-rpc";
import { registerReflection } from "./reflection";
import { bodyMaxBytes, refuseOversizeBody, requestReadOptions, surviveClientAborts } from "./request-limits";
import { apiSecurityHeaders, setSecurityHeaders, tlsDetectionFromEnv } from "./security-headers";
import { createErrorInterceptor, createTracingInterceptor } from "./telemetry";
import { createValidationInterceptor, type ServiceValidators } from "./validation";

/** The methods every server leaves open: health and reflection. */
export const ALWAYS_PUBLIC = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
] as const;

/**
 * The interceptor chain of every server and in-process transport, outermost first: metrics (so
 * they see the code the client gets), tracing, error mapping, authentication, `extra`, validation.
 */
export function createInterceptorChain(options: {
  readonly name: string;
  readonly services: readonly ServiceRegistration[];
  readonly tokens: TokenService;
  readonly publicMethods?: readonly string[] | undefined;
  readonly extra?: readonly Interceptor[] | undefined;
  /** Only for the in-process transport: callers handed over in-process (`createAuthInterceptor`). */
  readonly handedOver?: ((header: Headers) => Principal | undefined) | undefined;
}): Interceptor[] {
  return [
    createMetricsInterceptor(),
    createTracingInterceptor(options.name),
    createErrorInterceptor(options.name),
    createAuthInterceptor(
      options.tokens,
      [...ALWAYS_PUBLIC, ...(options.publicMethods ?? [])],
      options.handedOver,
    ),
    ...(options.extra ?? []),
    createValidationInterceptor(new Map(options.services.map((s) => [s.desc, s.validators]))),
  ];
}

/** A service implementation ready to be served, with its request validators. */
export interface ServiceRegistration {
  readonly desc: DescService;
  readonly validators: ServiceValidators;
  register(router: ConnectRouter): void;
}

/** Pairs a descriptor with its implementation, keeping the full `ServiceImpl` type check. */
export function defineService<S extends DescService>(
  desc: S,
  impl: ServiceImpl<S>,
  validators: ServiceValidators = {},
): ServiceRegistration {
  return { desc, validators, register: (router) => router.service(desc, impl) };
}

/** What to serve and where. */
export interface ServerOptions {
  /** Names the server in logs and traces. */
  readonly name: string;
  readonly services: readonly ServiceRegistration[];
  readonly tokens: TokenService;
  /** Methods or whole services callable without a token (health and reflection always are). */
  readonly publicMethods?: readonly string[];
  readonly host: string;
  /** HTTP/1.1 port; 0 picks a free one. */
  readonly httpPort: number;
  /** h2c port; 0 picks a free one. */
  readonly grpcPort: number;
  /** Answers HTTP/1.1 requests that are not RPCs (the web app). */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Interceptors that run after authentication and before validation. */
  readonly interceptors?: readonly Interceptor[];
}

/** A running server. */
export interface RunningServer {
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly health: HealthRegistry;
  close(): Promise<void>;
}

/** Starts both listeners; resolves once both accept connections. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const health = createHealthRegistry(options.services.map((s) => s.desc.typeName));
  const routes = (router: ConnectRouter) => {
    for (const s of options.services) s.register(router);
    router.service(Health, createHealthService(health));
    registerReflection(router, [...options.services.map((s) => s.desc), Health]);
  };
  const interceptors = createInterceptorChain({
    name: options.name,
    services: options.services,
    tokens: options.tokens,
    publicMethods: options.publicMethods,
    extra: options.interceptors,
  });
  const notFound = (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  };
  // gzip costs more CPU than it saves on small messages, and on loopback or a LAN it saves nothing:
  // only responses above RPC_COMPRESS_MIN_BYTES (16 KiB) are compressed, when the client asks.
  const compressMinBytes = envInt("RPC_COMPRESS_MIN_BYTES", 16 * 1024, 0);
  // Read limits and strict JSON (request-limits.ts): an oversize body is refused before it is read.
  // Every request knows the address of its connection (client-address.ts), for per-address limits.
  const reading = { ...requestReadOptions(), contextValues: connectionContextValues };
  const bodyLimit = bodyMaxBytes();
  const h1Handler = connectNodeAdapter({
    routes,
    interceptors,
    compressMinBytes,
    ...reading,
    // The HTTP/1.1 listener only ever hands HTTP/1.1 requests to its fallback.
    fallback: (req, res) => (options.fallback ?? notFound)(req as IncomingMessage, res as ServerResponse),
  });
  const apiHeaders = apiSecurityHeaders();
  const tls = tlsDetectionFromEnv();
  const h1 = http.createServer((req, res) => {
    surviveClientAborts(req, res);
    setSecurityHeaders(req, res, apiHeaders, tls);
    if (!refuseOversizeBody(req, res, bodyLimit)) h1Handler(req, res);
  });
  // No security headers on h2c: no browser speaks HTTP/2 without TLS, and they are for browsers.
  const h2 = http2.createServer(connectNodeAdapter({ routes, interceptors, compressMinBytes, ...reading }));
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const listen = (server: http.Server | http2.Http2Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, options.host, () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const httpPort = await listen(h1, options.httpPort);
  const grpcPort = await listen(h2, options.grpcPort).catch(async (err) => {
    await new Promise((r) => h1.close(r));
    throw err;
  });
  return {
    httpPort,
    grpcPort,
    health,
    async close() {
      health.shutdown();
      const h1Closed = new Promise((r) => h1.close(r));
      const h2Closed = new Promise((r) => h2.close(r));
      h1.closeIdleConnections();
      for (const s of sessions) s.close();
      const timer = setTimeout(() => {
        h1.closeAllConnections();
        for (const s of sessions) s.destroy();
      }, 3000);
      await Promise.all([h1Closed, h2Closed]);
      clearTimeout(timer);
    },
  };
}
