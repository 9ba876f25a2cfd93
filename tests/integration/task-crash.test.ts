/**
 * `kill -9` of the task service between commit and publish loses no event: the change and its outbox
 * rows commit together, so whatever the relay had not published when the process died is published
 * by the next incarnation, and the consumer (the tag service) applies it exactly once.
 *
 * The window is hit on purpose in the first test: a row that looks claimed by another relay (a lease
 * an hour long) is put in front of the task's key, so the relay may not publish that key's later
 * rows (the outbox keeps per-key order behind a claimed row). The change then commits and is answered
 * but stays unpublished until the process is killed. The second test is the plain race: SIGKILL as
 * soon as the first of many concurrent CreateTask calls returns.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Collector } from "./kafka-probe";
import { eventually, TestSystem } from "./system";

let system: TestSystem;
let taskEvents: Collector;

beforeAll(async () => {
  system = await TestSystem.create({ label: "taskcrash" });
  await Promise.all([system.start("identity"), system.start("task"), system.start("tag")]);
  await system.kafka.detectNamespace();
  taskEvents = await system.kafka.collect("task-events");
}, 120_000);

afterAll(async () => {
  await system?.close();
}, 60_000);

/** The tags of the caller as `name → task count`. */
async function tagCounts(tags: ReturnType<typeof system.client<typeof TagService>>) {
  const { tags: listed } = await tags.listTags({ pageSize: 100 });
  return Object.fromEntries(listed.map((t) => [t.name, t.taskCount]));
}

describe("kill -9 of the task service between commit and publish", () => {
  test("a committed but unpublished change is published after the restart, and applied once", async () => {
    const { token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const tags = system.client("tag", TagService, token);
    const { task } = await tasks.createTask({ task: { title: "Crash me", tags: ["alpha"] } });
    if (!task) throw new Error("no task");
    await eventually("tag alpha", async () => (await tagCounts(tags)).alpha === 1);

    const blocker = `blocker-${crypto.randomUUID()}`;
    await system.sql`
      insert into task.outbox (topic, key, event_id, source, type, subject, event_time, data_schema, data,
        claim, claimed_until)
      values ('task-events', ${task.id}, ${blocker}, '/integration-test', 'todo.test.blocker', ${task.id}, now(),
        'todo.test.Blocker', '\\x00'::bytea, gen_random_uuid(), now() + interval '1 hour')`;

    const { task: updated } = await tasks.updateTask({
      task: { id: task.id, tags: ["beta"] },
      updateMask: { paths: ["tags"] },
    });
    expect(updated?.tags).toEqual(["beta"]);
    // Committed and answered; give the relay every chance to (wrongly) publish it, then kill it.
    await Bun.sleep(1500);
    const pending = await system.sql<{ event_id: string; topic: string }[]>`
      select event_id, topic from task.outbox where key = ${task.id} and event_id <> ${blocker} order by seq`;
    const pendingUpdate = pending.find((r) => r.topic === "task-events");
    if (!pendingUpdate)
      throw new Error(`the update's event is not in the outbox: ${JSON.stringify(pending)}`);
    await system.kill("task");

    expect(taskEvents.matching((r) => r.headers.ce_id === pendingUpdate.event_id)).toHaveLength(0);
    expect(await tagCounts(tags)).toEqual({ alpha: 1 });

    // The other "relay" is gone too; the next incarnation must publish what was left.
    await system.sql`delete from task.outbox where event_id = ${blocker}`;
    await system.start("task");
    await eventually(
      "tag beta to replace alpha",
      async () => {
        const counts = await tagCounts(tags);
        return counts.beta === 1 && counts.alpha === undefined;
      },
      60_000,
    );
    await eventually(
      "the outbox to drain",
      async () => (await system.sql`select 1 from task.outbox limit 1`).length === 0,
    );
    expect(taskEvents.matching((r) => r.headers.ce_id === pendingUpdate.event_id)).toHaveLength(1);
    const applied = await system.sql<{ n: string }[]>`
      select count(*)::text as n from tag.processed_events where event_id = ${pendingUpdate.event_id}`;
    expect(applied[0]?.n).toBe("1");
  }, 120_000);

  test("SIGKILL right after CreateTask returns: every committed task reaches the tag service once", async () => {
    const { userId, token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const tags = system.client("tag", TagService, token);
    const calls = Array.from({ length: 30 }, (_, i) =>
      tasks.createTask({ task: { title: `burst ${i}`, tags: ["burst"] } }),
    );
    await Promise.race(calls);
    await system.kill("task");
    const settled = await Promise.allSettled(calls);
    const answered = settled.filter((s) => s.status === "fulfilled").length;
    const left = await system.sql<{ n: string }[]>`
      select count(*)::text as n from task.outbox where topic = 'task-events'`;
    console.log(
      `kill -9 after ${answered} answered CreateTask calls; task-events rows left in the outbox: ${left[0]?.n}`,
    );

    await system.start("task");
    // The tasks that committed (answered or not): each must count once for its tag.
    const { tasks: committed } = await tasks.listTasks({ pageSize: 100 });
    expect(committed.length).toBeGreaterThanOrEqual(answered);
    // A relay killed mid-publish leaves its claimed rows to the next one after the claim's lease (30 s).
    await eventually(
      "tag burst to count every committed task",
      async () => (await tagCounts(tags)).burst === committed.length,
      75_000,
    );
    await eventually(
      "the outbox to drain",
      async () => (await system.sql`select 1 from task.outbox limit 1`).length === 0,
    );
    for (const t of committed) {
      expect(
        taskEvents.matching(
          (r) => r.headers.ce_subject === t.id && r.headers.ce_type === "todo.task.v1.created",
        ).length,
      ).toBeGreaterThanOrEqual(1);
    }
    const applied = await system.sql<{ n: string }[]>`
      select count(*)::text as n from tag.task_tags where user_id = ${userId}`;
    expect(Number(applied[0]?.n)).toBe(committed.length);
  }, 150_000);
});
