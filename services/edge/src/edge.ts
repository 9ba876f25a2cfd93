/**
 * The edge of the separate-services run modes: one HTTP/1.1 origin that serves the web app and
 * forwards every RPC path (`/<package>.<Service>/<Method>`) to the service that owns it, and each
 * routed plain path (such as `/mcp`, the assistant's MCP endpoint) to its process, so a browser, an
 * MCP client or `curl` sees exactly what `bun start` shows on its HTTP/1.1 port. Bodies are streamed both
 * ways, so server streams (WatchTasks over Connect) pass through as they are produced.
 *
 * A body longer than any valid request (`bodyMaxBytes`, request-limits.ts) is refused with 413 from
 * its `content-length`, before it is read or forwarded; a chunked body streams through with
 * backpressure and is counted as it goes: past the limit the edge stops forwarding and reading,
 * answers 413 itself and closes the connection (a service behind that refused it first, as `/mcp`
 * does, closes its connection, which the edge would otherwise report as a 503).
 *
 * Every answer carries the API security headers (security-headers.ts): the edge's own, an upstream
 * service's (which sends the same set) and a 503; the web app's fallback sends the page's set.
 *
 * The edge answers for its own health, never forwarding it. `GET /healthz` is 200 `ok` while it
 * runs: the edge alone, for a liveness probe. `grpc.health.v1.Health` over Connect (HTTP/1.1, so no
 * gRPC) is the system behind it (backend-health.ts): each routed service by name as its backend
 * last answered, and the edge itself (`""`) SERVING only while every backend is — NOT_SERVING until
 * they are all up, and once the edge closes. With no routes (the image test) it is SERVING.
 *
 * With tracing on, each forwarded request is a SERVER span `<METHOD> <route>` (tracing-http.ts:
 * `http.route` is the RPC path or the routed path), continuing the caller's `traceparent`, and the
 * forwarded request carries the span's context, so the service's RPC span is its child. Health
 * checks and the web app's files make no span: a probe every few seconds would be a root trace each,
 * about nothing, and a file's trace would say no more than its access log.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createLogger } from "@todo/platform";
import {
  answerOversizeBody,
  apiSecurityHeaders,
  bodyMaxBytes,
  createHealthRegistry,
  createHealthService,
  Health,
  refuseOversizeBody,
  setSecurityHeaders,
  surviveClientAborts,
  tlsDetectionFromEnv,
} from "@todo/platform/serving";
import { startHttpServerSpan } from "@todo/platform/telemetry";
import { watchBackends } from "./backend-health";

/**
 * Where requests go: a full service name (`todo.task.v1.TaskService`) → the base URL its RPCs are
 * forwarded to; a key starting with `/` (`/mcp`) → where requests for exactly that path (any query
 * string) are forwarded.
 */
export type EdgeRoutes = Readonly<Record<string, string>>;

/** A running edge. */
export interface Edge {
  readonly port: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
]);

/** Response types of streams (Connect streaming, gRPC-web): their span ends when the answer starts. */
const STREAMING = /^application\/(connect\+|grpc-web)/;

function forwardHeaders(headers: IncomingMessage["headers"]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** Starts the edge on `port` (0 picks one). */
export async function startEdge(options: {
  host: string;
  port: number;
  routes: EdgeRoutes;
  fallback: (req: IncomingMessage, res: ServerResponse) => void;
  /** Between two checks of the backends' health (backend-health.ts); default 2 000 ms. */
  backendCheckIntervalMs?: number;
}): Promise<Edge> {
  const log = createLogger("edge");
  const targets = new Map(Object.entries(options.routes).map(([service, url]) => [service, new URL(url)]));
  const health = createHealthRegistry([]);
  // Its readiness is the services' (backend-health.ts): every routed service, by name.
  const backends = watchBackends({
    services: new Map([...targets].filter(([name]) => !name.startsWith("/") && name !== Health.typeName)),
    registry: health,
    ...(options.backendCheckIntervalMs === undefined ? {} : { intervalMs: options.backendCheckIntervalMs }),
  });
  const healthHandler = connectNodeAdapter({
    routes: (router) => router.service(Health, createHealthService(health)),
  });
  const bodyLimit = bodyMaxBytes();
  const apiHeaders = apiSecurityHeaders();
  const tls = tlsDetectionFromEnv();
  const server = http.createServer((req, res) => {
    surviveClientAborts(req, res);
    setSecurityHeaders(req, res, apiHeaders, tls);
    if (refuseOversizeBody(req, res, bodyLimit)) return;
    const path = req.url?.split("?")[0] ?? "";
    if (path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end("ok");
      return;
    }
    if (path.startsWith(`/${Health.typeName}/`)) {
      healthHandler(req, res);
      return;
    }
    const service = path.startsWith("/") && targets.has(path) ? path : /^\/([\w.]+)\/\w+$/.exec(path)?.[1];
    const target = service ? targets.get(service) : undefined;
    if (!target) {
      options.fallback(req, res);
      return;
    }
    const span = startHttpServerSpan({
      method: req.method ?? "GET",
      headers: req.headers,
      path,
      route: path,
    });
    const headers = forwardHeaders(req.headers);
    // The client's address, for the services' per-address limits (TRUSTED_PROXY_HOPS, docs/identity.md).
    const peer = req.socket.remoteAddress;
    if (peer) {
      const before = req.headers["x-forwarded-for"];
      headers["x-forwarded-for"] = before ? `${before}, ${peer}` : peer;
    }
    span?.inject(headers);
    // Set once the edge has answered 413 for a chunked body over the limit (below).
    let refused = false;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (up) => {
        if (refused) {
          up.resume();
          return;
        }
        span?.status(up.statusCode ?? 502);
        res.writeHead(up.statusCode ?? 502, forwardHeaders(up.headers));
        if (STREAMING.test(up.headers["content-type"] ?? "")) span?.end();
        // An upstream that dies mid-answer (a killed service) must cut the client's answer too: pipe()
        // does not pass the error on, and a server stream (WatchTasks) would stay open, silent, forever.
        up.on("error", () => {});
        up.on("close", () => {
          if (!up.complete) res.destroy();
        });
        up.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      if (refused) return;
      log.warn("upstream failed", { service, err });
      if (!res.headersSent) {
        span?.status(503);
        span?.fail(err);
        res.writeHead(503, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "unavailable", message: `${service} is not reachable` }));
      } else res.destroy();
    });
    // A client that goes away cancels the upstream call (and so ends a server stream).
    res.on("close", () => {
      upstream.destroy();
      span?.end();
    });
    let forwarded = 0;
    const countBody = (chunk: Buffer) => {
      forwarded += chunk.byteLength;
      if (forwarded <= bodyLimit) return;
      req.off("data", countBody);
      req.unpipe(upstream);
      req.pause();
      if (!res.headersSent) {
        refused = true;
        span?.status(413);
        answerOversizeBody(
          req,
          res,
          `the request body is longer than ${bodyLimit} bytes, the most a request may have`,
        );
        res.on("finish", () => req.socket.destroySoon());
      }
      upstream.destroy();
    };
    req.on("data", countBody);
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        backends.stop();
        health.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
