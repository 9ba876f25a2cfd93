import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { durationFromMs, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { TaskCompletedSchema } from "@todo/gen/todo/events/v1/task_events_pb";
import { Priority, RecurrenceAnchor, type Task } from "@todo/gen/todo/task/v1/task_pb";
import {
  type CloudEvent,
  EventTypes,
  fromCloudEvent,
  isEventOf,
  type Principal,
  silentLogger,
} from "@todo/platform";
import type { Job } from "@todo/platform/jobs";
import { createSchedulerTestEnv, type SchedulerTestEnv, until } from "@todo/testkit";
import { encodeNextInstancePlan, nextInstanceJobName, planNextInstance } from "./next-instance";
import { readReminderPayload } from "./reminders";
import { createSchedulerJobHandler } from "./scheduler-jobs";

let env: SchedulerTestEnv;
let alice: Principal;
let bob: Principal;

beforeAll(async () => {
  env = await createSchedulerTestEnv();
  alice = env.user("UTC");
  bob = env.user("America/New_York");
});
afterAll(async () => {
  await env?.close();
});

const ts = (d: Date | number) => timestampFromDate(new Date(d));
const MIN = 60_000;
const HOUR = 60 * MIN;

interface JobRow {
  name: string;
  due_time: Date;
  payload: Uint8Array;
  update_time: Date;
}

async function reminderJobs(taskId: string): Promise<JobRow[]> {
  return env.sql<JobRow[]>`
    select name, due_time, payload, update_time from scheduler.jobs
    where name like ${`reminder/${taskId}/%`} order by due_time, name`;
}

async function create(
  user: Principal,
  task: Parameters<typeof env.tasks.createTask>[0]["task"],
): Promise<Task> {
  const res = await env.tasks.createTask({ task }, await env.as(user));
  await env.settle();
  return res.task as Task;
}

async function update(user: Principal, task: Task, paths: string[]): Promise<Task> {
  const res = await env.tasks.updateTask({ task, updateMask: { paths } }, await env.as(user));
  await env.settle();
  return res.task as Task;
}

async function upcoming(user: Principal) {
  return (await env.scheduler.listUpcomingReminders({ pageSize: 1000 }, await env.as(user))).reminders;
}

async function countTasks(user: Principal): Promise<number> {
  const [row] = await env.sql<{ n: number }[]>`
    select count(*)::int as n from task.tasks where user_id = ${user.userId}`;
  return row?.n ?? 0;
}

function eventsOf(taskId: string, type: string): CloudEvent[] {
  return env.taskEvents.filter((e) => e.subject === taskId && e.type === type);
}

describe("reminder jobs follow the task", () => {
  let task: Task;
  const now = Date.now();
  const due = now + 2 * HOUR;
  const absolute = now + 3 * HOUR;

  test("a new task's reminders become jobs, one per reminder, and upcoming reminders", async () => {
    task = await create(alice, {
      title: "Pay rent",
      dueTime: ts(due),
      reminders: [
        { trigger: { case: "beforeDue", value: durationFromMs(30 * MIN) } },
        { trigger: { case: "at", value: ts(absolute) } },
      ],
    });
    const [relative, fixed] = task.reminders;
    const jobs = await reminderJobs(task.id);
    expect(jobs.map((j) => [j.name, j.due_time.getTime()])).toEqual([
      [`reminder/${task.id}/${relative?.id}`, due - 30 * MIN],
      [`reminder/${task.id}/${fixed?.id}`, absolute],
    ]);
    const payload = readReminderPayload(new Uint8Array((jobs[0] as JobRow).payload));
    expect(payload).toMatchObject({
      userId: alice.userId,
      taskId: task.id,
      reminderId: relative?.id,
      occurrenceKey: `${task.id}/${relative?.id}/${new Date(due - 30 * MIN).toISOString()}`,
      taskTitle: "Pay rent",
      timeZone: "UTC",
    });
    const list = await upcoming(alice);
    expect(list.map((r): unknown[] => [r.taskId, r.reminderId, r.taskTitle])).toEqual([
      [task.id, relative?.id, "Pay rent"],
      [task.id, fixed?.id, "Pay rent"],
    ]);
    expect(list.map((r) => timestampDate(r.fireTime as NonNullable<typeof r.fireTime>).getTime())).toEqual([
      due - 30 * MIN,
      absolute,
    ]);
    expect(timestampDate(list[0]?.dueTime as NonNullable<Task["dueTime"]>).getTime()).toBe(due);
    expect(await upcoming(bob)).toEqual([]);
  });

  test("moving the due time moves the relative reminder only", async () => {
    const later = due + 3 * HOUR;
    task = await update(alice, { ...task, dueTime: ts(later) }, ["due_time"]);
    const jobs = await reminderJobs(task.id);
    expect(jobs.map((j) => j.due_time.getTime())).toEqual([absolute, later - 30 * MIN]);
    const list = await upcoming(alice);
    expect(list.map((r): unknown => r.reminderId)).toEqual([task.reminders[1]?.id, task.reminders[0]?.id]);
  });

  test("a new title reaches the job's payload; a removed reminder's job is cancelled", async () => {
    task = await update(alice, { ...task, title: "Pay the rent" }, ["title"]);
    let jobs = await reminderJobs(task.id);
    expect(jobs.map((j) => readReminderPayload(new Uint8Array(j.payload)).taskTitle)).toEqual([
      "Pay the rent",
      "Pay the rent",
    ]);
    const kept = task.reminders[1];
    task = await update(alice, { ...task, reminders: kept ? [kept] : [] }, ["reminders"]);
    jobs = await reminderJobs(task.id);
    expect(jobs.map((j) => j.name)).toEqual([`reminder/${task.id}/${kept?.id}`]);
    expect((await upcoming(alice)).map((r): unknown => r.reminderId)).toEqual([kept?.id]);
  });

  test("completing cancels the reminders; reopening schedules them again", async () => {
    await env.tasks.completeTask({ id: task.id }, await env.as(alice));
    await env.settle();
    expect(await reminderJobs(task.id)).toEqual([]);
    expect(await upcoming(alice)).toEqual([]);
    await env.tasks.reopenTask({ id: task.id }, await env.as(alice));
    await env.settle();
    expect((await reminderJobs(task.id)).map((j) => j.due_time.getTime())).toEqual([absolute]);
    expect(await upcoming(alice)).toHaveLength(1);
  });

  test("redelivering an event changes nothing; a stale event is ignored", async () => {
    const before = await reminderJobs(task.id);
    const [created] = eventsOf(task.id, EventTypes.taskCreated);
    expect(created).toBeDefined();
    // The same event again: already processed.
    await env.handleTaskEvent(created as CloudEvent);
    // The same old snapshot under a new id (a duplicate from elsewhere): older than what is stored.
    await env.handleTaskEvent({ ...(created as CloudEvent), id: crypto.randomUUID() });
    expect(await reminderJobs(task.id)).toEqual(before);
  });

  test("deleting the task cancels its jobs and forgets its reminders", async () => {
    await env.tasks.deleteTask({ id: task.id }, await env.as(alice));
    await env.settle();
    expect(await reminderJobs(task.id)).toEqual([]);
    const [row] = await env.sql<{ n: number }[]>`
      select count(*)::int as n from scheduler.reminders where task_id = ${task.id}`;
    expect(row?.n).toBe(0);
  });

  test("a reminder already past when it is set is not scheduled", async () => {
    const t = await create(bob, {
      title: "Stale",
      dueTime: ts(Date.now() + HOUR),
      reminders: [
        { trigger: { case: "at", value: ts(Date.now() - MIN) } },
        { trigger: { case: "beforeDue", value: durationFromMs(2 * HOUR) } }, // an hour ago
        { trigger: { case: "beforeDue", value: durationFromMs(10 * MIN) } },
      ],
    });
    const jobs = await reminderJobs(t.id);
    expect(jobs.map((j) => j.name)).toEqual([`reminder/${t.id}/${t.reminders[2]?.id}`]);
  });

  test("a reminder in the future when set is scheduled even if its event is stamped after it", async () => {
    // The task service may stamp the event later than the task's update_time (a write retried
    // across a database restart): "past when set" goes by the task's own time. A user of its own,
    // so the recurrence tests' counts of bob's tasks stay as they are.
    const t = await create(env.user("UTC"), {
      title: "Late event",
      reminders: [{ trigger: { case: "at", value: ts(Date.now() + HOUR) } }],
    });
    const [created] = eventsOf(t.id, EventTypes.taskCreated);
    if (!created) throw new Error("no created event");
    await env.sql`delete from scheduler.jobs where name like ${`reminder/${t.id}/%`}`;
    await env.sql`delete from scheduler.reminders where task_id = ${t.id}`;
    await env.sql`delete from scheduler.tasks where task_id = ${t.id}`;
    await env.handleTaskEvent({ ...created, id: crypto.randomUUID(), time: new Date(Date.now() + 2 * HOUR) });
    expect((await reminderJobs(t.id)).map((j) => j.name)).toEqual([`reminder/${t.id}/${t.reminders[0]?.id}`]);
  });
});

describe("firing", () => {
  test("a due reminder publishes ReminderDue on `reminders` once, never early", async () => {
    const fireAt = Date.now() + 1500;
    const due = Date.now() + HOUR;
    const t = await create(alice, {
      title: "Call mum",
      dueTime: ts(due),
      timeZone: "Europe/Berlin",
      reminders: [{ trigger: { case: "at", value: ts(fireAt) } }],
    });
    const reminderId = t.reminders[0]?.id as string;
    expect((await upcoming(alice)).map((r) => r.reminderId)).toContain(reminderId);
    const mine = () => env.reminders.filter((r) => r.event.subject === t.id);
    await until(() => mine().length > 0, 5000);
    const [published] = mine();
    const event = published?.event as CloudEvent;
    expect(event.type).toBe(EventTypes.reminderDue);
    expect(event.source).toBe("todo/scheduler");
    expect(isEventOf(ReminderDueSchema, event)).toBe(true);
    const message = fromCloudEvent(ReminderDueSchema, event);
    expect(message).toMatchObject({
      userId: alice.userId,
      taskId: t.id,
      reminderId,
      occurrenceKey: `${t.id}/${reminderId}/${new Date(fireAt).toISOString()}`,
      taskTitle: "Call mum",
      timeZone: "Europe/Berlin",
    });
    expect(timestampDate(message.fireTime as NonNullable<typeof message.fireTime>).getTime()).toBe(fireAt);
    expect(timestampDate(message.dueTime as NonNullable<typeof message.dueTime>).getTime()).toBe(due);
    expect(published?.at).toBeGreaterThanOrEqual(fireAt); // never early
    expect((published?.at as number) - fireAt).toBeLessThan(1000);
    // Fired: gone from the jobs and from the upcoming list; a later edit does not fire it again.
    expect(await reminderJobs(t.id)).toEqual([]);
    expect((await upcoming(alice)).map((r) => r.reminderId)).not.toContain(reminderId);
    await update(alice, { ...t, title: "Call mum back" }, ["title"]);
    expect(await reminderJobs(t.id)).toEqual([]);
    await Bun.sleep(300);
    expect(mine()).toHaveLength(1);
    const [outbox] = await env.sql<{ n: number }[]>`select count(*)::int as n from scheduler.outbox`;
    expect(outbox?.n).toBe(0); // published and removed
  });
});

describe("recurrence", () => {
  const due = Date.parse("2030-01-15T08:00:00Z"); // 09:00 in Berlin
  let first: Task;
  let next: Task;

  test("completing a recurring task creates the next instance once, as its owner", async () => {
    first = await create(alice, {
      title: "Water the plants",
      description: "all of them",
      priority: Priority.HIGH,
      tags: ["home", "Garden"],
      dueTime: ts(due),
      timeZone: "Europe/Berlin",
      recurrence: { rrule: "FREQ=DAILY;COUNT=5", anchor: RecurrenceAnchor.SCHEDULE },
      reminders: [
        { trigger: { case: "beforeDue", value: durationFromMs(HOUR) } },
        { trigger: { case: "at", value: ts(due - 24 * HOUR) } },
      ],
    });
    const callsBefore = env.createCalls();
    const countBefore = await countTasks(alice);
    await env.tasks.completeTask({ id: first.id }, await env.as(alice));
    await until(async () => (await countTasks(alice)) > countBefore);
    await env.settle();
    const { tasks } = await env.tasks.listTasks(
      { filter: "status = OPEN", pageSize: 100 },
      await env.as(alice),
    );
    const created = tasks.filter((t) => t.title === "Water the plants" && t.id !== first.id);
    expect(created).toHaveLength(1);
    expect(await countTasks(alice)).toBe(countBefore + 1);
    next = created[0] as Task;
    expect(env.createCalls() - callsBefore).toBe(1);
    expect(next).toMatchObject({
      title: "Water the plants",
      description: "all of them",
      priority: Priority.HIGH,
      tags: ["home", "Garden"],
      timeZone: "Europe/Berlin",
      seriesId: first.seriesId,
    });
    expect(first.seriesId).toBe(first.id);
    expect(timestampDate(next.dueTime as NonNullable<Task["dueTime"]>).toISOString()).toBe(
      "2030-01-16T08:00:00.000Z",
    );
    expect(next.recurrence?.rrule).toBe("FREQ=DAILY;COUNT=4");
    expect(next.recurrence?.anchor).toBe(RecurrenceAnchor.SCHEDULE);
    // Only the relative reminder moves on, under a new id; it is scheduled for the new instance.
    expect(next.reminders).toHaveLength(1);
    expect(next.reminders[0]?.trigger.case).toBe("beforeDue");
    expect(next.reminders[0]?.id).not.toBe(first.reminders[0]?.id);
    expect((await reminderJobs(next.id)).map((j) => j.due_time.toISOString())).toEqual([
      "2030-01-16T07:00:00.000Z",
    ]);
    const [row] = await env.sql<{ next_task_id: string; request_id: string; last_error: string | null }[]>`
      select next_task_id, request_id, last_error from scheduler.recurrences where task_id = ${first.id}`;
    const done = (await env.tasks.getTask({ id: first.id }, await env.as(alice))).task as Task;
    const completeMs = timestampDate(done.completeTime as NonNullable<Task["completeTime"]>).getTime();
    expect(row).toEqual({
      next_task_id: next.id,
      request_id: `next:${first.id}:${completeMs}`,
      last_error: null,
    });
    expect(
      await env.sql`select 1 from scheduler.jobs where name = ${nextInstanceJobName(first.id)}`,
    ).toHaveLength(0);
  });

  test("redelivering the completion creates nothing more", async () => {
    const calls = env.createCalls();
    const count = await countTasks(alice);
    const [completed] = eventsOf(first.id, EventTypes.taskCompleted);
    await env.handleTaskEvent(completed as CloudEvent); // the same event
    await env.handleTaskEvent({ ...(completed as CloudEvent), id: crypto.randomUUID() }); // a copy
    await Bun.sleep(500);
    expect(env.createCalls()).toBe(calls);
    expect(await countTasks(alice)).toBe(count);
  });

  test("a repeated CreateTask for the same completion (a crash before commit) returns the same instance", async () => {
    const [completed] = eventsOf(first.id, EventTypes.taskCompleted);
    const snapshot = fromCloudEvent(TaskCompletedSchema, completed as CloudEvent).task as Task;
    const plan = planNextInstance(
      alice.userId,
      snapshot,
      timestampDate(snapshot.completeTime as NonNullable<Task["completeTime"]>),
    );
    expect(plan).toBeDefined();
    const job: Job = {
      name: nextInstanceJobName(first.id),
      dueTime: new Date(),
      payload: new TextEncoder().encode(encodeNextInstancePlan(plan as NonNullable<typeof plan>)),
      attempts: 0,
    };
    const handler = createSchedulerJobHandler({
      tasks: env.tasks,
      actingAs: (user, options) => env.as(user).then((o) => ({ ...options, ...o })),
      logger: silentLogger,
    });
    const count = await countTasks(alice);
    const again = await handler.prepare?.(job);
    expect(again).toEqual({ created: true, nextTaskId: next.id });
    expect(await countTasks(alice)).toBe(count);
  });

  test("reopening withdraws the untouched next instance; completing again plans exactly one new one", async () => {
    const count = await countTasks(alice);
    const reopened = await env.tasks.reopenTask({ id: first.id }, await env.as(alice));
    expect(reopened.withdrawnTaskId).toBe(next.id);
    await env.settle();
    expect(await countTasks(alice)).toBe(count - 1);
    expect(eventsOf(next.id, EventTypes.taskDeleted)).toHaveLength(1);
    // The withdrawn instance's reminder job went with it.
    expect(await reminderJobs(next.id)).toHaveLength(0);

    const calls = env.createCalls();
    await env.tasks.completeTask({ id: first.id }, await env.as(alice));
    await until(async () => (await countTasks(alice)) === count);
    await env.settle();
    expect(env.createCalls() - calls).toBe(1);
    const { tasks } = await env.tasks.listTasks(
      { filter: "status = OPEN", pageSize: 100 },
      await env.as(alice),
    );
    const open = tasks.filter((t) => t.seriesId === first.seriesId);
    expect(open).toHaveLength(1);
    expect(open[0]?.id).not.toBe(next.id);
    expect(timestampDate(open[0]?.dueTime as NonNullable<Task["dueTime"]>).toISOString()).toBe(
      "2030-01-16T08:00:00.000Z",
    );
    // Redelivering either completion plans nothing more.
    for (const completed of eventsOf(first.id, EventTypes.taskCompleted)) {
      await env.handleTaskEvent({ ...completed, id: crypto.randomUUID() });
    }
    await Bun.sleep(500);
    expect(env.createCalls() - calls).toBe(1);
    expect(await countTasks(alice)).toBe(count);
    const plans = await env.sql`select 1 from scheduler.recurrences where task_id = ${first.id}`;
    expect(plans).toHaveLength(2);
    next = open[0] as Task;
  });

  test("a reopen before the scheduler made the next instance means it is never made", async () => {
    const t = await create(alice, {
      title: "Stretch",
      dueTime: ts(Date.parse("2030-04-01T07:00:00Z")),
      timeZone: "UTC",
      recurrence: { rrule: "FREQ=DAILY" },
    });
    const count = await countTasks(alice);
    const calls = env.createCalls();
    // The scheduler's first two CreateTask calls fail: the plan is made, the instance not yet.
    env.failNextCreates(2);
    await env.tasks.completeTask({ id: t.id }, await env.as(alice));
    await until(() => env.createCalls() > calls);
    const reopened = await env.tasks.reopenTask({ id: t.id }, await env.as(alice));
    expect(reopened.withdrawnTaskId).toBe("");
    // The retry finds the completion's key taken: ALREADY_EXISTS, and the job is done.
    await until(() => env.createCalls() >= calls + 3);
    await until(async () => {
      const [p] =
        await env.sql`select 1 from scheduler.recurrences where task_id = ${t.id} and done_time is not null`;
      return p !== undefined;
    });
    await env.settle();
    expect(await countTasks(alice)).toBe(count);
    const [plan] = await env.sql<{ next_task_id: string | null; done_time: Date | null }[]>`
      select next_task_id, done_time from scheduler.recurrences where task_id = ${t.id}`;
    expect(plan?.done_time).not.toBeNull();
    expect(plan?.next_task_id).toBeNull();
  });

  test("while TaskService is unavailable the job retries, and creates one instance", async () => {
    const t = await create(bob, {
      title: "Standup",
      dueTime: ts(Date.parse("2030-03-02T14:00:00Z")),
      timeZone: "America/New_York",
      recurrence: { rrule: "FREQ=WEEKLY;BYDAY=MO,WE,FR" },
    });
    env.failNextCreates(2);
    const calls = env.createCalls();
    await env.tasks.completeTask({ id: t.id }, await env.as(bob));
    await until(async () => (await countTasks(bob)) === 3, 10_000); // the stale-reminder task, t, next
    await Bun.sleep(300);
    expect(env.createCalls() - calls).toBe(3);
    expect(await countTasks(bob)).toBe(3);
    const [row] = await env.sql<{ next_due_time: Date; next_task_id: string | null }[]>`
      select next_due_time, next_task_id from scheduler.recurrences where task_id = ${t.id}`;
    // Saturday 2 March 2030 09:00 in New York was stored as Monday 4 March (the rule's first
    // occurrence); its next is Wednesday 6 March, same wall-clock time.
    expect(timestampDate(t.dueTime as NonNullable<typeof t.dueTime>).toISOString()).toBe(
      "2030-03-04T14:00:00.000Z",
    );
    expect(row?.next_due_time.toISOString()).toBe("2030-03-06T14:00:00.000Z");
    expect(row?.next_task_id).not.toBeNull();
  });

  test("a task that does not recur, or whose series has ended, creates nothing", async () => {
    const plain = await create(bob, { title: "Once", dueTime: ts(Date.parse("2030-01-01T10:00:00Z")) });
    const last = await create(bob, {
      title: "Last one",
      dueTime: ts(Date.parse("2030-01-01T10:00:00Z")),
      recurrence: { rrule: "FREQ=DAILY;COUNT=1" },
    });
    const calls = env.createCalls();
    const count = await countTasks(bob);
    for (const t of [plain, last]) await env.tasks.completeTask({ id: t.id }, await env.as(bob));
    await env.settle();
    await Bun.sleep(300);
    expect(env.createCalls()).toBe(calls);
    expect(await countTasks(bob)).toBe(count);
    const rows =
      await env.sql`select 1 from scheduler.recurrences where task_id in ${env.sql([plain.id, last.id])}`;
    expect(rows).toHaveLength(0);
  });
});
