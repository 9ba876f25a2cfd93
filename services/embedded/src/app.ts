/**
 * The one-process server of `bun start` and the integration tests: the wired-up system (system.ts)
 * on one database (PGlite by default), behind one server with both listeners, with MCP and the web
 * app on the HTTP listener's other paths.
 */
import { modelConfigFromEnv } from "@todo/assistant";
import { AUTH_PUBLIC_METHODS, createIdentitySessionCheck, createIdentityStore } from "@todo/identity";
import { createMcpHttpHandler, withMcp } from "@todo/mcp";
import {
  createLogger,
  createTokenService,
  openDatabase,
  type RunningServer,
  startServer,
} from "@todo/platform";
import { ensurePrivateDir } from "@todo/platform/data";
import { createWebHandler, sessionCacheOptionsFromEnv, withSessionCheck } from "@todo/platform/serving";
import type { AppConfig } from "./config";
import { createSystem, migrateSystem } from "./system";

/** A running app. */
export interface App {
  readonly server: RunningServer;
  readonly databaseKind: "postgres" | "pglite";
  close(): Promise<void>;
}

/** Starts every service in this process. */
export async function startApp(config: AppConfig): Promise<App> {
  const log = createLogger("todo");
  const embedded = !config.databaseUrl && !config.dataDir.startsWith("memory://");
  // The data directory holds the database and the JWT key: its owner's only (private-dir.ts).
  if (embedded) ensurePrivateDir(config.dataDir);
  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir.startsWith("memory://") ? config.dataDir : `${config.dataDir}/pg`,
    name: "todo",
  });
  await migrateSystem(db.sql);

  // Every token's session is checked against identity's tables (one cache for the whole process).
  const identityStore = createIdentityStore(db.sql);
  const tokens = withSessionCheck(
    createTokenService({
      secret: config.jwtSecret,
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: config.jwtTtlSeconds,
    }),
    createIdentitySessionCheck(identityStore),
    sessionCacheOptionsFromEnv(),
  );
  const system = await createSystem({
    sql: db.sql,
    databaseKind: db.kind,
    tokens,
    identityStore,
    model: modelConfigFromEnv(),
  });

  const server = await startServer({
    name: "todo",
    host: config.host,
    httpPort: config.httpPort,
    grpcPort: config.grpcPort,
    tokens,
    publicMethods: AUTH_PUBLIC_METHODS,
    services: system.services,
    // MCP (docs/mcp.md): `/mcp` is the MCP endpoint, acting as the caller whose token it is given, through
    // the same in-process clients and interceptors; every other non-RPC path is the web app.
    fallback: withMcp(
      createMcpHttpHandler({
        tasks: system.tasks,
        tags: system.tags,
        authenticate: (token) => tokens.verify(token),
      }),
      createWebHandler(config.webDist),
    ),
  });
  log.info("started", { database: db.kind, http: server.httpPort, grpc: server.grpcPort });

  return {
    server,
    databaseKind: db.kind,
    async close() {
      await system.endStreams();
      await server.close();
      await system.close();
      await db.close();
    },
  };
}
