/**
 * The outbox relay under the conditions that once stalled it (issue 13 §5; docs/reliability.md,
 * "The outbox relay under load"), on the real PostgreSQL of `DATABASE_URL`: an outbox vacuumed while
 * empty (every estimate one row), a relay whose prepared claim was planned then, 50 writers adding
 * tens of thousands of events while the bus lags — and the backlog drains. Also: a claim stuck
 * behind a lock times out and is retried, and `stop()` leaves nothing running in PostgreSQL.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import postgres from "postgres";
import { type CloudEvent, type EventBus, fromCloudEvent, toCloudEvent } from "./events";
import { enqueueEvent, ensureOutbox, startOutboxRelay } from "./outbox";
import { outboxClaimStatement } from "./outbox-claim";
import { createTestDatabase, memoryLogger, stopWhileLocked, type TestDatabase } from "./testing";

const SCHEMA = "load";
const TABLE = `${SCHEMA}.outbox`;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await ensureOutbox(db.sql, SCHEMA);
});
afterAll(async () => {
  await db?.drop();
});

function event(key: string, n: number): CloudEvent {
  return toCloudEvent(
    TagDeletedSchema,
    { userId: "u", tagId: key, name: `${key}#${n}` },
    { source: "test", type: "todo.tag.v1.deleted", subject: key },
  );
}

async function pending(): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from load.outbox`;
  return row?.n ?? -1;
}

/** Puts the outbox in the state of the stall: emptied and vacuumed, so `reltuples` is 0, no pages. */
async function vacuumEmpty(): Promise<void> {
  await db.sql.unsafe(`insert into ${TABLE} (topic, key, event_id, source, type, subject, event_time, data_schema, data)
    select 't', 'k' || g, gen_random_uuid()::text, 's', 'x', 'k', now(), 'd', '\\x00'::bytea
    from generate_series(1, 200) g`);
  await db.sql.unsafe(`delete from ${TABLE}`);
  // TRUNCATE as a default vacuum would (queue tables now keep their pages: queue-tables.ts).
  await db.sql.unsafe(`vacuum (analyze, truncate) ${TABLE}`);
  const [stats] = await db.sql<{ relpages: number; reltuples: number }[]>`
    select relpages, reltuples from pg_class where oid = ${TABLE}::regclass`;
  expect(stats).toEqual({ relpages: 0, reltuples: 0 });
}

test("a claim planned on a vacuumed, empty outbox reads each row a bounded number of times as it grows", async () => {
  await db.sql.unsafe(`alter table ${TABLE} set (autovacuum_enabled = false)`);
  try {
    await vacuumEmpty();
    const conn = await db.sql.reserve();
    try {
      // The generic plan is made now, on the empty table, and reused below — as the relay's was.
      await conn.unsafe("set plan_cache_mode = force_generic_plan");
      await conn.unsafe(`prepare claim (int, uuid, int) as ${outboxClaimStatement(TABLE)}`);
      await conn.unsafe("explain execute claim (100, gen_random_uuid(), 1000)");
      await db.sql.unsafe(`insert into ${TABLE} (topic, key, event_id, source, type, subject, event_time, data_schema, data)
        select 't', 'k' || (g / 2), gen_random_uuid()::text, 's', 'x', 'k', now(), 'd', '\\x00'::bytea
        from generate_series(1, 5000) g`);
      const [size] = await db.sql<{ pages: number }[]>`
        select pg_relation_size(${TABLE}::regclass)::int / 8192 as pages`;
      const [row] = await conn.unsafe<{ "QUERY PLAN": unknown }[]>(
        "explain (analyze, buffers, format json) execute claim (100, gen_random_uuid(), 1000)",
      );
      type Explained = { Plan: { "Actual Rows": number; "Shared Hit Blocks": number } }[];
      const plan = ((row?.["QUERY PLAN"] ?? []) as Explained)[0];
      // The statement before the fix read 2.2 million buffers for 1 000 rows here (a nested loop
      // re-running a sequential scan per row); a linear plan reads each page a few times.
      expect(plan?.Plan["Actual Rows"]).toBe(100);
      expect(plan?.Plan["Shared Hit Blocks"]).toBeLessThan(10 * (size?.pages ?? 0) + 2000);
      await conn.unsafe("deallocate claim");
    } finally {
      conn.release();
    }
  } finally {
    await db.sql.unsafe(`alter table ${TABLE} reset (autovacuum_enabled)`);
    await db.sql.unsafe(`delete from ${TABLE}`);
  }
});

