/**
 * Runs compiled filters against a real database — the PostgreSQL server at DATABASE_URL and the
 * embedded PGlite (PostgreSQL 18) — over 32 hand-made tasks, and checks each filter returns exactly
 * the ids worked out by hand below. Needs DATABASE_URL (`bun scripts/infra.ts up` prints it); without
 * it this file fails on purpose.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { openDatabase } from "@todo/platform/data";
import postgres from "postgres";
import { compileFilter, type FilterContext } from "./compiler";

const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  throw new Error(
    "DATABASE_URL is not set: filter-sql.test.ts runs filters against a real PostgreSQL. " +
      "Start one with `bun scripts/infra.ts up` and export the DATABASE_URL it prints.",
  );
}

// 2026-11-26 02:00 in Los Angeles (PST, -08:00): today = 2026-11-26T08:00Z, today+7d = 2026-12-03T08:00Z,
// today-1w = 2026-11-19T08:00Z, now-2h = 2026-11-26T08:00Z, the date 2026-12-01 = 2026-12-01T08:00Z.
const CTX: FilterContext = { now: new Date("2026-11-26T10:00:00Z"), timeZone: "America/Los_Angeles" };
const ME = 1;
const OTHER = 2;

interface Task {
  id: number;
  user?: number;
  status: "O" | "C";
  priority: 0 | 1 | 2 | 3 | 4;
  tags?: string[];
  due?: string;
  created?: string;
  updated?: string;
  completed?: string;
  title: string;
}

const day = (n: number) => `2026-11-${String(n).padStart(2, "0")}T00:00:00Z`;

// biome-ignore format: one task per line reads as a table
const TASKS: Task[] = [
  { id: 1, status: "O", priority: 4, tags: ["work"], due: "2026-11-25T17:00:00Z", title: "Submit report" },
  { id: 2, status: "O", priority: 3, tags: ["work", "waiting"], due: "2026-11-27T17:00:00Z", updated: day(20), title: "Meeting prep" },
  { id: 3, status: "O", priority: 2, tags: ["home"], title: "Buy milk" },
  { id: 4, status: "C", priority: 1, due: "2026-11-20T12:00:00Z", updated: "2026-11-21T09:00:00Z", completed: "2026-11-21T09:00:00Z", title: "buy MILK" },
  { id: 5, status: "O", priority: 0, title: "Call mom" },
  { id: 6, status: "O", priority: 3, tags: ["work"], due: "2026-12-03T07:59:59Z", title: "Quarterly meeting" },
  { id: 7, status: "O", priority: 3, tags: ["work"], due: "2026-12-03T08:00:00Z", title: "Weekly Meeting" },
  { id: 8, status: "C", priority: 4, tags: ["work", "urgent"], due: "2026-11-26T07:59:59Z", updated: "2026-11-26T09:00:00Z", completed: "2026-11-26T09:00:00Z", title: "Fix prod" },
  { id: 9, status: "O", priority: 1, tags: ["errands"], due: "2026-11-26T08:00:00Z", title: "50% off sale" },
  { id: 10, status: "O", priority: 2, tags: ["errands", "home"], due: "2026-11-26T09:59:59Z", title: "under_score task" },
  { id: 11, status: "O", priority: 4, title: "100%" },
  { id: 12, status: "C", priority: 3, tags: ["home"], updated: "2026-11-12T12:00:00Z", completed: "2026-11-12T12:00:00Z", title: "Tax return" },
  { id: 13, status: "O", priority: 1, tags: ["waiting"], due: "2026-12-10T18:00:00Z", title: "Renew passport" },
  { id: 14, status: "O", priority: 2, tags: ["work"], due: "2026-11-26T10:00:00Z", title: "Standup" },
  { id: 15, status: "O", priority: 2, tags: ["o'brien"], title: "It's O'Brien's" },
  { id: 16, status: "O", priority: 1, tags: ["a;b"], title: "Robert'); DROP TABLE tasks;--" },
  { id: 17, status: "O", priority: 1, tags: ["$1"], title: "cost $1" },
  { id: 18, status: "O", priority: 3, tags: ["work"], due: "2026-11-26T10:00:00.001Z", title: "back\\slash" },
  { id: 19, status: "C", priority: 2, tags: ["work", "waiting"], due: "2026-11-01T12:00:00Z", created: "2026-10-01T00:00:00Z", updated: "2026-11-02T12:00:00Z", completed: "2026-11-02T12:00:00Z", title: "Old waiting" },
  { id: 20, status: "O", priority: 0, tags: ["home"], due: "2027-01-01T08:00:00Z", title: "New year" },
  { id: 21, status: "O", priority: 2, created: "2026-11-26T09:00:00Z", title: "Just added" },
  { id: 22, status: "O", priority: 1, due: "2026-12-01T07:59:59Z", created: "2026-11-20T12:00:00Z", title: "Before December" },
  { id: 23, status: "O", priority: 1, due: "2026-12-01T08:00:00Z", created: "2026-11-20T12:00:00Z", title: "December starts" },
  { id: 24, status: "C", priority: 0, tags: ["shopping"], created: day(21), updated: "2026-11-25T12:00:00Z", completed: "2026-11-25T12:00:00Z", title: "Groceries" },
  { id: 25, status: "O", priority: 3, tags: ["work", "home"], due: "2026-11-24T12:00:00Z", created: day(22), title: "Plan trip" },
  { id: 26, status: "O", priority: 4, tags: ["waiting"], due: "2026-11-28T12:00:00Z", created: day(23), title: "Urgent but waiting" },
  { id: 27, status: "O", priority: 0, created: day(24), title: 'Say "hi"' },
  { id: 28, status: "O", priority: 2, tags: ["errands"], due: "2026-11-19T08:00:00Z", created: day(25), title: "Week-old errand" },
  { id: 29, status: "O", priority: 2, tags: ["errands"], due: "2026-11-19T07:59:59Z", created: day(25), title: "Older errand" },
  { id: 30, status: "C", priority: 1, created: day(25), updated: "2026-11-26T08:30:00Z", completed: "2026-11-26T08:30:00Z", title: "Done today" },
  // Another user's tasks match many filters; they must never show up.
  { id: 31, user: OTHER, status: "O", priority: 4, tags: ["work"], due: "2026-11-25T00:00:00Z", created: day(26), title: "Other user's meeting" },
  { id: 32, user: OTHER, status: "C", priority: 0, created: day(26), updated: "2026-11-26T09:00:00Z", completed: "2026-11-26T09:00:00Z", title: "buy milk" },
];

const ALL = TASKS.filter((t) => (t.user ?? ME) === ME).map((t) => t.id);
const allBut = (...ids: number[]) => ALL.filter((id) => !ids.includes(id));

/** Each filter and the ids it must return, worked out by hand from the rows above. */
// biome-ignore format: one case per line
const CASES: [string, number[]][] = [
  ["", ALL],
  ["status = OPEN AND priority >= HIGH", [1, 2, 6, 7, 11, 18, 25, 26]],
  // AIP-160 precedence: OR binds tighter, so this is open AND (HIGH OR URGENT) — 8 is URGENT but completed.
  ["status = open AND priority = HIGH OR priority = URGENT", [1, 2, 6, 7, 11, 18, 25, 26]],
  ["(status = open AND priority = HIGH) OR priority = URGENT", [1, 2, 6, 7, 8, 11, 18, 25, 26]],
  ["status:completed", [4, 8, 12, 19, 24, 30]],
  ["status != TASK_STATUS_OPEN", [4, 8, 12, 19, 24, 30]],
  ["priority < MEDIUM", [4, 5, 9, 13, 16, 17, 20, 22, 23, 24, 27, 30]],
  ["priority = PRIORITY_UNSPECIFIED", [5, 20, 24, 27]],
  ["priority > high", [1, 8, 11, 26]],
  ["due_time < today+7d", [1, 2, 4, 6, 8, 9, 10, 14, 18, 19, 22, 23, 25, 26, 28, 29]],
  ["NOT due_time < today+7d", [3, 5, 7, 11, 12, 13, 15, 16, 17, 20, 21, 24, 27, 30]],
  ["tags:work AND NOT tags:waiting", [1, 6, 7, 8, 14, 18, 25]],
  ["tags = WORK", [1, 2, 6, 7, 8, 14, 18, 19, 25]],
  ["tags != work", allBut(1, 2, 6, 7, 8, 14, 18, 19, 25)],
  ["NOT due_time:*", [3, 5, 11, 12, 15, 16, 17, 21, 24, 27, 30]],
  ["-tags:*", [4, 5, 11, 21, 22, 23, 27, 30]],
  ["tags:*", allBut(4, 5, 11, 21, 22, 23, 27, 30)],
  ["(priority = URGENT OR due_time < now) AND status = open", [1, 9, 10, 11, 25, 26, 28, 29]],
  ["tags:errands OR tags:home -tags:work", [3, 9, 10, 12, 20, 28, 29]],
  ["NOT (tags:work OR tags:home)", allBut(1, 2, 3, 6, 7, 8, 10, 12, 14, 18, 19, 20, 25)],
  ["title:meet", [2, 6, 7]],
  ["title:MEETING tags:work", [2, 6, 7]],
  ['title = "buy milk"', [3, 4]],
  ['title != "BUY MILK"', allBut(3, 4)],
  ["title:%", [9, 11]],
  ["title:_", [10]],
  [String.raw`title:"\\"`, [18]],
  ["title:\"'\"", [15, 16]],
  [String.raw`title:"\"hi\""`, [27]],
  ['title:"); DROP TABLE"', [16]],
  ['title:"$1"', [17]],
  ["tags:\"o'brien\"", [15]],
  ["tags:a;b", [16]],
  ["tags:$1", [17]],
  ["due_time < 2026-12-01", [1, 2, 4, 8, 9, 10, 14, 18, 19, 22, 25, 26, 28, 29]],
  ["due_time >= 2026-12-01T09:00:00+01:00", [6, 7, 13, 20, 23]],
  ["due_time = 2026-11-26T10:00:00Z", [14]],
  ["due_time != 2026-11-26T10:00:00Z", [1, 2, 4, 6, 7, 8, 9, 10, 13, 18, 19, 20, 22, 23, 25, 26, 28, 29]],
  ["NOT due_time = 2026-11-26T10:00:00Z", allBut(14)],
  ["due_time > now", [2, 6, 7, 13, 18, 20, 22, 23, 26]],
  ["due_time >= today AND due_time < today+1d", [9, 10, 14, 18]],
  ["due_time >= today-1w AND due_time < today", [1, 4, 8, 25, 28]],
  ["due_time <= 2026-11-25T09:00", [1, 4, 19, 25, 28, 29]],
  ["complete_time:*", [4, 8, 12, 19, 24, 30]],
  ["complete_time >= today", [8, 30]],
  ["NOT complete_time >= today", allBut(8, 30)],
  ["create_time > now-2h", [21]],
  ["create_time >= 2026-11-20", [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]],
  ["update_time >= today", [8, 21, 30]],
  ["update_time:*", ALL],
];

