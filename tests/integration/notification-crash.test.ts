/**
 * `kill -9` of the notification service mid-batch creates no duplicate notification: records it had
 * handled but whose offsets were not yet committed come again to the next incarnation, and the
 * idempotent consumer (processed event ids and the per-occurrence unique key, in the transaction of
 * the insert) turns them into nothing.
 *
 * How many handled records lack a committed offset at the moment of the kill is luck (the bus commits
 * after every record), so after the kill the test also rewinds the group to where it stood before the
 * batch — the worst case, a crash before any commit — and every handled record is delivered again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { reminderDueRecord } from "./records";
import { eventually, TestSystem } from "./system";

let system: TestSystem;

beforeAll(async () => {
  system = await TestSystem.create({ label: "notifycrash" });
  await Promise.all([system.start("identity"), system.start("notification")]);
  await system.kafka.detectNamespace();
}, 120_000);

afterAll(async () => {
  await system?.close();
}, 60_000);

const sum = (offsets: ReadonlyMap<number, number>) => [...offsets.values()].reduce((a, b) => a + b, 0);

describe("kill -9 of the notification service mid-batch", () => {
  test("every occurrence ends up in the inbox exactly once", async () => {
    const { userId, token } = await system.signUp();
    const total = 600;
    const fireTime = new Date();
    const records = Array.from({ length: total }, (_, i) => {
      const taskId = crypto.randomUUID();
      return reminderDueRecord({
        userId,
        taskId,
        occurrenceKey: `${taskId}/r/${fireTime.toISOString()}`,
        fireTime,
        title: `Reminder ${i}`,
      });
    });
    const eventIds = records.map((r) => r.headers.ce_id ?? "");
    const count = async () =>
      Number(
        (
          await system.sql<{ n: string }[]>`
            select count(*)::text as n from notification.notifications where user_id = ${userId}`
        )[0]?.n,
      );

    const before = await system.kafka.endOffsets("reminders");
    for (let i = 0; i < total; i += 100) await system.kafka.produce("reminders", records.slice(i, i + 100));

    await eventually(
      "the notification service to be part-way through",
      async () => (await count()) >= total / 10,
      60_000,
      10,
    );
    await system.kill("notification");
    const handled = await count();
    const committed = sum(await system.kafka.committedOffsets("notification", "reminders")) - sum(before);
    console.log(
      `kill -9 with ${handled}/${total} notifications written and ${committed} offsets committed ` +
        `(${handled - committed} handled records to be delivered again)`,
    );
    expect(handled).toBeLessThan(total);

    await system.kafka.rewind("notification", "reminders", before);
    await system.start("notification");
    await eventually("every occurrence in the inbox", async () => (await count()) >= total, 90_000);
    // The group has consumed the whole batch again (its committed offsets reach the end).
    await eventually(
      "the group to commit the whole batch",
      async () =>
        sum(await system.kafka.committedOffsets("notification", "reminders")) - sum(before) >= total,
    );

    const [stats] = await system.sql<{ rows: string; occurrences: string; events: string }[]>`
      select (select count(*) from notification.notifications where user_id = ${userId})::text as rows,
             (select count(distinct occurrence_key) from notification.notifications where user_id = ${userId})::text
               as occurrences,
             (select count(*) from notification.processed_events where event_id = any(${eventIds}))::text as events`;
    expect(stats).toEqual({ rows: String(total), occurrences: String(total), events: String(total) });
    const inbox = system.client("notification", NotificationService, token);
    const listed = await inbox.listNotifications({ pageSize: 1 });
    expect(listed.unreadCount).toBe(total);
  }, 180_000);
});
