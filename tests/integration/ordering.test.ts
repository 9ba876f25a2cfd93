/**
 * Per-task ordering across processes: rapid updates of one task come out of the task service's outbox,
 * through Kafka (`task-events` and `task-updates`, key = task id), in the order they were committed —
 * on the WatchTasks stream, in ListTaskHistory, on the topic itself — and the tag service, consuming
 * `task-events`, ends with counts that match the task's final tags.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromBinary } from "@bufbuild/protobuf";
import { TaskUpdatedSchema } from "@todo/gen/todo/events/v1/task_events_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { ChangeType, type TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Collector } from "./kafka-probe";
import { readStream } from "./live-stream";
import { eventually, TestSystem } from "./system";

let system: TestSystem;
let taskEvents: Collector;

beforeAll(async () => {
  system = await TestSystem.create({ label: "order" });
  await Promise.all([system.start("identity"), system.start("task"), system.start("tag")]);
  await system.kafka.detectNamespace();
  taskEvents = await system.kafka.collect("task-events");
}, 120_000);

afterAll(async () => {
  await system?.close();
}, 60_000);

/** The number in an etag such as `"7"`. */
function version(etag: string | undefined): number {
  const match = /(\d+)/.exec(etag ?? "");
  if (!match?.[1]) throw new Error(`etag ${JSON.stringify(etag)} holds no version`);
  return Number(match[1]);
}

/** Every history entry of a task, oldest first (the API pages newest first). */
async function fullHistory(tasks: ReturnType<typeof system.client<typeof TaskService>>, id: string) {
  const out: TaskChange[] = [];
  let pageToken = "";
  do {
    const page = await tasks.listTaskHistory({ id, pageSize: 7, pageToken });
    out.push(...page.changes);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return out.reverse();
}

describe("per-task ordering", () => {
  test("sequential rapid updates arrive in order on WatchTasks, in history and on task-events", async () => {
    const { token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const tags = system.client("tag", TagService, token);
    const stream = readStream((signal) => tasks.watchTasks({}, { signal }));
    try {
      const { task } = await tasks.createTask({ task: { title: "step 0", tags: ["t0"] } });
      if (!task) throw new Error("no task");
      await stream.waitFor("CREATED", (m) => m.change?.task?.id === task.id);

      const steps = 40;
      for (let i = 1; i <= steps; i++) {
        await tasks.updateTask({
          task: { id: task.id, title: `step ${i}`, tags: [`t${i % 4}`] },
          updateMask: { paths: ["title", "tags"] },
        });
      }
      const expectedTitles = Array.from({ length: steps }, (_, i) => `step ${i + 1}`);

      const updates = await stream.waitFor(
        `${steps} UPDATED changes`,
        (m) => m.change?.type === ChangeType.UPDATED && m.change.task?.id === task.id,
        steps,
      );
      expect(updates.map((u) => u.message.change?.task?.title)).toEqual(expectedTitles);
      const streamIds = updates.map((u) => u.message.change?.eventId ?? "");

      const history = await fullHistory(tasks, task.id);
      expect(history.map((c) => c.type)).toEqual([
        ChangeType.CREATED,
        ...expectedTitles.map(() => ChangeType.UPDATED),
      ]);
      expect(history.slice(1).map((c) => c.task?.title)).toEqual(expectedTitles);
      expect(history.slice(1).map((c) => c.eventId)).toEqual(streamIds);

      // On Kafka: one partition for the key, offsets in the same order as the changes.
      const records = await taskEvents.waitFor(
        "the task's events",
        (r) => r.headers.ce_subject === task.id,
        steps + 1,
      );
      expect(new Set(records.map((r) => r.partition)).size).toBe(1);
      const updated = records.filter((r) => r.headers.ce_type === "todo.task.v1.updated");
      expect(updated.map((r) => (r.value ? fromBinary(TaskUpdatedSchema, r.value).task?.title : ""))).toEqual(
        expectedTitles,
      );
      expect(updated.map((r) => r.headers.ce_id)).toEqual(streamIds);

      // The tag service saw the last state: only the final tag is left, used once.
      const finalTag = `t${steps % 4}`;
      await eventually("tag counts to settle", async () => {
        const { tags: listed } = await tags.listTags({});
        return listed.length === 1 && listed[0]?.name === finalTag && listed[0].taskCount === 1;
      });
    } finally {
      stream.close();
    }
  }, 90_000);

  test("concurrent updates of one task: stream, history and topic agree on one order", async () => {
    const { token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const tags = system.client("tag", TagService, token);
    const stream = readStream((signal) => tasks.watchTasks({}, { signal }));
    try {
      const { task } = await tasks.createTask({ task: { title: "racy", tags: ["start"] } });
      if (!task) throw new Error("no task");
      await stream.waitFor("CREATED", (m) => m.change?.task?.id === task.id);

      const writers = 25;
      // No etags: every update wins in some order chosen by the database; all must agree on it.
      const results = await Promise.all(
        Array.from({ length: writers }, (_, i) =>
          tasks.updateTask({
            task: { id: task.id, title: `writer ${i}`, tags: [`w${i}`] },
            updateMask: { paths: ["title", "tags"] },
          }),
        ),
      );
      const byVersion = results
        .map((r) => r.task)
        .sort((a, b) => version(a?.etag) - version(b?.etag))
        .map((t) => t?.title);

      const updates = await stream.waitFor(
        `${writers} UPDATED changes`,
        (m) => m.change?.type === ChangeType.UPDATED && m.change.task?.id === task.id,
        writers,
      );
      const streamVersions = updates.map((u) => version(u.message.change?.task?.etag));
      expect(streamVersions).toEqual([...streamVersions].sort((a, b) => a - b));
      expect(new Set(streamVersions).size).toBe(writers);
      expect(updates.map((u) => u.message.change?.task?.title)).toEqual(byVersion);

      const history = await fullHistory(tasks, task.id);
      expect(history.slice(1).map((c) => c.eventId)).toEqual(
        updates.map((u) => u.message.change?.eventId ?? ""),
      );

      const records = await taskEvents.waitFor(
        "the task's events",
        (r) => r.headers.ce_subject === task.id,
        writers + 1,
      );
      expect(records.slice(1).map((r) => r.headers.ce_id)).toEqual(
        updates.map((u) => u.message.change?.eventId),
      );

      const { task: final } = await tasks.getTask({ id: task.id });
      expect(final?.title).toBe(byVersion[writers - 1] ?? "missing");
      const finalTag = final?.tags[0] ?? "missing";
      await eventually("tag counts to match the final task", async () => {
        const { tags: listed } = await tags.listTags({});
        return listed.length === 1 && listed[0]?.name === finalTag && listed[0].taskCount === 1;
      });
    } finally {
      stream.close();
    }
  }, 90_000);
});
