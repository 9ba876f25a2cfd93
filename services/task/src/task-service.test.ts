/**
 * TaskService end to end through the production interceptor chain (errors → auth → validation) on a
 * real PostgreSQL database: CRUD, idempotency, validation, updates and etags, multi-user isolation,
 * listing (filters, sorting, paging) and search.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  durationFromMs,
  durationMs,
  type Timestamp,
  timestampDate,
  timestampFromDate,
} from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import {
  Priority,
  RecurrenceAnchor,
  type Task,
  type TaskSchema,
  TaskStatus,
} from "@todo/gen/todo/task/v1/task_pb";
import type { ListTasksRequest } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTokenService } from "@todo/platform";
import {
  createTaskTestEnv,
  expectCode,
  expectInvalid,
  listAll,
  type TaskClient,
  type TaskTestEnv,
  type TestUser,
} from "../test/task-env";

type TaskInit = MessageInitShape<typeof TaskSchema>;
/** A task written as a plain init object (not a Task message), so it can be spread and changed. */
type TaskFields = Exclude<TaskInit, Task>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const START = "2026-03-07T15:00:00.000Z";
const ts = (iso: string) => timestampFromDate(new Date(iso));
const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : undefined);
const HOUR = 3_600_000;

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: START });
});

afterAll(async () => {
  await env?.close();
});

async function make(user: TestUser, task: TaskInit, requestId = ""): Promise<Task> {
  const res = await user.client.createTask({ task, requestId });
  if (!res.task) throw new Error("CreateTask returned no task");
  return res.task;
}

async function get(user: TestUser, id: string): Promise<Task> {
  const res = await user.client.getTask({ id });
  if (!res.task) throw new Error("GetTask returned no task");
  return res.task;
}

async function update(user: TestUser, task: TaskInit, paths: string[] = []): Promise<Task> {
  const res = await user.client.updateTask({ task, updateMask: { paths } });
  if (!res.task) throw new Error("UpdateTask returned no task");
  return res.task;
}

/** Runs `fn` and checks it wrote no task row and no event. */
async function expectNothingWritten(fn: () => Promise<unknown>): Promise<void> {
  const rows = await env.countTasks();
  const events = await env.countEvents();
  const snapshot = await env.sql`select id, version from task.tasks order by id`;
  await fn();
  expect(await env.countTasks()).toBe(rows);
  expect(await env.countEvents()).toBe(events);
  expect(await env.sql`select id, version from task.tasks order by id`).toEqual(snapshot);
}

const ids = (tasks: readonly Task[]) => tasks.map((t) => t.id);

function fullTask(): TaskFields {
  return {
    title: "  Quarterly report  ",
    description: "Numbers for Q1.\nAsk finance first.",
    priority: Priority.HIGH,
    tags: [" Work ", "finance"],
    dueTime: ts("2026-03-10T14:00:00.250Z"),
    timeZone: "Europe/Berlin",
    recurrence: { rrule: "freq=monthly;bymonthday=-1", anchor: RecurrenceAnchor.COMPLETION },
    reminders: [
      { trigger: { case: "at", value: ts("2026-03-10T08:00:00Z") } },
      { trigger: { case: "beforeDue", value: durationFromMs(2 * HOUR) } },
    ],
  };
}

