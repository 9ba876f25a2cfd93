/**
 * The scheduler in the embedded mode (`bun start`): PGlite with its single connection and no
 * LISTEN/NOTIFY. Reminders must still fire on time (woken in-process), and creating the next
 * instance of a recurring task — a TaskService call that needs the same connection — must not
 * deadlock with the consumer's or the jobs' transactions.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { durationFromMs, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { type CloudEvent, fromCloudEvent, type Principal } from "@todo/platform";
import { createSchedulerTestEnv, type SchedulerTestEnv, until } from "@todo/testkit";

let env: SchedulerTestEnv;
let user: Principal;

beforeAll(async () => {
  env = await createSchedulerTestEnv({ database: "pglite" });
  user = env.user("Europe/Berlin");
}, 30_000);
afterAll(async () => {
  await env?.close();
});

const ts = (ms: number) => timestampFromDate(new Date(ms));

test("on PGlite a reminder fires on time and a recurring task rolls forward", async () => {
  expect(env.kind).toBe("pglite");
  const fireAt = Date.now() + 1000;
  const due = Date.parse("2031-05-30T07:00:00Z"); // 09:00 in Berlin
  const res = await env.tasks.createTask(
    {
      task: {
        title: "Every month, on the last day",
        dueTime: ts(due),
        recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=-1" },
        reminders: [
          { trigger: { case: "at", value: ts(fireAt) } },
          { trigger: { case: "beforeDue", value: durationFromMs(15 * 60_000) } },
        ],
      },
    },
    await env.as(user),
  );
  const task = res.task as Task;
  // Friday 30 May is not a last day of the month: CreateTask moved the due time to Saturday 31 May.
  expect(timestampDate(task.dueTime as NonNullable<Task["dueTime"]>).toISOString()).toBe(
    "2031-05-31T07:00:00.000Z",
  );
  await until(() => env.reminders.some((r) => r.event.subject === task.id), 5000);
  const fired = env.reminders.filter((r) => r.event.subject === task.id);
  expect(fired).toHaveLength(1);
  expect(fired[0]?.at).toBeGreaterThanOrEqual(fireAt);
  expect((fired[0]?.at as number) - fireAt).toBeLessThan(1000);
  const message = fromCloudEvent(ReminderDueSchema, fired[0]?.event as CloudEvent);
  expect(message.reminderId).toBe(task.reminders[0]?.id as string);

  await env.tasks.completeTask({ id: task.id }, await env.as(user));
  let next: Task | undefined;
  await until(async () => {
    const { tasks } = await env.tasks.listTasks({ filter: "status = OPEN" }, await env.as(user));
    next = tasks.find((t) => t.seriesId === task.seriesId && t.id !== task.id);
    return next !== undefined;
  }, 5000);
  // The "last day of the month" after Saturday 31 May is Monday 30 June, at 09:00 Berlin time.
  expect(timestampDate(next?.dueTime as NonNullable<Task["dueTime"]>).toISOString()).toBe(
    "2031-06-30T07:00:00.000Z",
  );
  expect(next?.reminders.map((r) => r.trigger.case)).toEqual(["beforeDue"]);
  expect(env.createCalls()).toBe(1);
}, 30_000);
