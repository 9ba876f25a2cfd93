/**
 * DigestDue on `reminders` (the task service's daily digest, docs/digest.md): one inbox entry per
 * user and local date, with a delivery per enabled channel, however often it is delivered. A real
 * PostgreSQL database; the API read back through the service's client.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type DigestDue, DigestDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { type CloudEvent, type EventHandler, EventTypes, toCloudEvent } from "@todo/platform";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { ALICE, authFor, BOB, type CallAuth, reminderDue, serviceClient } from "../test/support";
import { digestBody, digestTitle } from "./digest-text";
import { createNotificationHub, type NotificationHub } from "./notification-hub";
import { createRemindersHandler, digestOccurrenceKey } from "./reminders-consumer";
import { createNotificationStore, migrateNotifications } from "./store";

let db: TestDatabase;
let hub: NotificationHub;
let handle: EventHandler;
let client: ReturnType<typeof serviceClient>;
let alice: CallAuth;
let bob: CallAuth;
let committed = 0;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateNotifications(db.sql);
  hub = createNotificationHub({ sql: db.sql, mode: "listen" });
  handle = createRemindersHandler({ sql: db.sql, hub, afterCommit: () => committed++ });
  client = serviceClient({ store: createNotificationStore(db.sql), hub });
  alice = await authFor(ALICE, "alice");
  bob = await authFor(BOB, "bob");
});

afterAll(async () => {
  await hub?.close();
  await db?.drop();
});

beforeEach(async () => {
  await db.sql`truncate notification.deliveries, notification.channels, notification.notifications,
    notification.processed_events`;
  committed = 0;
});

/** 08:00 in Berlin (CET) on Monday 2031-03-10. */
const DIGEST_TIME = new Date("2031-03-10T07:00:00Z");

/** What a test overrides in a DigestDue. */
type DigestInit = Partial<Pick<DigestDue, "userId" | "localDate" | "timeZone" | "overdueCount">> & {
  tasks?: { id: string; title: string; dueTime: Timestamp }[];
  digestTime?: Timestamp | undefined;
};

/** A DigestDue as the task service publishes it. */
function digestDue(init: DigestInit = {}, eventId?: string): CloudEvent {
  const userId = init.userId ?? ALICE;
  return toCloudEvent(
    DigestDueSchema,
    {
      userId,
      localDate: "2031-03-10",
      timeZone: "Europe/Berlin",
      overdueCount: 3,
      tasks: [
        { id: "t1", title: "File taxes", dueTime: timestampFromDate(new Date("2031-03-03T08:00:00Z")) },
        { id: "t2", title: "Pay rent", dueTime: timestampFromDate(new Date("2031-03-09T16:00:00Z")) },
        { id: "t3", title: "Call mum", dueTime: timestampFromDate(new Date("2031-03-10T06:30:00Z")) },
      ],
      digestTime: timestampFromDate(DIGEST_TIME),
      ...init,
    },
    { source: "todo/task", type: EventTypes.digestDue, subject: userId, ...(eventId ? { id: eventId } : {}) },
  );
}

async function count(table: "notifications" | "deliveries" | "processed_events"): Promise<number> {
  const [row] = await db.sql<
    { n: number }[]
  >`select count(*)::int as n from ${db.sql(`notification.${table}`)}`;
  return row?.n ?? -1;
}

describe("the digest text", () => {
  test("title counts the tasks; body lists them in the user's zone and says how many more", () => {
    expect(digestTitle(1)).toBe("1 overdue task");
    expect(digestTitle(3)).toBe("3 overdue tasks");
    const body = digestBody({
      overdueCount: 14,
      tasks: [
        { title: "File taxes", dueTime: new Date("2031-03-03T08:00:00Z") },
        { title: "  Pay\n rent ", dueTime: new Date("2031-03-09T16:00:00Z") },
        { title: "", dueTime: new Date("2031-03-10T06:30:00Z") },
      ],
      digestTime: DIGEST_TIME,
      timeZone: "Europe/Berlin",
    });
    expect(body).toBe(
      [
        "File taxes — due Mon 3 Mar 09:00",
        "Pay rent — due yesterday 17:00",
        "(untitled task) — due today 07:30",
        "…and 11 more",
        "Times in Europe/Berlin.",
      ].join("\n"),
    );
  });

  test("an unknown zone is written as UTC", () => {
    const body = digestBody({
      overdueCount: 1,
      tasks: [{ title: "x", dueTime: new Date("2031-03-09T16:00:00Z") }],
      digestTime: DIGEST_TIME,
      timeZone: "Nowhere/Special",
    });
    expect(body).toBe("x — due yesterday 16:00\nTimes in UTC.");
  });
});

