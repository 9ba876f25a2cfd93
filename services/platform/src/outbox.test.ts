import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { type CloudEvent, type EventBus, fromCloudEvent, toCloudEvent } from "./events";
import { silentLogger as quiet } from "./logger";
import { enqueueEvent, ensureOutbox, startOutboxRelay } from "./outbox";
import { createTestDatabase, type TestDatabase } from "./testing";

const SCHEMA = "svc";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await ensureOutbox(db.sql, SCHEMA);
  await ensureOutbox(db.sql, SCHEMA); // idempotent
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.sql`delete from svc.outbox`;
});

interface Published {
  topic: string;
  key: string;
  event: CloudEvent;
}

/** A bus that records what it is given; `fail` decides per call whether publish rejects. */
function recordingBus(fail: (p: Published) => boolean = () => false, delayMs = 0) {
  const published: Published[] = [];
  const bus: EventBus = {
    async publish(topic, key, event) {
      if (delayMs > 0) await Bun.sleep(Math.random() * delayMs);
      if (fail({ topic, key, event })) throw new Error("broker unavailable");
      published.push({ topic, key, event });
    },
    async subscribe() {
      throw new Error("not used");
    },
    async close() {},
  };
  return { bus, published };
}

function event(key: string, n: number): CloudEvent {
  return toCloudEvent(
    TagDeletedSchema,
    { userId: "u", tagId: key, name: `${key}#${n}` },
    { source: "test", type: "todo.tag.v1.deleted", subject: key },
  );
}
const label = (p: Published) => fromCloudEvent(TagDeletedSchema, p.event).name;

/** Enqueues `count` events for each key, one transaction per event, keys interleaved. */
async function enqueueMany(keys: string[], count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    for (const key of keys) {
      await db.sql.begin((tx) => enqueueEvent(tx, SCHEMA, { topic: "t", key, event: event(key, n) }));
    }
  }
}

async function pending(): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from svc.outbox`;
  return row?.n ?? -1;
}

async function until(predicate: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

/** Asserts that, per key, the published labels are exactly #0..#count-1 in order. */
function expectPerKeyOrder(published: Published[], keys: string[], count: number): void {
  for (const key of keys) {
    const seen = published.filter((p) => p.key === key).map(label);
    expect(seen).toEqual(Array.from({ length: count }, (_, n) => `${key}#${n}`));
  }
}

