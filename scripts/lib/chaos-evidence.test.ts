/**
 * The evidence the fault suite keeps about a missing reminder reads every stage for real: a reminder
 * taken through the whole `start:services` pipeline (task → scheduler job → outbox → `reminders` →
 * notification inbox) on the shared PostgreSQL and Kafka, then handed to `collectEvidence` as if it
 * were missing, must show the scheduler's fired row and no job left, no outbox row, its record on
 * the topic behind the notification group's committed offset and processed, its inbox row, and a
 * restorable dump and the logs in the kept directory. Needs DATABASE_URL and KAFKA_BROKERS (fails
 * without them).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Collector } from "../../tests/integration/kafka-probe.ts";
import { eventually, TestSystem } from "../../tests/integration/system.ts";
import { collectEvidence, evidenceSource, evidenceSummary } from "./chaos-evidence.ts";

let system: TestSystem;
let reminders: Collector;
let dlq: Collector;

beforeAll(async () => {
  system = await TestSystem.create({ label: "evidence" });
  for (const name of ["identity", "task", "scheduler", "notification"] as const) await system.start(name);
  await system.kafka.detectNamespace();
  reminders = await system.kafka.collect("reminders");
  dlq = await system.kafka.collect("reminders.dlq");
}, 180_000);

afterAll(async () => {
  await system?.close();
}, 60_000);

describe("collectEvidence", () => {
  test("shows each stage of a reminder and keeps the database and logs", async () => {
    const { userId, token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const reminderAt = Date.now() + 1500;
    const callStart = Date.now();
    const { task } = await tasks.createTask({
      task: {
        title: "evidence",
        reminders: [{ trigger: { case: "at", value: timestampFromDate(new Date(reminderAt)) } }],
      },
      requestId: crypto.randomUUID(),
    });
    const taskId = task?.id ?? "";
    expect(taskId).not.toBe("");
    const callEnd = Date.now();
    await eventually(
      "the reminder in the inbox",
      async () =>
        (await system.sql`select 1 from notification.notifications where task_id = ${taskId}`).length > 0,
      60_000,
    );
    // The group commits its offset right after the handler: wait until it has.
    await eventually("the offset committed", async () => {
      const record = reminders.records.find((r) => r.key?.toString() === taskId);
      const committed = await system.kafka.committedOffsets("notification", "reminders");
      return record && (committed.get(record.partition) ?? 0) > Number(record.offset);
    });

    const evidence = await collectEvidence(
      evidenceSource("services", system, system.logDir, { reminders, dlq }),
      [{ phase: "test", taskId, userId, reminderAt, callStart, callEnd }],
    );
    try {
      const text = evidence.lines.join("\n");
      expect(text).toContain(`missing reminder of task ${taskId}`);
      expect(text).toContain("task.outbox: none");
      expect(text).toMatch(/scheduler\.tasks: user_id=\S+ version=1 /);
      expect(text).toMatch(
        /scheduler\.reminders: reminder_id=\S+ occurrence_key=\S+ fire_time=\S+ fired=true/,
      );
      expect(text).toContain("scheduler.jobs: none");
      expect(text).toContain("scheduler.outbox: none");
      expect(text).toMatch(
        /on reminders: p\d@\d+ at \S+ id \S+, group committed past it: true, processed: consumer=notification\.reminders /,
      );
      expect(text).toContain("on reminders.dlq: no record");
      expect(text).toMatch(/notification\.notifications: id=\S+ occurrence_key=/);
      expect(text).toContain("database.sql (pg_dump");
      const dump = readFileSync(join(evidence.dir, "database.sql"), "utf8");
      expect(dump).toContain("CREATE TABLE notification.notifications");
      expect(dump).toContain(taskId);
      expect(existsSync(join(evidence.dir, "logs", "notification-1.log"))).toBe(true);
      expect(JSON.parse(readFileSync(join(evidence.dir, "missing-reminders.json"), "utf8"))).toHaveLength(1);
      // One missing reminder: the summary is all of it (offsets, nine lines, where it was kept).
      expect(evidence.lines).toHaveLength(11);
      expect(evidenceSummary(evidence)).toEqual(evidence.lines);
    } finally {
      rmSync(evidence.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