describe("CreateTask and GetTask", () => {
  test("round-trips every field, normalised, with server-assigned ids and times", async () => {
    const user = await env.addUser("America/New_York");
    const events = await env.countEvents();
    const task = await make(user, fullTask());

    expect(task.id).toMatch(UUID);
    expect(task.title).toBe("Quarterly report"); // trimmed
    expect(task.description).toBe("Numbers for Q1.\nAsk finance first.");
    expect(task.status).toBe(TaskStatus.OPEN);
    expect(task.priority).toBe(Priority.HIGH);
    expect(task.tags).toEqual(["Work", "finance"]); // trimmed, spelling kept
    // Tuesday 10 March 15:00:00.250 CET does not fit "the last day of the month": the due time
    // moves to the rule's first occurrence, 31 March 15:00:00.250 CEST.
    expect(iso(task.dueTime)).toBe("2026-03-31T13:00:00.250Z");
    expect(task.timeZone).toBe("Europe/Berlin");
    expect(task.recurrence?.rrule).toBe("FREQ=MONTHLY;BYMONTHDAY=-1");
    expect(task.recurrence?.anchor).toBe(RecurrenceAnchor.COMPLETION);
    expect(task.reminders).toHaveLength(2);
    const [at, before] = task.reminders;
    expect(at?.id).toMatch(UUID);
    expect(before?.id).toMatch(UUID);
    expect(at?.id).not.toBe(before?.id);
    expect(at?.trigger.case).toBe("at");
    expect(at?.trigger.case === "at" && iso(at.trigger.value)).toBe("2026-03-10T08:00:00.000Z");
    expect(before?.trigger.case === "beforeDue" && durationMs(before.trigger.value)).toBe(2 * HOUR);
    expect(task.seriesId).toBe(task.id); // a recurring task starts its own series
    expect(iso(task.createTime)).toBe(START);
    expect(iso(task.updateTime)).toBe(START);
    expect(task.completeTime).toBeUndefined();
    expect(task.etag).not.toBe("");

    expect(await get(user, task.id)).toEqual(task);
    expect(await env.countTasks(user.principal.userId)).toBe(1);
    expect(await env.countEvents()).toBe(events + 1);
  });

  test("a minimal task gets the defaults, and the user's own time zone", async () => {
    const task = await make(env.bob, { title: "Call mum" });
    expect(task).toMatchObject({
      title: "Call mum",
      description: "",
      status: TaskStatus.OPEN,
      priority: Priority.UNSPECIFIED,
      tags: [],
      timeZone: "Asia/Tokyo",
      reminders: [],
      seriesId: "",
    });
    expect(task.dueTime).toBeUndefined();
    expect(task.recurrence).toBeUndefined();
    expect((await make(env.alice, { title: "x" })).timeZone).toBe("UTC");
  });

  test("time zones are stored in their canonical spelling", async () => {
    const task = await make(env.alice, { title: "tz", timeZone: "europe/berlin" });
    expect(task.timeZone).toBe("Europe/Berlin");
  });

  test("output-only fields sent on create are ignored", async () => {
    const user = await env.addUser("UTC");
    const clientReminderId = crypto.randomUUID();
    const forged = crypto.randomUUID();
    const task = await make(user, {
      id: forged,
      title: "forged",
      status: TaskStatus.COMPLETED,
      seriesId: forged,
      createTime: ts("2001-01-01T00:00:00Z"),
      updateTime: ts("2001-01-01T00:00:00Z"),
      completeTime: ts("2001-01-01T00:00:00Z"),
      etag: '"999"',
      dueTime: ts("2026-04-01T00:00:00Z"),
      reminders: [{ id: clientReminderId, trigger: { case: "beforeDue", value: durationFromMs(0) } }],
    });
    expect(task.id).not.toBe(forged);
    expect(task.status).toBe(TaskStatus.OPEN);
    expect(task.seriesId).toBe("");
    expect(iso(task.createTime)).toBe(START);
    expect(iso(task.updateTime)).toBe(START);
    expect(task.completeTime).toBeUndefined();
    expect(task.etag).not.toBe('"999"');
    expect(task.reminders[0]?.id).toMatch(UUID);
    expect(task.reminders[0]?.id).not.toBe(clientReminderId); // reminder ids are the server's
    await expectCode(env.alice.client.getTask({ id: forged }), Code.NotFound);
  });
});

