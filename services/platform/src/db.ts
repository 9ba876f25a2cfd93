/**
 * The database port. Every service talks to PostgreSQL through the `postgres` client only. With a
 * `DATABASE_URL` that is a real server; without one (the embedded default) it is PGlite — the same
 * PostgreSQL in WebAssembly — exposed on a private loopback socket by `@electric-sql/pglite-socket`,
 * so the SQL, the migrations and the client are identical in every run mode.
 */
import postgres from "postgres";
import { observePool } from "./metrics-db";
import { ensurePrivateDir, lockDownTree } from "./private-dir";
import { tracingEnabled } from "./tracing";
import { tracePostgres } from "./tracing-db";

/** Traces the statements of `sql` (tracing-db.ts) when this process traces; `url` names the server. */
function traceIfEnabled(sql: Sql, url: string): void {
  if (!tracingEnabled()) return;
  const u = new URL(url);
  tracePostgres(sql, {
    namespace: decodeURIComponent(u.pathname.slice(1)) || undefined,
    address: u.hostname,
    port: Number(u.port || 5432),
  });
}

/** The tagged-template SQL client every store uses. */
export type Sql = postgres.Sql;
/** A transaction-scoped SQL client, as passed to `sql.begin` callbacks. */
export type TxSql = postgres.TransactionSql;

/** An open database: the shared client pool plus how to close it. */
export interface Database {
  readonly sql: Sql;
  /** `postgres` for a real server, `pglite` for the embedded store. */
  readonly kind: "postgres" | "pglite";
  /** The connection URL (for the embedded store, its private loopback socket). */
  readonly url: string;
  close(): Promise<void>;
}

/** How to open the database. */
export interface DatabaseOptions {
  /** A PostgreSQL URL; when absent the embedded PGlite store is used. */
  url?: string | undefined;
  /** Where the embedded store keeps its files; `memory://` keeps them in memory (tests). */
  dataDir?: string | undefined;
  /** The most connections the pool opens. */
  maxConnections?: number | undefined;
  /** Names the pool in metrics (`db.client.connection.pool.name`): the service; default `todo`. */
  name?: string | undefined;
}

const clientOptions = {
  onnotice: () => {},
  // Timestamps arrive as Date; bigint counts as numbers (they stay far below 2^53).
  types: { bigint: postgres.BigInt },
  transform: { undefined: null },
  connection: { application_name: "todo" },
} as const;

/** Opens the database described by `options`, creating the embedded store when needed. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const name = options.name ?? "todo";
  if (options.url) {
    const max = options.maxConnections ?? 20;
    // A statement whose client went away (a killed process, `close()` past its timeout) is cancelled
    // by the server within 5 s instead of running on: PostgreSQL otherwise only notices a closed
    // socket when it next writes a result (issue 13 §5, docs/reliability.md).
    const connection = { ...clientOptions.connection, client_connection_check_interval: "5s" };
    const sql = postgres(options.url, { ...clientOptions, connection, max });
    // Tracing first: the metrics hook then wraps it, and both see every statement.
    traceIfEnabled(sql, options.url);
    const unobserve = observePool(sql, name, max);
    try {
      await sql`select 1`;
    } catch (err) {
      unobserve();
      throw err;
    }
    return {
      sql,
      kind: "postgres",
      url: options.url,
      close: () => {
        unobserve();
        return sql.end({ timeout: 5 });
      },
    };
  }
  return openEmbedded(options.dataDir ?? "./data/pg", name);
}

/**
 * PGlite is one PostgreSQL session. `PGLiteSocketServer` multiplexes its connections onto that
 * session one protocol *message* at a time, so two connections' extended-query exchanges
 * (Parse/Bind/Execute/Sync) interleave and clobber each other's unnamed statement and portal:
 * "portal \"\" does not exist", rows of the other query, hangs. Hence exactly one client
 * connection; postgres.js pipelines concurrent queries on it in order, and PGlite runs one query at
 * a time anyway, so nothing is lost.
 */
async function openEmbedded(dataDir: string, name: string): Promise<Database> {
  const max = 1;
  const [{ PGlite }, { pg_trgm }, { PGLiteSocketServer }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite/contrib/pg_trgm"),
    import("@electric-sql/pglite-socket"),
  ]);
  const onDisk = !dataDir.startsWith("memory://");
  if (onDisk) ensurePrivateDir(dataDir);
  const db = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  // Owner-only files (private-dir.ts): PGlite creates them 0666.
  if (onDisk) lockDownTree(dataDir);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: max + 2 });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  const sql = postgres(url, { ...clientOptions, max, ssl: false });
  traceIfEnabled(sql, url);
  const unobserve = observePool(sql, name, max);
  await sql`select 1`;
  return {
    sql,
    kind: "pglite",
    url,
    close: async () => {
      unobserve();
      await sql.end({ timeout: 5 });
      await server.stop();
      await db.close();
      if (onDisk) lockDownTree(dataDir);
    },
  };
}
