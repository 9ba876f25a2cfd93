/**
 * Property test of ListTasks: random task sets, random filters (generated as syntax trees and printed
 * to filter text), random orders and random page sizes. Paging through the real service must return
 * exactly the ids, in exactly the order, that an independent evaluation in this file predicts.
 *
 * The evaluator below is written from docs/filtering.md and docs/api.md, not from the implementation:
 * comparisons with a missing value are false, NOT is the exact complement, OR binds tighter than
 * AND, dates and relative times are read in the caller's time zone (America/New_York, with a DST
 * change two days after the fixed clock), and the order is the requested keys with missing due
 * times last in either direction, then the id.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { Temporal } from "temporal-polyfill";
import { createTaskTestEnv, listAll, type TaskTestEnv, type TestUser } from "../test/task-env";
import { createTaskStore, type TaskStore, type TaskValues } from "./store";

// ---------------------------------------------------------------------------------------------------
// The world: a fixed clock on the Saturday before US daylight-saving time starts (2026-03-08 02:00).

const ZONE = "America/New_York";
const NOW = Date.parse("2026-03-07T20:00:00.000Z"); // 15:00 EST
const DAY = 86_400_000;

/** The start of each local day from 20 days before to 25 days after the clock. */
const DAY_STARTS: number[] = (() => {
  const today = Temporal.Instant.fromEpochMilliseconds(NOW).toZonedDateTimeISO(ZONE).toPlainDate();
  const out: number[] = [];
  for (let d = -20; d <= 25; d++)
    out.push(today.add({ days: d }).toZonedDateTime({ timeZone: ZONE }).epochMilliseconds);
  return out;
})();

/** Instants that filters are likely to hit exactly: day starts, the clock, and their neighbours. */
const INTERESTING: number[] = [
  ...DAY_STARTS,
  ...DAY_STARTS.map((t) => t - 1),
  ...DAY_STARTS.map((t) => t + 1),
  NOW,
  NOW - 1,
  NOW + 1,
  NOW + 3_600_000,
];

const instantArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...INTERESTING) },
  { weight: 3, arbitrary: fc.integer({ min: NOW - 20 * DAY, max: NOW + 25 * DAY }) },
);

// ---------------------------------------------------------------------------------------------------
// Tasks.

/** Title words: ASCII (so lower-case code-unit order is the SQL `collate "C"` order) with LIKE's
 * wildcard characters `%` and `_` and words those wildcards would wrongly match. */
const WORDS = ["meeting", "Milk", "buy", "REPORT", "50%", "507", "x_y", "xay", "call", "Mum", "a", "b"];
/** Tags as users spell them; filters match them ignoring case. */
const TAGS = ["work", "Home", "errands", "deep work", "URGENT", "x"];

interface ModelTask {
  id: string;
  title: string;
  status: 1 | 2;
  priority: number;
  tags: string[];
  due: number | null;
  create: number;
  update: number;
  complete: number | null;
}

type TaskSpec = Omit<ModelTask, "id" | "update" | "status">;

const createPool = [NOW - 5 * DAY, NOW - 2 * DAY, NOW - 3 * DAY, NOW - 1000];

const taskArb: fc.Arbitrary<TaskSpec> = fc.record({
  title: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 3 }).map((w) => w.join(" ")),
  priority: fc.integer({ min: 0, max: 4 }),
  tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3, selector: (t) => t.toLowerCase() }),
  due: fc.option(instantArb, { nil: null, freq: 4 }),
  // Several tasks share a creation instant, so the id tie-break matters.
  create: fc.oneof(fc.constantFrom(...createPool), fc.integer({ min: NOW - 30 * DAY, max: NOW })),
  complete: fc.option(fc.integer({ min: NOW - 10 * DAY, max: NOW }), { nil: null, freq: 2 }),
});

const taskSetArb = fc.array(taskArb, { minLength: 80, maxLength: 300 });

