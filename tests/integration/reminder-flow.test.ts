/**
 * The whole reminder flow across real processes, PostgreSQL and Kafka: a task with a reminder
 * (task service → `task-events`) is scheduled (scheduler), fires on time (`reminders`) and lands in
 * the inbox and on a WatchNotifications stream (notification service, read through the edge over
 * HTTP/1.1 as a browser would); completing a recurring task makes the scheduler create the next
 * instance through TaskService, which a WatchTasks stream (fed by `task-updates`) shows live.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromBinary } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate, timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { RecurrenceAnchor, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Collector } from "./kafka-probe";
import { readStream } from "./live-stream";
import { connectTransport, TestSystem } from "./system";

let system: TestSystem;
let edge: string;
let reminders: Collector;

beforeAll(async () => {
  system = await TestSystem.create({ label: "flow" });
  await Promise.all([
    system.start("identity"),
    system.start("task"),
    system.start("scheduler"),
    system.start("notification", { NOTIFY_KEEPALIVE_MS: "300" }),
  ]);
  await system.kafka.detectNamespace();
  reminders = await system.kafka.collect("reminders");
  edge = await system.startEdge();
}, 120_000);

afterAll(async () => {
  await system?.close();
}, 60_000);

describe("reminder flow", () => {
  test("a reminder fires at (never before) its time, into the inbox and onto WatchNotifications", async () => {
    // Sign up and watch notifications through the edge, over HTTP/1.1 (the browser path).
    const auth = createClient(AuthService, connectTransport(edge));
    const signedUp = await auth.signUp({
      email: `flow-${crypto.randomUUID()}@example.test`,
      password: "correct horse battery staple",
      timeZone: "Europe/Berlin",
    });
    const token = signedUp.accessToken;
    const inbox = createClient(NotificationService, connectTransport(edge, token));
    const watch = readStream((signal) => inbox.watchNotifications({}, { signal }));
    try {
      // The keep-alive (an empty message) shows the stream is open before anything can fire.
      await watch.waitFor("the first keep-alive", (m) => m.notification === undefined, 1, 15_000);

      const tasks = createClient(TaskService, connectTransport(edge, token));
      const fireAt = new Date(Math.ceil((Date.now() + 4000) / 1000) * 1000);
      const { task } = await tasks.createTask({
        task: {
          title: "Call the dentist",
          reminders: [{ trigger: { case: "at", value: timestampFromDate(fireAt) } }],
        },
      });
      if (!task) throw new Error("CreateTask returned no task");
      expect(task.reminders).toHaveLength(1);

      const [live] = await watch.waitFor(
        "the reminder's notification",
        (m) => m.notification?.taskId === task.id,
      );
      const notification = live?.message.notification;
      if (!live || !notification?.fireTime || !notification.createTime) throw new Error("no notification");
      expect(live.receivedAt).toBeGreaterThanOrEqual(fireAt.getTime());
      expect(timestampMs(notification.fireTime)).toBe(fireAt.getTime());
      expect(timestampMs(notification.createTime)).toBeGreaterThanOrEqual(fireAt.getTime());
      expect(notification.title).toContain("Call the dentist");
      expect(notification.reminderId).toBe(task.reminders[0]?.id ?? "missing");

      // The ReminderDue on `reminders` was written at or after the fire time (broker timestamp).
      const [record] = await reminders.waitFor("the ReminderDue", (r) => r.headers.ce_subject === task.id);
      if (!record?.value) throw new Error("no ReminderDue record");
      expect(record.headers.ce_type).toBe("todo.scheduler.v1.reminder_due");
      expect(record.timestamp).toBeGreaterThanOrEqual(fireAt.getTime());
      const due = fromBinary(ReminderDueSchema, record.value);
      expect(due.userId).toBe(signedUp.user?.id ?? "missing");
      expect(due.fireTime ? timestampMs(due.fireTime) : 0).toBe(fireAt.getTime());

      // Exactly one inbox entry, unread, also after a while.
      await Bun.sleep(1500);
      const listed = await inbox.listNotifications({});
      const mine = listed.notifications.filter((n) => n.taskId === task.id);
      expect(mine).toHaveLength(1);
      expect(mine[0]?.id).toBe(notification.id);
      expect(listed.unreadCount).toBe(1);
      expect(watch.received.filter((r) => r.message.notification?.taskId === task.id)).toHaveLength(1);
      expect(reminders.matching((r) => r.headers.ce_subject === task.id)).toHaveLength(1);
    } finally {
      watch.close();
    }
  }, 60_000);

  test("completing a recurring task creates its next instance once, seen live on WatchTasks", async () => {
    const { token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const changes = readStream((signal) => tasks.watchTasks({}, { signal }));
    try {
      const due = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 24 * 3600_000);
      const { task: first } = await tasks.createTask({
        task: {
          title: "Water the plants",
          tags: ["home"],
          dueTime: timestampFromDate(due),
          timeZone: "UTC",
          recurrence: { rrule: "FREQ=DAILY;COUNT=5", anchor: RecurrenceAnchor.SCHEDULE },
          reminders: [{ trigger: { case: "beforeDue", value: durationFromMs(3600_000) } }],
        },
      });
      if (!first) throw new Error("CreateTask returned no task");
      // The stream is live once it shows our own creation.
      await changes.waitFor(
        "the first instance's CREATED change",
        (m) => m.change?.type === ChangeType.CREATED && m.change.task?.id === first.id,
      );

      const completedAt = Date.now();
      await tasks.completeTask({ id: first.id });
      await changes.waitFor(
        "the COMPLETED change",
        (m) => m.change?.type === ChangeType.COMPLETED && m.change.task?.id === first.id,
      );
      const [created] = await changes.waitFor(
        "the next instance's CREATED change, made by the scheduler",
        (m) =>
          m.change?.type === ChangeType.CREATED &&
          m.change.task?.id !== first.id &&
          m.change.task?.seriesId === first.seriesId,
      );
      const next = created?.message.change?.task;
      if (!next?.dueTime) throw new Error("the next instance has no due time");
      expect(timestampDate(next.dueTime).getTime()).toBe(due.getTime() + 24 * 3600_000);
      expect(next.title).toBe("Water the plants");
      expect(next.tags).toEqual(["home"]);
      expect(next.status).toBe(TaskStatus.OPEN);
      expect(next.recurrence?.rrule).toContain("COUNT=4");
      expect(next.reminders).toHaveLength(1);
      expect(next.reminders[0]?.trigger.case).toBe("beforeDue");
      console.log(
        `next instance seen on WatchTasks ${(created?.receivedAt ?? 0) - completedAt} ms after CompleteTask`,
      );

      // ListTasks shows the series as exactly two tasks, also after a while.
      await Bun.sleep(1500);
      const { tasks: all } = await tasks.listTasks({ pageSize: 100 });
      const series = all.filter((t) => t.seriesId === first.seriesId);
      expect(series.map((t) => t.id).sort()).toEqual([first.id, next.id].sort());
      expect(series.find((t) => t.id === first.id)?.status).toBe(TaskStatus.COMPLETED);
      expect(series.find((t) => t.id === next.id)?.status).toBe(TaskStatus.OPEN);
      expect(
        changes.received.filter(
          (r) => r.message.change?.type === ChangeType.CREATED && r.message.change.task?.id !== first.id,
        ),
      ).toHaveLength(1);
    } finally {
      changes.close();
    }
  }, 60_000);
});
