import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { type Admin, Kafka, logLevel } from "kafkajs";
import { createKafkaBus, type KafkaBusOptions } from "./bus-kafka";
import {
  type CloudEvent,
  DeadLetterExtensions,
  deadLetterTopic,
  type EventBus,
  fromCloudEvent,
  Topics,
  toCloudEvent,
} from "./events";
import { requireKafkaBrokers, uniqueKafkaName } from "./kafka-testing";
import { memoryLogger } from "./testing";

function event(name: string, subject = name): CloudEvent {
  return toCloudEvent(
    TagDeletedSchema,
    { userId: "user-1", tagId: subject, name },
    { source: "/todo/test", type: "todo.tag.v1.deleted", subject },
  );
}
const nameOf = (e: CloudEvent) => fromCloudEvent(TagDeletedSchema, e).name;

/** Resolves when `predicate` holds, failing after `ms` with `what` in the message. */
async function until(what: string, predicate: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

let brokers: string[] = [];
let admin: Admin;
let raw: Kafka;
const buses: EventBus[] = [];
const topics: string[] = [];
const groups: string[] = [];

/** A topic of this run, deleted (with its DLQ twin) after the tests. */
function topicName(prefix: string): string {
  const name = uniqueKafkaName(prefix);
  topics.push(name, deadLetterTopic(name));
  return name;
}

/** A consumer group of this run, deleted after the tests. */
function groupName(prefix: string): string {
  const name = uniqueKafkaName(prefix);
  groups.push(name);
  return name;
}
const PARTITIONS = 4;

/** A bus with fast retries, closed after all tests. */
async function bus(overrides: Partial<KafkaBusOptions> = {}): Promise<EventBus> {
  const created = await createKafkaBus({
    brokers,
    clientId: "bus-kafka-test",
    partitions: PARTITIONS,
    maxAttempts: 3,
    minBackoffMs: 20,
    maxBackoffMs: 200,
    sessionTimeoutMs: 6000,
    logger: memoryLogger().logger,
    ...overrides,
  });
  buses.push(created);
  return created;
}

/** Sum of the latest offsets of every partition of `topic`: how many records it holds. */
async function recordCount(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** Reads `count` raw records of `topic` from the start with a plain kafkajs consumer. */
async function readRaw(topic: string, count: number) {
  const consumer = raw.consumer({ groupId: groupName("raw"), maxWaitTimeInMs: 200 });
  const records: { key: string | null; value: Buffer | null; headers: Record<string, string> }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        records.push({ key: message.key?.toString() ?? null, value: message.value, headers });
      },
    });
    await until(`${count} raw records on ${topic}`, () => records.length >= count);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

beforeAll(async () => {
  brokers = requireKafkaBrokers();
  raw = new Kafka({ clientId: "bus-kafka-test-raw", brokers, logLevel: logLevel.NOTHING });
  admin = raw.admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.allSettled(buses.map((b) => b.close()));
  if (!admin) return;
  // Leave the developer's broker as it was: no topics or groups pile up run after run.
  const existing = new Set(await admin.listTopics());
  await admin.deleteTopics({ topics: topics.filter((t) => existing.has(t)) }).catch(() => {});
  await admin.deleteGroups(groups).catch(() => {});
  await admin.disconnect();
});

