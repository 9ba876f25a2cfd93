/**
 * Delivery guarantees of the consumers, checked by writing records onto the real topics with plain
 * kafkajs: a redelivered event (same CloudEvent id) has no effect; a poison message on `reminders`
 * goes to `reminders.dlq` with the error attached (at once when it is not a CloudEvent, after
 * `BUS_MAX_ATTEMPTS` when its data does not decode) while the partition keeps flowing.
 *
 * Every "nothing happened" check is ordered behind a marker on the same partition whose effect is
 * awaited first, so it cannot pass merely because the consumer had not got there yet.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { RecurrenceAnchor, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { CollectedRecord, Collector } from "./kafka-probe";
import { cloudEventHeaders, reminderDueRecord } from "./records";
import { eventually, TestSystem } from "./system";

const MAX_ATTEMPTS = 2;

let system: TestSystem;
let reminders: Collector;
let taskEvents: Collector;
let dlq: Collector;

beforeAll(async () => {
  system = await TestSystem.create({ label: "delivery", env: { BUS_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });
  await Promise.all([
    system.start("identity"),
    system.start("task"),
    system.start("scheduler"),
    system.start("notification"),
  ]);
  await system.kafka.detectNamespace();
  [reminders, taskEvents, dlq] = await Promise.all([
    system.kafka.collect("reminders"),
    system.kafka.collect("task-events"),
    system.kafka.collect("reminders.dlq"),
  ]);
}, 120_000);

afterAll(async () => {
  await system?.close();
}, 60_000);

/** The record exactly as it was read, to be written again (same key, value, headers and partition). */
function copyOf(record: CollectedRecord) {
  return {
    key: record.key,
    value: record.value,
    headers: { ...record.headers },
    partition: record.partition,
  };
}

