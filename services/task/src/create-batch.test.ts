/**
 * Group commit of CreateTask (create-batch.ts) on a real PostgreSQL: concurrent creates are written
 * together and each still gets its own task, events, history and answer; request ids keep their
 * meaning inside a batch and across batches; one bad create fails alone.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { createTaskStore, type EmitTaskEvents, migrateTasks, type TaskStore, type TaskValues } from "./store";
import { emitTaskEvents } from "./task-events";

let db: TestDatabase;
let store: TaskStore;
/** The number of changes of each `emit` call: a call with more than one wrote a batch. */
const emitted: number[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateTasks(db.sql);
  const counting: EmitTaskEvents = (tx, changes) => {
    emitted.push(changes.length);
    return emitTaskEvents(tx, changes);
  };
  store = createTaskStore(db.sql, counting);
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  emitted.length = 0;
  await db.sql`truncate task.tasks, task.user_zones, task.outbox, task.history, task.create_requests`;
});

const users = [Bun.randomUUIDv7(), Bun.randomUUIDv7(), Bun.randomUUIDv7()];

function values(title: string, extra: Partial<TaskValues> = {}): TaskValues {
  return {
    title,
    description: `about ${title}`,
    priority: 2,
    tags: ["Home"],
    due_time: null,
    time_zone: "Europe/Berlin",
    rrule: null,
    recurrence_anchor: 0,
    reminders: [],
    ...extra,
  };
}

const count = async (table: string) =>
  Number((await db.sql.unsafe<{ n: string }[]>(`select count(*)::text as n from ${table}`))[0]?.n);

describe("CreateTask group commit", () => {
  test("concurrent creates are written in batches; each gets its own task, events and history", async () => {
    const now = new Date();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        store.create(users[i % 3] as string, values(`task ${i}`), "", now, undefined, "America/Toronto"),
      ),
    );
    expect(Math.max(...emitted)).toBeGreaterThan(1);
    const ids = new Set<string>();
    results.forEach((r, i) => {
      if ("spent" in r) throw new Error("unexpected spent");
      expect(r.task.title).toBe(`task ${i}`);
      expect(r.row.user_id).toBe(users[i % 3] as string);
      expect(r.task.tags).toEqual(["Home"]);
      ids.add(r.task.id);
    });
    expect(ids.size).toBe(60);
    expect(await count("task.tasks")).toBe(60);
    expect(await count("task.history")).toBe(60);
    // task-events and task-updates: two outbox rows per create.
    expect(await count("task.outbox")).toBe(120);
    const zones = await db.sql<{ time_zone: string }[]>`select time_zone from task.user_zones`;
    expect(zones.map((z) => z.time_zone)).toEqual(["America/Toronto", "America/Toronto", "America/Toronto"]);
  });

  test("a request id answers with its first task, inside one batch and across batches", async () => {
    const now = new Date();
    const [first] = await Promise.all([store.create(users[0] as string, values("first"), "req-1", now)]);
    if (!first || "spent" in first) throw new Error("the first create failed");
    const results = await Promise.all([
      store.create(users[0] as string, values("again"), "req-1", now),
      store.create(users[0] as string, values("twin a"), "req-2", now),
      store.create(users[0] as string, values("twin b"), "req-2", now),
      // The same request id of another user is another request.
      store.create(users[1] as string, values("other user"), "req-1", now),
      ...Array.from({ length: 10 }, (_, i) =>
        store.create(users[2] as string, values(`filler ${i}`), "", now),
      ),
    ]);
    expect(Math.max(...emitted)).toBeGreaterThan(1);
    const [again, twinA, twinB, other] = results.map((r) => {
      if ("spent" in r) throw new Error("unexpected spent");
      return r.task;
    });
    expect(again?.id).toBe(first.task.id);
    expect(again?.title).toBe("first");
    expect(twinB?.id).toBe(twinA?.id as string);
    expect(other?.id).not.toBe(first.task.id);
    expect(other?.title).toBe("other user");
    // first, one of the twins, other user, ten fillers.
    expect(await count("task.tasks")).toBe(13);
    expect(await count("task.history")).toBe(13);
  });

  test("one create the database refuses fails alone; the rest of its batch is written", async () => {
    const now = new Date();
    const attempts = Array.from({ length: 12 }, (_, i) =>
      store.create(users[i % 3] as string, values(i === 5 ? "bad\u0000title" : `good ${i}`), "", now),
    );
    const settled = await Promise.allSettled(attempts);
    const failed = settled.flatMap((s, i) => (s.status === "rejected" ? [i] : []));
    expect(failed).toEqual([5]);
    expect(await count("task.tasks")).toBe(11);
    expect(await count("task.outbox")).toBe(22);
  });
});
