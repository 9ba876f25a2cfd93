import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { ensureProcessedEvents, idempotentHandler, pruneProcessedEvents } from "./consumer";
import { type CloudEvent, fromCloudEvent, toCloudEvent } from "./events";
import { createTestDatabase, type TestDatabase } from "./testing";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await ensureProcessedEvents(db.sql, "svc");
  await ensureProcessedEvents(db.sql, "svc"); // idempotent
  await db.sql`create table svc.effects (event_id text not null, name text not null)`;
});
afterAll(async () => {
  await db?.drop();
});

function event(name: string): CloudEvent {
  return toCloudEvent(
    TagDeletedSchema,
    { userId: "u", tagId: "t", name },
    { source: "test", type: "todo.tag.v1.deleted", subject: "t" },
  );
}

async function effects(): Promise<string[]> {
  const rows = await db.sql<{ name: string }[]>`select name from svc.effects order by name`;
  return rows.map((r) => r.name);
}

describe("idempotent consumer", () => {
  test("applies an event once, however often it is delivered", async () => {
    await db.sql`delete from svc.effects`;
    const handler = idempotentHandler(db.sql, "svc", "c1", async (tx, e) => {
      await tx`insert into svc.effects values (${e.id}, ${fromCloudEvent(TagDeletedSchema, e).name})`;
    });
    const a = event("a");
    const b = event("b");
    await handler(a);
    await handler(a);
    await handler(b);
    await Promise.all([handler(b), handler(a), handler(b)]);
    expect(await effects()).toEqual(["a", "b"]);
  });

  test("two consumers each process the same event", async () => {
    await db.sql`delete from svc.effects`;
    const write = (label: string) =>
      idempotentHandler(db.sql, "svc", label, async (tx, e) => {
        await tx`insert into svc.effects values (${e.id}, ${label})`;
      });
    const e = event("x");
    await write("one")(e);
    await write("two")(e);
    await write("one")(e);
    expect(await effects()).toEqual(["one", "two"]);
  });

  test("a failed attempt leaves neither effects nor a record, so the retry applies it", async () => {
    await db.sql`delete from svc.effects`;
    let calls = 0;
    const handler = idempotentHandler(db.sql, "svc", "c2", async (tx, e) => {
      calls++;
      await tx`insert into svc.effects values (${e.id}, ${`attempt${calls}`})`;
      if (calls === 1) throw new Error("transient");
    });
    const e = event("retry");
    await expect(handler(e)).rejects.toThrow("transient");
    expect(await effects()).toEqual([]);
    await handler(e);
    await handler(e);
    expect(await effects()).toEqual(["attempt2"]);
    expect(calls).toBe(2);
  });

  test("prunes old processed ids", async () => {
    await db.sql`update svc.processed_events set process_time = now() - interval '30 days' where consumer = 'c1'`;
    const pruned = await pruneProcessedEvents(db.sql, "svc", new Date(Date.now() - 7 * 86_400_000));
    expect(pruned).toBe(2);
    const [left] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from svc.processed_events where consumer = 'c1'`;
    expect(left?.n).toBe(0);
  });

  test("a batch is one transaction: each fresh event applied once, in order, after-commit work after it", async () => {
    await db.sql`delete from svc.effects`;
    const order: string[] = [];
    const committed: string[] = [];
    const handler = idempotentHandler(db.sql, "svc", "batch1", async (tx, e, afterCommit) => {
      const name = fromCloudEvent(TagDeletedSchema, e).name;
      order.push(name);
      await tx`insert into svc.effects values (${e.id}, ${name})`;
      afterCommit(() => committed.push(name));
    });
    const [a, b, c] = [event("a"), event("b"), event("c")];
    await handler(b); // already processed before the batch
    committed.length = 0;
    order.length = 0;
    expect(handler.batch).toBeFunction();
    const [before] = await db.sql<{ n: string }[]>`select count(*)::text as n from svc.processed_events`;
    await handler.batch?.([c, a, b, a]);
    expect(order).toEqual(["c", "a"]);
    expect(committed).toEqual(["c", "a"]);
    expect(await effects()).toEqual(["a", "b", "c"]);
    const [after] = await db.sql<{ n: string }[]>`select count(*)::text as n from svc.processed_events`;
    expect(Number(after?.n) - Number(before?.n)).toBe(2);
  });

  test("a batch that fails leaves no effects, no records and runs no after-commit work", async () => {
    await db.sql`delete from svc.effects`;
    const committed: string[] = [];
    const handler = idempotentHandler(db.sql, "svc", "batch2", async (tx, e, afterCommit) => {
      const name = fromCloudEvent(TagDeletedSchema, e).name;
      await tx`insert into svc.effects values (${e.id}, ${name})`;
      afterCommit(() => committed.push(name));
      if (name === "bad") throw new Error("bad event");
    });
    const good = event("good");
    await expect(handler.batch?.([good, event("bad")])).rejects.toThrow("bad event");
    expect(await effects()).toEqual([]);
    expect(committed).toEqual([]);
    // The good event was not recorded as processed: delivered alone, it is applied.
    await handler(good);
    expect(await effects()).toEqual(["good"]);
    expect(committed).toEqual(["good"]);
  });

  test("with chainOf, a batch runs different chains together and each chain in order", async () => {
    await db.sql`delete from svc.effects`;
    const started: string[] = [];
    let running = 0;
    let overlapped = false;
    const handler = idempotentHandler(
      db.sql,
      "svc",
      "chains",
      async (tx, e) => {
        const name = fromCloudEvent(TagDeletedSchema, e).name;
        started.push(name);
        running++;
        if (running > 1) overlapped = true;
        await tx`insert into svc.effects values (${e.id}, ${name})`;
        running--;
      },
      { chainOf: (e) => fromCloudEvent(TagDeletedSchema, e).name.slice(0, 1) },
    );
    await handler.batch?.(["a1", "b1", "a2", "b2", "a3"].map((n) => event(n)));
    expect(overlapped).toBe(true);
    // Within a chain, in the order given.
    expect(started.filter((n) => n.startsWith("a"))).toEqual(["a1", "a2", "a3"]);
    expect(started.filter((n) => n.startsWith("b"))).toEqual(["b1", "b2"]);
    expect(await effects()).toEqual(["a1", "a2", "a3", "b1", "b2"]);
  });

  test("with chainOf, a chain that fails rolls back what the other chains write after it failed", async () => {
    await db.sql`delete from svc.effects`;
    let lateWrite: Promise<unknown> | undefined;
    const handler = idempotentHandler(
      db.sql,
      "svc",
      "chains-fail",
      async (tx, e) => {
        const name = fromCloudEvent(TagDeletedSchema, e).name;
        if (name === "a1") throw new Error("a1 cannot be applied");
        // b1 is still working when a1 has failed: its write must belong to the rolled-back transaction.
        await Bun.sleep(100);
        lateWrite = tx`insert into svc.effects values (${e.id}, ${name})`.execute();
        await lateWrite;
      },
      { chainOf: (e) => fromCloudEvent(TagDeletedSchema, e).name.slice(0, 1) },
    );
    await expect(handler.batch?.(["a1", "b1"].map((n) => event(n)))).rejects.toThrow("a1 cannot be applied");
    await Bun.sleep(300);
    await lateWrite?.catch(() => {});
    expect(await effects()).toEqual([]);
  });
});
