/**
 * TaskService refuses bad input with INVALID_ARGUMENT naming the field, and writes nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type Priority, type RecurrenceAnchor, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { createTaskTestEnv, expectInvalid, type TaskTestEnv } from "../test/task-env";
import {
  expectNothingWritten,
  fullTask,
  get,
  HOUR,
  make,
  START,
  type TaskInit,
  ts,
  update,
} from "../test/task-service-fixtures";

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: START });
});

afterAll(async () => {
  await env?.close();
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
      await expectNothingWritten(env, () =>
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
    await expectNothingWritten(env, () => expectInvalid(env.alice.client.createTask({}), "task"));
  });

  test("an over-long request_id names request_id", async () => {
    await expectNothingWritten(env, () =>
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
    await expectNothingWritten(env, async () => {
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
    await expectNothingWritten(env, async () => {
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
    await expectNothingWritten(env, async () => {
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
