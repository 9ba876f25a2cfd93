/**
 * The daily digest run (digest.ts) on a real PostgreSQL database, with the in-memory state port and
 * a fixed clock. 2026-03-10T12:00Z is 21:00 in Tokyo, 08:00 in New York (EDT), 05:00 in Los Angeles
 * (PDT) and 01:00 the next day in Auckland (NZDT).
 */

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type DigestDue, DigestDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { EventTypes, silentLogger as quiet, Topics } from "@todo/platform";
import { createMemoryState, type KeyValueState } from "@todo/platform/data";
import { createTestDatabase, sumOf, type TestDatabase, useTestMetrics } from "@todo/platform/testing";
import { createDigestTrigger, type DigestDeps, digestDayAt, digestStateKey, runDigest } from "./digest";
import { createTaskStore, migrateTasks, type TaskStore } from "./store";

const NOON = new Date("2026-03-10T12:00:00Z");

let db: TestDatabase;
let store: TaskStore;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateTasks(db.sql);
  store = createTaskStore(db.sql);
});

afterAll(async () => {
  await db?.drop();
});

beforeEach(async () => {
  await db.sql`truncate task.tasks, task.user_zones, task.outbox, task.history`;
});

/** A user who created their tasks signed in with `zone` (undefined: never recorded). */
async function userWithTasks(
  zone: string | undefined,
  tasks: { title: string; due: string | null }[],
): Promise<{ userId: string; ids: string[] }> {
  const userId = crypto.randomUUID();
  const ids: string[] = [];
  for (const t of tasks) {
    const row = await store.create(
      userId,
      {
        title: t.title,
        description: "",
        priority: 0,
        tags: [],
        due_time: t.due ? new Date(t.due) : null,
        time_zone: zone ?? "UTC",
        rrule: null,
        recurrence_anchor: 0,
        reminders: [],
      },
      "",
      new Date("2026-03-01T00:00:00Z"),
      undefined,
      zone,
    );
    if ("spent" in row) throw new Error("unexpected spent request");
    ids.push(row.row.id);
  }
  return { userId, ids };
}

/** The DigestDue events in the task outbox, with their envelope. */
async function digests(): Promise<{ topic: string; key: string; subject: string; digest: DigestDue }[]> {
  const rows = await db.sql<{ topic: string; key: string; subject: string; data: Uint8Array }[]>`
    select topic, key, subject, data from task.outbox where type = ${EventTypes.digestDue} order by seq`;
  return rows.map((r) => ({
    topic: r.topic,
    key: r.key,
    subject: r.subject,
    digest: fromBinary(DigestDueSchema, new Uint8Array(r.data)),
  }));
}

function deps(state: KeyValueState, now: Date, extra: Partial<DigestDeps> = {}): DigestDeps {
  return { sql: db.sql, state, clock: () => now, digestHour: 8, ...extra };
}

describe("digestDayAt", () => {
  test("is the local date once the local hour is reached, on either side of UTC", () => {
    expect(digestDayAt(NOON, "Asia/Tokyo", 8)).toBe("2026-03-10");
    expect(digestDayAt(NOON, "America/New_York", 8)).toBe("2026-03-10");
    expect(digestDayAt(NOON, "America/Los_Angeles", 8)).toBeUndefined();
    expect(digestDayAt(NOON, "Pacific/Auckland", 8)).toBeUndefined();
    expect(digestDayAt(new Date("2026-03-10T20:00:00Z"), "Pacific/Auckland", 8)).toBe("2026-03-11");
    expect(digestDayAt(NOON, "UTC", 13)).toBeUndefined();
  });
});

