/**
 * UpdateTask: update masks and etags.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { Priority, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { createTaskTestEnv, expectCode, type TaskTestEnv, type TestUser } from "../test/task-env";
import {
  expectNothingWritten,
  fullTask,
  get,
  HOUR,
  iso,
  make,
  START,
  update,
} from "../test/task-service-fixtures";

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: START });
});

afterAll(async () => {
  await env?.close();
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
    await expectNothingWritten(env, () =>
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
    await expectNothingWritten(env, async () => {
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
    await expectNothingWritten(env, async () => {
      expect(await update(user, task)).toEqual(task);
    });
  });

  test("a no-op full update of a task with an absolute reminder keeps the etag", async () => {
    const task = await make(user, fullTask());
    env.clock.advance(1000);
    await expectNothingWritten(env, async () => {
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
    await expectNothingWritten(env, async () => {
      const again = (await user.client.completeTask({ id: task.id })).task;
      expect(again).toEqual(done);
    });
    const reopened = (await user.client.reopenTask({ id: task.id })).task as Task;
    expect(reopened.status).toBe(TaskStatus.OPEN);
    expect(reopened.completeTime).toBeUndefined();
    expect(reopened.etag).not.toBe(done.etag);
    await expectNothingWritten(env, async () => {
      expect((await user.client.reopenTask({ id: task.id })).task).toEqual(reopened);
    });
    expect(await get(user, task.id)).toEqual(reopened);
  });

  test("DeleteTask with a stale etag is ABORTED and keeps the task; the current etag deletes", async () => {
    const task = await make(user, { title: "guarded" });
    const v2 = await update(user, { id: task.id, title: "guarded v2" }, ["title"]);
    await expectNothingWritten(env, () =>
      expectCode(user.client.deleteTask({ id: task.id, etag: task.etag }), Code.Aborted),
    );
    expect(await get(user, task.id)).toEqual(v2);
    await user.client.deleteTask({ id: task.id, etag: v2.etag });
    await expectCode(user.client.getTask({ id: task.id }), Code.NotFound);
  });
});
