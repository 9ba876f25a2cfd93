/**
 * Taking actions back, server-side: CompleteTask and ReopenTask guarded by etags (a stale click is
 * ABORTED), ReopenTask withdrawing the next instance a recurring completion generated (deleted when
 * untouched, never created when the scheduler has not made it yet, kept when changed), and
 * UndeleteTask bringing a deleted task back under its own id. The scheduler's part — planning and
 * creating the next instance — is stood in for by the CreateTask call it makes (the same key and
 * series); services/scheduler/src/task-events-consumer.test.ts runs the whole pipeline.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { RecurrenceAnchor, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { nextInstanceRequestId } from "@todo/recurrence";
import {
  createTaskTestEnv,
  expectCode,
  type TaskTestEnv,
  type TestUser,
  watchChanges,
} from "../test/task-env";

let env: TaskTestEnv;
let stopLive: () => Promise<void>;
let user: TestUser;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: "2026-03-07T15:00:00.000Z" });
  stopLive = await env.startLiveUpdates();
  user = env.alice;
});

afterAll(async () => {
  await stopLive?.();
  await env?.close();
});

const DAY = 24 * 3_600_000;

async function daily(title: string): Promise<Task> {
  const res = await user.client.createTask({
    task: {
      title,
      dueTime: timestampFromDate(new Date("2026-03-07T18:00:00Z")),
      timeZone: "UTC",
      recurrence: { rrule: "FREQ=DAILY", anchor: RecurrenceAnchor.SCHEDULE },
    },
  });
  return res.task as Task;
}

/** What the scheduler does after `done` was completed: CreateTask with the completion's key. */
function createNextAsScheduler(done: Task) {
  const completeTime = timestampDate(done.completeTime as NonNullable<Task["completeTime"]>);
  return user.client.createTask({
    requestId: nextInstanceRequestId(done.id, completeTime),
    seriesId: done.seriesId,
    task: {
      title: done.title,
      dueTime: timestampFromDate(
        new Date(timestampDate(done.dueTime as NonNullable<Task["dueTime"]>).getTime() + DAY),
      ),
      timeZone: done.timeZone,
      recurrence: done.recurrence,
    },
  });
}

/** A WatchTasks stream opened once every earlier change has been delivered. */
async function quietWindow() {
  for (let i = 0; i < 500 && (await env.countEvents()) > 0; i++) await Bun.sleep(10);
  await Bun.sleep(100);
  const window = watchChanges(user.client);
  await Bun.sleep(50);
  return window;
}

async function complete(task: Task): Promise<Task> {
  env.clock.advance(1000);
  return (await user.client.completeTask({ id: task.id, etag: task.etag })).task as Task;
}

describe("CompleteTask and ReopenTask with an etag", () => {
  test("the etag shown completes; a second click with the same (now stale) etag is ABORTED", async () => {
    const task = (await user.client.createTask({ task: { title: "click me" } })).task as Task;
    const done = await complete(task);
    expect(done.status).toBe(TaskStatus.COMPLETED);
    const history = async () => (await user.client.listTaskHistory({ id: task.id })).changes.length;
    const changes = await history();
    const err = await expectCode(user.client.completeTask({ id: task.id, etag: task.etag }), Code.Aborted);
    expect(err.rawMessage).toContain("changed since you read it");
    expect(await history()).toBe(changes);
    expect((await user.client.getTask({ id: task.id })).task).toEqual(done);
    // Without an etag, completing a completed task still changes nothing (and succeeds).
    expect((await user.client.completeTask({ id: task.id })).task).toEqual(done);
  });

  test("ReopenTask with a stale etag is ABORTED and the task stays completed", async () => {
    const task = (await user.client.createTask({ task: { title: "reopen me" } })).task as Task;
    const done = await complete(task);
    await expectCode(user.client.reopenTask({ id: task.id, etag: task.etag }), Code.Aborted);
    expect((await user.client.getTask({ id: task.id })).task?.status).toBe(TaskStatus.COMPLETED);
    const reopened = await user.client.reopenTask({ id: task.id, etag: done.etag });
    expect(reopened.task?.status).toBe(TaskStatus.OPEN);
    expect(reopened.withdrawnTaskId).toBe("");
  });
});

