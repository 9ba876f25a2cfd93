import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { TxSql } from "./db";
import { type Job, type JobHandler, type JobScheduler, jobPayloadText } from "./jobs";
import { createPostgresJobScheduler, ensureJobs, type PostgresJobSchedulerOptions } from "./jobs-postgres";
import { silentLogger as quiet } from "./logger";
import { createTestDatabase, type TestDatabase } from "./testing";

let db: TestDatabase;
let schemas = 0;
const running: JobScheduler[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await db?.drop();
});

/** A fresh schema with a jobs table and a `fired` table handlers write to in their transaction. */
async function freshSchema(): Promise<string> {
  schemas += 1;
  const schema = `jobs_test_${schemas}`;
  await ensureJobs(db.sql, schema);
  await ensureJobs(db.sql, schema); // idempotent
  await db.sql.unsafe(
    `create table ${schema}.fired (id bigint generated always as identity, name text not null, payload text)`,
  );
  return schema;
}

function scheduler(schema: string, options: Partial<PostgresJobSchedulerOptions> = {}): JobScheduler {
  const s = createPostgresJobScheduler({ sql: db.sql, schema, logger: quiet, ...options });
  running.push(s);
  return s;
}

interface Firing {
  readonly name: string;
  readonly dueTime: number;
  readonly at: number;
  readonly attempts: number;
  readonly payload: string;
}

/**
 * A handler that writes each firing to `<schema>.fired` in the firing transaction and, once that
 * committed, records it in `firings` (with the time `fire` ran, for the never-early checks).
 */
function recorder(schema: string, fail?: (job: Job) => boolean) {
  const firings: Firing[] = [];
  const uncommitted = new Map<string, Firing>();
  const handler: JobHandler = {
    async fire(tx: TxSql, job: Job) {
      const at = Date.now();
      await tx.unsafe(`insert into ${schema}.fired (name, payload) values ($1, $2)`, [
        job.name,
        jobPayloadText(job),
      ]);
      if (fail?.(job)) throw new Error(`job ${job.name} failed on purpose`);
      uncommitted.set(job.name, {
        name: job.name,
        dueTime: job.dueTime.getTime(),
        at,
        attempts: job.attempts,
        payload: jobPayloadText(job),
      });
    },
    committed(jobs) {
      for (const job of jobs) {
        const firing = uncommitted.get(job.name);
        if (!firing) throw new Error(`committed ${job.name} without firing it`);
        uncommitted.delete(job.name);
        firings.push(firing);
      }
    },
  };
  return { firings, handler };
}

async function firedRows(schema: string): Promise<{ name: string; payload: string }[]> {
  return db.sql.unsafe(`select name, payload from ${schema}.fired order by id`);
}