describe("runDigest", () => {
  test("only users past their local digest hour get one, with their zone's date and overdue tasks", async () => {
    const tokyo = await userWithTasks("Asia/Tokyo", [
      { title: "Pay rent", due: "2026-03-09T08:00:00Z" },
      { title: "File taxes", due: "2026-03-05T00:00:00Z" },
    ]);
    const newYork = await userWithTasks("America/New_York", [
      { title: "Call mum", due: "2026-03-10T11:59:00Z" },
    ]);
    const losAngeles = await userWithTasks("America/Los_Angeles", [
      { title: "Water plants", due: "2026-03-08T00:00:00Z" },
    ]);
    const auckland = await userWithTasks("Pacific/Auckland", [{ title: "Gym", due: "2026-03-08T00:00:00Z" }]);
    // No zone recorded (for example a user whose tasks only a service created): UTC, 12:00.
    const unknown = await userWithTasks(undefined, [
      { title: "Renew passport", due: "2026-02-01T00:00:00Z" },
    ]);

    const state = createMemoryState();
    const outcome = await runDigest(deps(state, NOON));

    expect(outcome.candidates).toBe(5);
    expect([...outcome.sent].sort()).toEqual([tokyo.userId, newYork.userId, unknown.userId].sort());
    expect(outcome.notYet).toBe(2);
    expect(outcome.failed).toBe(0);

    const events = await digests();
    expect(events.map((e) => e.digest.userId).sort()).toEqual(
      [tokyo.userId, newYork.userId, unknown.userId].sort(),
    );
    for (const e of events) {
      expect(e.topic).toBe(Topics.reminders);
      expect(e.key).toBe(e.digest.userId);
      expect(e.subject).toBe(e.digest.userId);
      expect(e.digest.localDate).toBe("2026-03-10");
      expect(e.digest.digestTime && timestampDate(e.digest.digestTime)).toEqual(NOON);
    }
    const byUser = new Map(events.map((e) => [e.digest.userId, e.digest]));
    const t = byUser.get(tokyo.userId);
    expect(t?.timeZone).toBe("Asia/Tokyo");
    expect(t?.overdueCount).toBe(2);
    // Earliest due first.
    expect(t?.tasks.map((x) => x.title)).toEqual(["File taxes", "Pay rent"]);
    expect(t?.tasks.map((x) => x.id)).toEqual([tokyo.ids[1] ?? "", tokyo.ids[0] ?? ""]);
    expect(t?.tasks[0]?.dueTime && timestampDate(t.tasks[0].dueTime)).toEqual(
      new Date("2026-03-05T00:00:00Z"),
    );
    expect(byUser.get(newYork.userId)?.timeZone).toBe("America/New_York");
    expect(byUser.get(unknown.userId)?.timeZone).toBe("UTC");

    // The claims: one per user who got a digest, nothing for the others.
    const claims = state.snapshot();
    expect(claims.get(digestStateKey(tokyo.userId))).toBe("2026-03-10");
    expect(claims.get(digestStateKey(losAngeles.userId))).toBeUndefined();
    expect(claims.get(digestStateKey(auckland.userId))).toBeUndefined();
  });

  test("counts every overdue task but lists the first ten", async () => {
    const tasks = Array.from({ length: 12 }, (_, i) => ({
      title: `Task ${String(i).padStart(2, "0")}`,
      due: new Date(Date.UTC(2026, 2, 1, i)).toISOString(),
    }));
    const user = await userWithTasks("UTC", tasks);
    await runDigest(deps(createMemoryState(), NOON));
    const [event] = await digests();
    expect(event?.digest.userId).toBe(user.userId);
    expect(event?.digest.overdueCount).toBe(12);
    expect(event?.digest.tasks.map((t) => t.title)).toEqual(tasks.slice(0, 10).map((t) => t.title));
  });

  test("completed, deleted, future and undated tasks are not overdue; no overdue task, no digest", async () => {
    const user = await userWithTasks("UTC", [
      { title: "done", due: "2026-03-01T00:00:00Z" },
      { title: "deleted", due: "2026-03-01T00:00:00Z" },
      { title: "tomorrow", due: "2026-03-11T00:00:00Z" },
      { title: "someday", due: null },
      { title: "the overdue one", due: "2026-03-02T00:00:00Z" },
    ]);
    const [done, deleted, , , overdue] = user.ids as [string, string, string, string, string];
    await store.setStatus(user.userId, done, 2, NOON);
    await store.delete(user.userId, deleted, "");
    await runDigest(deps(createMemoryState(), NOON));
    const [event] = await digests();
    expect(event?.digest.overdueCount).toBe(1);
    expect(event?.digest.tasks.map((t) => t.id)).toEqual([overdue]);

    await db.sql`truncate task.outbox`;
    await store.setStatus(user.userId, overdue, 2, NOON);
    const state = createMemoryState();
    const outcome = await runDigest(deps(state, NOON));
    expect(outcome).toMatchObject({ candidates: 0, sent: [] });
    expect(await digests()).toEqual([]);
    expect(state.snapshot().size).toBe(0);
  });

  test("once per local day: a second run, a later run the same day, then the next day", async () => {
    const tokyo = await userWithTasks("Asia/Tokyo", [{ title: "a", due: "2026-03-01T00:00:00Z" }]);
    const la = await userWithTasks("America/Los_Angeles", [{ title: "b", due: "2026-03-01T00:00:00Z" }]);
    const state = createMemoryState();

    expect((await runDigest(deps(state, NOON))).sent).toEqual([tokyo.userId]);
    const again = await runDigest(deps(state, NOON));
    expect(again.sent).toEqual([]);
    expect(again.alreadyDone).toBe(1);

    // 08:00 in Los Angeles; 00:00 of 03-11 in Tokyo (before its digest hour).
    const laMorning = new Date("2026-03-10T15:00:00Z");
    const later = await runDigest(deps(state, laMorning));
    expect(later.sent).toEqual([la.userId]);
    expect(later.notYet).toBe(1);

    // 08:00 on 03-11 in Tokyo: a new local day.
    const nextDay = await runDigest(deps(state, new Date("2026-03-10T23:00:00Z")));
    expect(nextDay.sent).toEqual([tokyo.userId]);

    const events = await digests();
    expect(events.map((e) => [e.digest.userId, e.digest.localDate])).toEqual([
      [tokyo.userId, "2026-03-10"],
      [la.userId, "2026-03-10"],
      [tokyo.userId, "2026-03-11"],
    ]);
  });

  test("a user ahead of UTC gets the next calendar day's digest while a UTC user gets today's", async () => {
    const auckland = await userWithTasks("Pacific/Auckland", [{ title: "a", due: "2026-03-01T00:00:00Z" }]);
    const utc = await userWithTasks("UTC", [{ title: "b", due: "2026-03-01T00:00:00Z" }]);
    await runDigest(deps(createMemoryState(), new Date("2026-03-10T20:00:00Z")));
    const dates = new Map((await digests()).map((e) => [e.digest.userId, e.digest.localDate]));
    expect(dates.get(auckland.userId)).toBe("2026-03-11");
    expect(dates.get(utc.userId)).toBe("2026-03-10");
  });

  test("a day already claimed (or a later one, after moving west) is not sent again", async () => {
    const user = await userWithTasks("America/New_York", [{ title: "a", due: "2026-03-01T00:00:00Z" }]);
    const state = createMemoryState();
    // Had 2026-03-11 in Tokyo before moving to New York, where it is still 2026-03-10.
    expect(await state.setIf(digestStateKey(user.userId), "2026-03-11", undefined)).toBe(true);
    const outcome = await runDigest(deps(state, NOON));
    expect(outcome.alreadyDone).toBe(1);
    expect(await digests()).toEqual([]);
  });

  test("two concurrent runs send each user exactly one digest", async () => {
    const users = await Promise.all(
      ["Asia/Tokyo", "UTC", "America/New_York", "Europe/Berlin"].map((zone) =>
        userWithTasks(zone, [{ title: "x", due: "2026-03-01T00:00:00Z" }]),
      ),
    );
    // Both runs read every key before either writes: the race the claim must settle.
    const state = readBarrier(createMemoryState(), 2);
    const [a, b] = await Promise.all([runDigest(deps(state, NOON)), runDigest(deps(state, NOON))]);
    expect(a.sent.length + b.sent.length).toBe(users.length);
    expect(a.alreadyDone + b.alreadyDone).toBe(users.length);
    const sentTo = (await digests()).map((e) => e.digest.userId).sort();
    expect(sentTo).toEqual(users.map((u) => u.userId).sort());
  });

  test("when writing the outbox fails the claim is undone, and a later run sends the digest", async () => {
    const fresh = await userWithTasks("UTC", [{ title: "a", due: "2026-03-01T00:00:00Z" }]);
    const returning = await userWithTasks("Asia/Tokyo", [{ title: "b", due: "2026-03-01T00:00:00Z" }]);
    const state = createMemoryState();
    await state.setIf(digestStateKey(returning.userId), "2026-03-09", undefined);

    const errors: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (msg: string) => errors.push(msg) };
    const failing = await runDigest(
      deps(state, NOON, {
        emit: async () => {
          throw new Error("outbox unavailable");
        },
        logger,
      }),
    );
    expect(failing.failed).toBe(2);
    expect(errors).toEqual([
      "a user's daily digest failed; a later run retries",
      "a user's daily digest failed; a later run retries",
    ]);
    expect(failing.sent).toEqual([]);
    expect(await digests()).toEqual([]);
    // Put back as it was: absent for one, yesterday for the other.
    expect(state.snapshot()).toEqual(new Map([[digestStateKey(returning.userId), "2026-03-09"]]));

    const retry = await runDigest(deps(state, NOON));
    expect([...retry.sent].sort()).toEqual([fresh.userId, returning.userId].sort());
    expect((await digests()).length).toBe(2);
  });

  test("a user's zone that is not a valid IANA name counts as UTC", async () => {
    const user = await userWithTasks("UTC", [{ title: "a", due: "2026-03-01T00:00:00Z" }]);
    await db.sql`update task.user_zones set time_zone = 'Mars/Olympus_Mons' where user_id = ${user.userId}`;
    const outcome = await runDigest(deps(createMemoryState(), NOON));
    expect(outcome.sent).toEqual([user.userId]);
    expect((await digests())[0]?.digest.timeZone).toBe("UTC");
  });
});

