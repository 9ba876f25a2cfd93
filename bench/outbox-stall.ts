/**
 * The outbox relay under the conditions of its stall (issue 13 §5), on the PostgreSQL of
 * `DATABASE_URL`, in a scratch database it drops afterwards (`bun bench/outbox-stall.ts`). Prints
 * markdown for docs/reliability.md ("The outbox relay under load").
 *
 * Phase 1, plans: the outbox is emptied and vacuumed (`reltuples` 0, no pages), the claim is
 * prepared as a generic plan then — as the relay's was after five executions on the empty table —
 * and executed (EXPLAIN ANALYZE, BUFFERS) once the table holds N rows, for the statement before the
 * fix and for today's `outboxClaimStatement`.
 * Phase 2, load: `--writers` connections each create `--tasks` tasks (two events each, as CreateTask
 * does) while the bus takes `--lag-ms` per batch; then the bus catches up and the backlog drains.
 * Every claim's duration is taken from the relay's own slow-claim log (threshold 0).
 *
 * Options: --writers (50) --tasks (600 per writer) --lag-ms (500) --old-sizes (250,500,1000)
 * --new-sizes (1000,10000,50000,100000).
 */
import { parseArgs } from "node:util";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import {
  enqueueEvent,
  ensureOutbox,
  outboxClaimStatement,
  startOutboxRelay,
  toCloudEvent,
} from "@todo/platform/events";
import { createTestDatabase } from "@todo/platform/testing";
import postgres from "postgres";

const { values: args } = parseArgs({
  options: {
    writers: { type: "string", default: "50" },
    tasks: { type: "string", default: "600" },
    "lag-ms": { type: "string", default: "500" },
    "old-sizes": { type: "string", default: "250,500,1000" },
    "new-sizes": { type: "string", default: "1000,10000,50000,100000" },
  },
});
const sizes = (s: string) => s.split(",").map(Number);

/** The claim as it was when it stalled (outbox.ts before issue 13), kept here to measure it. */
function claimBeforeTheFix(table: string): string {
  return `with batch as materialized (
       select seq, key from ${table} where claimed_until is null or claimed_until < now()
       order by seq limit $1 for update skip locked
     ), ranked as (
       select seq, key, row_number() over (partition by key order by seq) - 1 as earlier_in_batch from batch
     ), heads as (
       select r.seq from ranked r
       where (select count(*) from ${table} p where p.key = r.key and p.seq < r.seq) = r.earlier_in_batch
     )
     update ${table} o set claim = $2, claimed_until = now() + $3 * interval '1 millisecond'
     from heads h where o.seq = h.seq returning o.seq`;
}

const db = await createTestDatabase();
const sql = db.sql;
const SCHEMA = "bench";
const TABLE = `${SCHEMA}.outbox`;
await ensureOutbox(sql, SCHEMA);

async function fill(n: number): Promise<void> {
  await sql.unsafe(`insert into ${TABLE} (topic, key, event_id, source, type, subject, event_time, data_schema, data)
    select 't', 'k' || (g / 2), gen_random_uuid()::text, 's', 'x', 'k', now(), 'd', '\\x00'::bytea
    from generate_series(1, ${n}) g`);
}

async function vacuumEmpty(): Promise<void> {
  await fill(200);
  await sql.unsafe(`delete from ${TABLE}`);
  await sql.unsafe(`vacuum (analyze, truncate) ${TABLE}`);
}

/** One claim on `rows` rows with a generic plan made on the vacuumed, empty table. */
async function stalePlanClaim(statement: string, rows: number): Promise<{ ms: number; buffers: number }> {
  await sql.unsafe(`alter table ${TABLE} set (autovacuum_enabled = false)`);
  await vacuumEmpty();
  const conn = await sql.reserve();
  try {
    await conn.unsafe("set plan_cache_mode = force_generic_plan");
    await conn.unsafe(`prepare claim (int, uuid, int) as ${statement}`);
    await conn.unsafe("explain execute claim (100, gen_random_uuid(), 1000)");
    await fill(rows);
    const [row] = await conn.unsafe<{ "QUERY PLAN": { Plan: { "Shared Hit Blocks": number } }[] }[]>(
      "explain (analyze, buffers, format json) execute claim (100, gen_random_uuid(), 1000)",
    );
    const started = performance.now();
    await conn.unsafe("execute claim (100, gen_random_uuid(), 1000)");
    const ms = performance.now() - started;
    await conn.unsafe("deallocate claim");
    return { ms, buffers: row?.["QUERY PLAN"][0]?.Plan["Shared Hit Blocks"] ?? -1 };
  } finally {
    conn.release();
    await sql.unsafe(`alter table ${TABLE} reset (autovacuum_enabled)`);
    await sql.unsafe(`delete from ${TABLE}`);
  }
}