describe("transactional outbox", () => {
  test("an event is enqueued with its transaction and vanishes with its rollback", async () => {
    await db.sql.begin((tx) => enqueueEvent(tx, SCHEMA, { topic: "t", key: "a", event: event("a", 0) }));
    await db.sql
      .begin(async (tx) => {
        await enqueueEvent(tx, SCHEMA, { topic: "t", key: "b", event: event("b", 0) });
        throw new Error("the change failed");
      })
      .catch(() => {});
    const rows = await db.sql<{ key: string }[]>`select key from svc.outbox`;
    expect(rows.map((r) => r.key)).toEqual(["a"]);
  });

  test("the relay publishes every attribute unchanged, then deletes the row", async () => {
    const original: CloudEvent = {
      ...event("a", 0),
      time: new Date("2031-05-06T07:08:09.123Z"),
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      extensions: { tenant: "acme" },
    };
    await db.sql.begin((tx) => enqueueEvent(tx, SCHEMA, { topic: "task-events", key: "a", event: original }));
    const { bus, published } = recordingBus();
    const relay = startOutboxRelay({
      sql: db.sql,
      schema: SCHEMA,
      bus,
      pollIntervalMs: 20,
      listen: false,
      logger: quiet,
    });
    await until(() => published.length === 1);
    await relay.stop();
    expect(published[0]?.topic).toBe("task-events");
    expect(published[0]?.key).toBe("a");
    expect(published[0]?.event).toEqual(original);
    expect(await pending()).toBe(0);
  });

  test("publishes in order per key and removes what it published", async () => {
    const keys = ["k1", "k2", "k3", "k4"];
    await enqueueMany(keys, 15);
    const { bus, published } = recordingBus(() => false, 3);
    const relay = startOutboxRelay({
      sql: db.sql,
      schema: SCHEMA,
      bus,
      pollIntervalMs: 20,
      batchSize: 7,
      listen: false,
      logger: quiet,
    });
    await until(() => published.length >= 60);
    await relay.stop();
    expect(published.length).toBe(60);
    expectPerKeyOrder(published, keys, 15);
    expect(await pending()).toBe(0);
  });

  test("a bus with publishBatch gets each claimed batch in one call, in per-key order", async () => {
    const keys = ["k1", "k2", "k3"];
    await enqueueMany(keys, 10);
    const { bus, published } = recordingBus();
    const calls: number[] = [];
    let failures = 1;
    bus.publishBatch = async (entries) => {
      calls.push(entries.length);
      // The first batch fails whole: its rows must come again, nothing overtaking them.
      if (failures-- > 0) throw new Error("broker unavailable");
      published.push(...entries.map((e) => ({ topic: e.topic, key: e.key, event: e.event })));
    };
    bus.publish = async () => {
      throw new Error("publish must not be called when publishBatch exists");
    };
    const relay = startOutboxRelay({
      sql: db.sql,
      schema: SCHEMA,
      bus,
      pollIntervalMs: 20,
      batchSize: 8,
      minBackoffMs: 10,
      listen: false,
      logger: quiet,
    });
    await until(() => published.length >= 30);
    await relay.stop();
    expect(published.length).toBe(30);
    expectPerKeyOrder(published, keys, 10);
    expect(calls.every((n) => n >= 1 && n <= 8)).toBe(true);
    expect(calls.length).toBeGreaterThanOrEqual(5); // 30 rows in batches of at most 8, plus the failed one
    expect(await pending()).toBe(0);
  });

  test("rows left unsent by a crash are published when a relay starts again", async () => {
    // The "crash": events committed, no relay ran.
    await enqueueMany(["a", "b"], 3);
    // A relay that claimed rows and then hung (as if its process died mid-publish).
    let unblock: () => void = () => {};
    const hung = new Promise<void>((r) => {
      unblock = r;
    });
    const dead: EventBus = {
      publish: () => hung,
      subscribe: async () => ({ unsubscribe: async () => {} }),
      close: async () => {},
    };
    const stuck = startOutboxRelay({
      sql: db.sql,
      schema: SCHEMA,
      bus: dead,
      pollIntervalMs: 20,
      leaseMs: 300,
      listen: false,
      logger: quiet,
    });
    const { bus, published } = recordingBus();
    let relay: ReturnType<typeof startOutboxRelay> | undefined;
    try {
      await until(async () => {
        const [row] = await db.sql<
          { n: number }[]
        >`select count(*)::int as n from svc.outbox where claim is not null`;
        return (row?.n ?? 0) > 0;
      });
      // The restarted relay takes the rows over once the dead one's lease expires.
      relay = startOutboxRelay({
        sql: db.sql,
        schema: SCHEMA,
        bus,
        pollIntervalMs: 20,
        listen: false,
        logger: quiet,
      });
      await until(async () => (await pending()) === 0);
    } finally {
      unblock();
      await Promise.all([stuck.stop(), relay?.stop()]);
    }
    expect(published.length).toBe(6);
    expectPerKeyOrder(published, ["a", "b"], 3);
  });

  test("backs off while publishing fails, records the error, and keeps per-key order", async () => {
    await enqueueMany(["a", "b"], 4);
    let failures = 0;
    const { bus, published } = recordingBus((p) => {
      if (label(p) === "a#1" && failures < 3) {
        failures++;
        return true;
      }
      return false;
    });
    const relay = startOutboxRelay({
      sql: db.sql,
      schema: SCHEMA,
      bus,
      pollIntervalMs: 10,
      minBackoffMs: 30,
      listen: false,
      logger: quiet,
    });
    await until(async () => {
      const rows = await db.sql<{ attempts: number; last_error: string }[]>`
        select attempts, last_error from svc.outbox where attempts > 0`;
      return rows.some((r) => r.last_error.includes("broker unavailable"));
    });
    await until(() => published.length >= 8);
    await relay.stop();
    expect(failures).toBe(3);
    expectPerKeyOrder(published, ["a", "b"], 4);
    expect(await pending()).toBe(0);
  });

  test("several relays share the work: each event once, per-key order kept", async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `key${i}`);
    await enqueueMany(keys, 12);
    const { bus, published } = recordingBus(() => false, 2);
    const relays = [1, 2, 3].map(() =>
      startOutboxRelay({
        sql: db.sql,
        schema: SCHEMA,
        bus,
        pollIntervalMs: 5,
        batchSize: 10,
        listen: false,
        logger: quiet,
      }),
    );
    await until(() => published.length >= 96);
    await Promise.all(relays.map((r) => r.stop()));
    expect(published.length).toBe(96);
    expect(new Set(published.map((p) => p.event.id)).size).toBe(96);
    expectPerKeyOrder(published, keys, 12);
  });

  test("wake() publishes at once without waiting for the next poll", async () => {
    const { bus, published } = recordingBus();
    const relay = startOutboxRelay({
      sql: db.sql,
      schema: SCHEMA,
      bus,
      pollIntervalMs: 60_000,
      listen: false,
      logger: quiet,
    });
    await Bun.sleep(50);
    await db.sql.begin((tx) => enqueueEvent(tx, SCHEMA, { topic: "t", key: "w", event: event("w", 0) }));
    const started = Date.now();
    relay.wake();
    await until(() => published.length === 1, 2000);
    expect(Date.now() - started).toBeLessThan(1000);
    await relay.stop();
  });

  test("on PostgreSQL, a committed event wakes the relay through LISTEN/NOTIFY", async () => {
    const { bus, published } = recordingBus();
    const relay = startOutboxRelay({
      sql: db.sql,
      schema: SCHEMA,
      bus,
      pollIntervalMs: 60_000,
      listen: true,
      logger: quiet,
    });
    await Bun.sleep(300); // let LISTEN take effect and the first (empty) round pass
    await db.sql.begin((tx) => enqueueEvent(tx, SCHEMA, { topic: "t", key: "n", event: event("n", 0) }));
    await until(() => published.length === 1, 3000);
    await relay.stop();
    expect(label(published[0] as Published)).toBe("n#0");
  });
});