describe("Kafka event bus (real broker)", () => {
  test("creates the system topics and their dead-letter twins at start-up", async () => {
    await bus();
    const topics = new Set(await admin.listTopics());
    for (const topic of Object.values(Topics)) {
      expect(topics.has(topic)).toBe(true);
      expect(topics.has(deadLetterTopic(topic))).toBe(true);
    }
  });

  test("round trip keeps every CloudEvent attribute; binary mode on the wire; key = subject", async () => {
    const b = await bus();
    const topic = topicName("roundtrip");
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const sent: CloudEvent = {
      ...event("urgent", "task-42"),
      time: new Date("2027-03-28T01:30:00.123Z"),
      traceparent,
      extensions: { origin: "import" },
    };
    const got: CloudEvent[] = [];
    await b.subscribe(topic, groupName("g"), async (e) => void got.push(e));
    await b.publish(topic, "task-42", sent);
    await until("the event", () => got.length === 1);
    const received = got[0] as CloudEvent;
    expect(received.id).toBe(sent.id);
    expect(received.source).toBe("/todo/test");
    expect(received.type).toBe("todo.tag.v1.deleted");
    expect(received.subject).toBe("task-42");
    expect(received.time.toISOString()).toBe("2027-03-28T01:30:00.123Z");
    expect(received.traceparent).toBe(traceparent);
    expect(received.dataContentType).toBe("application/protobuf");
    expect(received.dataSchema).toBe("todo.events.v1.TagDeleted");
    expect([...received.data]).toEqual([...sent.data]);
    expect(received.extensions).toEqual({ origin: "import" });
    expect(nameOf(received)).toBe("urgent");

    // On the wire: key, Protobuf value and ce_* headers (CloudEvents Kafka binding, binary mode).
    const [record] = await readRaw(topic, 1);
    expect(record?.key).toBe("task-42");
    expect([...(record?.value ?? [])]).toEqual([...sent.data]);
    expect(record?.headers).toMatchObject({
      ce_specversion: "1.0",
      ce_id: sent.id,
      ce_source: "/todo/test",
      ce_type: "todo.tag.v1.deleted",
      ce_subject: "task-42",
      ce_time: "2027-03-28T01:30:00.123Z",
      ce_dataschema: "todo.events.v1.TagDeleted",
      ce_traceparent: traceparent,
      traceparent,
      "content-type": "application/protobuf",
      ce_origin: "import",
    });

    // Topics it creates get the configured partition count, and so do their DLQ twins.
    const meta = await admin.fetchTopicMetadata({ topics: [topic, deadLetterTopic(topic)] });
    expect(meta.topics.map((t) => t.partitions.length)).toEqual([PARTITIONS, PARTITIONS]);
  });

  test("keeps per-key order across many events and several partitions, consumed in parallel", async () => {
    const b = await bus();
    const topic = topicName("order");
    const keys = Array.from({ length: 12 }, (_, i) => `task-${i}`);
    const perKey = 15;
    const seen = new Map<string, number[]>();
    let inFlight = 0;
    let maxInFlight = 0;
    await b.subscribe(topic, groupName("g"), async (e) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await Bun.sleep(Math.random() * 4);
      const [key, n] = nameOf(e).split("#");
      seen.set(key as string, [...(seen.get(key as string) ?? []), Number(n)]);
      inFlight--;
    });
    // Keys publish concurrently; each key's events are published one after the other.
    await Promise.all(
      keys.map(async (key) => {
        for (let n = 0; n < perKey; n++) await b.publish(topic, key, event(`${key}#${n}`, key));
      }),
    );
    await until(
      "every event",
      () => [...seen.values()].reduce((s, l) => s + l.length, 0) === keys.length * perKey,
    );
    const expected = Array.from({ length: perKey }, (_, n) => n);
    for (const key of keys) expect(seen.get(key)).toEqual(expected);
    const offsets = await admin.fetchTopicOffsets(topic);
    // The keys spread over more than one partition, and partitions were handled concurrently.
    expect(offsets.filter((p) => Number(p.high) > 0).length).toBeGreaterThan(1);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  test("publishBatch sends many events at once; each key keeps the order given", async () => {
    const b = await bus();
    const topic = topicName("batch");
    const keys = Array.from({ length: 10 }, (_, i) => `task-${i}`);
    const perKey = 20;
    const seen = new Map<string, number[]>();
    await b.subscribe(topic, groupName("g"), async (e) => {
      const [key, n] = nameOf(e).split("#");
      seen.set(key as string, [...(seen.get(key as string) ?? []), Number(n)]);
    });
    // Keys interleaved, as an outbox batch in insertion order would be.
    const entries = [];
    for (let n = 0; n < perKey; n++) {
      for (const key of keys) entries.push({ topic, key, event: event(`${key}#${n}`, key) });
    }
    if (!b.publishBatch) throw new Error("the Kafka bus must implement publishBatch");
    await b.publishBatch(entries.slice(0, 100));
    await b.publishBatch(entries.slice(100));
    await until(
      "every event",
      () => [...seen.values()].reduce((s, l) => s + l.length, 0) === keys.length * perKey,
    );
    const expected = Array.from({ length: perKey }, (_, n) => n);
    for (const key of keys) expect(seen.get(key)).toEqual(expected);
    expect(await recordCount(topic)).toBe(keys.length * perKey);
  });

  test("a handler with a batch gets a fetch's records together, in order per key; a poisoned batch goes one by one", async () => {
    const b = await bus();
    const topic = topicName("batched");
    const keys = Array.from({ length: 8 }, (_, i) => `task-${i}`);
    const perKey = 25;
    const seen = new Map<string, number[]>();
    const note = (e: CloudEvent) => {
      const [key, n] = nameOf(e).split("#");
      seen.set(key as string, [...(seen.get(key as string) ?? []), Number(n)]);
    };
    const batchSizes: number[] = [];
    const dead: CloudEvent[] = [];
    await b.subscribe(deadLetterTopic(topic), groupName("dlq"), async (e) => void dead.push(e));
    const handler = Object.assign(
      async (e: CloudEvent) => {
        if (nameOf(e) === "poison") throw new Error("cannot digest this");
        note(e);
      },
      {
        batch: async (events: readonly CloudEvent[]) => {
          if (events.some((e) => nameOf(e) === "poison")) throw new Error("a poisoned batch");
          batchSizes.push(events.length);
          for (const e of events) note(e);
        },
      },
    );
    await b.subscribe(topic, groupName("g"), handler);
    const entries = [];
    for (let n = 0; n < perKey; n++) {
      for (const key of keys) entries.push({ topic, key, event: event(`${key}#${n}`, key) });
    }
    entries.splice(77, 0, { topic, key: "task-3", event: event("poison", "task-3") });
    if (!b.publishBatch) throw new Error("the Kafka bus must implement publishBatch");
    await b.publishBatch(entries);
    await until(
      "every event",
      () => [...seen.values()].reduce((s, l) => s + l.length, 0) === keys.length * perKey,
    );
    const expected = Array.from({ length: perKey }, (_, n) => n);
    for (const key of keys) expect(seen.get(key)).toEqual(expected);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    await until("the poisoned event in the DLQ", () => dead.length === 1);
    expect(nameOf(dead[0] as CloudEvent)).toBe("poison");
  });

  test("two groups each get every event; two consumers in one group share them", async () => {
    const b = await bus();
    const topic = topicName("groups");
    const audit: string[] = [];
    const search: string[] = [];
    const sharedA: string[] = [];
    const sharedB: string[] = [];
    await b.subscribe(topic, groupName("audit"), async (e) => void audit.push(nameOf(e)));
    await b.subscribe(topic, groupName("search"), async (e) => void search.push(nameOf(e)));
    const shared = groupName("shared");
    await b.subscribe(topic, shared, async (e) => void sharedA.push(nameOf(e)));
    // Resolves once the rebalance gave both members their partitions.
    await b.subscribe(topic, shared, async (e) => void sharedB.push(nameOf(e)));
    const names = Array.from({ length: 40 }, (_, i) => `e${i}`);
    await Promise.all(names.map((n) => b.publish(topic, n, event(n))));
    await until("both groups", () => audit.length === 40 && search.length === 40);
    await until("the shared group", () => sharedA.length + sharedB.length >= 40);
    expect([...audit].sort()).toEqual([...names].sort());
    expect([...search].sort()).toEqual([...names].sort());
    expect(sharedA.length).toBeGreaterThan(0);
    expect(sharedB.length).toBeGreaterThan(0);
    expect([...sharedA, ...sharedB].sort()).toEqual([...names].sort());
  });

  test("a handler failing N times gets the event N+1 times, then the next ones in order", async () => {
    const { logger, lines } = memoryLogger();
    const b = await bus({ maxAttempts: 4, logger });
    const topic = topicName("retry");
    const calls: { name: string; at: number }[] = [];
    let failuresLeft = 2;
    await b.subscribe(topic, groupName("g"), async (e) => {
      calls.push({ name: nameOf(e), at: Date.now() });
      if (nameOf(e) === "flaky" && failuresLeft-- > 0) throw new Error("database briefly down");
    });
    for (const n of ["flaky", "next-1", "next-2"]) await b.publish(topic, "task-7", event(n, "task-7"));
    await until("all three events", () => calls.some((c) => c.name === "next-2"));
    expect(calls.map((c) => c.name)).toEqual(["flaky", "flaky", "flaky", "next-1", "next-2"]);
    // Exponential backoff: ~20 ms, then ~40 ms.
    const gaps = [1, 2].map((i) => (calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(lines.filter((l) => l.msg === "event handler failed; retrying")).toHaveLength(2);
    expect(await recordCount(deadLetterTopic(topic))).toBe(0);
  });

  test("a poison event goes to <topic>.dlq with the error attached; later events still flow", async () => {
    const b = await bus({ maxAttempts: 3 });
    const topic = topicName("poison");
    const group = groupName("g");
    const calls: string[] = [];
    await b.subscribe(topic, group, async (e) => {
      calls.push(nameOf(e));
      if (nameOf(e) === "poison") throw new TypeError("cannot read the task");
    });
    const dead: CloudEvent[] = [];
    await b.subscribe(deadLetterTopic(topic), groupName("ops"), async (e) => void dead.push(e));
    const poison = event("poison", "task-9");
    await b.publish(topic, "task-9", poison);
    await b.publish(topic, "task-9", event("after-1", "task-9"));
    await b.publish(topic, "task-9", event("after-2", "task-9"));
    await until("the later events", () => calls.includes("after-2"));
    await until("the dead letter", () => dead.length === 1);
    expect(calls).toEqual(["poison", "poison", "poison", "after-1", "after-2"]);
    const letter = dead[0] as CloudEvent;
    expect(letter.id).toBe(poison.id);
    expect(letter.subject).toBe("task-9");
    expect(nameOf(letter)).toBe("poison");
    expect(letter.extensions).toMatchObject({
      [DeadLetterExtensions.error]: "TypeError: cannot read the task",
      [DeadLetterExtensions.attempts]: "3",
      [DeadLetterExtensions.topic]: topic,
      [DeadLetterExtensions.group]: group,
      [DeadLetterExtensions.offset]: "0",
    });
    expect(Number(letter.extensions?.[DeadLetterExtensions.partition])).toBeGreaterThanOrEqual(0);
    const [record] = await readRaw(deadLetterTopic(topic), 1);
    expect(record?.key).toBe("task-9");
    expect(record?.headers.ce_dlqerror).toBe("TypeError: cannot read the task");
    expect(record?.headers.ce_dlqattempts).toBe("3");
  });

  test("a record that is not a CloudEvent is dead-lettered at once; the partition keeps flowing", async () => {
    const b = await bus();
    const topic = topicName("malformed");
    const calls: string[] = [];
    await b.subscribe(topic, groupName("g"), async (e) => void calls.push(nameOf(e)));
    const producer = raw.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [{ key: "k", value: "{not protobuf}", headers: { ce_id: "x" } }],
    });
    await producer.disconnect();
    await b.publish(topic, "k", event("valid", "k"));
    await until("the valid event", () => calls.length === 1);
    expect(calls).toEqual(["valid"]);
    const [record] = await readRaw(deadLetterTopic(topic), 1);
    expect(record?.value?.toString()).toBe("{not protobuf}");
    expect(record?.headers.ce_dlqerror).toContain("MalformedEventError");
    expect(record?.headers.ce_dlqattempts).toBe("0");
  });

  test('a new group starts from the earliest event by default, from new ones with { from: "latest" }', async () => {
    const b = await bus();
    const topic = topicName("from");
    await b.publish(topic, "k", event("old"));
    const catchUp: string[] = [];
    const live: string[] = [];
    await b.subscribe(topic, groupName("catch-up"), async (e) => void catchUp.push(nameOf(e)));
    await b.subscribe(topic, groupName("live"), async (e) => void live.push(nameOf(e)), {
      from: "latest",
    });
    // A live group takes its position at its first fetch: publish until it sees something.
    for (let i = 0; live.length === 0; i++) {
      if (i > 50) throw new Error("the live group never received an event");
      await b.publish(topic, "k", event(`new-${i}`));
      await Bun.sleep(100);
    }
    await until("the catch-up group", () => catchUp.length >= 2);
    expect(catchUp[0]).toBe("old");
    expect(live).not.toContain("old");
    expect(live[0]).toMatch(/^new-/);
  });

  test("unsubscribe leaves the group with its progress committed; close() refuses further use", async () => {
    const b = await createKafkaBus({
      brokers,
      clientId: "bus-kafka-test-close",
      partitions: PARTITIONS,
      logger: memoryLogger().logger,
    });
    const topic = topicName("close");
    const group = groupName("g");
    const first: string[] = [];
    const sub = await b.subscribe(topic, group, async (e) => void first.push(nameOf(e)));
    for (const n of ["a", "b"]) await b.publish(topic, n, event(n));
    await until("the first two events", () => first.length === 2);
    await sub.unsubscribe();
    const [described] = (await admin.describeGroups([group])).groups;
    expect(described?.state).toBe("Empty");
    // The group's next consumer starts after what was handled: only the new event arrives.
    const second: string[] = [];
    await b.subscribe(topic, group, async (e) => void second.push(nameOf(e)));
    await b.publish(topic, "c", event("c"));
    await until("the third event", () => second.length === 1);
    await Bun.sleep(300);
    expect(second).toEqual(["c"]);
    await b.close();
    await expect(b.publish(topic, "d", event("d"))).rejects.toThrow("closed");
    await expect(b.subscribe(topic, group, async () => {})).rejects.toThrow("closed");
    const [afterClose] = (await admin.describeGroups([group])).groups;
    expect(afterClose?.state).toBe("Empty");
  });

  test("an ephemeral group commits its position while it lives and is deleted when its subscription ends", async () => {
    const b = await bus();
    const topic = topicName("ephemeral");
    const group = groupName("watch");
    const seen: string[] = [];
    const sub = await b.subscribe(topic, group, async (e) => void seen.push(nameOf(e)), {
      from: "latest",
      ephemeral: true,
    });
    for (let i = 0; seen.length === 0; i++) {
      if (i > 50) throw new Error("the ephemeral group never received an event");
      await b.publish(topic, "k", event(`e-${i}`));
      await Bun.sleep(100);
    }
    // Committed, so a consumer kafkajs restarts (a broker restart) resumes instead of skipping.
    let committed: string[] = [];
    for (let i = 0; i < 50 && !committed.some((o) => Number(o) > 0); i++) {
      if (i > 0) await Bun.sleep(100);
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      committed = offsets.flatMap((t) => t.partitions.map((p) => p.offset));
    }
    expect(committed.some((o) => Number(o) > 0)).toBe(true);
    await sub.unsubscribe();
    const listed = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(listed).not.toContain(group);
  });

  test("a consumer that dies mid-event commits nothing: the group's next consumer gets the event", async () => {
    const b = await bus();
    const topic = topicName("crash");
    const group = groupName("g");
    const first = event("work", "task-1");
    await b.publish(topic, "task-1", first);
    // A separate process takes the event and is killed (SIGKILL) while its handler still runs.
    const script = `
      import { createKafkaBus } from ${JSON.stringify(`${import.meta.dir}/bus-kafka.ts`)};
      const quiet = { debug() {}, info() {}, warn() {}, error() {} };
      const bus = await createKafkaBus({ brokers: ${JSON.stringify(brokers)}, clientId: "doomed",
        sessionTimeoutMs: 6000, logger: quiet });
      await bus.subscribe(${JSON.stringify(topic)}, ${JSON.stringify(group)}, async (e) => {
        process.stdout.write("got " + e.id + "\\n");
        await new Promise(() => {});
      });
    `;
    const child = Bun.spawn([process.execPath, "--eval", script], { stdout: "pipe", stderr: "inherit" });
    const reader = child.stdout.getReader();
    let out = "";
    const deadline = Date.now() + 20_000;
    while (!out.includes(`got ${first.id}`)) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
      if (!chunk || chunk.done) throw new Error(`the doomed consumer never got the event (output: ${out})`);
      out += new TextDecoder().decode(chunk.value);
    }
    child.kill("SIGKILL");
    await child.exited;
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(committed[0]?.partitions.every((p) => p.offset === "-1")).toBe(true);

    const got: string[] = [];
    await b.subscribe(topic, group, async (e) => void got.push(e.id));
    await until("the redelivery", () => got.length === 1, 25_000);
    expect(got).toEqual([first.id]);
    // Committed once handled: the next offset of that partition is 1.
    let committedNow: string[] = [];
    const end = Date.now() + 10_000;
    while (!committedNow.includes("1") && Date.now() < end) {
      const after = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      committedNow = after[0]?.partitions.map((p) => p.offset) ?? [];
      await Bun.sleep(50);
    }
    expect(committedNow).toContain("1");
  }, 45_000);
});