/** Inserts the tasks through the store (so tag_keys and generated columns are right). */
async function insertTasks(
  store: TaskStore,
  user: TestUser,
  specs: readonly TaskSpec[],
): Promise<ModelTask[]> {
  const out: ModelTask[] = [];
  const batch = 8;
  for (let i = 0; i < specs.length; i += batch) {
    const rows = await Promise.all(
      specs.slice(i, i + batch).map(async (spec): Promise<ModelTask> => {
        const values: TaskValues = {
          title: spec.title,
          description: "",
          priority: spec.priority,
          tags: spec.tags,
          due_time: spec.due === null ? null : new Date(spec.due),
          time_zone: ZONE,
          rrule: null,
          recurrence_anchor: 0,
          reminders: [],
        };
        const created = await store.create(user.principal.userId, values, "", new Date(spec.create));
        if ("spent" in created) throw new Error("a create without request_id cannot be spent");
        const { row } = created;
        let update = spec.create;
        let complete: number | null = null;
        if (spec.complete !== null) {
          // Completed at least a little after creation, so update_time moves.
          complete = Math.max(spec.complete, spec.create + 1);
          const res = await store.setStatus(user.principal.userId, row.id, 2, new Date(complete));
          if (!("row" in res)) throw new Error("setStatus failed");
          update = complete;
        }
        return { ...spec, id: row.id, status: complete === null ? 1 : 2, update, complete };
      }),
    );
    out.push(...rows);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Filters as syntax trees, printed to text and evaluated independently.

type TimeSpec =
  | { kind: "instant"; ms: number; offsetMinutes: number }
  | { kind: "date"; date: string }
  | { kind: "local"; dateTime: string; seconds: boolean }
  | {
      kind: "relative";
      base: "now" | "today";
      offset: { amount: number; unit: "s" | "m" | "h" | "d" | "w" } | null;
    };

type Restriction =
  | { field: "status"; op: "=" | "!=" | ":"; value: 1 | 2; spelling: string }
  | { field: "priority"; op: Op; value: number; spelling: string }
  | { field: "tags"; op: "=" | "!=" | ":"; tag: string }
  | { field: "tags" | TimeField; op: ":"; presence: true }
  | { field: TimeField; op: Exclude<Op, ":">; time: TimeSpec; quoted: boolean }
  | { field: "title"; op: "=" | "!=" | ":"; text: string; quoted: boolean };

type Op = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":";
type TimeField = "due_time" | "complete_time" | "create_time" | "update_time";

type Node =
  | { kind: "r"; r: Restriction; space: boolean }
  | { kind: "and"; operands: Node[]; implicit: boolean; parens: boolean }
  | { kind: "or"; operands: Node[]; parens: boolean }
  | { kind: "not"; operand: Node; dash: boolean };

const STATUS_SPELLINGS: [string, 1 | 2][] = [
  ["OPEN", 1],
  ["open", 1],
  ["TASK_STATUS_OPEN", 1],
  ["COMPLETED", 2],
  ["Completed", 2],
  ["task_status_completed", 2],
];
const PRIORITY_SPELLINGS: [string, number][] = [
  ["UNSPECIFIED", 0],
  ["PRIORITY_UNSPECIFIED", 0],
  ["LOW", 1],
  ["low", 1],
  ["MEDIUM", 2],
  ["PRIORITY_MEDIUM", 2],
  ["HIGH", 3],
  ["High", 3],
  ["URGENT", 4],
  ["priority_urgent", 4],
];

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

const timeSpecArb: fc.Arbitrary<TimeSpec> = fc.oneof(
  fc.record({
    kind: fc.constant("relative" as const),
    base: fc.constantFrom("now" as const, "today" as const),
    offset: fc.option(
      fc.oneof(
        fc.record({ amount: fc.integer({ min: -999_999, max: 999_999 }), unit: fc.constant("s" as const) }),
        fc.record({ amount: fc.integer({ min: -50_000, max: 50_000 }), unit: fc.constant("m" as const) }),
        fc.record({ amount: fc.integer({ min: -800, max: 800 }), unit: fc.constant("h" as const) }),
        fc.record({ amount: fc.integer({ min: -25, max: 25 }), unit: fc.constant("d" as const) }),
        fc.record({ amount: fc.integer({ min: -4, max: 4 }), unit: fc.constant("w" as const) }),
      ),
      { nil: null },
    ),
  }),
  fc.integer({ min: -25, max: 25 }).map((d): TimeSpec => {
    const date = Temporal.Instant.fromEpochMilliseconds(NOW)
      .toZonedDateTimeISO(ZONE)
      .toPlainDate()
      .add({ days: d });
    return { kind: "date", date: date.toString() };
  }),
  fc
    .record({
      day: fc.integer({ min: -10, max: 10 }),
      hour: fc.constantFrom(0, 1, 2, 3, 9, 15, 23),
      minute: fc.constantFrom(0, 30, 59),
      seconds: fc.boolean(),
    })
    .map(({ day, hour, minute, seconds }): TimeSpec => {
      // Includes 2026-03-08T02:30, a wall-clock time that does not exist in New York.
      const date = Temporal.Instant.fromEpochMilliseconds(NOW)
        .toZonedDateTimeISO(ZONE)
        .toPlainDate()
        .add({ days: day });
      return {
        kind: "local",
        dateTime: `${date}T${pad(hour)}:${pad(minute)}${seconds ? ":00" : ""}`,
        seconds,
      };
    }),
  fc
    .record({ ms: instantArb, offsetMinutes: fc.constantFrom(0, 0, -300, -240, 330, 540) })
    .map(({ ms, offsetMinutes }): TimeSpec => ({ kind: "instant", ms, offsetMinutes })),
);

function printTime(t: TimeSpec): string {
  switch (t.kind) {
    case "relative": {
      if (!t.offset) return t.base;
      const { amount, unit } = t.offset;
      return `${t.base}${amount < 0 ? "-" : "+"}${Math.abs(amount)}${unit}`;
    }
    case "date":
      return t.date;
    case "local":
      return t.dateTime;
    case "instant": {
      const shifted = new Date(t.ms + t.offsetMinutes * 60_000).toISOString().slice(0, 23);
      if (t.offsetMinutes === 0) return `${shifted}Z`;
      const sign = t.offsetMinutes < 0 ? "-" : "+";
      const abs = Math.abs(t.offsetMinutes);
      return `${shifted}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    }
  }
}

/** The instant a time value means for a caller in ZONE at NOW (docs/filtering.md, "Times"). */
function resolveTime(t: TimeSpec): number {
  const now = Temporal.Instant.fromEpochMilliseconds(NOW).toZonedDateTimeISO(ZONE);
  const startOf = (d: Temporal.PlainDate) => d.toZonedDateTime({ timeZone: ZONE }).epochMilliseconds;
  switch (t.kind) {
    case "instant":
      return t.ms;
    case "date":
      return startOf(Temporal.PlainDate.from(t.date));
    case "local":
      // A skipped wall-clock time moves forward by the gap; a repeated one takes the earlier instant.
      return Temporal.PlainDateTime.from(t.dateTime).toZonedDateTime(ZONE, { disambiguation: "compatible" })
        .epochMilliseconds;
    case "relative": {
      const base = t.base === "now" ? now.epochMilliseconds : startOf(now.toPlainDate());
      if (!t.offset) return base;
      const { amount, unit } = t.offset;
      if (unit === "d" || unit === "w") {
        const days = unit === "w" ? amount * 7 : amount;
        // Calendar days: today+Nd is the start of that day; now+Nd the same wall-clock time.
        return t.base === "today"
          ? startOf(now.toPlainDate().add({ days }))
          : now.add({ days }).epochMilliseconds;
      }
      return base + amount * { s: 1000, m: 60_000, h: 3_600_000 }[unit];
    }
  }
}

const FIELD_TIME: Record<TimeField, (t: ModelTask) => number | null> = {
  due_time: (t) => t.due,
  complete_time: (t) => t.complete,
  create_time: (t) => t.create,
  update_time: (t) => t.update,
};

function compare(op: Exclude<Op, ":">, a: number, b: number): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

function evalRestriction(r: Restriction, t: ModelTask): boolean {
  if ("presence" in r) {
    if (r.field === "tags") return t.tags.length > 0;
    return FIELD_TIME[r.field](t) !== null;
  }
  switch (r.field) {
    case "status":
      return r.op === "!=" ? t.status !== r.value : t.status === r.value;
    case "priority":
      return compare(r.op === ":" ? "=" : r.op, t.priority, r.value);
    case "tags": {
      const has = t.tags.some((tag) => tag.toLowerCase() === r.tag.trim().toLowerCase());
      return r.op === "!=" ? !has : has;
    }
    case "title": {
      const title = t.title.toLowerCase();
      const text = r.text.toLowerCase();
      if (r.op === ":") return title.includes(text);
      return r.op === "=" ? title === text : title !== text;
    }
    default: {
      const value = FIELD_TIME[r.field](t);
      // Every comparison with a missing value is false (even !=).
      return value !== null && compare(r.op, value, resolveTime(r.time));
    }
  }
}

function evalNode(n: Node, t: ModelTask): boolean {
  switch (n.kind) {
    case "r":
      return evalRestriction(n.r, t);
    case "and":
      return n.operands.every((o) => evalNode(o, t));
    case "or":
      return n.operands.some((o) => evalNode(o, t));
    case "not":
      return !evalNode(n.operand, t);
  }
}

const quote = (s: string) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

function printRestriction(r: Restriction, space: boolean): string {
  const sp = space ? " " : "";
  let value: string;
  if ("presence" in r) return `${r.field}:*`;
  switch (r.field) {
    case "status":
    case "priority":
      value = r.spelling;
      break;
    case "tags":
      value = /^[a-z0-9]+$/i.test(r.tag) ? r.tag : quote(r.tag);
      break;
    case "title":
      value = r.quoted || !/^[A-Za-z0-9%_]+$/.test(r.text) ? quote(r.text) : r.text;
      break;
    default:
      value = r.quoted ? quote(printTime(r.time)) : printTime(r.time);
  }
  return `${r.field}${sp}${r.op}${sp}${value}`;
}

/**
 * Prints a tree with AIP-160 precedence (NOT tightest, then OR, then AND): an OR inside an AND needs
 * no parentheses, an AND inside an OR does, and a negation applies to one restriction or group.
 */
function printNode(n: Node, context: "top" | "and" | "or" | "not"): string {
  switch (n.kind) {
    case "r":
      return printRestriction(n.r, n.space);
    case "and": {
      const text = n.operands.map((o) => printNode(o, "and")).join(n.implicit ? " " : " AND ");
      return n.parens || context === "or" || context === "not" ? `(${text})` : text;
    }
    case "or": {
      const text = n.operands.map((o) => printNode(o, "or")).join(" OR ");
      return n.parens || context === "not" ? `(${text})` : text;
    }
    case "not": {
      const inner = printNode(n.operand, "not");
      const text = n.dash ? `-${inner}` : `NOT ${inner}`;
      return context === "not" ? `(${text})` : text;
    }
  }
}

const timeFieldArb = fc.constantFrom<TimeField>("due_time", "complete_time", "create_time", "update_time");

const restrictionArb: fc.Arbitrary<Restriction> = fc.oneof(
  fc
    .record({
      field: fc.constant("status" as const),
      op: fc.constantFrom("=" as const, "!=" as const, ":" as const),
      s: fc.constantFrom(...STATUS_SPELLINGS),
    })
    .map(({ field, op, s }): Restriction => ({ field, op, spelling: s[0], value: s[1] })),
  fc
    .record({
      field: fc.constant("priority" as const),
      op: fc.constantFrom<Op>("=", "!=", "<", "<=", ">", ">=", ":"),
      s: fc.constantFrom(...PRIORITY_SPELLINGS),
    })
    .map(({ field, op, s }): Restriction => ({ field, op, spelling: s[0], value: s[1] })),
  {
    weight: 2,
    arbitrary: fc.record({
      field: fc.constant("tags" as const),
      op: fc.constantFrom("=" as const, "!=" as const, ":" as const),
      // Any case; "nope" is on no task.
      tag: fc.constantFrom(...TAGS, "WORK", "home", "nope"),
    }),
  },
  fc.record({
    field: fc.constantFrom<"tags" | TimeField>(
      "tags",
      "due_time",
      "complete_time",
      "create_time",
      "update_time",
    ),
    op: fc.constant(":" as const),
    presence: fc.constant(true as const),
  }),
  {
    weight: 4,
    arbitrary: fc.record({
      field: timeFieldArb,
      op: fc.constantFrom<Exclude<Op, ":">>("=", "!=", "<", "<=", ">", ">="),
      time: timeSpecArb,
      quoted: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      field: fc.constant("title" as const),
      op: fc.constantFrom("=" as const, "!=" as const, ":" as const),
      text: fc.oneof(
        fc.constantFrom(...WORDS, "0%", "_", "x_", "meet", "MILK BUY", "ILK"),
        fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 2 }).map((w) => w.join(" ")),
      ),
      quoted: fc.boolean(),
    }),
  },
);

const { node: nodeArb } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant("r" as const), r: restrictionArb, space: fc.boolean() }),
    },
    fc.record({
      kind: fc.constant("and" as const),
      operands: fc.array(tie("node"), { minLength: 2, maxLength: 3 }),
      implicit: fc.boolean(),
      parens: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant("or" as const),
      operands: fc.array(tie("node"), { minLength: 2, maxLength: 3 }),
      parens: fc.boolean(),
    }),
    fc.record({ kind: fc.constant("not" as const), operand: tie("node"), dash: fc.boolean() }),
  ),
}));

const filterArb = fc.option(nodeArb, { nil: undefined, freq: 8 });

// ---------------------------------------------------------------------------------------------------
// Orders.

type SortField = "priority" | "due_time" | "create_time" | "update_time" | "title";
const SORT_FIELDS: SortField[] = ["priority", "due_time", "create_time", "update_time", "title"];

interface OrderSpec {
  keys: { field: SortField; desc: boolean; written: "" | "asc" | "desc" | "DESC" | "Asc" }[];
}

const orderArb: fc.Arbitrary<OrderSpec> = fc
  .uniqueArray(fc.constantFrom(...SORT_FIELDS), { maxLength: 3 })
  .chain((fields) =>
    fc
      .tuple(
        ...fields.map(() =>
          fc.constantFrom("" as const, "asc" as const, "desc" as const, "DESC" as const, "Asc" as const),
        ),
      )
      .map(
        (dirs): OrderSpec => ({
          keys: fields.map((field, i) => {
            const written = dirs[i] ?? "";
            return { field, desc: written.toLowerCase() === "desc", written };
          }),
        }),
      ),
  );

const printOrder = (o: OrderSpec) =>
  o.keys.map((k) => (k.written ? `${k.field} ${k.written}` : k.field)).join(", ");

const SORT_VALUE: Record<SortField, (t: ModelTask) => number | string | null> = {
  priority: (t) => t.priority,
  due_time: (t) => t.due,
  create_time: (t) => t.create,
  update_time: (t) => t.update,
  title: (t) => t.title.toLowerCase(),
};

/** The documented order: the keys (missing due times last either way; default newest first), then id. */
function expectedOrder(tasks: ModelTask[], order: OrderSpec): string[] {
  const keys = order.keys.length > 0 ? order.keys : [{ field: "create_time" as const, desc: true }];
  return [...tasks]
    .sort((a, b) => {
      for (const { field, desc } of keys) {
        const x = SORT_VALUE[field](a);
        const y = SORT_VALUE[field](b);
        if (x === y) continue;
        if (x === null) return 1;
        if (y === null) return -1;
        const c = x < y ? -1 : 1;
        return desc ? -c : c;
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    })
    .map((t) => t.id);
}

const pageSizeArb = fc.oneof(
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 3, arbitrary: fc.integer({ min: 5, max: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1000) },
);

const queryArb = fc.record({ filter: filterArb, order: orderArb, pageSize: pageSizeArb });
type Query = { filter: Node | undefined; order: OrderSpec; pageSize: number };

// ---------------------------------------------------------------------------------------------------

let env: TaskTestEnv;
let store: TaskStore;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: new Date(NOW) });
  // Events of seeded tasks are of no interest here: the store writes none.
  store = createTaskStore(env.sql, async () => {});
});

afterAll(async () => {
  await env?.close();
});

async function check(user: TestUser, tasks: ModelTask[], q: Query): Promise<void> {
  const filter = q.filter ? printNode(q.filter, "top") : "";
  const orderBy = printOrder(q.order);
  const matching = tasks.filter((t) => (q.filter ? evalNode(q.filter, t) : true));
  const expected = expectedOrder(matching, q.order);
  const got = await listAll(user.client, { filter, orderBy, pageSize: q.pageSize }, 2000);
  const context = `filter=${JSON.stringify(filter)} order_by=${JSON.stringify(orderBy)} page_size=${q.pageSize}`;
  expect(
    got.tasks.map((t) => t.id),
    context,
  ).toEqual(expected);
  expect(got.totalSize, context).toBe(expected.length);
}

test("the independent evaluator agrees with itself on the documented examples", () => {
  // A sanity check of the test's own reading of the docs, before it judges the service.
  const base: ModelTask = {
    id: "x",
    title: "Buy Milk 50%",
    status: 1,
    priority: 3,
    tags: ["Work"],
    due: null,
    create: NOW - DAY,
    update: NOW - DAY,
    complete: null,
  };
  const r = (restriction: Restriction): Node => ({ kind: "r", r: restriction, space: true });
  const dueBefore = r({
    field: "due_time",
    op: "<",
    time: { kind: "relative", base: "today", offset: null },
    quoted: false,
  });
  expect(evalNode(dueBefore, base)).toBe(false);
  expect(evalNode({ kind: "not", operand: dueBefore, dash: false }, base)).toBe(true);
  expect(evalRestriction({ field: "tags", op: "!=", tag: "work" }, base)).toBe(false);
  expect(evalRestriction({ field: "title", op: ":", text: "0%", quoted: true }, base)).toBe(true);
  expect(
    evalRestriction({ field: "title", op: ":", text: "x_y", quoted: true }, { ...base, title: "xay" }),
  ).toBe(false);
  // today+1d crosses the DST change: 2026-03-08 starts at 05:00Z, 2026-03-09 at 04:00Z.
  expect(
    new Date(
      resolveTime({ kind: "relative", base: "today", offset: { amount: 1, unit: "d" } }),
    ).toISOString(),
  ).toBe("2026-03-08T05:00:00.000Z");
  expect(
    new Date(
      resolveTime({ kind: "relative", base: "today", offset: { amount: 2, unit: "d" } }),
    ).toISOString(),
  ).toBe("2026-03-09T04:00:00.000Z");
  expect(
    new Date(resolveTime({ kind: "local", dateTime: "2026-03-08T02:30", seconds: false })).toISOString(),
  ).toBe("2026-03-08T07:30:00.000Z");
  // OR binds tighter than AND: a AND b OR c is a AND (b OR c).
  const tree: Node = {
    kind: "and",
    implicit: false,
    parens: false,
    operands: [
      r({ field: "status", op: "=", value: 1, spelling: "OPEN" }),
      {
        kind: "or",
        parens: false,
        operands: [
          r({ field: "priority", op: "=", value: 3, spelling: "HIGH" }),
          r({ field: "priority", op: "=", value: 4, spelling: "URGENT" }),
        ],
      },
    ],
  };
  expect(printNode(tree, "top")).toBe("status = OPEN AND priority = HIGH OR priority = URGENT");
  expect(
    printNode({ kind: "not", dash: true, operand: { kind: "not", dash: false, operand: dueBefore } }, "top"),
  ).toBe("-(NOT due_time < today)");
});

test("ListTasks matches the independent evaluation on one large task set (many queries)", async () => {
  const user = await env.addUser(ZONE);
  const [specs] = fc.sample(fc.array(taskArb, { minLength: 300, maxLength: 300 }), {
    numRuns: 1,
    seed: 20260307,
  });
  const tasks = await insertTasks(store, user, specs ?? []);
  expect(tasks).toHaveLength(300);
  await fc.assert(
    fc.asyncProperty(queryArb, (q) => check(user, tasks, q)),
    { numRuns: 100 },
  );
}, 60_000);

test("ListTasks matches the independent evaluation on random task sets", async () => {
  await fc.assert(
    fc.asyncProperty(
      taskSetArb,
      fc.array(queryArb, { minLength: 4, maxLength: 4 }),
      async (specs, queries) => {
        const user = await env.addUser(ZONE);
        const tasks = await insertTasks(store, user, specs);
        for (const q of queries) await check(user, tasks, q);
      },
    ),
    { numRuns: 6 },
  );
}, 120_000);