describe("ReopenTask takes a recurring completion back", () => {
  test("the untouched next instance is deleted in the same call, and other windows see both changes", async () => {
    const first = await daily("water plants");
    const done = await complete(first);
    const next = (await createNextAsScheduler(done)).task as Task;
    expect(next.seriesId).toBe(first.seriesId);

    const window = await quietWindow();
    const reopened = await user.client.reopenTask({ id: first.id, etag: done.etag });
    expect(reopened.withdrawnTaskId).toBe(next.id);
    expect(reopened.task?.status).toBe(TaskStatus.OPEN);
    expect(reopened.task?.dueTime).toEqual(first.dueTime);
    await expectCode(user.client.getTask({ id: next.id }), Code.NotFound);
    const open = await user.client.listTasks({ filter: "status = OPEN" });
    expect(open.tasks.filter((t) => t.seriesId === first.seriesId).map((t) => t.id)).toEqual([first.id]);

    await window.until(2);
    await window.stop();
    expect(window.changes.map((c) => [c.type, c.task?.id])).toEqual([
      [ChangeType.REOPENED, first.id],
      [ChangeType.DELETED, next.id],
    ]);
    // A retry of the scheduler's call cannot bring the withdrawn instance back.
    await expectCode(createNextAsScheduler(done), Code.AlreadyExists);
  });

  test("a reopen before the next instance exists claims its key, so it is never created", async () => {
    const first = await daily("stretch");
    const done = await complete(first);
    const reopened = await user.client.reopenTask({ id: first.id });
    expect(reopened.withdrawnTaskId).toBe("");
    const before = await env.countTasks(user.principal.userId);
    await expectCode(createNextAsScheduler(done), Code.AlreadyExists);
    expect(await env.countTasks(user.principal.userId)).toBe(before);

    // Completing it again is a new completion with a key of its own: its next instance is made.
    const again = await complete(reopened.task as Task);
    expect(again.completeTime).not.toEqual(done.completeTime);
    const next = (await createNextAsScheduler(again)).task as Task;
    expect(next.status).toBe(TaskStatus.OPEN);
  });

  test("a next instance that was changed or completed since is kept", async () => {
    for (const touch of ["edit", "complete"] as const) {
      const first = await daily(`keep ${touch}`);
      const done = await complete(first);
      const next = (await createNextAsScheduler(done)).task as Task;
      if (touch === "edit") {
        await user.client.updateTask({
          task: { id: next.id, title: "renamed" },
          updateMask: { paths: ["title"] },
        });
      } else {
        await complete(next);
      }
      const reopened = await user.client.reopenTask({ id: first.id });
      expect(reopened.withdrawnTaskId).toBe("");
      expect((await user.client.getTask({ id: next.id })).task?.id).toBe(next.id);
    }
  });

  test("reopening a task that does not recur claims no key", async () => {
    const task = (await user.client.createTask({ task: { title: "plain" } })).task as Task;
    await complete(task);
    await user.client.reopenTask({ id: task.id });
    const keys = await env.sql`
      select 1 from task.create_requests where user_id = ${user.principal.userId} and request_id like ${`next:${task.id}:%`}`;
    expect(keys).toHaveLength(0);
  });
});

describe("UndeleteTask", () => {
  test("brings a deleted task back with its id, fields and status; other windows see it created", async () => {
    const created = (
      await user.client.createTask({
        task: {
          title: "Pay rent",
          description: "to the landlord",
          tags: ["home"],
          priority: 4,
          dueTime: timestampFromDate(new Date("2026-03-09T09:00:00Z")),
          reminders: [
            { trigger: { case: "at", value: timestampFromDate(new Date("2026-03-09T08:00:00Z")) } },
          ],
        },
      })
    ).task as Task;
    const done = await complete(created);
    await user.client.deleteTask({ id: created.id });
    await expectCode(user.client.getTask({ id: created.id }), Code.NotFound);

    const window = await quietWindow();
    env.clock.advance(1000);
    const back = (await user.client.undeleteTask({ id: created.id })).task as Task;
    const { etag, updateTime, ...rest } = back;
    const { etag: oldEtag, updateTime: oldUpdate, ...was } = done;
    expect(rest).toEqual(was);
    expect(etag).not.toBe(oldEtag);
    expect(timestampDate(updateTime as NonNullable<Task["updateTime"]>).getTime()).toBeGreaterThan(
      timestampDate(oldUpdate as NonNullable<Task["updateTime"]>).getTime(),
    );
    expect((await user.client.getTask({ id: created.id })).task).toEqual(back);
    await window.until(1);
    await window.stop();
    expect(window.changes.map((c) => [c.type, c.task?.id])).toEqual([[ChangeType.CREATED, created.id]]);

    // Once back, it is not deleted any more.
    await expectCode(user.client.undeleteTask({ id: created.id }), Code.AlreadyExists);
    const history = await user.client.listTaskHistory({ id: created.id });
    expect(history.changes.map((c) => c.type)).toEqual([
      ChangeType.CREATED,
      ChangeType.DELETED,
      ChangeType.COMPLETED,
      ChangeType.CREATED,
    ]);
  });

  test("an id that was never deleted, or another user's deleted task, is NOT_FOUND", async () => {
    await expectCode(user.client.undeleteTask({ id: crypto.randomUUID() }), Code.NotFound);
    const mine = (await user.client.createTask({ task: { title: "mine" } })).task as Task;
    await user.client.deleteTask({ id: mine.id });
    await expectCode(env.bob.client.undeleteTask({ id: mine.id }), Code.NotFound);
    await expectCode(user.client.undeleteTask({ id: "not-an-id" }), Code.InvalidArgument);
  });
});

describe("ListTasks by complete_time (the Completed view)", () => {
  test("most recently completed first, page by page; open tasks last in both directions", async () => {
    const u = await env.addUser("UTC");
    const made: Task[] = [];
    for (const title of ["first made", "second made", "third made", "fourth made"]) {
      made.push((await u.client.createTask({ task: { title } })).task as Task);
    }
    // Completed in another order than created: third, first, fourth; "second made" stays open.
    for (const i of [2, 0, 3]) {
      env.clock.advance(60_000);
      await u.client.completeTask({ id: (made[i] as Task).id });
    }
    const titles = async (orderBy: string) => {
      const out: string[] = [];
      let pageToken = "";
      do {
        const res = await u.client.listTasks({ orderBy, pageSize: 2, pageToken });
        out.push(...res.tasks.map((t) => t.title));
        pageToken = res.nextPageToken;
      } while (pageToken);
      return out;
    };
    expect(await titles("complete_time desc")).toEqual([
      "fourth made",
      "first made",
      "third made",
      "second made",
    ]);
    expect(await titles("complete_time")).toEqual(["third made", "first made", "fourth made", "second made"]);
  });
});
