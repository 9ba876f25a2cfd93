/**
 * What the TaskService suites (`src/task-*.test.ts`, `src/list-tasks-*.test.ts`) share: a fixed
 * start time, a task with every field set, and short forms of the calls they make.
 */
import { expect } from "bun:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Priority, RecurrenceAnchor, type Task, type TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskTestEnv, TestUser } from "./task-env";

export type TaskInit = MessageInitShape<typeof TaskSchema>;
/** A task written as a plain init object (not a Task message), so it can be spread and changed. */
export type TaskFields = Exclude<TaskInit, Task>;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The suites' clock (`createTaskTestEnv({ now: START })`). */
export const START = "2026-03-07T15:00:00.000Z";
export const ts = (iso: string) => timestampFromDate(new Date(iso));
export const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : undefined);
export const HOUR = 3_600_000;

export async function make(user: TestUser, task: TaskInit, requestId = ""): Promise<Task> {
  const res = await user.client.createTask({ task, requestId });
  if (!res.task) throw new Error("CreateTask returned no task");
  return res.task;
}

export async function get(user: TestUser, id: string): Promise<Task> {
  const res = await user.client.getTask({ id });
  if (!res.task) throw new Error("GetTask returned no task");
  return res.task;
}

export async function update(user: TestUser, task: TaskInit, paths: string[] = []): Promise<Task> {
  const res = await user.client.updateTask({ task, updateMask: { paths } });
  if (!res.task) throw new Error("UpdateTask returned no task");
  return res.task;
}

/** Runs `fn` and checks it wrote no task row and no event. */
export async function expectNothingWritten(env: TaskTestEnv, fn: () => Promise<unknown>): Promise<void> {
  const rows = await env.countTasks();
  const events = await env.countEvents();
  const snapshot = await env.sql`select id, version from task.tasks order by id`;
  await fn();
  expect(await env.countTasks()).toBe(rows);
  expect(await env.countEvents()).toBe(events);
  expect(await env.sql`select id, version from task.tasks order by id`).toEqual(snapshot);
}

export const ids = (tasks: readonly Task[]) => tasks.map((t) => t.id);

/** A task with every field set (a title and tags with spaces to trim). */
export function fullTask(): TaskFields {
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
