import { describe, expect, test } from "bun:test";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { createMemoryBus } from "./bus-memory";
import { type CloudEvent, fromCloudEvent, toCloudEvent } from "./events";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function event(name: string): CloudEvent {
  return toCloudEvent(
    TagDeletedSchema,
    { userId: "u", tagId: name, name },
    { source: "test", type: "todo.tag.v1.deleted", subject: name },
  );
}
const nameOf = (e: CloudEvent) => fromCloudEvent(TagDeletedSchema, e).name;

/** Resolves when `predicate` holds, failing after `ms`. */
async function until(predicate: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

describe("in-process event bus", () => {
  test("delivers to each group in publish order, never inside publish()", async () => {
    const bus = createMemoryBus({ logger: quiet });
    const a: string[] = [];
    const b: string[] = [];
    await bus.subscribe("t", "a", async (e) => {
      await Bun.sleep(Math.random() * 3);
      a.push(nameOf(e));
    });
    await bus.subscribe("t", "b", async (e) => {
      b.push(nameOf(e));
    });
    const names = Array.from({ length: 30 }, (_, i) => `e${i}`);
    const published = names.map((n) => bus.publish("t", n.slice(0, 2), event(n)));
    // Nothing ran synchronously inside publish().
    expect(a).toEqual([]);
    expect(b).toEqual([]);
    await Promise.all(published);
    // publish() resolves only once every group handled the event.
    expect(a).toEqual(names);
    expect(b).toEqual(names);
    await bus.close();
  });

  test("handlers of one group share the work; other topics are not delivered", async () => {
    const bus = createMemoryBus({ logger: quiet });
    const first: string[] = [];
    const second: string[] = [];
    const other: string[] = [];
    await bus.subscribe("t", "g", async (e) => void first.push(nameOf(e)));
    await bus.subscribe("t", "g", async (e) => void second.push(nameOf(e)));
    await bus.subscribe("elsewhere", "g", async (e) => void other.push(nameOf(e)));
    await Promise.all(["1", "2", "3", "4"].map((n) => bus.publish("t", n, event(n))));
    expect(first.length + second.length).toBe(4);
    expect(first.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    expect([...first, ...second].sort()).toEqual(["1", "2", "3", "4"]);
    expect(other).toEqual([]);
    await bus.close();
  });

  test("retries a failing handler with backoff and succeeds without dead-lettering", async () => {
    const bus = createMemoryBus({ logger: quiet, maxAttempts: 4, minBackoffMs: 10 });
    const attempts: number[] = [];
    const dlq: CloudEvent[] = [];
    await bus.subscribe("t.dlq", "ops", async (e) => void dlq.push(e));
    await bus.subscribe("t", "g", async () => {
      attempts.push(Date.now());
      if (attempts.length < 3) throw new Error("flaky");
    });
    await bus.publish("t", "k", event("x"));
    expect(attempts.length).toBe(3);
    // Waits of ~10 ms then ~20 ms between attempts.
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(8);
    expect((attempts[2] ?? 0) - (attempts[1] ?? 0)).toBeGreaterThanOrEqual(18);
    expect(dlq).toEqual([]);
    await bus.close();
  });

  test("sends an event that keeps failing to <topic>.dlq with the error, and the queue keeps flowing", async () => {
    const bus = createMemoryBus({ logger: quiet, maxAttempts: 3, minBackoffMs: 1 });
    const dlq: CloudEvent[] = [];
    const handled: string[] = [];
    let poisonAttempts = 0;
    await bus.subscribe("t.dlq", "ops", async (e) => void dlq.push(e));
    await bus.subscribe("t", "g", async (e) => {
      if (nameOf(e) === "poison") {
        poisonAttempts++;
        throw new Error("cannot digest this");
      }
      handled.push(nameOf(e));
    });
    const poison = event("poison");
    await Promise.all([
      bus.publish("t", "k", event("before")),
      bus.publish("t", "k", poison),
      bus.publish("t", "k", event("after")),
    ]);
    expect(poisonAttempts).toBe(3);
    expect(handled).toEqual(["before", "after"]);
    await until(() => dlq.length === 1);
    const dead = dlq[0] as CloudEvent;
    expect(dead.id).toBe(poison.id);
    expect(nameOf(dead)).toBe("poison");
    expect(dead.extensions).toEqual({
      dlqerror: "Error: cannot digest this",
      dlqtopic: "t",
      dlqgroup: "g",
      dlqattempts: "3",
    });
    await bus.close();
  });

  test("hands waiting events to a handler's batch, in order; a failed batch is delivered one by one", async () => {
    const bus = createMemoryBus({ logger: quiet, maxAttempts: 2, minBackoffMs: 1 });
    const handled: string[] = [];
    const batchSizes: number[] = [];
    const handler = Object.assign(
      async (e: CloudEvent) => {
        if (nameOf(e) === "poison") throw new Error("cannot digest this");
        handled.push(nameOf(e));
      },
      {
        batch: async (events: readonly CloudEvent[]) => {
          const names = events.map(nameOf);
          if (names.includes("poison")) throw new Error("a poisoned batch");
          batchSizes.push(names.length);
          handled.push(...names);
        },
      },
    );
    await bus.subscribe("t", "g", handler);
    // One event alone goes to the handler itself.
    await bus.publish("t", "k", event("alone"));
    expect(batchSizes).toEqual([]);
    // Published together, they wait while the first is handled, then go as a batch.
    const names = Array.from({ length: 20 }, (_, i) => `e${i}`);
    await Promise.all(names.map((n) => bus.publish("t", n, event(n))));
    expect(handled).toEqual(["alone", ...names]);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    // A batch with a poisoned event fails; its events are then delivered alone: only poison is lost.
    handled.length = 0;
    await Promise.all(["x", "poison", "y", "z"].map((n) => bus.publish("t", n, event(n))));
    expect(handled).toEqual(["x", "y", "z"]);
    await bus.close();
  });

  test("a failing group does not hold up another group", async () => {
    const bus = createMemoryBus({ logger: quiet, maxAttempts: 2, minBackoffMs: 1000 });
    const fast: string[] = [];
    let slowAttempts = 0;
    await bus.subscribe("t", "slow", async () => {
      slowAttempts++;
      throw new Error("down");
    });
    await bus.subscribe("t", "fast", async (e) => void fast.push(nameOf(e)));
    const published = bus.publish("t", "k", event("x"));
    // The fast group is served while the slow one waits out its backoff.
    await until(() => fast.length === 1, 800);
    expect(slowAttempts).toBe(1);
    await published;
    expect(slowAttempts).toBe(2);
    await bus.close();
  });

  test("drops events for topics nobody subscribed to, and stops delivering after unsubscribe", async () => {
    const bus = createMemoryBus({ logger: quiet });
    await bus.publish("nobody", "k", event("lost"));
    const got: string[] = [];
    const sub = await bus.subscribe("t", "g", async (e) => void got.push(nameOf(e)));
    await bus.publish("t", "k", event("1"));
    await sub.unsubscribe();
    await bus.publish("t", "k", event("2"));
    expect(got).toEqual(["1"]);
    await bus.close();
  });

  test("close() waits for the running handler and rejects what was not delivered", async () => {
    const bus = createMemoryBus({ logger: quiet });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const done: string[] = [];
    await bus.subscribe("t", "g", async (e) => {
      await gate;
      done.push(nameOf(e));
    });
    const first = bus.publish("t", "k", event("1"));
    const second = bus.publish("t", "k", event("2"));
    await Bun.sleep(10);
    const closing = bus.close();
    release();
    await closing;
    await first;
    expect(done).toEqual(["1"]);
    await expect(second).rejects.toThrow("event bus closed");
    await expect(bus.publish("t", "k", event("3"))).rejects.toThrow("event bus closed");
  });
});
