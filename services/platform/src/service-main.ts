/**
 * The composition root shared by the services when each runs as its own process against PostgreSQL
 * (`DATABASE_URL`, required). It reads the common settings, opens the database, lets the service
 * build its parts, serves them, and shuts down cleanly on SIGINT/SIGTERM.
 *
 * Under a Dapr sidecar (`DAPR_HTTP_PORT`, see dapr.ts) it also waits for the sidecar, reads
 * `DATABASE_URL` and `JWT_SECRET` from the Dapr secret store `DAPR_SECRET_STORE` (keys `database-url`
 * and `jwt-secret`) when they are not in the environment, and serves Dapr's AppCallback services
 * (dapr-callback.ts) next to the service's own, so events, jobs and bindings reach it.
 */

import type { DaprClient } from "@dapr/dapr";
import { createTokenService, type TokenService } from "./auth";
import { envInt, envString } from "./config";
import {
  createDaprClient,
  type DaprSidecar,
  daprSidecarFromEnv,
  readDaprSecret,
  waitForSidecar,
} from "./dapr";
import { daprCallbacks } from "./dapr-callback";
import { openDatabase, type Sql } from "./db";
import { createLogger } from "./logger";
import { type ServerOptions, type ServiceRegistration, startServer } from "./server";
import { startTelemetry } from "./telemetry";

/** What a service gets to build itself from. */
export interface ServiceContext {
  readonly sql: Sql;
  readonly tokens: TokenService;
  /** The sidecar and a client for it, when running under Dapr. */
  readonly dapr?: { readonly sidecar: DaprSidecar; readonly client: DaprClient };
}

/** What a service hands back to be served. */
export interface ServiceParts {
  readonly services: readonly ServiceRegistration[];
  readonly publicMethods?: readonly string[];
  /** Answers HTTP/1.1 requests that are not RPCs (the assistant's `/mcp`), as `ServerOptions.fallback`. */
  readonly fallback?: ServerOptions["fallback"];
  /** Runs first at shutdown, before the server drains (end open streams here). */
  beforeClose?(): Promise<void>;
  /** Stops background work (relays, consumers) before the database closes. */
  close?(): Promise<void>;
}

/** Runs one service as a process. Settings: HOST, PORT, GRPC_PORT, DATABASE_URL, JWT_SECRET, JWT_TTL_SECONDS. */
export async function runService(
  name: string,
  build: (ctx: ServiceContext) => Promise<ServiceParts>,
): Promise<void> {
  const log = createLogger(name);
  const sidecar = daprSidecarFromEnv();
  const daprClient = sidecar ? createDaprClient(sidecar) : undefined;
  let url = envString("DATABASE_URL");
  let secret = envString("JWT_SECRET");
  if (sidecar && daprClient) {
    await waitForSidecar(sidecar);
    const store = sidecar.secretStore;
    if (store) {
      url ??= await readDaprSecret(daprClient, store, "database-url");
      secret ??= await readDaprSecret(daprClient, store, "jwt-secret");
    }
  }
  if (!url)
    throw new Error(
      `${name}: set DATABASE_URL to a PostgreSQL URL (or use \`bun start\` for the embedded mode)`,
    );
  if (!secret) throw new Error(`${name}: set JWT_SECRET (the same 32+ byte value in every service)`);
  const stopTelemetry = await startTelemetry(name);
  const db = await openDatabase({ url, maxConnections: envInt("DATABASE_POOL_SIZE", 20, 1, 1000) });
  const tokens = createTokenService({
    secret,
    issuer: "todo",
    audience: "todo-api",
    ttlSeconds: envInt("JWT_TTL_SECONDS", 7 * 24 * 3600, 60),
  });
  const dapr = sidecar && daprClient ? { sidecar, client: daprClient } : undefined;
  const parts = await build({ sql: db.sql, tokens, ...(dapr ? { dapr } : {}) });
  const callbacks = sidecar ? daprCallbacks() : undefined;
  const server = await startServer({
    name,
    services: [...parts.services, ...(callbacks?.registrations() ?? [])],
    publicMethods: [...(parts.publicMethods ?? []), ...(callbacks?.serviceNames ?? [])],
    tokens,
    host: envString("HOST", "127.0.0.1"),
    httpPort: envInt("PORT", 8080, 0, 65535),
    grpcPort: envInt("GRPC_PORT", 50051, 0, 65535),
    fallback: parts.fallback,
  });
  log.info("listening", { http: server.httpPort, grpc: server.grpcPort });
  console.log(
    `${name}: http://127.0.0.1:${server.httpPort} (HTTP/1.1), http://127.0.0.1:${server.grpcPort} (h2c)`,
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    setTimeout(() => process.exit(1), 10_000).unref();
    await parts.beforeClose?.();
    await server.close();
    await parts.close?.();
    await db.close();
    await stopTelemetry();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}
