/**
 * TaskService end to end through the production interceptor chain (errors → auth → validation) on a
 * real PostgreSQL database: create and get, the update round trip and request_id idempotency. The
 * other suites: task-validation, task-update-masks, task-isolation, list-tasks-filters and
 * list-tasks-paging.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { durationFromMs, durationMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { Priority, RecurrenceAnchor, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { createTaskTestEnv, expectCode, type TaskTestEnv } from "../test/task-env";
import { fullTask, get, HOUR, ids, iso, make, START, ts, UUID, update } from "../test/task-service-fixtures";

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: START });
});

afterAll(async () => {
  await env?.close();
});

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
