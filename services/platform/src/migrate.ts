/**
 * Versioned SQL migrations. Each service keeps `migrations/NNNN_name.sql` files and applies the ones
 * not yet recorded in `<schema>.schema_migrations` at start-up: all of them in one transaction, under a
 * transaction-scoped advisory lock, so two replicas starting together never race and a failed
 * migration leaves nothing half-applied.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Sql, TxSql } from "./db";

/** One migration file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Reads `NNNN_name.sql` files from `dir`, ordered by version. */
export function readMigrations(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .map((f) => {
      const match = /^(\d+)_([\w-]+)\.sql$/.exec(f);
      if (!match?.[1] || !match[2]) throw new Error(`migration file name must look like 0001_name.sql: ${f}`);
      return { version: Number(match[1]), name: match[2], sql: readFileSync(join(dir, f), "utf8") };
    })
    .sort((a, b) => a.version - b.version);
}

const SCHEMA_NAME = /^[a-z][a-z0-9_]*$/;

/** Returns `schema` when it is a plain lower-case identifier (it is spliced into DDL); throws otherwise. */
export function checkSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`bad schema name: ${schema}`);
  return schema;
}

/**
 * Runs `change` in a transaction holding `schema`'s migration lock, after creating the schema when
 * missing. Every schema change goes through it — the versioned migrations and the tables the
 * platform adds (outbox, processed events, jobs) — so replicas starting together never race.
 */
export async function withSchemaLock<T>(
  sql: Sql,
  schema: string,
  change: (tx: TxSql) => Promise<T>,
): Promise<T> {
  checkSchema(schema);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`todo.migrate.${schema}`}))`;
    await tx.unsafe(`create schema if not exists ${schema}`);
    return change(tx);
  }) as Promise<T>;
}

/** Applies the pending migrations of `schema`; returns the versions it applied. */
export async function migrate(sql: Sql, schema: string, migrations: Migration[]): Promise<number[]> {
  return withSchemaLock(sql, schema, async (tx) => {
    await tx.unsafe(
      `create table if not exists ${schema}.schema_migrations (
         version integer primary key, name text not null, applied_at timestamptz not null default now())`,
    );
    const rows = await tx.unsafe<{ version: number }[]>(`select version from ${schema}.schema_migrations`);
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql).simple();
      await tx.unsafe(`insert into ${schema}.schema_migrations (version, name) values ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}
