/**
 * A scheduler restart with pending jobs loses none and fires none early: reminder jobs live in
 * PostgreSQL, so after a `kill -9` the next incarnation fires the ones that came due while it was down
 * (at once) and the others at their time — each exactly once, none before its time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromBinary } from "@bufbuild/protobuf";
import { timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Collector } from "./kafka-probe";
import { eventually, TestSystem } from "./system";

let system: TestSystem;
let reminders: Collector;

beforeAll(async () => {
  system = await TestSystem.create({ label: "schedcrash" });
  await Promise.all([
    system.start("identity"),
    system.start("task"),
    system.start("scheduler"),
    system.start("notification"),
  ]);
  await system.kafka.detectNamespace();
  reminders = await system.kafka.collect("reminders");
}, 120_000);

afterAll(async () => {
  await system?.close();
}, 60_000);

describe("a scheduler restart with pending jobs", () => {
  test("loses none and fires none early", async () => {
    const { token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const scheduler = system.client("scheduler", SchedulerService, token);
    const inbox = system.client("notification", NotificationService, token);

    const t0 = Math.ceil(Date.now() / 1000) * 1000;
    // Three come due while the scheduler is down, three after it is expected back.
    const offsets = [6_000, 7_000, 8_000, 18_000, 20_000, 22_000];
    const created = await Promise.all(
      offsets.map(async (offset, i) => {
        const fireAt = new Date(t0 + offset);
        const { task } = await tasks.createTask({
          task: {
            title: `Pending ${i}`,
            reminders: [{ trigger: { case: "at", value: timestampFromDate(fireAt) } }],
          },
        });
        if (!task) throw new Error("no task");
        return { id: task.id, fireAt: fireAt.getTime() };
      }),
    );
    await eventually(
      "all reminders to be scheduled",
      async () =>
        (await scheduler.listUpcomingReminders({ pageSize: 100 })).reminders.length === offsets.length,
    );
    expect(Date.now()).toBeLessThan(t0 + Math.min(...offsets));
    await system.kill("scheduler");
    const killedAt = Date.now();
    const [pendingJobs] = await system.sql<{ n: string }[]>`select count(*)::text as n from scheduler.jobs`;
    expect(pendingJobs?.n).toBe(String(offsets.length));

    // Past the first three due times: nothing can fire while the scheduler is down.
    await Bun.sleep(Math.max(0, t0 + 9_000 - Date.now()));
    const ours = new Set(created.map((c) => c.id));
    expect(reminders.matching((r) => ours.has(r.headers.ce_subject ?? ""))).toHaveLength(0);
    expect((await inbox.listNotifications({})).notifications).toHaveLength(0);

    await system.start("scheduler");
    const restartedAt = Date.now();
    console.log(
      `scheduler down for ${restartedAt - killedAt} ms; back at t0+${restartedAt - t0} ms ` +
        `(${created.filter((c) => c.fireAt > restartedAt).length} reminders still ahead of it)`,
    );

    const fired = await reminders.waitFor(
      "every ReminderDue",
      (r) => ours.has(r.headers.ce_subject ?? ""),
      offsets.length,
      60_000,
    );
    await eventually(
      "every notification",
      async () => (await inbox.listNotifications({})).notifications.length >= offsets.length,
    );
    await Bun.sleep(1000);

    for (const { id, fireAt } of created) {
      const records = reminders.matching((r) => r.headers.ce_subject === id);
      expect(records).toHaveLength(1);
      const record = records[0];
      if (!record?.value) throw new Error("no record");
      const due = fromBinary(ReminderDueSchema, record.value);
      expect(due.fireTime ? timestampMs(due.fireTime) : 0).toBe(fireAt);
      // Never early: not before its time, and (if due while the scheduler was down) not before it was back.
      expect(record.timestamp).toBeGreaterThanOrEqual(fireAt);
      if (fireAt < restartedAt) expect(record.timestamp).toBeGreaterThanOrEqual(killedAt);
      console.log(
        `reminder due at t0+${fireAt - t0} ms published ${record.timestamp - fireAt} ms after its time`,
      );
    }
    expect(fired.length).toBe(offsets.length);
    const { notifications } = await inbox.listNotifications({});
    expect(notifications).toHaveLength(offsets.length);
    for (const n of notifications) {
      const fireAt = created.find((c) => c.id === n.taskId)?.fireAt ?? Number.NaN;
      expect(n.fireTime ? timestampMs(n.fireTime) : 0).toBe(fireAt);
      expect(n.createTime ? timestampMs(n.createTime) : 0).toBeGreaterThanOrEqual(fireAt);
    }
    const [left] = await system.sql<{ n: string }[]>`select count(*)::text as n from scheduler.jobs`;
    expect(left?.n).toBe("0");
  }, 120_000);
});