describe("redelivery has no effect", () => {
  test("a ReminderDue delivered again (same id, or same occurrence) adds no notification", async () => {
    const { userId, token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const inbox = system.client("notification", NotificationService, token);
    const fireAt = new Date(Date.now() + 2000);
    const { task } = await tasks.createTask({
      task: { title: "Pay rent", reminders: [{ trigger: { case: "at", value: timestampFromDate(fireAt) } }] },
    });
    if (!task) throw new Error("no task");
    const [original] = await reminders.waitFor("the ReminderDue", (r) => r.headers.ce_subject === task.id);
    if (!original) throw new Error("no ReminderDue");
    await eventually(
      "the notification",
      async () => (await inbox.listNotifications({})).notifications.length === 1,
    );

    // The same record again, and the same occurrence under a new event id (a republished duplicate).
    await system.kafka.produce("reminders", [
      copyOf(original),
      { ...copyOf(original), headers: { ...original.headers, ce_id: crypto.randomUUID() } },
    ]);
    // A marker behind them on the same partition: once it is in the inbox, both copies were handled.
    const marker = reminderDueRecord({
      userId,
      taskId: task.id,
      occurrenceKey: `${task.id}/marker/${Date.now()}`,
      fireTime: new Date(),
      title: "Pay rent (marker)",
      partition: original.partition,
    });
    await system.kafka.produce("reminders", [marker]);
    await eventually(
      "the marker notification",
      async () => (await inbox.listNotifications({})).notifications.length >= 2,
    );

    const { notifications } = await inbox.listNotifications({});
    expect(notifications).toHaveLength(2);
    expect(notifications.filter((n) => n.reminderId === task.reminders[0]?.id)).toHaveLength(1);
    const processed = await system.sql<{ n: string }[]>`
      select count(*)::text as n from notification.processed_events where event_id = ${original.headers.ce_id ?? ""}`;
    expect(processed[0]?.n).toBe("1");
  }, 60_000);

  test("a TaskCompleted delivered again creates nothing more; a reopen withdraws the next instance", async () => {
    const { token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const scheduler = system.client("scheduler", SchedulerService, token);
    const due = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 48 * 3600_000);
    const { task } = await tasks.createTask({
      task: {
        title: "Stretch",
        dueTime: timestampFromDate(due),
        timeZone: "UTC",
        recurrence: { rrule: "FREQ=DAILY", anchor: RecurrenceAnchor.SCHEDULE },
        reminders: [{ trigger: { case: "beforeDue", value: durationFromMs(3600_000) } }],
      },
    });
    if (!task) throw new Error("no task");
    const upcoming = async () =>
      (await scheduler.listUpcomingReminders({ pageSize: 100 })).reminders.filter(
        (r) => r.taskId === task.id,
      );
    await eventually("the reminder to be scheduled", async () => (await upcoming()).length === 1);

    await tasks.completeTask({ id: task.id });
    const series = async () =>
      (await tasks.listTasks({ pageSize: 100 })).tasks.filter((t) => t.seriesId === task.seriesId);
    await eventually("the next instance", async () => (await series()).length === 2);
    const [completed] = await taskEvents.waitFor(
      "the TaskCompleted",
      (r) => r.headers.ce_subject === task.id && r.headers.ce_type === "todo.task.v1.completed",
    );
    if (!completed) throw new Error("no TaskCompleted");

    // The very same TaskCompleted again, then a reopen (its effect, a rescheduled reminder, is the
    // marker that the scheduler has handled the copy before it: the copy plans nothing more).
    await system.kafka.produce("task-events", [copyOf(completed)]);
    const [next] = (await series()).filter((t) => t.id !== task.id);
    const reopened = await tasks.reopenTask({ id: task.id });
    // The reopen takes the completion back: its next instance is withdrawn in the same call.
    expect(reopened.withdrawnTaskId).toBe(next?.id ?? "missing");
    await eventually("the reopened task's reminder", async () => (await upcoming()).length === 1);
    expect(await series()).toHaveLength(1);

    // Completing it again is a new completion: it plans exactly one new next instance.
    await tasks.completeTask({ id: task.id });
    await eventually("the reminder to be cancelled again", async () => (await upcoming()).length === 0);
    await eventually("the new next instance", async () => (await series()).length === 2);
    await Bun.sleep(1000);
    const final = await series();
    expect(final).toHaveLength(2);
    const open = final.filter((t) => t.status === TaskStatus.OPEN);
    expect(open).toHaveLength(1);
    expect(open[0]?.id).not.toBe(next?.id);
    const plans = await system.sql<{ n: string }[]>`
      select count(*)::text as n from scheduler.recurrences where task_id = ${task.id}`;
    expect(plans[0]?.n).toBe("2");
  }, 60_000);
});

describe("a poison message reaches the DLQ and the partition keeps flowing", () => {
  test("garbage and undecodable data go to reminders.dlq with the error; the next reminder is delivered", async () => {
    const { userId, token } = await system.signUp();
    const inbox = system.client("notification", NotificationService, token);
    const taskId = crypto.randomUUID();
    const garbage = Buffer.from("this is not a CloudEvent \u0000\u00ff", "utf8");
    const undecodableId = crypto.randomUUID();
    const good = reminderDueRecord({
      userId,
      taskId,
      occurrenceKey: `${taskId}/r1/${new Date().toISOString()}`,
      fireTime: new Date(),
      title: "After the poison",
      partition: 0,
    });
    // All on partition 0, in this order: the good one can only be handled after both poisons.
    await system.kafka.produce("reminders", [
      { key: taskId, value: garbage, partition: 0 },
      {
        key: taskId,
        value: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
        headers: cloudEventHeaders({
          id: undecodableId,
          type: "todo.scheduler.v1.reminder_due",
          subject: taskId,
          dataSchema: "todo.events.v1.ReminderDue",
        }),
        partition: 0,
      },
      good,
    ]);

    await eventually("the reminder behind the poison", async () =>
      (await inbox.listNotifications({})).notifications.some((n) => n.taskId === taskId),
    );
    const dead = await dlq.waitFor("both poison records", (r) => r.key?.toString() === taskId, 2);
    const [notEvent, undecodable] = dead;
    expect(notEvent?.value?.equals(garbage)).toBe(true);
    expect(notEvent?.headers.ce_dlqerror).toContain("MalformedEventError");
    expect(notEvent?.headers.ce_dlqtopic).toBe("reminders");
    expect(undecodable?.headers.ce_id).toBe(undecodableId);
    expect(undecodable?.headers.ce_dlqerror ?? "").not.toBe("");
    expect(undecodable?.headers.ce_dlqattempts).toBe(String(MAX_ATTEMPTS));
    expect(undecodable?.headers.ce_dlqgroup).toBe("notification");
    expect(undecodable?.headers.ce_dlqtopic).toBe("reminders");
    // The good record was not dead-lettered, and the failed one left no trace in the consumer.
    expect(dlq.matching((r) => r.headers.ce_id === good.headers.ce_id)).toHaveLength(0);
    const processed = await system.sql<{ n: string }[]>`
      select count(*)::text as n from notification.processed_events where event_id = ${undecodableId}`;
    expect(processed[0]?.n).toBe("0");
    const { notifications } = await inbox.listNotifications({});
    expect(notifications).toHaveLength(1);
    expect(notifications[0]?.title).toContain("After the poison");
  }, 60_000);
});
