/**
 * The search window (list-tasks.ts, docs/api.md): a search in relevance order ranks the newest
 * `window` matches and lists older matches after them, newest first; its count is exact up to the
 * window and capped beyond. Checked against an order computed here from that rule, through every page
 * size, and while tasks are added and deleted between pages; and, through the service, the real
 * 1 000-task window with its `total_size_capped`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import { createTaskTestEnv, expectCode, listAll, type TaskTestEnv, type TestUser } from "../test/task-env";
import { type ListQuery, type ListResult, listTasks, SEARCH_WINDOW } from "./list-tasks";
import { defaultOrder } from "./order-by";
import { searchTerms } from "./search-query";
import type { TaskValues } from "./store";
import type { TaskRow } from "./task-mapper";

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv();
});

afterAll(async () => {
  await env?.close();
});

const values = (title: string, description = ""): TaskValues => ({
  title,
  description,
  priority: 0,
  tags: [],
  due_time: null,
  time_zone: "UTC",
  rrule: null,
  recurrence_anchor: 0,
  reminders: [],
});

const T0 = Date.parse("2026-01-01T00:00:00Z");

/** Creates a task of `user` created `minute` minutes after T0. */
async function createAt(user: TestUser, minute: number, title: string, description = ""): Promise<TaskRow> {
  const row = await env.store.create(
    user.principal.userId,
    values(title, description),
    "",
    new Date(T0 + minute * 60_000),
  );
  if ("spent" in row) throw new Error("unexpected spent request id");
  return row.row;
}

/** Every page of a relevance-ordered search through `listTasks`, feeding each cursor back. */
async function pages(
  user: TestUser,
  query: string,
  pageSize: number,
  window: number,
  between?: (page: number) => Promise<void>,
): Promise<{ ids: string[]; results: ListResult[] }> {
  const ids: string[] = [];
  const results: ListResult[] = [];
  const terms = searchTerms(query);
  const now = new Date(T0 + 86_400_000);
  let cursor: ListQuery["cursor"];
  for (let page = 0; page < 200; page++) {
    const result = await listTasks(env.sql, {
      userId: user.principal.userId,
      timeZone: "UTC",
      filter: "",
      order: defaultOrder(true),
      terms,
      pageSize,
      cursor,
      now,
      searchWindow: window,
    });
    results.push(result);
    ids.push(...result.rows.map((r) => r.id));
    if (!result.nextValues) return { ids, results };
    expect(result.rows).toHaveLength(pageSize);
    cursor = { values: result.nextValues, now };
    await between?.(page);
  }
  throw new Error("paging did not end");
}

describe("a search ranks its window and lists older matches after it", () => {
  let user: TestUser;
  /** The matching tasks, oldest first, with whether "alpha" is in the title (a stronger match). */
  const matches: { id: string; minute: number; inTitle: boolean }[] = [];

  beforeAll(async () => {
    user = await env.addUser("UTC");
    // Eleven matches alternating between title and description hits, and tasks that do not match.
    for (let i = 0; i < 11; i++) {
      const inTitle = i % 3 !== 1;
      const row = inTitle
        ? await createAt(user, i * 10, `Alpha ${i}`, "notes")
        : await createAt(user, i * 10, `Task ${i}`, "mentions alpha once");
      matches.push({ id: row.id, minute: i * 10, inTitle });
      await createAt(user, i * 10 + 5, `Beta ${i}`, "unrelated");
    }
  });

  /** The documented order for a window of `window`: ranked window (ties newest first), then older. */
  function expected(window: number): string[] {
    const newestFirst = [...matches].sort((a, b) => b.minute - a.minute);
    const inWindow = newestFirst.slice(0, window);
    const ranked = [...inWindow].sort((a, b) => Number(b.inTitle) - Number(a.inTitle) || b.minute - a.minute);
    return [...ranked, ...newestFirst.slice(window)].map((m) => m.id);
  }

  test("every page size gives the documented order, and the count is capped at the window", async () => {
    // A prefix, and a typo that is widened to "alpha" (the exact query then ranks nothing extra).
    for (const [query, window, pageSize] of ["alp", "alpah"].flatMap((query) =>
      [1, 2, 4, 5, 11, 20].flatMap((window) =>
        [1, 2, 3, 4, 5, 7, 50].map((size) => [query, window, size] as const),
      ),
    )) {
      const { ids, results } = await pages(user, query, pageSize, window);
      expect(ids).toEqual(expected(window));
      for (const r of results) {
        expect(r.totalCapped).toBe(window < matches.length);
        expect(r.total).toBe(Math.min(window, matches.length));
      }
    }
  });

  test("the window keeps its members while tasks are added and deleted between pages", async () => {
    const other = await env.addUser("UTC");
    const own: { id: string; minute: number; inTitle: boolean }[] = [];
    for (let i = 0; i < 9; i++) {
      const inTitle = i % 2 === 0;
      const row = inTitle
        ? await createAt(other, i, `Gamma ${i}`)
        : await createAt(other, i, `Other ${i}`, "gamma");
      own.push({ id: row.id, minute: i, inTitle });
    }
    // Window 4: minutes 8, 7, 6, 5 ranked (title hits 8, 6 first, then 7, 5), then 4, 3, 2, 1, 0.
    // After the first page (8, 6, 7) window member 5 is deleted and a newer match arrives. Were the
    // window recomputed as "the newest four" on the next page, minute 4 — a title hit, ranked above
    // the cursor — would join it behind the cursor and never be shown. Its bound is fixed instead.
    let added = "";
    const { ids } = await pages(other, "gamma", 3, 4, async (page) => {
      if (page !== 0) return;
      await env.sql`delete from task.tasks where id = ${own[5]?.id as string}`;
      added = (await createAt(other, 100, "Gamma new")).id;
    });
    const at = (...minutes: number[]) => minutes.map((m) => own[m]?.id as string);
    // The new task ranks first in the window, before the cursor: passed, as keyset paging does.
    expect(ids).toEqual(at(8, 6, 7, 4, 3, 2, 1, 0));
    expect(ids).not.toContain(added);
  });

  test("without more matches than the window, the order is plain relevance and the count exact", async () => {
    const { ids, results } = await pages(user, "alpha", 3, 1000);
    expect(ids).toEqual(expected(1000));
    expect(results.every((r) => r.total === matches.length && !r.totalCapped)).toBe(true);
  });
});