describe("DigestDue in the reminders consumer", () => {
  test("becomes one inbox entry for its user, with a delivery per enabled channel", async () => {
    const channel = crypto.randomUUID();
    await db.sql`
      insert into notification.channels (id, user_id, kind, target, signing_secret, enabled, create_time, update_time)
      values (${channel}, ${ALICE}, 'email', 'alice@example.com', null, true, now(), now())`;

    await handle(digestDue());

    const { notifications } = await client.listNotifications({ pageSize: 10 }, alice);
    expect(notifications.length).toBe(1);
    const [n] = notifications;
    expect(n?.title).toBe("3 overdue tasks");
    expect(n?.body).toBe(
      [
        "File taxes — due Mon 3 Mar 09:00",
        "Pay rent — due yesterday 17:00",
        "Call mum — due today 07:30",
        "Times in Europe/Berlin.",
      ].join("\n"),
    );
    expect(n?.taskId).toBe("");
    expect(n?.reminderId).toBe("");
    expect(n?.fireTime && timestampDate(n.fireTime)).toEqual(DIGEST_TIME);
    expect((await client.listNotifications({ pageSize: 10 }, bob)).notifications).toEqual([]);

    const deliveries = await db.sql<{ channel_id: string; state: string; notification_id: string }[]>`
      select channel_id, state, notification_id from notification.deliveries`;
    expect([...deliveries]).toEqual([
      { channel_id: channel, state: "pending", notification_id: n?.id ?? "" },
    ]);
    expect(committed).toBe(1);
  });

  test("redelivery, or a duplicate with another event id, writes nothing more", async () => {
    const event = digestDue();
    await handle(event);
    await handle(event);
    await handle(digestDue({}, Bun.randomUUIDv7()));
    expect(await count("notifications")).toBe(1);
    expect(await count("processed_events")).toBe(2);
    expect(committed).toBe(1);
    const [row] = await db.sql<{ occurrence_key: string }[]>`
      select occurrence_key from notification.notifications`;
    expect(row?.occurrence_key).toBe(digestOccurrenceKey("2031-03-10"));
  });

  test("another day, or another user, is another entry; reminders stay as they were", async () => {
    await handle(digestDue());
    await handle(
      digestDue({
        localDate: "2031-03-11",
        overdueCount: 1,
        tasks: [
          { id: "t9", title: "Only one", dueTime: timestampFromDate(new Date("2031-03-10T12:00:00Z")) },
        ],
        digestTime: timestampFromDate(new Date("2031-03-11T07:00:00Z")),
      }),
    );
    await handle(digestDue({ userId: BOB }));
    await handle(reminderDue({ userId: ALICE, taskTitle: "Pay rent" }));

    const titles = (await client.listNotifications({ pageSize: 10 }, alice)).notifications.map(
      (n) => n.title,
    );
    expect(titles.sort()).toEqual(["1 overdue task", "3 overdue tasks", "Reminder: Pay rent"]);
    expect((await client.listNotifications({ pageSize: 10 }, bob)).notifications.length).toBe(1);
  });

  test("a malformed DigestDue is refused (so the bus retries, then dead-letters it) and writes nothing", async () => {
    for (const bad of [
      digestDue({ localDate: "10/03/2031" }),
      digestDue({ tasks: [] }),
      digestDue({ overdueCount: 0 }),
      digestDue({ userId: "not-a-user" }),
      digestDue({ digestTime: undefined }),
    ]) {
      await expect(handle(bad)).rejects.toThrow(/DigestDue .* is malformed/);
    }
    expect(await count("notifications")).toBe(0);
    expect(await count("processed_events")).toBe(0);
  });
});