describe("createDigestTrigger", () => {
  test("a trigger that arrives while a run is going returns at once; the run finishes", async () => {
    const user = await userWithTasks("UTC", [{ title: "a", due: "2026-03-01T00:00:00Z" }]);
    const inner = createMemoryState();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    const state: KeyValueState = {
      async get(key) {
        reads++;
        await held;
        return inner.get(key);
      },
      setIf: (key, value, etag) => inner.setIf(key, value, etag),
      deleteIf: (key, etag) => inner.deleteIf(key, etag),
    };
    const trigger = createDigestTrigger(deps(state, NOON, { logger: quiet }));
    const first = trigger();
    while (reads === 0) await Bun.sleep(5);
    await trigger(); // resolves although the first run is held
    expect(reads).toBe(1);
    release();
    await first;
    expect((await digests()).map((e) => e.digest.userId)).toEqual([user.userId]);
    // Not running any more: the next trigger runs (and finds the day done).
    await trigger();
    expect(reads).toBe(2);
  });

  test("runs are counted by outcome and their candidates by result (docs/metrics.md)", async () => {
    const metrics = useTestMetrics();
    await userWithTasks("UTC", [{ title: "a", due: "2026-03-01T00:00:00Z" }]);
    await userWithTasks("America/Los_Angeles", [{ title: "b", due: "2026-03-01T00:00:00Z" }]);
    const before = await metrics.scrape();
    const trigger = createDigestTrigger(deps(createMemoryState(), NOON, { logger: quiet }));
    await trigger();
    await trigger(); // the UTC user's day is done now
    const failing = createDigestTrigger({
      ...deps(createMemoryState(), NOON),
      digestHour: 24,
      logger: quiet,
    });
    await expect(failing()).rejects.toThrow(/digestHour/);
    const after = await metrics.scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      sumOf(after, name, labels) - sumOf(before, name, labels);
    expect(delta("todo_digest_runs_total", { todo_digest_outcome: "completed" })).toBe(2);
    expect(delta("todo_digest_runs_total", { todo_digest_outcome: "failed" })).toBe(1);
    expect(delta("todo_digest_run_duration_seconds_count", {})).toBe(3);
    expect(delta("todo_digest_users_total", { todo_digest_result: "sent" })).toBe(1);
    expect(delta("todo_digest_users_total", { todo_digest_result: "not_yet" })).toBe(2);
    expect(delta("todo_digest_users_total", { todo_digest_result: "already_done" })).toBe(1);
  });
});

/**
 * Wraps `inner` so that the first `parties` reads of each key wait for one another: every racer has
 * read the key (and seen it unclaimed) before any of them writes.
 */
function readBarrier(inner: KeyValueState, parties: number): KeyValueState {
  const waiting = new Map<string, { count: number; release: () => void; done: Promise<void> }>();
  return {
    async get(key) {
      let gate = waiting.get(key);
      if (!gate) {
        let release = () => {};
        const done = new Promise<void>((resolve) => {
          release = resolve;
        });
        gate = { count: 0, release, done };
        waiting.set(key, gate);
      }
      const value = await inner.get(key);
      gate.count += 1;
      if (gate.count === parties) gate.release();
      if (gate.count <= parties) {
        await Promise.race([gate.done, Bun.sleep(5_000)]);
      }
      return value;
    },
    setIf: (key, value, etag) => inner.setIf(key, value, etag),
    deleteIf: (key, etag) => inner.deleteIf(key, etag),
  };
}
