/**
 * WatchTasks and ListTaskHistory: a change travels outbox → relay → bus (`task-updates`) → hub → the
 * owner's streams, and every change is kept in the task's history.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { createTaskTestEnv, expectCode, type TaskTestEnv, watchChanges as watch } from "../test/task-env";

let env: TaskTestEnv;
let stopLive: () => Promise<void>;

beforeAll(async () => {
  env = await createTaskTestEnv();
  stopLive = await env.startLiveUpdates();
});

afterAll(async () => {
  await stopLive();
  await env.close();
});

async function waitFor(check: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await Bun.sleep(10);
}

describe("WatchTasks", () => {
  test("streams the caller's own changes, in order, and nobody else's", async () => {
    const alice = watch(env.alice.client);
    const bob = watch(env.bob.client);
    await waitFor(() => env.hub.watcherCount === 2);

    const { task } = await env.alice.client.createTask({ task: { title: "Live one" } });
    const id = task?.id as string;
    await env.alice.client.updateTask({
      task: { id, priority: Priority.HIGH },
      updateMask: { paths: ["priority"] },
    });
    await env.alice.client.completeTask({ id });
    await env.bob.client.createTask({ task: { title: "Bob's own" } });
    await alice.until(3);
    await bob.until(1);

    expect(alice.changes.map((c) => [c.type, c.task?.id])).toEqual([
      [ChangeType.CREATED, id],
      [ChangeType.UPDATED, id],
      [ChangeType.COMPLETED, id],
    ]);
    expect(alice.changes[1]?.updateMask?.paths).toEqual(["priority"]);
    expect(alice.changes[1]?.task?.priority).toBe(Priority.HIGH);
    expect(bob.changes.map((c) => c.task?.title)).toEqual(["Bob's own"]);
    await alice.stop();
    await bob.stop();
  });

  test("sends keep-alives on an idle stream and lets go of it on cancel", async () => {
    const before = env.hub.watcherCount;
    const idle = watch(env.alice.client);
    await waitFor(() => env.hub.watcherCount === before + 1);
    await waitFor(() => idle.keepAlives() >= 2, 3000);
    expect(idle.keepAlives()).toBeGreaterThanOrEqual(2);
    await idle.stop();
    await waitFor(() => env.hub.watcherCount === before);
    expect(env.hub.watcherCount).toBe(before);
  });

  test("needs a token", async () => {
    const stream = env.anonymous.watchTasks({});
    await expectCode(
      (async () => {
        for await (const _ of stream) break;
      })(),
      Code.Unauthenticated,
    );
  });
});

describe("ListTaskHistory", () => {
  test("lists every change newest first, pages, and outlives the task", async () => {
    const { task } = await env.alice.client.createTask({ task: { title: "Has a past" } });
    const id = task?.id as string;
    for (const title of ["Has a past, 2", "Has a past, 3"]) {
      env.clock.advance(1000);
      await env.alice.client.updateTask({ task: { id, title }, updateMask: { paths: ["title"] } });
    }
    env.clock.advance(1000);
    await env.alice.client.completeTask({ id });
    await env.alice.client.deleteTask({ id });

    const first = await env.alice.client.listTaskHistory({ id, pageSize: 3 });
    expect(first.changes.map((c) => c.type)).toEqual([
      ChangeType.DELETED,
      ChangeType.COMPLETED,
      ChangeType.UPDATED,
    ]);
    expect(first.nextPageToken).not.toBe("");
    const second = await env.alice.client.listTaskHistory({
      id,
      pageSize: 3,
      pageToken: first.nextPageToken,
    });
    expect(second.changes.map((c) => [c.type, c.task?.title])).toEqual([
      [ChangeType.UPDATED, "Has a past, 2"],
      [ChangeType.CREATED, "Has a past"],
    ]);
    expect(second.nextPageToken).toBe("");
    const ids = new Set([...first.changes, ...second.changes].map((c) => c.eventId));
    expect(ids.size).toBe(5);
  });

  test("another user's task is NOT_FOUND; a bad id or token is INVALID_ARGUMENT", async () => {
    const { task } = await env.alice.client.createTask({ task: { title: "Private past" } });
    const id = task?.id as string;
    await expectCode(env.bob.client.listTaskHistory({ id }), Code.NotFound);
    await expectCode(env.alice.client.listTaskHistory({ id: "nope" }), Code.InvalidArgument);
    await expectCode(env.alice.client.listTaskHistory({ id, pageToken: "garbage" }), Code.InvalidArgument);
    const other = await env.alice.client.createTask({ task: { title: "Other" } });
    const page = await env.alice.client.listTaskHistory({ id: other.task?.id as string, pageSize: 1 });
    expect(page.nextPageToken).toBe("");
  });
});

describe("CreateTask series_id and spent request ids", () => {
  test("series_id joins a series; a request id of a deleted task stays spent", async () => {
    const first = await env.alice.client.createTask({
      task: { title: "Weekly", dueTime: { seconds: 1_800_000_000n }, recurrence: { rrule: "FREQ=WEEKLY" } },
    });
    const series = first.task?.seriesId as string;
    expect(series).toBe(first.task?.id as string);
    const next = await env.alice.client.createTask({
      task: { title: "Weekly", dueTime: { seconds: 1_800_604_800n }, recurrence: { rrule: "FREQ=WEEKLY" } },
      requestId: "next-of-first",
      seriesId: series,
    });
    expect(next.task?.seriesId).toBe(series);
    await env.alice.client.deleteTask({ id: next.task?.id as string });
    const again = await expectCode(
      env.alice.client.createTask({
        task: { title: "Weekly" },
        requestId: "next-of-first",
        seriesId: series,
      }),
      Code.AlreadyExists,
    );
    expect(again.rawMessage).toContain("deleted");
    await expectCode(
      env.alice.client.createTask({ task: { title: "x" }, seriesId: "not-a-uuid" }),
      Code.InvalidArgument,
    );
  });
});
