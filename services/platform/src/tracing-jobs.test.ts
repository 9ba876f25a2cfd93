/**
 * A job's `fire` span continues the trace it was scheduled in (the scheduling span is its parent),
 * whatever fires it; the trigger — here a span around `fireDue`, as the Dapr job callback's — is a
 * link, and the handler's statements are the fire span's children.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type SpanContext, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { TxSql } from "./db";
import type { Job } from "./jobs";
import { createPostgresJobScheduler, ensureJobs, type PostgresJobScheduler } from "./jobs-postgres";
import { silentLogger as quiet } from "./logger";
import { createTestDatabase, type TestDatabase } from "./testing";
import { platformTracer, setTracingEnabled } from "./tracing";
import { isChildOf, type TestTracing, useTestTracing } from "./tracing-testing";

const SCHEMA = "trace_jobs";

let tracing: TestTracing;
let db: TestDatabase;
let jobs: PostgresJobScheduler;
const fired: Job[] = [];
/** How many more `fire` calls fail. */
let failures = 0;

beforeAll(async () => {
  tracing = useTestTracing();
  db = await createTestDatabase();
  await ensureJobs(db.sql, SCHEMA);
  // Fired only when asked (`fireDue`), so each test decides what the trigger is.
  jobs = createPostgresJobScheduler({
    sql: db.sql,
    schema: SCHEMA,
    externalTimer: true,
    listen: false,
    minBackoffMs: 10,
    logger: quiet,
  });
  jobs.start({
    async fire(tx: TxSql, job: Job) {
      await tx`select ${job.name}::text as fired`;
      if (failures > 0) {
        failures -= 1;
        throw new Error("the handler failed");
      }
      fired.push(job);
    },
  });
});
afterAll(async () => {
  await jobs?.stop();
  await db?.drop();
  tracing?.stop();
});

/**
 * Schedules `name` (due now) inside a span standing for the RPC or event that asked for it. In a
 * transaction, as the services do: then only the test's `fireDue` fires it.
 */
async function scheduleInSpan(name: string): Promise<SpanContext> {
  return platformTracer().startActiveSpan("process task-events", async (span) => {
    try {
      await db.sql.begin((tx) => jobs.schedule(tx, name, new Date(Date.now() - 10), "payload"));
      return span.spanContext();
    } finally {
      span.end();
    }
  });
}

/** Fires what is due inside a span standing for the trigger (the Dapr job callback's SERVER span). */
async function fireInTrigger(): Promise<SpanContext> {
  return platformTracer().startActiveSpan("trigger", { kind: SpanKind.SERVER }, async (span) => {
    try {
      await jobs.fireDue();
      return span.spanContext();
    } finally {
      span.end();
    }
  });
}

describe("job spans", () => {
  test("the fire span is the child of the span that scheduled the job, linked to its trigger", async () => {
    tracing.reset();
    const name = `reminder/${crypto.randomUUID()}/r1`;
    const scheduled = await scheduleInSpan(name);
    const trigger = await fireInTrigger();
    expect(fired.map((j) => j.name)).toContain(name);
    expect(fired.find((j) => j.name === name)?.traceparent).toBe(
      `00-${scheduled.traceId}-${scheduled.spanId}-01`,
    );

    const fire = await tracing.until("the fire span", (s) => s.name === "fire reminder");
    expect(isChildOf(fire, scheduled)).toBe(true);
    expect(fire.links.map((l) => l.context.spanId)).toEqual([trigger.spanId]);
    expect(fire.kind).toBe(SpanKind.INTERNAL);
    expect(fire.attributes).toMatchObject({
      "todo.job.name": name,
      "todo.job.kind": "reminder",
      "todo.job.attempt": 1,
    });
    expect(fire.attributes["todo.job.lateness_ms"]).toBeGreaterThanOrEqual(0);
    expect(fire.status.code).toBe(SpanStatusCode.UNSET);
    // The handler's statement ran in the fire span.
    const statements = tracing
      .traceOf(scheduled.traceId)
      .filter((s) => s.kind === SpanKind.CLIENT && isChildOf(s, fire));
    expect(statements.map((s) => s.attributes["db.query.text"])).toContain("select $1::text as fired");
  });

  test("a failed firing fails its span; the retry is a second fire span in the same trace", async () => {
    tracing.reset();
    const name = `next/${crypto.randomUUID()}`;
    const scheduled = await scheduleInSpan(name);
    // The batch attempt and the one-by-one redo of the same round both fail: the round puts it back.
    failures = 2;
    await fireInTrigger();
    await Bun.sleep(50); // past the 10 ms backoff
    await fireInTrigger();
    expect(fired.map((j) => j.name)).toContain(name);
    const fires = tracing.traceOf(scheduled.traceId).filter((s) => s.name === "fire next");
    expect(fires).toHaveLength(2);
    expect(fires.every((s) => isChildOf(s, scheduled))).toBe(true);
    expect(fires[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(fires[0]?.attributes["error.type"]).toBe("Error");
    expect(fires[1]?.status.code).toBe(SpanStatusCode.UNSET);
    expect(fires.map((s) => s.attributes["todo.job.attempt"])).toEqual([1, 2]);
  });

  test("a job scheduled while tracing was off starts a trace of its own, under its trigger", async () => {
    tracing.reset();
    const name = `reminder/${crypto.randomUUID()}/r2`;
    setTracingEnabled(false);
    try {
      await db.sql.begin((tx) => jobs.schedule(tx, name, new Date(Date.now() - 10), "payload"));
    } finally {
      setTracingEnabled(true);
    }
    expect(tracing.spans()).toEqual([]);
    const trigger = await fireInTrigger();
    const fire = await tracing.until("the fire span", (s) => s.attributes["todo.job.name"] === name);
    expect(isChildOf(fire, trigger)).toBe(true);
    expect(fire.links).toEqual([]);
  });

  test("with tracing off nothing is traced and no traceparent is stored", async () => {
    tracing.reset();
    const name = `reminder/${crypto.randomUUID()}/r3`;
    setTracingEnabled(false);
    try {
      await platformTracer().startActiveSpan("ignored", async (span) => {
        await db.sql.begin((tx) => jobs.schedule(tx, name, new Date(Date.now() - 10), "payload"));
        span.end();
      });
      await jobs.fireDue();
    } finally {
      setTracingEnabled(true);
    }
    const job = fired.find((j) => j.name === name);
    expect(job).toBeDefined();
    expect(job?.traceparent).toBeUndefined();
    // Only the span the test itself made (platformTracer does not check the switch).
    expect(tracing.spans().map((s) => s.name)).toEqual(["ignored"]);
  });
});
