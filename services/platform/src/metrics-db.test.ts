/**
 * Database client metrics on a real PostgreSQL (`DATABASE_URL`): every statement is timed under its
 * SQL verb, failures under their SQLSTATE, and the hook changes nothing the caller sees — same rows,
 * same errors, transactions and savepoints as before. Pool use counts open transactions and
 * statements in flight; demand beyond the pool size shows as pending.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openDatabase } from "./db";
import { operationName } from "./metrics-db";
import { type Exposition, sumOf, type TestMetrics, useTestMetrics } from "./metrics-testing";
import { createTestDatabase, type TestDatabase } from "./testing";

let metrics: TestMetrics;
let db: TestDatabase;

beforeAll(async () => {
  metrics = useTestMetrics();
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

const COUNT = "db_client_operation_duration_seconds_count";
const ops = (e: Exposition, labels: Record<string, string>) => sumOf(e, COUNT, labels);

describe("operationName", () => {
  test.each([
    ["select 1", "SELECT"],
    ["  INSERT into t values (1)", "INSERT"],
    ["with batch as materialized (select seq from o) update o set x = 1", "SELECT"],
    ["with added as (insert into t values (1) returning 1) select pg_notify('c', '') from added", "INSERT"],
    ["begin isolation level serializable", "BEGIN"],
    ["savepoint s1", "SAVEPOINT"],
    ["create table if not exists x (a int)", "CREATE"],
    ["-- nothing here", "_OTHER"],
  ])("%s", (sql, expected) => {
    expect(operationName(sql)).toBe(expected);
  });
});

test("statements are timed by verb; results and errors are exactly what postgres.js gives", async () => {
  const { sql } = db;
  const before = await metrics.scrape();
  await sql`create table metrics_t (id int primary key, title text not null)`;
  await sql`insert into metrics_t ${sql([
    { id: 1, title: "a" },
    { id: 2, title: "b" },
  ])}`;
  const rows = await sql<{ id: number; title: string }[]>`select id, title from metrics_t order by id`;
  expect(rows.map((r) => [r.id, r.title])).toEqual([
    [1, "a"],
    [2, "b"],
  ]);
  expect((await sql.unsafe("update metrics_t set title = $1 where id = $2", ["c", 2])).count).toBe(1);
  const duplicate = await sql`insert into metrics_t values (1, 'again')`.catch((e: unknown) => e);
  expect(duplicate).toBeInstanceOf(Error);
  expect((duplicate as { code?: string }).code).toBe("23505");
  const missing = await sql`select * from no_such_table`.catch((e: unknown) => e);
  expect((missing as { code?: string }).code).toBe("42P01");
  // Transactions, savepoints and rollbacks behave as before.
  await sql.begin(async (tx) => {
    await tx`insert into metrics_t values (3, 'd')`;
    await tx.savepoint(async (sp) => sp`insert into metrics_t values (4, 'e')`).catch(() => {});
    await tx
      .savepoint(async (sp) => {
        await sp`insert into metrics_t values (5, 'f')`;
        throw new Error("roll this savepoint back");
      })
      .catch(() => {});
  });
  expect((await sql`select id from metrics_t order by id`).map((r) => r.id)).toEqual([1, 2, 3, 4]);
  const after = await metrics.scrape();

  const delta = (labels: Record<string, string>) => ops(after, labels) - ops(before, labels);
  expect(delta({ db_system_name: "postgresql", db_operation_name: "CREATE" })).toBeGreaterThanOrEqual(1);
  expect(delta({ db_operation_name: "INSERT", error_type: "23505", db_response_status_code: "23505" })).toBe(
    1,
  );
  expect(delta({ db_operation_name: "SELECT", error_type: "42P01", db_response_status_code: "42P01" })).toBe(
    1,
  );
  expect(delta({ db_operation_name: "UPDATE" })).toBe(1);
  expect(delta({ db_operation_name: "BEGIN" })).toBeGreaterThanOrEqual(1);
  expect(delta({ db_operation_name: "COMMIT" })).toBeGreaterThanOrEqual(1);
  expect(delta({ db_operation_name: "SAVEPOINT" })).toBeGreaterThanOrEqual(2);
  expect(delta({ db_operation_name: "ROLLBACK" })).toBeGreaterThanOrEqual(1);
  // Successful statements carry no error labels.
  const ok = after.samples.find((s) => s.name === COUNT && s.labels.db_operation_name === "UPDATE");
  expect(ok?.labels.error_type).toBeUndefined();
});

test("pool use: transactions and statements in flight, and the demand beyond the pool size", async () => {
  const pool = await openDatabase({ url: db.url, maxConnections: 2, name: "metrics-pool-test" });
  const labels = { db_client_connection_pool_name: "metrics-pool-test" };
  const used = (e: Exposition) =>
    sumOf(e, "db_client_connection_count", { ...labels, db_client_connection_state: "used" });
  try {
    const idle = await metrics.scrape();
    expect(sumOf(idle, "db_client_connection_max", labels)).toBe(2);
    expect(used(idle)).toBe(0);
    expect(sumOf(idle, "db_client_connection_pending_requests", labels)).toBe(0);

    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let inside: () => void = () => {};
    const entered = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const transaction = pool.sql.begin(async (tx) => {
      await tx`select 1`;
      inside();
      await held;
    });
    let sleepers: Promise<unknown> = Promise.resolve();
    try {
      await entered;
      // Queries run when first awaited: Promise.all starts them.
      sleepers = Promise.all([
        pool.sql`select pg_sleep(0.5)`,
        pool.sql`select pg_sleep(0.5)`,
        pool.sql`select pg_sleep(0.5)`,
      ]);
      await Bun.sleep(100);
      const busy = await metrics.scrape();
      expect(used(busy)).toBe(2);
      expect(sumOf(busy, "db_client_connection_pending_requests", labels)).toBe(2); // 1 transaction + 3 statements − 2
    } finally {
      release();
      await Promise.all([transaction, sleepers]);
    }
    const done = await metrics.scrape();
    expect(used(done)).toBe(0);
    expect(sumOf(done, "db_client_connection_pending_requests", labels)).toBe(0);
  } finally {
    await pool.close();
  }
});
