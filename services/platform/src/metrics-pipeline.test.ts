/**
 * The event pipeline's gauges and histograms on a real PostgreSQL (`DATABASE_URL`): the outbox
 * backlog gauge shows the rows a relay has not published (and their age), and falls to zero once
 * they are; a job's lateness (fired − due) is recorded when it fires, its failures counted, and the
 * jobs pending and due are reported per kind.
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { type EventBus, toCloudEvent } from "./events";
import { createPostgresJobScheduler, ensureJobs } from "./jobs-postgres";
import { silentLogger as quiet } from "./logger";
import { type Exposition, sumOf, type TestMetrics, useTestMetrics } from "./metrics-testing";
import { enqueueEvent, ensureOutbox, startOutboxRelay } from "./outbox";
import { createTestDatabase, type TestDatabase } from "./testing";

let metrics: TestMetrics;
let db: TestDatabase;
const previousRefresh = process.env.METRICS_REFRESH_SECONDS;

beforeAll(async () => {
  // Query-backed gauges reuse a value for METRICS_REFRESH_SECONDS; every scrape queries here.
  process.env.METRICS_REFRESH_SECONDS = "0";
  metrics = useTestMetrics();
  db = await createTestDatabase();
});

afterAll(async () => {
  if (previousRefresh === undefined) delete process.env.METRICS_REFRESH_SECONDS;
  else process.env.METRICS_REFRESH_SECONDS = previousRefresh;
  await db?.drop();
});

test("the outbox backlog gauge shows unpublished rows and their age, and empties once published", async () => {
  const schema = "metrics_outbox";
  await ensureOutbox(db.sql, schema);
  let brokerUp = false;
  const published: string[] = [];
  const bus: EventBus = {
    async publish(_topic, key) {
      if (!brokerUp) throw new Error("broker unavailable");
      published.push(key);
    },
    async subscribe() {
      throw new Error("not used");
    },
    async close() {},
  };
  for (let i = 0; i < 3; i++) {
    const event = toCloudEvent(
      TagDeletedSchema,
      { userId: "u", tagId: `t${i}`, name: "n" },
      { source: "test", type: "todo.tag.v1.deleted", subject: `t${i}` },
    );
    await db.sql.begin((tx) => enqueueEvent(tx, schema, { topic: "tag-events", key: `t${i}`, event }));
  }
  const relay = startOutboxRelay({
    sql: db.sql,
    schema,
    bus,
    listen: false,
    pollIntervalMs: 50,
    minBackoffMs: 20,
    maxBackoffMs: 50,
    logger: quiet,
  });
  try {
    const labels = { todo_outbox_schema: schema };
    await Bun.sleep(300);
    const stuck = await metrics.until(
      (e) => sumOf(e, "todo_outbox_rows", labels) === 3,
      "3 unpublished rows",
    );
    expect(sumOf(stuck, "todo_outbox_oldest_age_seconds", labels)).toBeGreaterThan(0.2);
    brokerUp = true;
    const drained = await metrics.until(
      (e) => sumOf(e, "todo_outbox_rows", labels) === 0,
      "the backlog to drain",
    );
    expect(sumOf(drained, "todo_outbox_oldest_age_seconds", labels)).toBe(0);
    expect(published.sort()).toEqual(["t0", "t1", "t2"]);
  } finally {
    await relay.stop();
  }
});

test("a job's lateness is recorded when it fires; failures and pending jobs are counted by kind", async () => {
  const schema = "metrics_jobs";
  await ensureJobs(db.sql, schema);
  const jobs = createPostgresJobScheduler({
    sql: db.sql,
    schema,
    listen: false,
    pollIntervalMs: 50,
    minBackoffMs: 20,
    logger: quiet,
  });
  const fired: string[] = [];
  const before = await metrics.scrape();
  const lateness = (e: Exposition, field: "count" | "sum") =>
    sumOf(e, `todo_job_lateness_seconds_${field}`, { todo_job_kind: "reminder" });
  // Due 2 s ago (it fires late by that much), one failing its first attempt, and one far ahead.
  await jobs.schedule(undefined, "reminder/t1/r1", new Date(Date.now() - 2000), "a");
  await jobs.schedule(undefined, "reminder/t2/r1", new Date(Date.now() - 2000), "b");
  await jobs.schedule(undefined, "next/t3", new Date(Date.now() + 3_600_000), "c");
  jobs.start({
    async fire(_tx, job) {
      // Its first attempt fails (in the batch and when redone alone); it is put back and retried.
      if (job.name === "reminder/t2/r1" && job.attempts === 0) throw new Error("transient");
      fired.push(job.name);
    },
  });
  try {
    const after = await metrics.until(
      (e) => lateness(e, "count") - lateness(before, "count") === 2,
      "two reminders to fire",
    );
    // (`fire` may run again when a batch-mate fails; only one firing of each commits.)
    expect([...new Set(fired)].sort()).toEqual(["reminder/t1/r1", "reminder/t2/r1"]);
    expect(lateness(after, "sum") - lateness(before, "sum")).toBeGreaterThanOrEqual(4); // 2 × ≥ 2 s late
    expect(
      sumOf(after, "todo_job_failures_total", { todo_job_kind: "reminder" }) -
        sumOf(before, "todo_job_failures_total", { todo_job_kind: "reminder" }),
    ).toBe(1);
    // Sub-second buckets exist (reminder alerts are about one second).
    expect(
      after.samples.some((s) => s.name === "todo_job_lateness_seconds_bucket" && s.labels.le === "0.5"),
    ).toBe(true);
    const pending = await metrics.until(
      (e) =>
        sumOf(e, "todo_job_pending", { todo_job_kind: "next" }) === 1 &&
        sumOf(e, "todo_job_pending", { todo_job_kind: "reminder" }) === 0,
      "one next job pending and no reminders",
    );
    expect(sumOf(pending, "todo_job_due", { todo_job_kind: "next" })).toBe(0);
  } finally {
    await jobs.stop();
  }
});
