/**
 * ListTasks: filters and order_by.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Priority, type Task } from "@todo/gen/todo/task/v1/task_pb";
import { createTaskTestEnv, expectInvalid, listAll, type TaskTestEnv, type TestUser } from "../test/task-env";
import { ids, make, START, type TaskInit, ts, update } from "../test/task-service-fixtures";

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: START });
});

afterAll(async () => {
  await env?.close();
});

describe("ListTasks: filters", () => {
  let user: TestUser;
  let t: Record<string, Task>;

  beforeAll(async () => {
    user = await env.addUser("UTC");
    env.clock.set(START);
    t = {
      overdue: await make(user, {
        title: "Pay rent",
        priority: Priority.URGENT,
        tags: ["Home"],
        dueTime: ts("2026-03-06T12:00:00Z"),
      }),
      today: await make(user, {
        title: "Team meeting",
        priority: Priority.HIGH,
        tags: ["work"],
        dueTime: ts("2026-03-07T14:30:00Z"),
      }),
      nextWeek: await make(user, {
        title: "Dentist",
        priority: Priority.LOW,
        dueTime: ts("2026-03-12T09:00:00Z"),
      }),
      later: await make(user, {
        title: "Renew passport",
        priority: Priority.MEDIUM,
        tags: ["home", "admin"],
        dueTime: ts("2026-05-01T00:00:00Z"),
      }),
      undated: await make(user, { title: "Read a book", tags: ["Leisure"] }),
      done: await make(user, {
        title: "Buy milk",
        priority: Priority.HIGH,
        tags: ["home"],
        dueTime: ts("2026-03-07T10:00:00Z"),
      }),
    };
    await user.client.completeTask({ id: t.done?.id ?? "" });
  });

  const cases: [filter: string, expected: string[]][] = [
    ["", ["overdue", "today", "nextWeek", "later", "undated", "done"]],
    ["status = OPEN", ["overdue", "today", "nextWeek", "later", "undated"]],
    ["status = TASK_STATUS_COMPLETED", ["done"]],
    ["priority >= HIGH", ["overdue", "today", "done"]],
    ["priority = UNSPECIFIED", ["undated"]],
    ["tags:home", ["overdue", "later", "done"]],
    ["tags:HOME", ["overdue", "later", "done"]],
    ["NOT tags:*", ["nextWeek"]],
    ["due_time < today", ["overdue"]],
    ["due_time >= today AND due_time < today+7d", ["today", "nextWeek", "done"]],
    ["NOT due_time:*", ["undated"]],
    ["-due_time:*", ["undated"]],
    ["NOT due_time < today+7d", ["later", "undated"]],
    ["title:rent OR title:MILK", ["overdue", "done"]],
    ['title = "team meeting"', ["today"]],
    ["(tags:work OR tags:leisure) AND status = OPEN", ["today", "undated"]],
    ["status = OPEN priority > LOW -tags:home", ["today"]],
    ["complete_time:*", ["done"]],
    ["complete_time >= 2026-03-07", ["done"]],
    ["due_time > 2026-03-07T14:00:00Z AND due_time < 2026-03-07T15:00:00+00:00", ["today"]],
  ];
  for (const [filter, expected] of cases) {
    test(`filter ${JSON.stringify(filter)}`, async () => {
      const res = await listAll(user.client, { filter });
      expect(ids(res.tasks).sort()).toEqual(expected.map((k) => t[k]?.id ?? k).sort());
      expect(res.totalSize).toBe(expected.length);
    });
  }

  test("relative and date-only times are read in the caller's time zone", async () => {
    // At 15:00Z it is already Sunday 00:00 in Tokyo: "today" there began at 2026-03-07T15:00Z.
    const tokyo = await env.addUser("Asia/Tokyo");
    const yesterdayInTokyo = await make(tokyo, { title: "a", dueTime: ts("2026-03-07T14:30:00Z") });
    const todayInTokyo = await make(tokyo, { title: "b", dueTime: ts("2026-03-07T15:30:00Z") });
    expect(ids((await listAll(tokyo.client, { filter: "due_time < today" })).tasks)).toEqual([
      yesterdayInTokyo.id,
    ]);
    expect(ids((await listAll(tokyo.client, { filter: "due_time >= 2026-03-08" })).tasks)).toEqual([
      todayInTokyo.id,
    ]);
    // For a UTC user both fall on the 7th.
    const utc = await env.addUser("UTC");
    const a = await make(utc, { title: "a", dueTime: ts("2026-03-07T14:30:00Z") });
    const b = await make(utc, { title: "b", dueTime: ts("2026-03-07T15:30:00Z") });
    const both = await listAll(utc.client, {
      filter: "due_time >= today AND due_time < 2026-03-08",
      orderBy: "due_time",
    });
    expect(ids(both.tasks)).toEqual([a.id, b.id]);
  });

  const bad: [filter: string, column: number][] = [
    ["status = SOMETIMES", 10],
    ["priority >> HIGH", 11],
    ["colour = red", 1],
    ["(status = OPEN", 1],
    ["status = OPEN AND", 18],
    ["due_time < tomorrow", 12],
    ["tags:*work", 6],
  ];
  for (const [filter, column] of bad) {
    test(`a bad filter ${JSON.stringify(filter)} names filter and where it broke`, async () => {
      await expectInvalid(user.client.listTasks({ filter }), "filter", new RegExp(`column ${column}\\b`));
    });
  }
});

describe("ListTasks: order_by", () => {
  let user: TestUser;
  let tasks: Task[];

  beforeAll(async () => {
    user = await env.addUser("UTC");
    env.clock.set("2026-03-01T00:00:00Z");
    const specs: TaskInit[] = [
      { title: "banana", priority: Priority.HIGH, dueTime: ts("2026-03-05T00:00:00Z") },
      { title: "Apple", priority: Priority.LOW },
      { title: "cherry", priority: Priority.HIGH, dueTime: ts("2026-03-02T00:00:00Z") },
      { title: "apple", priority: Priority.URGENT, dueTime: ts("2026-03-05T00:00:00Z") },
      { title: "Date", priority: Priority.UNSPECIFIED },
      { title: "elder", priority: Priority.LOW, dueTime: ts("2026-02-01T00:00:00Z") },
      { title: "Zebra", priority: Priority.MEDIUM, dueTime: ts("2026-03-03T00:00:00Z") },
    ];
    tasks = [];
    for (const spec of specs) {
      env.clock.advance(60_000);
      tasks.push(await make(user, spec));
    }
    // update_time order differs from create_time order
    for (const i of [3, 0, 5]) {
      env.clock.advance(60_000);
      const current = tasks[i] as Task;
      tasks[i] = await update(user, { id: current.id, description: `touched ${i}` }, ["description"]);
    }
  });

  type Key = (t: Task) => number | string | null;
  const KEYS: Record<string, Key> = {
    priority: (t) => t.priority,
    due_time: (t) => (t.dueTime ? timestampDate(t.dueTime).getTime() : null),
    create_time: (t) => (t.createTime ? timestampDate(t.createTime).getTime() : 0),
    update_time: (t) => (t.updateTime ? timestampDate(t.updateTime).getTime() : 0),
    title: (t) => t.title.toLowerCase(),
  };

  /** The expected order: keys in turn, missing due times last in either direction, then id. */
  function expectedOrder(keys: [string, boolean][]): string[] {
    const sorted = [...tasks].sort((a, b) => {
      for (const [name, desc] of keys) {
        const key = KEYS[name] as Key;
        const x = key(a);
        const y = key(b);
        if (x === y) continue;
        if (x === null) return 1;
        if (y === null) return -1;
        const c = x < y ? -1 : 1;
        return desc ? -c : c;
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    return ids(sorted);
  }

  for (const name of Object.keys(KEYS)) {
    for (const desc of [false, true]) {
      test(`${name} ${desc ? "desc" : "asc"}`, async () => {
        for (const pageSize of [0, 2]) {
          const res = await listAll(user.client, { orderBy: `${name}${desc ? " desc" : ""}`, pageSize });
          expect(ids(res.tasks)).toEqual(expectedOrder([[name, desc]]));
        }
      });
    }
  }

  test("tasks without a due time come last in both directions", async () => {
    for (const dir of ["asc", "desc"]) {
      const res = await listAll(user.client, { orderBy: `due_time ${dir}`, pageSize: 3 });
      const dueFlags = res.tasks.map((t) => t.dueTime !== undefined);
      expect(dueFlags).toEqual([true, true, true, true, true, false, false]);
    }
  });

  const multi: [string, [string, boolean][]][] = [
    [
      "priority desc, due_time",
      [
        ["priority", true],
        ["due_time", false],
      ],
    ],
    [
      "priority, title desc",
      [
        ["priority", false],
        ["title", true],
      ],
    ],
    [
      "due_time desc, title",
      [
        ["due_time", true],
        ["title", false],
      ],
    ],
    [
      "title, priority desc, create_time desc",
      [
        ["title", false],
        ["priority", true],
        ["create_time", true],
      ],
    ],
  ];
  for (const [orderBy, keys] of multi) {
    test(`multi-key ${orderBy}`, async () => {
      for (const pageSize of [0, 1, 3]) {
        expect(ids((await listAll(user.client, { orderBy, pageSize })).tasks)).toEqual(expectedOrder(keys));
      }
    });
  }

  test("without order_by the newest task comes first", async () => {
    expect(ids((await listAll(user.client, {})).tasks)).toEqual(expectedOrder([["create_time", true]]));
  });
});