const out: string[] = [];
const print = (line: string) => {
  out.push(line);
  console.log(line);
};

print("| statement | outbox rows | one claim (ms) | shared buffers read |");
print("|---|---:|---:|---:|");
for (const n of sizes(args["old-sizes"])) {
  const r = await stalePlanClaim(claimBeforeTheFix(TABLE), n);
  print(`| before the fix | ${n} | ${r.ms.toFixed(0)} | ${r.buffers} |`);
}
for (const n of sizes(args["new-sizes"])) {
  const r = await stalePlanClaim(outboxClaimStatement(TABLE), n);
  print(`| \`outboxClaimStatement\` | ${n} | ${r.ms.toFixed(1)} | ${r.buffers} |`);
}

// Phase 2: the load.
const WRITERS = Number(args.writers);
const TASKS = Number(args.tasks);
const total = WRITERS * TASKS * 2;
await vacuumEmpty();
let lagMs = Number(args["lag-ms"]);
let published = 0;
const claims: number[] = [];
const relay = startOutboxRelay({
  sql,
  schema: SCHEMA,
  pollIntervalMs: 20,
  slowClaimMs: 0,
  bus: {
    async publish() {
      throw new Error("publishBatch is used");
    },
    async publishBatch(entries) {
      await Bun.sleep(lagMs);
      published += entries.length;
    },
    async subscribe() {
      throw new Error("not used");
    },
    async close() {},
  },
  logger: {
    debug() {},
    info() {},
    warn(msg, fields) {
      if (msg === "outbox claim was slow") claims.push(Number(fields?.duration_ms));
      else console.error(msg, fields);
    },
    error(msg, fields) {
      console.error(msg, fields);
    },
  },
});
await Bun.sleep(300);
const pending = async () =>
  (await sql<{ n: number }[]>`select count(*)::int as n from bench.outbox`)[0]?.n ?? 0;
const stats = async () =>
  (
    await sql<{ dead: number; vacuums: number; analyzes: number }[]>`
      select n_dead_tup::int as dead, autovacuum_count::int as vacuums, autoanalyze_count::int as analyzes
      from pg_stat_user_tables where schemaname = ${SCHEMA} and relname = 'outbox'`
  )[0];
const writers = postgres(db.url, { max: WRITERS, onnotice: () => {} });
const event = (key: string, n: number) =>
  toCloudEvent(
    TagDeletedSchema,
    { userId: "u", tagId: key, name: `${key}#${n}` },
    { source: "bench", type: "todo.tag.v1.deleted", subject: key },
  );
let peak = 0;
let maxDead = 0;
let writing = true;
const sampler = (async () => {
  while (writing) {
    peak = Math.max(peak, await pending());
    maxDead = Math.max(maxDead, (await stats())?.dead ?? 0);
    await Bun.sleep(500);
  }
})();
const writeStart = performance.now();
await Promise.all(
  Array.from({ length: WRITERS }, async (_, w) => {
    for (let t = 0; t < TASKS; t++) {
      const key = `w${w}t${t}`;
      await writers.begin(async (tx) => {
        await enqueueEvent(tx, SCHEMA, { topic: "task-events", key, event: event(key, 0) });
        await enqueueEvent(tx, SCHEMA, { topic: "task-updates", key, event: event(key, 1) });
      });
    }
  }),
);
const writeMs = performance.now() - writeStart;
writing = false;
await sampler;
await writers.end({ timeout: 5 });
const left = await pending();
lagMs = 0;
const drainStart = performance.now();
while (published < total) await Bun.sleep(20);
const drainMs = performance.now() - drainStart;
await relay.stop();
const after = await stats();
claims.sort((a, b) => a - b);
const q = (p: number) => claims[Math.min(claims.length - 1, Math.floor(p * claims.length))] ?? 0;
print("");
print(
  "| writers | tasks | events | write time | backlog peak | left when the bus caught up | drain | claims | claim p50 / p99 / max | dead tuples (max seen) | autovacuums / autoanalyzes |",
);
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
print(
  `| ${WRITERS} | ${WRITERS * TASKS} | ${total} | ${(writeMs / 1000).toFixed(1)} s | ${peak} | ${left} | ` +
    `${(drainMs / 1000).toFixed(1)} s | ${claims.length} | ${q(0.5)} / ${q(0.99)} / ${claims.at(-1) ?? 0} ms | ` +
    `${maxDead} | ${after?.vacuums ?? 0} / ${after?.analyzes ?? 0} |`,
);
await db.drop();
