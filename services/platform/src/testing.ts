/**
 * Test support: every test file gets a database of its own on the PostgreSQL server named by
 * `DATABASE_URL`, so files running in parallel cannot see each other's rows. Tests that need
 * PostgreSQL fail loudly when it is missing — they are never skipped.
 */
import postgres from "postgres";
import { openDatabase, type Sql } from "./db";
import type { Logger } from "./logger";

/** A fresh, empty database for one test file. */
export interface TestDatabase {
  /** Its connection URL (for code under test that opens its own pool). */
  readonly url: string;
  /** A pool on it, configured exactly like production's (`openDatabase`). */
  readonly sql: Sql;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** The admin URL from `DATABASE_URL`; throws, with how to fix it, when unset. */
export function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      "DATABASE_URL is not set: these tests need a PostgreSQL server. Start one with `bun scripts/infra.ts up` " +
        "and export the DATABASE_URL it prints.",
    );
  }
  return url;
}

/** Creates `todo_test_<random>` on the server of `DATABASE_URL` and opens a pool on it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = requireDatabaseUrl();
  const name = `todo_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const target = new URL(adminUrl);
  target.pathname = `/${name}`;
  const url = target.toString();
  const db = await openDatabase({ url, maxConnections: 10 });
  let dropped = false;
  return {
    url,
    sql: db.sql,
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.close();
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await cleanup.end({ timeout: 5 });
      }
    },
  };
}

/**
 * How many statements of `sql`'s database whose text is `like` (a LIKE pattern) are waiting on a
 * lock right now (`pg_stat_activity`).
 */
export async function queriesWaitingOnLock(sql: Sql, like: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
    where datname = current_database() and wait_event_type = 'Lock' and query like ${like}`;
  return row?.n ?? 0;
}

/**
 * Stops a worker while its query is stuck behind a lock: locks `table` (ACCESS EXCLUSIVE, in a
 * transaction of its own), calls `start`, waits until a query matching `like` waits on the lock, and
 * calls the returned `stop`. Resolves with how long `stop` took, once no such query is left; throws
 * when none got stuck within 10 s, or one is still there 5 s after `stop`. The lock is released
 * whatever happens.
 */
export async function stopWhileLocked(
  sql: Sql,
  table: string,
  like: string,
  start: () => { stop(): Promise<unknown> },
): Promise<number> {
  const locker = await sql.reserve();
  try {
    await locker.unsafe("begin");
    await locker.unsafe(`lock table ${table} in access exclusive mode`);
    const worker = start();
    const stuckBy = Date.now() + 10_000;
    while ((await queriesWaitingOnLock(sql, like)) === 0) {
      if (Date.now() > stuckBy) throw new Error(`no query like ${like} waited on the lock of ${table}`);
      await Bun.sleep(20);
    }
    const started = Date.now();
    await worker.stop();
    const took = Date.now() - started;
    const goneBy = Date.now() + 5000;
    while ((await queriesWaitingOnLock(sql, like)) > 0) {
      if (Date.now() > goneBy) throw new Error(`a query like ${like} still waits 5 s after stop()`);
      await Bun.sleep(20);
    }
    return took;
  } finally {
    await locker.unsafe("rollback").catch(() => {});
    locker.release();
  }
}

/** Collects log lines instead of printing them, so tests can assert on what was logged. */
export function memoryLogger() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, msg, ...(fields ? { fields } : {}) });
    };
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

/**
 * Runs `script` (TypeScript, as `bun -e`) in a fresh Bun process with its working directory `cwd`
 * (so that it resolves this package's dependencies); resolves with its exit code and output. For
 * tests of what happens once per process, or of a crash that would take the test runner down.
 */
export async function runScript(
  script: string,
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([process.execPath, "-e", script], {
    cwd,
    env: { ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code, stdout, stderr };
}