describe("UpdateTask round trip", () => {
  test("changes what it is asked to, keeps reminder ids, ignores output-only fields", async () => {
    const user = await env.addUser("UTC");
    const created = await make(user, fullTask());
    const [at, before] = created.reminders;
    env.clock.advance(60_000);
    const events = await env.countEvents();

    const updated = await update(user, {
      id: created.id,
      etag: created.etag,
      title: "Quarterly report v2",
      description: "changed",
      priority: Priority.URGENT,
      tags: ["finance", "Q1"],
      dueTime: ts("2026-03-11T09:30:00Z"),
      timeZone: "America/New_York",
      recurrence: { rrule: "FREQ=WEEKLY;BYDAY=WE" }, // anchor defaults to SCHEDULE
      reminders: [
        // kept: same id, trigger changed
        { id: before?.id ?? "", trigger: { case: "beforeDue", value: durationFromMs(30 * 60_000) } },
        // new: empty id
        { trigger: { case: "at", value: ts("2026-03-11T07:00:00Z") } },
        // an id this task never had is not trusted: it gets a fresh one
        { id: crypto.randomUUID(), trigger: { case: "at", value: ts("2026-03-11T08:00:00Z") } },
      ],
      // output-only: ignored
      status: TaskStatus.COMPLETED,
      createTime: ts("2001-01-01T00:00:00Z"),
      completeTime: ts("2001-01-01T00:00:00Z"),
      seriesId: crypto.randomUUID(),
    });

    expect(updated).toMatchObject({
      id: created.id,
      title: "Quarterly report v2",
      description: "changed",
      priority: Priority.URGENT,
      tags: ["finance", "Q1"],
      timeZone: "America/New_York",
      status: TaskStatus.OPEN,
      seriesId: created.id,
    });
    expect(updated.recurrence).toMatchObject({
      rrule: "FREQ=WEEKLY;BYDAY=WE",
      anchor: RecurrenceAnchor.SCHEDULE,
    });
    expect(iso(updated.dueTime)).toBe("2026-03-11T09:30:00.000Z");
    expect(updated.completeTime).toBeUndefined();
    expect(updated.createTime).toEqual(created.createTime);
    expect(iso(updated.updateTime)).toBe(new Date(Date.parse(START) + 60_000).toISOString());
    expect(updated.etag).not.toBe(created.etag);

    expect(updated.reminders).toHaveLength(3);
    const [kept, added, untrusted] = updated.reminders;
    expect(kept?.id).toBe(before?.id ?? "missing");
    expect(kept?.trigger.case === "beforeDue" && durationMs(kept.trigger.value)).toBe(30 * 60_000);
    expect(added?.id).toMatch(UUID);
    expect(untrusted?.id).toMatch(UUID);
    const allIds = new Set([at?.id, before?.id, added?.id, untrusted?.id]);
    expect(allIds.size).toBe(4); // the dropped reminder's id is not reused; the new ones are fresh
    expect(await get(user, created.id)).toEqual(updated);
    expect(await env.countEvents()).toBe(events + 1);

    // Sending the reminders back unchanged keeps every id.
    const again = await update(user, { ...updated, title: "v3" }, ["title", "reminders"]);
    expect(again.reminders.map((r) => r.id)).toEqual(updated.reminders.map((r) => r.id));
  });

  test("DeleteTask removes the task; a second delete is NOT_FOUND", async () => {
    const user = await env.addUser("UTC");
    const task = await make(user, { title: "to delete" });
    const events = await env.countEvents();
    expect(await user.client.deleteTask({ id: task.id })).toBeDefined();
    expect(await env.countTasks(user.principal.userId)).toBe(0);
    expect(await env.countEvents()).toBe(events + 1);
    await expectCode(user.client.getTask({ id: task.id }), Code.NotFound);
    await expectCode(user.client.deleteTask({ id: task.id }), Code.NotFound);
    await expectCode(user.client.updateTask({ task: { id: task.id, title: "x" } }), Code.NotFound);
    await expectCode(user.client.completeTask({ id: task.id }), Code.NotFound);
  });

  test("GetTask of an id that never existed is NOT_FOUND", async () => {
    await expectCode(env.alice.client.getTask({ id: crypto.randomUUID() }), Code.NotFound);
  });
});