test("50 writers add 30 000 events while the bus lags: every one is published once, in order, and the backlog drains", async () => {
  const WRITERS = 50;
  const TASKS_PER_WRITER = 300; // two events per task, as CreateTask enqueues
  const total = WRITERS * TASKS_PER_WRITER * 2;
  await vacuumEmpty();

  let lagMs = 500; // 200 events a second: slower than the writers
  const published: { key: string; label: string }[] = [];
  const bus: EventBus = {
    async publish() {
      throw new Error("publishBatch is used");
    },
    async publishBatch(entries) {
      await Bun.sleep(lagMs);
      for (const e of entries) {
        published.push({ key: e.key, label: fromCloudEvent(TagDeletedSchema, e.event).name });
      }
    },
    async subscribe() {
      throw new Error("not used");
    },
    async close() {},
  };
  const { logger, lines } = memoryLogger();
  const relay = startOutboxRelay({ sql: db.sql, schema: SCHEMA, bus, pollIntervalMs: 20, logger });
  // Polls of the empty table: the relay's prepared claim gets its generic plan from them.
  await Bun.sleep(300);

  const writers = postgres(db.url, { max: WRITERS, onnotice: () => {} });
  let peak = 0;
  let writing = true;
  const sampler = (async () => {
    while (writing) {
      peak = Math.max(peak, await pending());
      await Bun.sleep(200);
    }
  })();
  try {
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let t = 0; t < TASKS_PER_WRITER; t++) {
          const key = `w${w}t${t}`;
          await writers.begin(async (tx) => {
            await enqueueEvent(tx, SCHEMA, { topic: "task-events", key, event: event(key, 0) });
            await enqueueEvent(tx, SCHEMA, { topic: "task-updates", key, event: event(key, 1) });
          });
        }
      }),
    );
  } finally {
    writing = false;
    await sampler;
    await writers.end({ timeout: 5 });
  }
  // The consumers catch up: the bus answers at once from now on.
  lagMs = 0;
  const backlog = await pending();
  const drainStart = Date.now();
  const deadline = drainStart + 60_000;
  while (published.length < total && Date.now() < deadline) await Bun.sleep(50);
  await relay.stop();
  console.log(
    `outbox under load: ${total} events from ${WRITERS} writers, backlog peak ${peak}, ` +
      `${backlog} left when the bus caught up, drained in ${Date.now() - drainStart} ms`,
  );

  expect(peak).toBeGreaterThan(5000); // the bus did lag behind the writers
  expect(published.length).toBe(total);
  expect(await pending()).toBe(0);
  const byKey = new Map<string, string[]>();
  for (const p of published) byKey.set(p.key, [...(byKey.get(p.key) ?? []), p.label]);
  expect(byKey.size).toBe(WRITERS * TASKS_PER_WRITER);
  const outOfOrder = [...byKey].filter(([key, labels]) => labels.join() !== `${key}#0,${key}#1`);
  expect(outOfOrder).toEqual([]);
  expect(lines.filter((l) => l.level === "error" || l.level === "warn")).toEqual([]);
}, 120_000);

test("a claim stuck behind a lock times out and is retried, and stop() leaves nothing running", async () => {
  await db.sql.begin((tx) =>
    enqueueEvent(tx, SCHEMA, { topic: "t", key: "locked", event: event("locked", 0) }),
  );
  const published: string[] = [];
  const bus: EventBus = {
    async publish(_topic, key) {
      published.push(key);
    },
    async subscribe() {
      throw new Error("not used");
    },
    async close() {},
  };
  const { logger, lines } = memoryLogger();
  const locker = await db.sql.reserve();
  await locker.unsafe("begin");
  await locker.unsafe(`lock table ${TABLE} in access exclusive mode`);
  const relay = startOutboxRelay({
    sql: db.sql,
    schema: SCHEMA,
    bus,
    listen: false,
    pollIntervalMs: 20,
    claimTimeoutMs: 200,
    slowClaimMs: 100,
    maxBackoffMs: 200,
    logger,
  });
  try {
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.level === "error") && Date.now() < deadline) await Bun.sleep(20);
    const failure = lines.find((l) => l.level === "error");
    expect(failure?.msg).toBe("outbox relay round failed");
    expect((failure?.fields?.err as { code?: string } | undefined)?.code).toBe("57014"); // statement_timeout
    expect(lines.some((l) => l.level === "warn" && l.msg === "outbox claim was slow")).toBe(true);
  } finally {
    await locker.unsafe("rollback");
    locker.release();
  }
  const deadline = Date.now() + 10_000;
  while (published.length === 0 && Date.now() < deadline) await Bun.sleep(20);
  await relay.stop();
  expect(published).toEqual(["locked"]);

  // Stuck again, then stopped: stop() cancels the claim instead of waiting for it.
  await db.sql.begin((tx) =>
    enqueueEvent(tx, SCHEMA, { topic: "t", key: "later", event: event("later", 0) }),
  );
  const took = await stopWhileLocked(db.sql, TABLE, "%for update skip locked%", () =>
    startOutboxRelay({ sql: db.sql, schema: SCHEMA, bus, listen: false, logger: memoryLogger().logger }),
  );
  expect(took).toBeLessThan(2000);
  expect(await pending()).toBe(1);
  await db.sql.unsafe(`delete from ${TABLE}`);
});
