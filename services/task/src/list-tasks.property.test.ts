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
import {
  evalNode,
  evalRestriction,
  filterArb,
  type Node,
  printNode,
  type Restriction,
  resolveTime,
} from "../test/list-tasks-filter-model";
import {
  DAY,
  expectedOrder,
  insertTasks,
  type ModelTask,
  NOW,
  type OrderSpec,
  orderArb,
  printOrder,
  taskArb,
  taskSetArb,
  ZONE,
} from "../test/list-tasks-model";
import { createTaskTestEnv, listAll, type TaskTestEnv, type TestUser } from "../test/task-env";
import { createTaskStore, type TaskStore } from "./store";

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