describe("request_id idempotency", () => {
  test("the same request_id twice returns the first task and writes one row", async () => {
    const user = await env.addUser("UTC");
    const first = await make(user, { title: "once" }, "req-1");
    const events = await env.countEvents();
    const second = await make(user, { title: "once, retried with other content" }, "req-1");
    expect(second).toEqual(first);
    expect(await env.countTasks(user.principal.userId)).toBe(1);
    expect(await env.countEvents()).toBe(events);
    const other = await make(user, { title: "other" }, "req-2");
    expect(other.id).not.toBe(first.id);
    const noKey1 = await make(user, { title: "no key" });
    const noKey2 = await make(user, { title: "no key" });
    expect(noKey1.id).not.toBe(noKey2.id);
    expect(await env.countTasks(user.principal.userId)).toBe(4);
  });

  test("request ids are per user", async () => {
    const a = await env.addUser("UTC");
    const b = await env.addUser("UTC");
    const ta = await make(a, { title: "a" }, "shared-key");
    const tb = await make(b, { title: "b" }, "shared-key");
    expect(tb.id).not.toBe(ta.id);
    expect(tb.title).toBe("b");
    await expectCode(b.client.getTask({ id: ta.id }), Code.NotFound);
  });

  test("concurrent duplicates create exactly one task", async () => {
    const user = await env.addUser("UTC");
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => make(user, { title: `racer ${i}` }, "race-key")),
    );
    expect(new Set(ids(results)).size).toBe(1);
    expect(await env.countTasks(user.principal.userId)).toBe(1);
  });

  test("after the first task is deleted, the key stays spent: ALREADY_EXISTS, nothing created", async () => {
    const user = await env.addUser("UTC");
    const first = await make(user, { title: "first" }, "reuse");
    await user.client.deleteTask({ id: first.id });
    const err = await expectCode(
      user.client.createTask({ task: { title: "second" }, requestId: "reuse" }),
      Code.AlreadyExists,
    );
    expect(err.rawMessage).toContain("deleted");
    expect(await env.countTasks(user.principal.userId)).toBe(0);
  });
});

