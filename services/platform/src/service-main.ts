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
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { createTokenService, type TokenService } from "./auth";
import { createServiceClient, serviceTargetFromEnv } from "./clients";
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
import {
  remoteSessionCheck,
  type SessionCheck,
  sessionCacheOptionsFromEnv,
  withSessionCheck,
} from "./session-check";
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

/** How one service is made: its schema migrations, and its parts once they have run. */
export interface ServiceDefinition {
  /**
   * Applies the service's schema migrations (each under its schema's lock, so replicas never race)
   * and returns the versions it applied. `runService` runs it before `build`, and alone for the
   * `migrate` command.
   */
  migrate(sql: Sql): Promise<readonly number[]>;
  /** Builds the service's parts on a migrated database. */
  build(ctx: ServiceContext): Promise<ServiceParts>;
  /**
   * How this service checks that a token's session is live (session-check.ts). Only the identity
   * service, which owns sessions, gives one; every other service asks identity
   * (`IDENTITY_SERVICE_URL`, or `identity` through the Dapr sidecar).
   */
  sessionCheck?(sql: Sql): SessionCheck;
}

/** The commands a service main takes (`bun services/<svc>/src/main.ts [command]`). */
const COMMANDS = ["serve", "migrate"] as const;

/**
 * Runs one service as a process. Settings: HOST, PORT, GRPC_PORT, DATABASE_URL, JWT_SECRET,
 * JWT_TTL_SECONDS, DATABASE_POOL_SIZE, METRICS_PORT (docs/metrics.md), IDENTITY_SERVICE_URL (where
 * tokens' sessions are checked, unless under Dapr; docs/identity.md), AUTH_SESSION_CACHE_SECONDS,
 * AUTH_SESSION_STALE_SECONDS; `MIGRATE_WAIT_SECONDS` for
 * `migrate`. Under Dapr, a
 * `DATABASE_URL` or `JWT_SECRET` missing from the environment is read from the secret store
 * `DAPR_SECRET_STORE` at `DATABASE_URL_SECRET_REF` (default `database-url`) and `JWT_SECRET_REF`
 * (default `jwt-secret`); see {@link readDaprSecret} for the form of a reference.
 *
 * The first argument is the command: `serve` (the default) migrates and serves; `migrate` applies the
 * pending migrations and exits 0, waiting for the database to accept connections first — what a
 * Kubernetes init container runs once per pod before the service starts (deploy/helm/todo).
 */
export async function runService(name: string, definition: ServiceDefinition): Promise<void> {
  const command = process.argv[2] ?? "serve";
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new Error(`${name}: unknown command "${command}" (usage: ${name} [${COMMANDS.join(" | ")}])`);
  }
  const log = createLogger(name);
  let url = envString("DATABASE_URL");
  if (command === "migrate" && url) return migrateOnly(name, url, definition);
  const sidecar = daprSidecarFromEnv();
  const daprClient = sidecar ? createDaprClient(sidecar) : undefined;
  let secret = envString("JWT_SECRET");
  if (sidecar && daprClient) {
    await waitForSidecar(sidecar);
    const store = sidecar.secretStore;
    if (store) {
      url ??= await readDaprSecret(daprClient, store, envString("DATABASE_URL_SECRET_REF", "database-url"));
      secret ??= await readDaprSecret(daprClient, store, envString("JWT_SECRET_REF", "jwt-secret"));
    }
  }
  if (!url)
    throw new Error(
      `${name}: set DATABASE_URL to a PostgreSQL URL (or use \`bun start\` for the embedded mode)`,
    );
  if (command === "migrate") return migrateOnly(name, url, definition);
  if (!secret) throw new Error(`${name}: set JWT_SECRET (the same 32+ byte value in every service)`);
  const telemetry = await startTelemetry(name);
  const db = await openDatabase({ url, maxConnections: envInt("DATABASE_POOL_SIZE", 20, 1, 1000), name });
  const signer = createTokenService({
    secret,
    issuer: "todo",
    audience: "todo-api",
    ttlSeconds: envInt("JWT_TTL_SECONDS", 7 * 24 * 3600, 60),
  });
  const sessionCheck =
    definition.sessionCheck?.(db.sql) ??
    remoteSessionCheck(createServiceClient(AuthService, serviceTargetFromEnv("identity")));
  const tokens = withSessionCheck(signer, sessionCheck, sessionCacheOptionsFromEnv());
  const dapr = sidecar && daprClient ? { sidecar, client: daprClient } : undefined;
  const applied = await definition.migrate(db.sql);
  if (applied.length > 0) log.info("migrated", { applied });
  const parts = await definition.build({ sql: db.sql, tokens, ...(dapr ? { dapr } : {}) });
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
  if (telemetry.metrics?.url) console.log(`${name}: metrics at ${telemetry.metrics.url}`);
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
    await telemetry.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

/**
 * The `migrate` command: waits up to `MIGRATE_WAIT_SECONDS` (default 120) for the database to accept
 * connections — in a fresh cluster the database may still be starting — then applies the pending
 * migrations and exits 0. Any migration error exits non-zero with the error, having applied nothing
 * of the failed service's batch (migrations run in one transaction).
 */
async function migrateOnly(name: string, url: string, definition: ServiceDefinition): Promise<void> {
  const log = createLogger(name);
  const deadline = Date.now() + envInt("MIGRATE_WAIT_SECONDS", 120, 0, 3600) * 1000;
  let db: Awaited<ReturnType<typeof openDatabase>> | undefined;
  for (let attempt = 1; !db; attempt++) {
    try {
      db = await openDatabase({ url, maxConnections: 1 });
    } catch (err) {
      if (Date.now() >= deadline)
        throw new Error(`${name}: the database did not accept connections`, { cause: err });
      log.info("waiting for the database", {
        attempt,
        error: err instanceof Error ? err.message : String(err),
      });
      await Bun.sleep(Math.min(5_000, 250 * 2 ** Math.min(attempt, 5)));
    }
  }
  try {
    const applied = await definition.migrate(db.sql);
    log.info("migrations applied", { applied });
    console.log(
      `${name}: ${applied.length === 0 ? "schema up to date" : `applied migrations ${applied.join(", ")}`}`,
    );
  } finally {
    await db.close();
  }
}