interface Backend {
  name: string;
  open(): Promise<{ sql: postgres.Sql; close(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: "PostgreSQL (DATABASE_URL)",
    async open() {
      const sql = postgres(DATABASE_URL as string, { max: 2, onnotice: () => {} });
      return { sql, close: () => sql.end({ timeout: 5 }) };
    },
  },
  {
    name: "PGlite (embedded)",
    async open() {
      const db = await openDatabase({ dataDir: "memory://", maxConnections: 2 });
      return { sql: db.sql, close: () => db.close() };
    },
  },
];

describe.each(BACKENDS)("filters on $name", (backend) => {
  const schema = `filter_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const table = `${schema}.tasks`;
  let sql: postgres.Sql;
  let close: () => Promise<void> = async () => {};

  beforeAll(async () => {
    ({ sql, close } = await backend.open());
    await sql.unsafe(`create schema ${schema}`);
    await sql.unsafe(`
      create table ${table} (
        id int primary key,
        user_id int not null,
        status smallint not null,
        priority smallint not null,
        tag_keys text[] not null,
        due_time timestamptz,
        create_time timestamptz not null,
        update_time timestamptz not null,
        complete_time timestamptz,
        title text not null,
        title_key text generated always as (lower(title)) stored
      )`);
    await sql.unsafe(`create index ${schema}_tags on ${table} using gin (tag_keys)`);
    await sql.unsafe(`create index ${schema}_due on ${table} (due_time)`);
    await sql.unsafe(`create index ${schema}_priority on ${table} (priority)`);
    for (const t of TASKS) {
      const created = t.created ?? day(t.id);
      await sql.unsafe(
        `insert into ${table} (id, user_id, status, priority, tag_keys, due_time, create_time, update_time,
           complete_time, title)
         values ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10)`,
        [
          t.id,
          t.user ?? ME,
          t.status === "O" ? 1 : 2,
          t.priority,
          t.tags ?? [],
          t.due ?? null,
          created,
          t.updated ?? created,
          t.completed ?? null,
          t.title,
        ],
      );
    }
  }, 60_000);

  afterAll(async () => {
    try {
      await sql?.unsafe(`drop schema if exists ${schema} cascade`);
    } finally {
      await close();
    }
  });

  async function ids(filter: string, ctx: FilterContext = CTX): Promise<number[]> {
    // The caller's own parameter comes first, as in ListTasks.
    const compiled = compileFilter(filter, ctx, 2);
    const rows = await sql.unsafe<{ id: number }[]>(
      `select id from ${table} where user_id = $1 and ${compiled.sql} order by id`,
      [ME, ...(compiled.params as postgres.ParameterOrJSON<never>[])],
    );
    return rows.map((r) => r.id);
  }

  it("holds the rows the cases were worked out from", async () => {
    const counted = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from ${table}`);
    expect(counted[0]?.n).toBe(TASKS.length);
    const tagged = await sql.unsafe<{ tags: string[] }[]>(
      `select tag_keys as tags from ${table} where id = 16`,
    );
    expect(tagged[0]?.tags).toEqual(["a;b"]);
  });

  it.each(CASES)("%j", async (filter, expected) => {
    expect(await ids(filter)).toEqual(expected);
    // NOT is the exact complement, NULLs included.
    if (filter !== "") expect(await ids(`NOT (${filter})`)).toEqual(allBut(...expected));
  });

  it("gives the same title results through title_key", async () => {
    for (const filter of ["title:meet", 'title = "buy milk"', 'title != "BUY MILK"', "title:%", "title:_"]) {
      expect(await ids(filter, { ...CTX, titleKeyColumn: true })).toEqual(await ids(filter));
    }
  });

  it("reads dates and today in the caller's time zone", async () => {
    const utc = { ...CTX, timeZone: "UTC" };
    expect(await ids("create_time >= 2026-11-20", utc)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    // In Tokyo it is already 19:00 on Nov 26: today = 2026-11-25T15:00Z.
    const tokyo = { ...CTX, timeZone: "Asia/Tokyo" };
    expect(await ids("due_time >= today AND due_time < today+1d", tokyo)).toEqual([1, 8, 9, 10, 14, 18]);
  });

  it("lets the indexes serve tag, due-time and priority filters", async () => {
    for (const [filter, index] of [
      ["tags:work", `${schema}_tags`],
      ["due_time < today+7d", `${schema}_due`],
      ["due_time >= today AND due_time < today+1d", `${schema}_due`],
      ["priority >= HIGH", `${schema}_priority`],
    ] as const) {
      const compiled = compileFilter(filter, CTX);
      const plan = await sql.begin(async (tx) => {
        await tx.unsafe("set local enable_seqscan = off");
        const rows = await tx.unsafe<{ "QUERY PLAN": string }[]>(
          `explain select id from ${table} where ${compiled.sql}`,
          compiled.params as postgres.ParameterOrJSON<never>[],
        );
        return rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
      expect(plan).toContain(index);
    }
  });
});