describe("the service reports a capped count beyond the window", () => {
  let user: TestUser;

  beforeAll(async () => {
    user = await env.addUser("UTC");
    // SEARCH_WINDOW + 5 tasks mention "delta"; 3 more do not. Inserted in one statement.
    await env.sql`
      insert into task.tasks (id, user_id, title, description, time_zone, create_time, update_time)
      select gen_random_uuid(), ${user.principal.userId}, 'Delta ' || n, '', 'UTC',
             ${new Date(T0)}::timestamptz + n * interval '1 second',
             ${new Date(T0)}::timestamptz + n * interval '1 second'
      from generate_series(1, ${SEARCH_WINDOW + 5}) as n`;
    for (const title of ["Epsilon 1", "Epsilon 2", "Epsilon 3"]) await createAt(user, 0, title);
  });

  test("a search counts to the window, then says capped", async () => {
    const res = await user.client.listTasks({ query: "delta", pageSize: 10 });
    expect(res.totalSize).toBe(SEARCH_WINDOW);
    expect(res.totalSizeCapped).toBe(true);
    const sorted = await user.client.listTasks({ query: "delta", orderBy: "title", pageSize: 10 });
    expect(sorted.totalSize).toBe(SEARCH_WINDOW);
    expect(sorted.totalSizeCapped).toBe(true);
    const few = await user.client.listTasks({ query: "epsilon" });
    expect(few.totalSize).toBe(3);
    expect(few.totalSizeCapped).toBe(false);
  });

  test("a list without a query still counts exactly", async () => {
    const res = await user.client.listTasks({ pageSize: 1 });
    expect(res.totalSize).toBe(SEARCH_WINDOW + 8);
    expect(res.totalSizeCapped).toBe(false);
  });

  test("paging through every match passes from the window to the older matches", async () => {
    const all = await listAll(user.client, { query: "delta", pageSize: 300 });
    expect(all.tasks).toHaveLength(SEARCH_WINDOW + 5);
    expect(new Set(all.tasks.map((t) => t.id)).size).toBe(SEARCH_WINDOW + 5);
    // The five oldest (titles Delta 1..5) are outside the window and come last, newest first.
    expect(all.tasks.slice(-5).map((t) => t.title)).toEqual([
      "Delta 5",
      "Delta 4",
      "Delta 3",
      "Delta 2",
      "Delta 1",
    ]);
  });

  test("a forged relevance token is INVALID_ARGUMENT on page_token", async () => {
    const first = await user.client.listTasks({ query: "delta", pageSize: 2 });
    const token = JSON.parse(Buffer.from(first.nextPageToken, "base64url").toString("utf8"));
    for (const forge of [
      (v: unknown[]) => [3, ...v.slice(1)], // no such phase
      (v: unknown[]) => [2, null, null, ...v.slice(3)], // older matches without a window
      (v: unknown[]) => [v[0], v[1], null, ...v.slice(3)], // half a bound
    ]) {
      const forged = Buffer.from(JSON.stringify({ ...token, v: forge(token.v) })).toString("base64url");
      const err = await expectCode(
        user.client.listTasks({ query: "delta", pageSize: 2, pageToken: forged }),
        Code.InvalidArgument,
      );
      expect(err.rawMessage).toContain("page_token");
    }
  });
});
