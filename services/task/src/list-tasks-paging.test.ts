/**
 * ListTasks: paging and search.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Priority, type Task } from "@todo/gen/todo/task/v1/task_pb";
import type { ListTasksRequest } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTaskTestEnv, expectInvalid, listAll, type TaskTestEnv, type TestUser } from "../test/task-env";
import { ids, make, START, type TaskInit, ts } from "../test/task-service-fixtures";

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: START });
});

afterAll(async () => {
  await env?.close();
});

describe("ListTasks: paging", () => {
  test("page_size defaults to 50, total_size counts every match", async () => {
    const user = await env.addUser("UTC");
    for (let i = 0; i < 55; i++) {
      env.clock.advance(1000);
      await make(user, { title: `task ${i}`, priority: i % 5 });
    }
    const first = await user.client.listTasks({});
    expect(first.tasks).toHaveLength(50);
    expect(first.totalSize).toBe(55);
    expect(first.nextPageToken).not.toBe("");
    const second = await user.client.listTasks({ pageToken: first.nextPageToken });
    expect(second.tasks).toHaveLength(5);
    expect(second.totalSize).toBe(55);
    expect(second.nextPageToken).toBe("");
    expect(new Set(ids([...first.tasks, ...second.tasks])).size).toBe(55);

    const big = await user.client.listTasks({ pageSize: 1000 });
    expect(big.tasks).toHaveLength(55);
    expect(big.nextPageToken).toBe("");

    const filtered = await listAll(user.client, { filter: "priority >= HIGH", pageSize: 7 });
    expect(filtered.totalSize).toBe(22);
    expect(filtered.tasks).toHaveLength(22);
    expect(filtered.pages).toBe(4);
  });

  test("paging while tasks are inserted: no duplicates, no gaps", async () => {
    const orders = [
      "",
      "priority desc, due_time",
      "due_time desc",
      "title desc",
      "create_time",
      "update_time desc",
    ];
    for (const orderBy of orders) {
      const user = await env.addUser("UTC");
      const original: Task[] = [];
      for (let i = 0; i < 20; i++) {
        env.clock.advance(1000);
        original.push(
          await make(user, {
            title: `m ${String(i).padStart(2, "0")}`,
            priority: i % 5,
            dueTime: i % 3 === 0 ? undefined : ts(new Date(Date.UTC(2026, 3, 1 + (i % 7))).toISOString()),
          }),
        );
      }
      const seen: string[] = [];
      let pageToken = "";
      let pages = 0;
      do {
        const page = await user.client.listTasks({ orderBy, pageSize: 4, pageToken });
        seen.push(...ids(page.tasks));
        pageToken = page.nextPageToken;
        pages++;
        // After each of the first pages, add tasks that sort before, among and after the rest.
        if (pages <= 4) {
          for (const [title, priority, due] of [
            ["a new", Priority.URGENT, "2026-04-04T12:00:00Z"],
            ["z new", Priority.UNSPECIFIED, undefined],
            ["m 10 new", Priority.MEDIUM, "2026-04-03T00:00:00Z"],
          ] as const) {
            env.clock.advance(1000);
            await make(user, { title, priority, dueTime: due ? ts(due) : undefined });
          }
        }
      } while (pageToken !== "");
      expect(new Set(seen).size).toBe(seen.length);
      for (const task of original) expect(seen).toContain(task.id);
      expect(pages).toBeGreaterThanOrEqual(5);
    }
  }, 30_000);

  test("a token is bound to its filter, order_by and query", async () => {
    const user = await env.addUser("UTC");
    for (let i = 0; i < 3; i++) await make(user, { title: `meeting ${i}`, tags: ["work"] });
    const base = { filter: "tags:work", orderBy: "title", query: "meeting", pageSize: 1 };
    const page = await user.client.listTasks(base);
    expect(page.nextPageToken).not.toBe("");
    const pageToken = page.nextPageToken;
    for (const changed of [
      { filter: "tags:home" },
      { filter: "" },
      { orderBy: "title desc" },
      { orderBy: "" },
      { query: "meet" },
      { query: "" },
    ]) {
      await expectInvalid(
        user.client.listTasks({ ...base, ...changed, pageToken }),
        "page_token",
        /different/,
      );
    }
    // Another page size is fine.
    const rest = await user.client.listTasks({ ...base, pageSize: 10, pageToken });
    expect(rest.tasks).toHaveLength(2);
  });

  describe("malformed and forged page tokens are INVALID_ARGUMENT on page_token", () => {
    const orderBy = "priority, due_time";
    let user: TestUser;
    let decoded: { h: string; n: number; v: unknown[] };
    let valid: string;
    beforeAll(async () => {
      user = await env.addUser("UTC");
      for (let i = 0; i < 3; i++) await make(user, { title: `t${i}`, dueTime: ts("2026-04-01T00:00:00Z") });
      valid = (await user.client.listTasks({ pageSize: 1, orderBy })).nextPageToken;
      decoded = JSON.parse(Buffer.from(valid, "base64url").toString());
    });
    const forge = (patch: Partial<typeof decoded>) =>
      Buffer.from(JSON.stringify({ ...decoded, ...patch })).toString("base64url");

    const cases: [string, () => string][] = [
      ["garbage", () => "garbage"],
      ["a truncated token", () => valid.slice(3)],
      ["an empty JSON object", () => Buffer.from("{}").toString("base64url")],
      ["too few values", () => forge({ v: decoded.v.slice(1) })],
      // Right shape, wrong types: these must not reach the SQL and come back as INTERNAL.
      ["a priority that is not a number", () => forge({ v: ["not a priority", ...decoded.v.slice(1)] })],
      [
        "a due time that is not a time",
        () => forge({ v: [decoded.v[0], decoded.v[1], "not a time", decoded.v[3]] }),
      ],
      ["an id that is not a UUID", () => forge({ v: [...decoded.v.slice(0, 3), "not-a-uuid"] })],
      ["a `now` beyond the range of a date", () => forge({ n: 1e300 })],
    ];
    for (const [name, token] of cases) {
      test(name, async () => {
        await expectInvalid(
          user.client.listTasks({ pageSize: 1, orderBy, pageToken: token() }),
          "page_token",
        );
      });
    }

    test("the genuine token still works", async () => {
      const page = await user.client.listTasks({ pageSize: 5, orderBy, pageToken: valid });
      expect(page.tasks).toHaveLength(2);
    });
  });

  test("relative times keep the meaning they had on the first page", async () => {
    const user = await env.addUser("UTC");
    env.clock.set("2026-06-01T12:00:00Z");
    const due = ["2026-06-01T11:00:00Z", "2026-06-01T11:30:00Z", "2026-06-01T12:30:00Z"];
    for (const d of due) await make(user, { title: d, dueTime: ts(d) });
    const first = await user.client.listTasks({ filter: "due_time < now", orderBy: "due_time", pageSize: 1 });
    expect(first.totalSize).toBe(2);
    env.clock.set("2026-06-01T13:00:00Z"); // the third task is now overdue too
    const second = await user.client.listTasks({
      filter: "due_time < now",
      orderBy: "due_time",
      pageSize: 1,
      pageToken: first.nextPageToken,
    });
    expect(second.tasks.map((x) => x.title)).toEqual([due[1] ?? ""]);
    expect(second.nextPageToken).toBe("");
    expect(second.totalSize).toBe(2);
  });
});

describe("ListTasks: search", () => {
  let user: TestUser;
  let t: Record<string, Task>;

  beforeAll(async () => {
    user = await env.addUser("UTC");
    env.clock.set("2026-03-01T00:00:00Z");
    const specs: Record<string, TaskInit> = {
      meeting: { title: "Team meeting", description: "weekly sync", priority: Priority.LOW, tags: ["work"] },
      budgetTitle: {
        title: "Budget review",
        description: "spreadsheet for the team",
        priority: Priority.HIGH,
      },
      budgetDesc: {
        title: "Spreadsheet cleanup",
        description: "mention budget once",
        priority: Priority.URGENT,
      },
      meetUp: { title: "Meetup with friends", description: "", priority: Priority.MEDIUM, tags: ["home"] },
      unrelated: { title: "Water plants", description: "balcony", priority: Priority.HIGH },
      teamBudget: { title: "Team budget", description: "plan", priority: Priority.MEDIUM, tags: ["work"] },
    };
    t = {};
    for (const [key, spec] of Object.entries(specs)) {
      env.clock.advance(1000);
      t[key] = await make(user, spec);
    }
    // Another user's matching task must never appear.
    await make(env.bob, { title: "Team meeting budget", description: "bob's" });
  });

  const idOf = (...keys: string[]) => keys.map((k) => t[k]?.id ?? k);
  const search = async (req: Partial<ListTasksRequest>) => ids((await listAll(user.client, req)).tasks);

  test("prefix: `meet` finds meeting and meetup", async () => {
    expect((await search({ query: "meet" })).sort()).toEqual(idOf("meeting", "meetUp").sort());
    // Exact prefix hits rank above typo-corrected ones (`meeting` is close to `meetup`).
    expect((await search({ query: "MEETING" }))[0]).toBe(t.meeting?.id ?? "");
  });

  test("typo: `meetnig` finds meeting", async () => {
    expect(await search({ query: "meetnig" })).toContain(t.meeting?.id ?? "");
    expect(await search({ query: "budgte" })).toEqual(
      expect.arrayContaining(idOf("budgetTitle", "budgetDesc")),
    );
  });

  test("title hits rank above description hits", async () => {
    const found = await search({ query: "budget" });
    expect(found).toHaveLength(3);
    expect(found.indexOf(t.budgetDesc?.id ?? "")).toBe(2);
  });

  test("several words must all match", async () => {
    expect((await search({ query: "team budget" })).sort()).toEqual(idOf("budgetTitle", "teamBudget").sort());
    expect(await search({ query: "team balcony" })).toEqual([]);
  });

  test("query with order_by sorts by order_by", async () => {
    expect(await search({ query: "budget", orderBy: "priority desc" })).toEqual(
      idOf("budgetDesc", "budgetTitle", "teamBudget"),
    );
    expect(await search({ query: "budget", orderBy: "title" })).toEqual(
      idOf("budgetTitle", "budgetDesc", "teamBudget"),
    );
  });

  test("query combined with a filter", async () => {
    expect(await search({ query: "team", filter: "tags:work", orderBy: "title" })).toEqual(
      idOf("teamBudget", "meeting"),
    );
    expect(await search({ query: "budget", filter: "priority >= HIGH", orderBy: "priority" })).toEqual(
      idOf("budgetTitle", "budgetDesc"),
    );
  });

  test("paging through search results gives the same order as one page", async () => {
    for (const req of [
      { query: "budget" },
      { query: "team" },
      { query: "e" },
      { query: "team", orderBy: "priority" },
    ]) {
      const whole = await listAll(user.client, req);
      expect(whole.pages).toBe(1);
      for (const pageSize of [1, 2]) {
        const paged = await listAll(user.client, { ...req, pageSize });
        expect(ids(paged.tasks)).toEqual(ids(whole.tasks));
        expect(paged.totalSize).toBe(whole.tasks.length);
      }
    }
  });

  test("another user's vocabulary does not take away my typo matches", async () => {
    // The "did you mean" words are shared by all users and only the 3 closest are tried; words that
    // only another user has must not push my own "meeting" out of the candidates for "meetnig".
    const me = await env.addUser("UTC");
    const mine = await make(me, { title: "Board meeting" });
    expect(ids((await listAll(me.client, { query: "meetnig" })).tasks)).toEqual([mine.id]);
    const other = await env.addUser("UTC");
    for (const word of ["meetnag", "meetnug", "meetnog", "meetnid"]) await make(other, { title: word });
    expect(ids((await listAll(me.client, { query: "meetnig" })).tasks)).toEqual([mine.id]);
  });

  test("a correctly spelled word is not widened to similar words", async () => {
    const me = await env.addUser("UTC");
    const meeting = await make(me, { title: "Team meeting" });
    await make(me, { title: "Marketing plan" });
    expect(ids((await listAll(me.client, { query: "meeting" })).tasks)).toEqual([meeting.id]);
    // …but a word the user never wrote still is: "meetnig" is a typo of "meeting".
    expect(ids((await listAll(me.client, { query: "meetnig" })).tasks)).toEqual([meeting.id]);
  });

  test("a query without words lists everything", async () => {
    expect((await search({ query: " !!! " })).length).toBe(Object.keys(t).length);
  });
});
