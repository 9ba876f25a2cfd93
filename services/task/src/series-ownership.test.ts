/**
 * Issue 13 §1: CreateTask's `series_id` must name a series of the caller's. Another user's series
 * and an id that never was a series are both NOT_FOUND, with the same message, and nothing is
 * written; the caller's own series (even after its first instance was deleted) is joined.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { createTaskTestEnv, expectCode, type TaskTestEnv } from "../test/task-env";

let env: TaskTestEnv;
beforeAll(async () => {
  env = await createTaskTestEnv({ now: "2027-01-01T12:00:00Z" });
});
afterAll(async () => {
  await env?.close();
});

const recurring = {
  title: "water plants",
  dueTime: timestampFromDate(new Date("2027-01-02T08:00:00Z")),
  recurrence: { rrule: "FREQ=DAILY" },
};

test("another user's series and a random id are NOT_FOUND alike, and nothing is written", async () => {
  const bobs = (await env.bob.client.createTask({ task: recurring })).task;
  const seriesId = bobs?.seriesId ?? "";
  expect(seriesId).not.toBe("");
  const before = await env.countTasks();
  const foreign = await expectCode(
    env.alice.client.createTask({ task: { title: "intruder" }, seriesId }),
    Code.NotFound,
  );
  const random = crypto.randomUUID();
  const missing = await expectCode(
    env.alice.client.createTask({ task: { title: "intruder" }, seriesId: random }),
    Code.NotFound,
  );
  expect(foreign.rawMessage.replace(seriesId, "ID")).toBe(missing.rawMessage.replace(random, "ID"));
  expect(foreign.rawMessage).toContain("series");
  expect(await env.countTasks()).toBe(before);
});

test("the caller's own series is joined, also once its first instance is deleted", async () => {
  const first = (await env.alice.client.createTask({ task: recurring })).task;
  const seriesId = first?.seriesId ?? "";
  const second = await env.alice.client.createTask({ task: { ...recurring, title: "next" }, seriesId });
  expect(second.task?.seriesId).toBe(seriesId);
  await env.alice.client.deleteTask({ id: first?.id ?? "" });
  await env.alice.client.deleteTask({ id: second.task?.id ?? "" });
  const third = await env.alice.client.createTask({ task: { ...recurring, title: "after" }, seriesId });
  expect(third.task?.seriesId).toBe(seriesId);
});