async function pendingJobs(schema: string): Promise<number> {
  const [row] = await db.sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${schema}.jobs`);
  return row?.n ?? 0;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

describe("Postgres JobScheduler", () => {
  test("fires every job once, never before its due time, in due order", async () => {
    const schema = await freshSchema();
    const s = scheduler(schema);
    const { firings, handler } = recorder(schema);
    s.start(handler);
    const base = Date.now() + 300;
    const due = new Map<string, number>();
    await db.sql.begin(async (tx) => {
      for (let i = 0; i < 40; i++) {
        const at = base + ((i * 37) % 40) * 25; // spread over ~1 s, not in name order
        due.set(`job/${i}`, at);
        await s.schedule(tx, `job/${i}`, new Date(at), `payload ${i}`);
      }
    });
    expect(Date.now()).toBeLessThan(base); // all were in the table before the first came due
    await until(() => firings.length === 40);
    await Bun.sleep(200); // nothing more arrives
    expect(firings).toHaveLength(40);
    expect(new Set(firings.map((f) => f.name)).size).toBe(40);
    for (const f of firings) {
      expect(f.dueTime).toBe(due.get(f.name) as number);
      expect(f.at).toBeGreaterThanOrEqual(f.dueTime); // never early
      expect(f.at - f.dueTime).toBeLessThan(1000);
      expect(f.payload).toBe(`payload ${f.name.slice(4)}`);
      expect(f.attempts).toBe(0);
    }
    const order = firings.map((f) => f.dueTime);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(await pendingJobs(schema)).toBe(0);
    expect(await firedRows(schema)).toHaveLength(40);
  });

  test("three replicas on one table fire each job exactly once", async () => {
    const schema = await freshSchema();
    const replicas = [0, 1, 2].map(() => scheduler(schema, { batchSize: 7 }));
    const recorders = replicas.map((s) => {
      const r = recorder(schema);
      s.start(r.handler);
      return r;
    });
    const all = () => recorders.flatMap((r) => r.firings);
    const base = Date.now() + 200;
    // Jobs come due in bursts, so all three replicas claim concurrently.
    for (let i = 0; i < 300; i++) {
      await (replicas[i % 3] as JobScheduler).schedule(
        undefined,
        `j/${i}`,
        new Date(base + (i % 5) * 100),
        "x",
      );
    }
    await until(() => all().length >= 300);
    await Bun.sleep(300);
    const firings = all();
    expect(firings).toHaveLength(300);
    expect(new Set(firings.map((f) => f.name)).size).toBe(300);
    for (const f of firings) expect(f.at).toBeGreaterThanOrEqual(f.dueTime);
    const rows = await firedRows(schema);
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.name)).size).toBe(300);
    expect(await pendingJobs(schema)).toBe(0);
    // More than one replica did work (the claims really competed).
    expect(recorders.filter((r) => r.firings.length > 0).length).toBeGreaterThan(1);
  });

  test("jobs that came due while nothing ran fire at once on start", async () => {
    const schema = await freshSchema();
    const first = scheduler(schema);
    const past = Date.now() - 60_000;
    for (let i = 0; i < 5; i++) await first.schedule(undefined, `missed/${i}`, new Date(past + i), "late");
    await first.schedule(undefined, "future", new Date(Date.now() + 60_000), "later");
    // `first` was never started: the jobs are only in the table. A new scheduler picks them up.
    const { firings, handler } = recorder(schema);
    const started = Date.now();
    scheduler(schema, { pollIntervalMs: 5000 }).start(handler);
    await until(() => firings.length === 5);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(firings.map((f) => f.name).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `missed/${i}`));
    expect(await pendingJobs(schema)).toBe(1);
  });

  test("a stopped scheduler leaves its jobs to the next one", async () => {
    const schema = await freshSchema();
    const a = scheduler(schema);
    const ra = recorder(schema);
    a.start(ra.handler);
    await a.schedule(undefined, "soon", new Date(Date.now() + 50), "1");
    await a.schedule(undefined, "later", new Date(Date.now() + 700), "2");
    await until(() => ra.firings.length === 1);
    await a.stop();
    const rb = recorder(schema);
    scheduler(schema).start(rb.handler);
    await until(() => rb.firings.length === 1);
    expect(ra.firings.map((f) => f.name)).toEqual(["soon"]);
    expect(rb.firings.map((f) => f.name)).toEqual(["later"]);
    expect(rb.firings[0]?.at).toBeGreaterThanOrEqual(rb.firings[0]?.dueTime as number);
  });

  test("scheduling a name again replaces the job; cancel and cancelPrefix remove jobs", async () => {
    const schema = await freshSchema();
    const s = scheduler(schema);
    const { firings, handler } = recorder(schema);
    const now = Date.now();
    await s.schedule(undefined, "moved", new Date(now + 200), "old");
    await s.schedule(undefined, "moved", new Date(now + 700), "new");
    await s.schedule(undefined, "cancelled", new Date(now + 300), "x");
    expect(await s.cancel(undefined, "cancelled")).toBe(true);
    expect(await s.cancel(undefined, "cancelled")).toBe(false);
    await s.schedule(undefined, "task/1/a", new Date(now + 300), "x");
    await s.schedule(undefined, "task/1/b", new Date(now + 300), "x");
    await s.schedule(undefined, "task/10/a", new Date(now + 400), "kept"); // same characters, other prefix
    await s.schedule(undefined, "task_1/x", new Date(now + 400), "kept"); // `_` is not a wildcard
    expect(await s.cancelPrefix(undefined, "task/1/")).toBe(2);
    // A transaction that rolls back changes nothing.
    await db.sql
      .begin(async (tx) => {
        await s.cancel(tx, "moved");
        throw new Error("roll back");
      })
      .catch(() => {});
    s.start(handler);
    await until(() => firings.length === 3);
    await Bun.sleep(300);
    const byName = new Map(firings.map((f) => [f.name, f]));
    expect([...byName.keys()].sort()).toEqual(["moved", "task/10/a", "task_1/x"]);
    const moved = byName.get("moved") as Firing;
    expect(moved.payload).toBe("new");
    expect(moved.at).toBeGreaterThanOrEqual(now + 700);
    expect(firings).toHaveLength(3);
  });

  test("schedule inside a transaction takes effect only when it commits", async () => {
    const schema = await freshSchema();
    const s = scheduler(schema, { listen: false });
    const { firings, handler } = recorder(schema);
    s.start(handler);
    await db.sql
      .begin(async (tx) => {
        await s.schedule(tx, "rolled-back", new Date(Date.now() - 1), "x");
        throw new Error("roll back");
      })
      .catch(() => {});
    await db.sql.begin((tx) => s.schedule(tx, "committed", new Date(Date.now() - 1), "y"));
    s.wake(); // as the caller does after commit when NOTIFY cannot reach the scheduler
    await until(() => firings.length === 1);
    await Bun.sleep(200);
    expect(firings.map((f) => f.name)).toEqual(["committed"]);
  });

  test("a failing job is retried with backoff, its failed attempts leave no effects, others are unaffected", async () => {
    const schema = await freshSchema();
    const s = scheduler(schema, { minBackoffMs: 100, maxBackoffMs: 400 });
    const { firings, handler } = recorder(schema, (job) => job.name === "flaky" && job.attempts < 3);
    s.start(handler);
    const due = Date.now() + 100;
    for (const name of ["a", "flaky", "b"]) await s.schedule(undefined, name, new Date(due), name);
    await until(() => firings.some((f) => f.name === "flaky"), 10_000);
    const flaky = firings.find((f) => f.name === "flaky") as Firing;
    expect(flaky.attempts).toBe(3);
    // Backoff 100 + 200 + 400 ms after the due time at least.
    expect(flaky.at - due).toBeGreaterThanOrEqual(700);
    // A batch-mate's handler may have run again when the batch was redone job by job, but what it
    // wrote through the transaction committed once; only flaky's successful attempt committed.
    expect([...new Set(firings.map((f) => f.name))].sort()).toEqual(["a", "b", "flaky"]);
    expect((await firedRows(schema)).map((r) => r.name).sort()).toEqual(["a", "b", "flaky"]);
    expect(await pendingJobs(schema)).toBe(0);
  });

  test("prepare runs outside the transaction before fire, and is retried when it fails", async () => {
    const schema = await freshSchema();
    const s = scheduler(schema, { minBackoffMs: 50, maxBackoffMs: 50 });
    let prepareCalls = 0;
    const fired: { name: string; prepared: string | undefined }[] = [];
    s.start<string>({
      async prepare(job) {
        prepareCalls += 1;
        // Outside any transaction: a query on the pool sees committed data only and must not block.
        await db.sql`select 1`;
        if (prepareCalls === 1) throw new Error("remote service unavailable");
        return `prepared ${job.name} on attempt ${job.attempts}`;
      },
      async fire(tx, job, prepared) {
        await tx.unsafe(`insert into ${schema}.fired (name) values ($1)`, [job.name]);
        fired.push({ name: job.name, prepared });
      },
    });
    await s.schedule(undefined, "remote", new Date(), "");
    await until(() => fired.length === 1);
    expect(prepareCalls).toBe(2);
    expect(fired).toEqual([{ name: "remote", prepared: "prepared remote on attempt 1" }]);
  });

  test("NOTIFY wakes another replica precisely (real PostgreSQL)", async () => {
    const schema = await freshSchema();
    const writer = scheduler(schema); // never started: only schedules
    const { firings, handler } = recorder(schema);
    const reader = scheduler(schema, { pollIntervalMs: 10_000 });
    reader.start(handler);
    await Bun.sleep(200); // let LISTEN settle, and the reader fall asleep on its long poll
    const due = Date.now() + 300;
    await db.sql.begin((tx) => writer.schedule(tx, "remote", new Date(due), "x"));
    await until(() => firings.length === 1, 3000);
    expect(firings[0]?.at).toBeGreaterThanOrEqual(due);
    expect((firings[0]?.at as number) - due).toBeLessThan(200);
  });

  test("without LISTEN (PGlite) the scheduler's own schedule keeps its timer precise", async () => {
    const schema = await freshSchema();
    const s = scheduler(schema, { listen: false, pollIntervalMs: 10_000 });
    const { firings, handler } = recorder(schema);
    s.start(handler);
    await Bun.sleep(100);
    const due = Date.now() + 300;
    await db.sql.begin((tx) => s.schedule(tx, "local", new Date(due), "x"));
    await until(() => firings.length === 1, 3000);
    expect(firings[0]?.at).toBeGreaterThanOrEqual(due);
    expect((firings[0]?.at as number) - due).toBeLessThan(200);
  });

  test("lateness: 2000 jobs due within 3 s fire with p99 lateness under 1 s and none early", async () => {
    const schema = await freshSchema();
    const s = scheduler(schema);
    const lateness: number[] = [];
    let early = 0;
    s.start(async (tx, job) => {
      const late = Date.now() - job.dueTime.getTime();
      if (late < 0) early += 1;
      lateness.push(late);
      await tx.unsafe(`insert into ${schema}.fired (name) values ($1)`, [job.name]);
    });
    // Scheduled in bulk first (as a backlog of pending reminders is), coming due 3–6 s from now.
    const base = Date.now() + 3000;
    const names = Array.from({ length: 2000 }, (_, i) => `load/${i}`);
    await db.sql.begin(async (tx) => {
      for (const [i, name] of names.entries()) {
        await s.schedule(tx, name, new Date(base + Math.floor((i * 7919) % 3000)), "");
      }
    });
    expect(Date.now()).toBeLessThan(base); // scheduling finished before the first one came due
    await until(() => lateness.length >= 2000, 20_000);
    await until(async () => (await pendingJobs(schema)) === 0);
    expect(lateness).toHaveLength(2000);
    expect(early).toBe(0);
    const p99 = percentile(lateness, 99);
    const p50 = percentile(lateness, 50);
    console.log(
      `jobs lateness over 2000 jobs: p50 ${p50} ms, p99 ${p99} ms, max ${Math.max(...lateness)} ms`,
    );
    expect(p99).toBeLessThan(1000);
    expect(await firedRows(schema)).toHaveLength(2000);
  }, 30_000);
});