describe("validation: INVALID_ARGUMENT naming the field, nothing written", () => {
  const cases: [name: string, task: () => TaskInit, field: string, description?: RegExp][] = [
    [
      "malformed RRULE",
      () => ({ ...fullTask(), recurrence: { rrule: "FREQ=SOMETIMES" } }),
      "task.recurrence.rrule",
    ],
    [
      "RRULE with a prefix",
      () => ({ ...fullTask(), recurrence: { rrule: "RRULE:FREQ=DAILY" } }),
      "task.recurrence.rrule",
    ],
    ["unknown time zone", () => ({ title: "t", timeZone: "Mars/Olympus_Mons" }), "task.time_zone", /IANA/],
    ["fixed-offset time zone", () => ({ title: "t", timeZone: "+02:00" }), "task.time_zone"],
    [
      "relative reminder without a due time",
      () => ({ title: "t", reminders: [{ trigger: { case: "beforeDue", value: durationFromMs(HOUR) } }] }),
      "task.reminders[0].before_due",
      /due_time/,
    ],
    [
      "recurrence without a due time",
      () => ({ title: "t", recurrence: { rrule: "FREQ=DAILY" } }),
      "task.recurrence",
      /due_time/,
    ],
    ["over-long title", () => ({ title: "x".repeat(501) }), "task.title", /500/],
    ["blank title", () => ({ title: " \t\n " }), "task.title"],
    ["missing title", () => ({ description: "no title" }), "task.title"],
    ["over-long description", () => ({ title: "t", description: "d".repeat(10_001) }), "task.description"],
    [
      "more than 20 tags",
      () => ({ title: "t", tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }),
      "task.tags",
    ],
    ["a tag too long", () => ({ title: "t", tags: ["ok", "x".repeat(65)] }), "task.tags[1]", /64/],
    ["an empty tag", () => ({ title: "t", tags: ["ok", "  "] }), "task.tags[1]"],
    ["a tag with a comma", () => ({ title: "t", tags: ["a,b"] }), "task.tags[0]"],
    [
      "duplicate tags ignoring case",
      () => ({ title: "t", tags: ["Work", "home", " WORK"] }),
      "task.tags[2]",
      /ignoring case/,
    ],
    ["unknown priority", () => ({ title: "t", priority: 9 as Priority }), "task.priority"],
    [
      "due time out of range",
      () => ({ title: "t", dueTime: { seconds: 400_000_000_000n, nanos: 0 } }),
      "task.due_time",
    ],
    [
      "before_due over 366 days",
      () => ({
        ...fullTask(),
        reminders: [{ trigger: { case: "beforeDue", value: durationFromMs(367 * 24 * HOUR) } }],
      }),
      "task.reminders[0].before_due",
    ],
    [
      "negative before_due",
      () => ({
        ...fullTask(),
        reminders: [{ trigger: { case: "beforeDue", value: durationFromMs(-1000) } }],
      }),
      "task.reminders[0].before_due",
    ],
    ["a reminder without a trigger", () => ({ title: "t", reminders: [{}] }), "task.reminders[0]"],
    [
      "more than 10 reminders",
      () => ({
        title: "t",
        reminders: Array.from({ length: 11 }, () => ({ trigger: { case: "at" as const, value: ts(START) } })),
      }),
      "task.reminders",
    ],
    [
      "a malformed reminder id",
      () => ({ title: "t", reminders: [{ id: "r1", trigger: { case: "at", value: ts(START) } }] }),
      "task.reminders[0].id",
    ],
    [
      "an unknown recurrence anchor",
      () => ({ ...fullTask(), recurrence: { rrule: "FREQ=DAILY", anchor: 7 as RecurrenceAnchor } }),
      "task.recurrence.anchor",
    ],
  ];
  for (const [name, task, field, description] of cases) {
    test(`CreateTask: ${name} → ${field}`, async () => {
      await expectNothingWritten(() =>
        expectInvalid(env.alice.client.createTask({ task: task() }), field, description),
      );
    });
  }

  test("limits are inclusive: 500-character title (in code points), 20 tags of 64 characters", async () => {
    const title = "🙂".repeat(500); // 1000 UTF-16 code units, 500 characters
    const tags = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, "0")}${"x".repeat(62)}`);
    const task = await make(env.alice, { title, tags });
    expect(task.title).toBe(title);
    expect(task.tags).toEqual(tags);
  });

  test("CreateTask without a task names `task`", async () => {
    await expectNothingWritten(() => expectInvalid(env.alice.client.createTask({}), "task"));
  });

  test("an over-long request_id names request_id", async () => {
    await expectNothingWritten(() =>
      expectInvalid(
        env.alice.client.createTask({ task: { title: "t" }, requestId: "r".repeat(101) }),
        "request_id",
      ),
    );
  });

  test("every violation is reported at once", async () => {
    const violations = await expectInvalid(
      env.alice.client.createTask({ task: { title: "", timeZone: "Nowhere/Land", tags: ["a", "A"] } }),
      "task.title",
    );
    expect(violations.map((v) => v.field).sort()).toEqual(["task.tags[1]", "task.time_zone", "task.title"]);
  });

  test("a bad id names the id field on every RPC that takes one", async () => {
    const c = env.alice.client;
    await expectNothingWritten(async () => {
      for (const id of ["", "42", "not-a-uuid", `${crypto.randomUUID()}x`]) {
        await expectInvalid(c.getTask({ id }), "id");
        await expectInvalid(c.deleteTask({ id }), "id");
        await expectInvalid(c.completeTask({ id }), "id");
        await expectInvalid(c.reopenTask({ id }), "id");
        await expectInvalid(c.undeleteTask({ id }), "id");
        await expectInvalid(c.updateTask({ task: { id, title: "t" } }), "task.id");
      }
    });
  });

  test("a bad update_mask path names update_mask and changes nothing", async () => {
    const task = await make(env.alice, { title: "masked" });
    await expectNothingWritten(async () => {
      for (const path of [
        "status",
        "etag",
        "id",
        "create_time",
        "complete_time",
        "series_id",
        "nonsense",
        "task.title",
      ]) {
        await expectInvalid(
          env.alice.client.updateTask({
            task: { id: task.id, title: "changed", status: TaskStatus.COMPLETED },
            updateMask: { paths: [path] },
          }),
          "update_mask",
        );
      }
    });
    expect(await get(env.alice, task.id)).toEqual(task);
  });

  test("UpdateTask validates the masked fields and the result, and writes nothing when invalid", async () => {
    const task = await make(env.alice, {
      title: "has relative reminder",
      dueTime: ts("2026-04-01T10:00:00Z"),
      reminders: [{ trigger: { case: "beforeDue", value: durationFromMs(HOUR) } }],
    });
    await expectNothingWritten(async () => {
      await expectInvalid(update(env.alice, { id: task.id, title: "  " }, ["title"]), "task.title");
      await expectInvalid(
        update(env.alice, { id: task.id, timeZone: "Bad/Zone" }, ["time_zone"]),
        "task.time_zone",
      );
      // Clearing the due time would strand the relative reminder.
      await expectInvalid(update(env.alice, { id: task.id }, ["due_time"]), "task.reminders[0].before_due");
      // Adding a recurrence to a task whose due time is cleared at the same time.
      await expectInvalid(
        update(env.alice, { id: task.id, recurrence: { rrule: "FREQ=DAILY" } }, [
          "due_time",
          "recurrence",
          "reminders",
        ]),
        "task.recurrence",
      );
    });
    expect(await get(env.alice, task.id)).toEqual(task);
  });

  test("ListTasks: page_size over 1000 or negative names page_size; 1000 is fine", async () => {
    await expectInvalid(env.alice.client.listTasks({ pageSize: 1001 }), "page_size", /1000/);
    await expectInvalid(env.alice.client.listTasks({ pageSize: -1 }), "page_size");
    const res = await env.alice.client.listTasks({ pageSize: 1000 });
    expect(res.tasks.length).toBeGreaterThan(0);
  });

  test("ListTasks: bad order_by and over-long query/filter name their fields", async () => {
    await expectInvalid(env.alice.client.listTasks({ orderBy: "colour" }), "order_by", /cannot sort by/);
    await expectInvalid(env.alice.client.listTasks({ orderBy: "priority sideways" }), "order_by");
    await expectInvalid(env.alice.client.listTasks({ query: "q".repeat(201) }), "query");
    await expectInvalid(env.alice.client.listTasks({ filter: `title:${"x".repeat(2000)}` }), "filter");
  });
});

describe("UpdateTask: masks and etags", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await env.addUser("UTC");
  });

  test("only masked fields change", async () => {
    const task = await make(user, fullTask());
    const updated = await update(
      user,
      { id: task.id, title: "ignored", priority: Priority.LOW, tags: ["ignored"], description: "ignored" },
      ["priority"],
    );
    expect(updated.priority).toBe(Priority.LOW);
    expect({ ...updated, priority: task.priority, etag: "", updateTime: undefined }).toEqual({
      ...task,
      etag: "",
      updateTime: undefined,
    });
  });

  test("unmasked fields are ignored even when they would be invalid", async () => {
    const task = await make(user, fullTask());
    const updated = await update(
      user,
      {
        id: task.id,
        title: "only the title",
        timeZone: "Bad/Zone",
        tags: ["a", "A"],
        recurrence: { rrule: "NONSENSE" },
        reminders: [{}, { trigger: { case: "at", value: { seconds: 10n ** 15n, nanos: 0 } } }],
      },
      ["title"],
    );
    expect(updated.title).toBe("only the title");
    expect(updated.reminders).toEqual(task.reminders);
    expect(updated.timeZone).toBe(task.timeZone);
  });

  test("an empty mask replaces every updatable field", async () => {
    const task = await make(user, fullTask());
    const updated = await update(user, { id: task.id, title: "bare" });
    expect(updated).toMatchObject({
      id: task.id,
      title: "bare",
      description: "",
      priority: Priority.UNSPECIFIED,
      tags: [],
      reminders: [],
      timeZone: "UTC", // back to the user's default
      createTime: task.createTime,
      status: TaskStatus.OPEN,
    });
    expect(updated.dueTime).toBeUndefined();
    expect(updated.recurrence).toBeUndefined();
  });

  test("a stale etag is ABORTED and changes nothing; the current etag works", async () => {
    const task = await make(user, { title: "v1" });
    const v2 = await update(user, { id: task.id, etag: task.etag, title: "v2" }, ["title"]);
    expect(v2.etag).not.toBe(task.etag);
    await expectNothingWritten(() =>
      expectCode(
        update(user, { id: task.id, etag: task.etag, title: "lost update" }, ["title"]),
        Code.Aborted,
      ),
    );
    expect(await get(user, task.id)).toEqual(v2);
    await expectCode(update(user, { id: task.id, etag: '"nonsense"', title: "x" }, ["title"]), Code.Aborted);
    const v3 = await update(user, { id: task.id, etag: v2.etag, title: "v3" }, ["title"]);
    expect(v3.title).toBe("v3");
    // Without an etag the update is unconditional.
    const v4 = await update(user, { id: task.id, title: "v4" }, ["title"]);
    expect(v4.title).toBe("v4");
  });

  test("an update that changes nothing keeps the etag and update_time and emits no event", async () => {
    const task = await make(user, { title: "same", priority: Priority.MEDIUM, tags: ["a"] });
    env.clock.advance(1000);
    await expectNothingWritten(async () => {
      const same = await update(
        user,
        { id: task.id, etag: task.etag, title: " same ", priority: Priority.MEDIUM },
        ["title", "priority"],
      );
      expect(same).toEqual(task);
    });
  });

  test("a no-op full update of a task with every field but absolute reminders keeps the etag", async () => {
    const init = fullTask();
    init.reminders = [{ trigger: { case: "beforeDue", value: durationFromMs(HOUR) } }];
    const task = await make(user, init);
    env.clock.advance(1000);
    await expectNothingWritten(async () => {
      expect(await update(user, task)).toEqual(task);
    });
  });

  test("a no-op full update of a task with an absolute reminder keeps the etag", async () => {
    const task = await make(user, fullTask());
    env.clock.advance(1000);
    await expectNothingWritten(async () => {
      const same = await update(user, task);
      expect(same.etag).toBe(task.etag);
      expect(same).toEqual(task);
    });
  });

  test("CompleteTask and ReopenTask are idempotent", async () => {
    const task = await make(user, { title: "finish me" });
    env.clock.advance(5000);
    const done = (await user.client.completeTask({ id: task.id })).task as Task;
    expect(done.status).toBe(TaskStatus.COMPLETED);
    expect(iso(done.completeTime)).toBe(env.clock.now().toISOString());
    expect(done.etag).not.toBe(task.etag);
    env.clock.advance(5000);
    await expectNothingWritten(async () => {
      const again = (await user.client.completeTask({ id: task.id })).task;
      expect(again).toEqual(done);
    });
    const reopened = (await user.client.reopenTask({ id: task.id })).task as Task;
    expect(reopened.status).toBe(TaskStatus.OPEN);
    expect(reopened.completeTime).toBeUndefined();
    expect(reopened.etag).not.toBe(done.etag);
    await expectNothingWritten(async () => {
      expect((await user.client.reopenTask({ id: task.id })).task).toEqual(reopened);
    });
    expect(await get(user, task.id)).toEqual(reopened);
  });

  test("DeleteTask with a stale etag is ABORTED and keeps the task; the current etag deletes", async () => {
    const task = await make(user, { title: "guarded" });
    const v2 = await update(user, { id: task.id, title: "guarded v2" }, ["title"]);
    await expectNothingWritten(() =>
      expectCode(user.client.deleteTask({ id: task.id, etag: task.etag }), Code.Aborted),
    );
    expect(await get(user, task.id)).toEqual(v2);
    await user.client.deleteTask({ id: task.id, etag: v2.etag });
    await expectCode(user.client.getTask({ id: task.id }), Code.NotFound);
  });
});

describe("multi-user isolation", () => {
  let owner: TestUser;
  let intruder: TestUser;
  let task: Task;

  beforeAll(async () => {
    owner = await env.addUser("UTC");
    intruder = await env.addUser("Asia/Tokyo");
    task = await make(owner, { ...fullTask(), title: "owner's secret plan" });
  });

  const attempts: [string, (c: TaskClient, t: Task) => Promise<unknown>][] = [
    ["GetTask", (c, t) => c.getTask({ id: t.id })],
    [
      "UpdateTask",
      (c, t) => c.updateTask({ task: { id: t.id, title: "hijacked" }, updateMask: { paths: ["title"] } }),
    ],
    [
      "UpdateTask with the right etag",
      (c, t) => c.updateTask({ task: { id: t.id, etag: t.etag, title: "hijacked" } }),
    ],
    ["DeleteTask", (c, t) => c.deleteTask({ id: t.id })],
    ["DeleteTask with the right etag", (c, t) => c.deleteTask({ id: t.id, etag: t.etag })],
    ["CompleteTask", (c, t) => c.completeTask({ id: t.id })],
    ["CompleteTask with the right etag", (c, t) => c.completeTask({ id: t.id, etag: t.etag })],
    ["ReopenTask", (c, t) => c.reopenTask({ id: t.id })],
    ["ReopenTask with the right etag", (c, t) => c.reopenTask({ id: t.id, etag: t.etag })],
    ["UndeleteTask", (c, t) => c.undeleteTask({ id: t.id })],
  ];

  for (const [name, attempt] of attempts) {
    test(`${name} on another user's task is NOT_FOUND and changes nothing`, async () => {
      await expectNothingWritten(async () => {
        const err = await expectCode(attempt(intruder.client, task), Code.NotFound);
        // Exactly the answer for an id that does not exist: nothing leaks.
        const missing = crypto.randomUUID();
        const other = await expectCode(
          attempt(intruder.client, { ...task, id: missing } as Task),
          Code.NotFound,
        );
        expect(err.rawMessage.replace(task.id, "ID")).toBe(other.rawMessage.replace(missing, "ID"));
      });
      expect(await get(owner, task.id)).toEqual(task);
    });
  }

  test("ReopenTask on another user's completed task is NOT_FOUND and keeps it completed", async () => {
    const done = (await owner.client.completeTask({ id: (await make(owner, { title: "done" })).id }))
      .task as Task;
    await expectNothingWritten(() => expectCode(intruder.client.reopenTask({ id: done.id }), Code.NotFound));
    expect(await get(owner, done.id)).toEqual(done);
  });

  test("ListTasks never shows another user's tasks, whatever the filter, query or order", async () => {
    await make(intruder, { title: "intruder's own" });
    const requests: Partial<ListTasksRequest>[] = [
      {},
      { filter: "status = OPEN OR status = COMPLETED" },
      { query: "secret plan" },
      { orderBy: "priority desc, due_time" },
      { filter: "tags:work", query: "plan" },
    ];
    for (const req of requests) {
      const seen = await listAll(intruder.client, req);
      expect(seen.tasks.every((t) => t.title === "intruder's own")).toBe(true);
      expect(ids(seen.tasks)).not.toContain(task.id);
      expect(seen.totalSize).toBe(seen.tasks.length);
    }
    expect(ids((await listAll(owner.client, { query: "secret plan" })).tasks)).toContain(task.id);
  });

  test("another user's page token is refused", async () => {
    await make(owner, { title: "second" });
    const page = await owner.client.listTasks({ pageSize: 1 });
    expect(page.nextPageToken).not.toBe("");
    await expectInvalid(
      intruder.client.listTasks({ pageSize: 1, pageToken: page.nextPageToken }),
      "page_token",
    );
  });

  const everyRpc: [string, (c: TaskClient) => Promise<unknown>][] = [
    ["CreateTask", (c) => c.createTask({ task: { title: "anonymous" } })],
    ["GetTask", (c) => c.getTask({ id: crypto.randomUUID() })],
    ["ListTasks", (c) => c.listTasks({})],
    ["UpdateTask", (c) => c.updateTask({ task: { id: crypto.randomUUID(), title: "x" } })],
    ["DeleteTask", (c) => c.deleteTask({ id: crypto.randomUUID() })],
    ["CompleteTask", (c) => c.completeTask({ id: crypto.randomUUID() })],
    ["ReopenTask", (c) => c.reopenTask({ id: crypto.randomUUID() })],
    ["UndeleteTask", (c) => c.undeleteTask({ id: crypto.randomUUID() })],
  ];

  test("every RPC without a token is UNAUTHENTICATED", async () => {
    await expectNothingWritten(async () => {
      for (const [, call] of everyRpc) await expectCode(call(env.anonymous), Code.Unauthenticated);
    });
  });

  test("every RPC with a bad token is UNAUTHENTICATED", async () => {
    const otherIssuer = createTokenService({
      secret: "a-different-secret-of-at-least-32-bytes!!",
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: 3600,
    });
    const expiredIssuer = createTokenService({
      secret: "task-service-tests-secret-0123456789abcdef",
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: -60,
    });
    const principal = owner.principal;
    const headers = [
      "Bearer garbage",
      "Bearer ",
      "Bearer a.b.c",
      `Bearer ${(await otherIssuer.issue(principal)).token}`,
      `Bearer ${(await expiredIssuer.issue(principal)).token}`,
      `Basic ${Buffer.from("alice:secret").toString("base64")}`,
      owner.token, // no scheme
      `Bearer ${owner.token.slice(0, -2)}xx`, // tampered signature
    ];
    await expectNothingWritten(async () => {
      for (const header of headers) {
        const client = env.clientWithAuthorization(header);
        for (const [name, call] of everyRpc) {
          const err = await expectCode(call(client), Code.Unauthenticated).catch((e: Error) => {
            throw new Error(`${name} with ${JSON.stringify(header.slice(0, 20))}: ${e.message}`);
          });
          expect(err.rawMessage).not.toContain("jws"); // no library internals in the message
        }
      }
    });
  });
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
