/**
 * Database spans after the database conventions: one CLIENT span per statement run inside a
 * recording span, named by its `db.query.summary`, with `db.system.name`, `db.operation.name`,
 * `db.query.text` (parameterized text as it is, other text sanitized), `db.namespace` and
 * `server.*`; a failure's SQLSTATE; nothing outside a traced operation or with tracing off.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { createTestDatabase, type TestDatabase } from "./testing";
import { platformTracer, setTracingEnabled } from "./tracing";
import { querySummary, sanitizeQueryText } from "./tracing-db";
import { isChildOf, type TestTracing, useTestTracing } from "./tracing-testing";

let tracing: TestTracing;
let db: TestDatabase;

beforeAll(async () => {
  tracing = useTestTracing();
  db = await createTestDatabase();
  await db.sql`create table notes (id int primary key, body text)`;
});
afterAll(async () => {
  await db?.drop();
  tracing?.stop();
});

/** Runs `fn` in a recording span; returns that span's id after it ended. */
async function traced(fn: () => Promise<unknown>): Promise<string> {
  return platformTracer().startActiveSpan("operation", async (span) => {
    try {
      await fn().catch(() => {});
      return span.spanContext().spanId;
    } finally {
      span.end();
    }
  });
}

const statements = () => tracing.spans().filter((s) => s.kind === SpanKind.CLIENT);

describe("database spans", () => {
  test("a statement in a traced operation: a CLIENT span with the database conventions' attributes", async () => {
    tracing.reset();
    const secret = "correct horse battery staple";
    const parent = await traced(() => db.sql`insert into notes (id, body) values (${1}, ${secret})`);
    const [span, ...rest] = statements();
    if (!span) throw new Error("no statement span");
    expect(rest).toEqual([]);
    expect(span.parentSpanContext?.spanId).toBe(parent);
    expect(span.name).toBe("INSERT notes");
    const url = new URL(db.url);
    expect(span.attributes).toEqual({
      "db.system.name": "postgresql",
      "db.operation.name": "INSERT",
      "db.query.summary": "INSERT notes",
      "db.query.text": "insert into notes (id, body) values ($1, $2)",
      "db.namespace": expect.any(String),
      "server.address": url.hostname,
      "server.port": Number(url.port),
    });
    // No value is recorded anywhere on the span.
    expect(JSON.stringify(span.attributes)).not.toContain(secret);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  test("a failure: ERROR status with the SQLSTATE as db.response.status_code and error.type", async () => {
    tracing.reset();
    await traced(() => db.sql`insert into notes (id, body) values (${1}, ${"again"})`);
    const [span] = statements();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes["db.response.status_code"]).toBe("23505");
    expect(span?.attributes["error.type"]).toBe("23505");
  });

  test("a transaction's statements are siblings under the operation; unsafe text without parameters is sanitized", async () => {
    tracing.reset();
    const parent = await traced(() =>
      db.sql.begin(async (tx) => {
        await tx.unsafe("update notes set body = 'secret' where id = 1");
        await tx.unsafe("select body from notes where id = $1", [1]);
      }),
    );
    const spans = statements();
    expect(spans.map((s) => s.name)).toEqual(["BEGIN", "UPDATE notes", "SELECT notes", "COMMIT"]);
    expect(spans.every((s) => s.parentSpanContext?.spanId === parent)).toBe(true);
    expect(spans[1]?.attributes["db.query.text"]).toBe("update notes set body = ? where id = ?");
    expect(spans[2]?.attributes["db.query.text"]).toBe("select body from notes where id = $1");
  });

  test("no span for statements outside a traced operation, nor with tracing off", async () => {
    tracing.reset();
    await db.sql`select count(*) from notes`;
    setTracingEnabled(false);
    try {
      await traced(() => db.sql`select count(*) from notes`);
    } finally {
      setTracingEnabled(true);
    }
    // Only the test's own "operation" span (platformTracer does not check the switch).
    expect(tracing.spans().map((s) => s.name)).toEqual(["operation"]);
  });

  test("the statement span is the child of the operation's span in the same trace", async () => {
    tracing.reset();
    await traced(() => db.sql`select body from notes`);
    const op = tracing.spans().find((s) => s.name === "operation");
    const [span] = statements();
    expect(op && span && isChildOf(span, op)).toBe(true);
  });
});

describe("querySummary and sanitizeQueryText", () => {
  test("name the verbs and the tables they act on, never values", () => {
    expect(querySummary(`insert into "task"."outbox" (topic, key) values ($1, $2)`)).toBe(
      "INSERT task.outbox",
    );
    expect(querySummary("INSERT INTO t(a) SELECT a FROM u")).toBe("INSERT t SELECT u");
    expect(querySummary("select * from unnest($1::text[]) as r(name)")).toBe("SELECT");
    expect(querySummary("update x.jobs set a = 1 where b in (select c from d)")).toBe(
      "UPDATE x.jobs SELECT d",
    );
    expect(querySummary("select 'task.tasks' from a join b on true")).toBe("SELECT a b");
    expect(querySummary("vacuum")).toBe("VACUUM");
    expect(querySummary("hello")).toBe("_OTHER");
  });

  test("replaces string and number literals, keeps identifiers and $n", () => {
    expect(sanitizeQueryText("select a1, $2 from t2 where x = 'it''s' and y > 10.5 and z = $$b$$")).toBe(
      "select a1, $2 from t2 where x = ? and y > ? and z = ?",
    );
  });
});
