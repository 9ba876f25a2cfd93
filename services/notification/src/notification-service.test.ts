import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { create, toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import { DeliveryState } from "@todo/gen/todo/notification/v1/channel_pb";
import type { Notification } from "@todo/gen/todo/notification/v1/notification_pb";
import { ListChannelsResponseSchema } from "@todo/gen/todo/notification/v1/notification_service_pb";
import type { CloudEvent, EventHandler } from "@todo/platform";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { ALICE, authFor, BOB, type CallAuth, rejection, reminderDue, serviceClient } from "../test/support";
import { createNotificationHub, type NotificationHub } from "./notification-hub";
import { createRemindersHandler } from "./reminders-consumer";
import { createNotificationStore, migrateNotifications } from "./store";

let db: TestDatabase;
let hub: NotificationHub;
let handle: EventHandler;
let client: ReturnType<typeof serviceClient>;
let alice: CallAuth;
let bob: CallAuth;
let worked = 0;

/** A public literal address: accepted without DNS, and no worker runs here, so nothing is sent. */
const PUBLIC_HOOK = "https://93.184.216.34/hooks/todo";

beforeAll(async () => {
  db = await createTestDatabase();
  expect(await migrateNotifications(db.sql)).toEqual([1, 2, 3]);
  expect(await migrateNotifications(db.sql)).toEqual([]); // a second start applies nothing
  hub = createNotificationHub({ sql: db.sql, mode: "listen" });
  handle = createRemindersHandler({ sql: db.sql, hub, afterCommit: () => worked++ });
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
  worked = 0;
});

function violations(err: ConnectError): string[] {
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

async function count(
  table: "notifications" | "deliveries" | "channels" | "processed_events",
): Promise<number> {
  const [row] = await db.sql<
    { n: number }[]
  >`select count(*)::int as n from ${db.sql(`notification.${table}`)}`;
  return row?.n ?? -1;
}

async function inbox(auth: CallAuth = alice): Promise<Notification[]> {
  return (await client.listNotifications({ pageSize: 1000 }, auth)).notifications;
}

/** Writes `n` notifications for `userId`, oldest first; returns their events. */
async function seed(n: number, userId = ALICE): Promise<CloudEvent[]> {
  const events: CloudEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = reminderDue({ userId, taskTitle: `T${i}` });
    await handle(e);
    events.push(e);
  }
  return events;
}

describe("the reminders consumer", () => {
  test("a ReminderDue becomes one inbox entry, written in the task's time zone", async () => {
    const fire = new Date("2031-03-10T19:00:00Z");
    const due = new Date("2031-03-11T08:00:00Z");
    const e = reminderDue({
      taskId: "0190c000-0000-7000-8000-0000000000aa",
      reminderId: "before-1h",
      fireTime: fire,
      dueTime: due,
      taskTitle: "Pay rent",
      timeZone: "Europe/Berlin",
    });
    await handle(e);
    const [n, ...rest] = await inbox();
    expect(rest).toEqual([]);
    expect(n?.title).toBe("Reminder: Pay rent");
    expect(n?.body).toBe("Due tomorrow 09:00 (Europe/Berlin)");
    expect(n?.taskId).toBe("0190c000-0000-7000-8000-0000000000aa");
    expect(n?.reminderId).toBe("before-1h");
    expect(n?.fireTime && timestampDate(n.fireTime)).toEqual(fire);
    expect(n?.readTime).toBeUndefined();
    expect(n?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await inbox(bob)).toEqual([]);
    expect(worked).toBe(1);
  });

  test("redelivering the same event creates nothing new", async () => {
    await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: PUBLIC_HOOK } } } },
      alice,
    );
    const [e] = await seed(1);
    for (let i = 0; i < 3; i++) await handle(e as CloudEvent);
    expect(await count("notifications")).toBe(1);
    expect(await count("deliveries")).toBe(1);
    expect(await count("processed_events")).toBe(1);
    expect(worked).toBe(1);
  });

  test("a duplicate with another event id for the same occurrence creates nothing new", async () => {
    await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: PUBLIC_HOOK } } } },
      alice,
    );
    const first = reminderDue({ occurrenceKey: "task-1/r1/2031-03-10T19:00:00.000Z" });
    const again = reminderDue({ occurrenceKey: "task-1/r1/2031-03-10T19:00:00.000Z" });
    expect(again.id).not.toBe(first.id);
    await handle(first);
    await handle(again);
    expect(await count("notifications")).toBe(1);
    expect(await count("deliveries")).toBe(1);
    expect(await count("processed_events")).toBe(2);
    // The same occurrence key of another user is that user's own entry.
    await handle(reminderDue({ userId: BOB, occurrenceKey: "task-1/r1/2031-03-10T19:00:00.000Z" }));
    expect((await inbox(alice)).length).toBe(1);
    expect((await inbox(bob)).length).toBe(1);
  });

  test("concurrent duplicates yield one entry and one delivery per enabled channel", async () => {
    const { channel: on } = await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: PUBLIC_HOOK } } } },
      alice,
    );
    const { channel: off } = await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: `${PUBLIC_HOOK}/2` } } } },
      alice,
    );
    await client.updateChannel({ channel: { id: off?.id as string, enabled: false } }, alice);
    const key = "task-2/r1/2031-03-10T19:00:00.000Z";
    const same = reminderDue({ occurrenceKey: key });
    const events = [
      ...Array.from({ length: 8 }, () => same),
      ...Array.from({ length: 8 }, () => reminderDue({ occurrenceKey: key })),
    ];
    await Promise.all(events.map((e) => handle(e)));
    expect(await count("notifications")).toBe(1);
    const deliveries = await db.sql<{ channel_id: string }[]>`select channel_id from notification.deliveries`;
    expect(deliveries.map((d) => d.channel_id)).toEqual([on?.id as string]);
    expect(await count("processed_events")).toBe(9);
    expect(worked).toBe(1);
  });

  test("a malformed ReminderDue is rejected and leaves no trace, so it can be retried or dead-lettered", async () => {
    await expect(handle(reminderDue({ userId: "not-a-user" }))).rejects.toThrow(/malformed: user_id/);
    await expect(handle(reminderDue({ occurrenceKey: "" }))).rejects.toThrow(/occurrence_key is empty/);
    expect(await count("notifications")).toBe(0);
    expect(await count("processed_events")).toBe(0);
  });
});

describe("ListNotifications", () => {
  test("pages newest first with an opaque token and counts unread entries across pages", async () => {
    await seed(7);
    await seed(2, BOB);
    const titles: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const res = await client.listNotifications({ pageSize: 3, pageToken: token }, alice);
      expect(res.unreadCount).toBe(7);
      expect(res.notifications.length).toBeLessThanOrEqual(3);
      titles.push(...res.notifications.map((n) => n.title));
      token = res.nextPageToken;
      pages++;
    } while (token !== "");
    expect(pages).toBe(3);
    expect(titles).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `Reminder: T${i}`));
    const all = await client.listNotifications({}, alice);
    expect(all.notifications.length).toBe(7);
    expect(all.nextPageToken).toBe("");
  });

  test("unread_only lists only unread entries; read ones carry their read time", async () => {
    await seed(5);
    const list = await inbox();
    await client.markRead({ id: list[0]?.id as string }, alice);
    await client.markRead({ id: list[3]?.id as string }, alice);
    const unread = await client.listNotifications({ unreadOnly: true }, alice);
    expect(unread.unreadCount).toBe(3);
    expect(unread.notifications.map((n) => n.id)).toEqual(
      [list[1], list[2], list[4]].map((n) => n?.id as string),
    );
    const page = await client.listNotifications({ unreadOnly: true, pageSize: 2 }, alice);
    const rest = await client.listNotifications(
      { unreadOnly: true, pageSize: 2, pageToken: page.nextPageToken },
      alice,
    );
    expect([...page.notifications, ...rest.notifications].map((n) => n.id)).toEqual(
      unread.notifications.map((n) => n.id),
    );
    const read = (await inbox()).filter((n) => n.readTime);
    expect(read.map((n) => n.id).sort()).toEqual([list[0]?.id, list[3]?.id].sort() as string[]);
  });

  test("refuses a foreign, garbled or mismatched page token and a negative page size", async () => {
    await seed(3);
    const { nextPageToken } = await client.listNotifications({ pageSize: 1 }, alice);
    expect(nextPageToken).not.toBe("");
    const mismatched = await rejection(
      client.listNotifications({ pageSize: 1, pageToken: nextPageToken, unreadOnly: true }, alice),
    );
    expect(mismatched.code).toBe(Code.InvalidArgument);
    expect(violations(mismatched)).toEqual(["page_token"]);
    const garbled = await rejection(client.listNotifications({ pageToken: "bm9wZQ" }, alice));
    expect(violations(garbled)).toEqual(["page_token"]);
    const negative = await rejection(client.listNotifications({ pageSize: -1 }, alice));
    expect(violations(negative)).toEqual(["page_size"]);
  });

  test("every call needs a valid access token", async () => {
    expect((await rejection(client.listNotifications({}))).code).toBe(Code.Unauthenticated);
  });
});

describe("MarkRead", () => {
  test("marks one entry read once; marking it again changes nothing", async () => {
    await seed(2);
    const [first] = await inbox();
    expect((await client.markRead({ id: first?.id as string }, alice)).markedCount).toBe(1);
    expect((await client.markRead({ id: first?.id as string }, alice)).markedCount).toBe(0);
    expect((await client.listNotifications({}, alice)).unreadCount).toBe(1);
  });

  test("another user's id is NOT_FOUND and stays unread", async () => {
    await seed(1);
    const [mine] = await inbox();
    const err = await rejection(client.markRead({ id: mine?.id as string }, bob));
    expect(err.code).toBe(Code.NotFound);
    expect((await rejection(client.markRead({ id: "nope" }, alice))).code).toBe(Code.NotFound);
    expect((await client.listNotifications({}, alice)).unreadCount).toBe(1);
  });

  test("`all` marks every unread entry of the caller only", async () => {
    await seed(3);
    await seed(2, BOB);
    const [one] = await inbox();
    await client.markRead({ id: one?.id as string }, alice);
    expect((await client.markRead({ all: true }, alice)).markedCount).toBe(2);
    expect((await client.listNotifications({}, alice)).unreadCount).toBe(0);
    expect((await client.listNotifications({}, bob)).unreadCount).toBe(2);
    expect((await client.markRead({ all: true }, alice)).markedCount).toBe(0);
  });

  test("exactly one of id and all, else INVALID_ARGUMENT", async () => {
    await seed(1);
    const [n] = await inbox();
    const neither = await rejection(client.markRead({}, alice));
    expect(neither.code).toBe(Code.InvalidArgument);
    expect(violations(neither)).toEqual(["id"]);
    const both = await rejection(client.markRead({ id: n?.id as string, all: true }, alice));
    expect(violations(both)).toEqual(["all"]);
    expect((await client.listNotifications({}, alice)).unreadCount).toBe(1);
  });
});

describe("channels", () => {
  test("CreateChannel adds an enabled webhook and returns its signing secret once", async () => {
    const res = await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: PUBLIC_HOOK } }, enabled: false } },
      alice,
    );
    expect(res.signingSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(res.channel?.enabled).toBe(true);
    expect(res.channel?.target).toEqual({
      case: "webhook",
      value: expect.objectContaining({ url: PUBLIC_HOOK }),
    });
    const [stored] = await db.sql<
      { signing_secret: string }[]
    >`select signing_secret from notification.channels`;
    expect(stored?.signing_secret).toBe(res.signingSecret); // kept as is: needed to sign
    const { channels } = await client.listChannels({}, alice);
    expect(channels.map((c) => c.id)).toEqual([res.channel?.id as string]);
    expect(
      JSON.stringify(toJson(ListChannelsResponseSchema, create(ListChannelsResponseSchema, { channels }))),
    ).not.toContain(res.signingSecret);
    expect((await client.listChannels({}, bob)).channels).toEqual([]);
  });

  test("refuses webhooks to loopback, private, link-local and metadata targets, and plain http", async () => {
    for (const url of [
      "https://127.0.0.1/hook",
      "https://10.1.2.3/hook",
      "http://169.254.169.254/latest/meta-data/",
      "https://[::1]:8443/hook",
      "https://[::ffff:192.168.0.1]/hook",
      "https://localhost:8443/hook",
      "http://93.184.216.34/hook",
    ]) {
      const err = await rejection(
        client.createChannel({ channel: { target: { case: "webhook", value: { url } } } }, alice),
      );
      expect({ url, code: err.code, fields: violations(err) }).toEqual({
        url,
        code: Code.InvalidArgument,
        fields: ["channel.webhook.url"],
      });
    }
    expect(await count("channels")).toBe(0);
  });

  test("with private targets allowed, a loopback http webhook is accepted", async () => {
    const open = serviceClient({ store: createNotificationStore(db.sql), hub, allowPrivateTargets: true });
    const { channel } = await open.createChannel(
      { channel: { target: { case: "webhook", value: { url: "http://127.0.0.1:9/hook" } } } },
      alice,
    );
    expect(channel?.target.case).toBe("webhook");
  });

  test("bad input: no target, a malformed URL or address", async () => {
    const none = await rejection(client.createChannel({ channel: {} }, alice));
    expect(violations(none)).toEqual(["channel.target"]);
    const missing = await rejection(client.createChannel({}, alice));
    expect(violations(missing)).toEqual(["channel"]);
    const url = await rejection(
      client.createChannel({ channel: { target: { case: "webhook", value: { url: "not a url" } } } }, alice),
    );
    expect(violations(url)).toEqual(["channel.webhook.url"]);
    const address = await rejection(
      client.createChannel({ channel: { target: { case: "email", value: { address: "nope" } } } }, alice),
    );
    expect(violations(address)).toEqual(["channel.email.address"]);
  });

  test("e-mail channels need an SMTP server: FAILED_PRECONDITION without one", async () => {
    const err = await rejection(
      client.createChannel(
        { channel: { target: { case: "email", value: { address: "alice@example.com" } } } },
        alice,
      ),
    );
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toContain("SMTP");
    const withSmtp = serviceClient({ store: createNotificationStore(db.sql), hub, emailEnabled: true });
    const { channel, signingSecret } = await withSmtp.createChannel(
      { channel: { target: { case: "email", value: { address: " alice@example.com " } } } },
      alice,
    );
    expect(channel?.target).toEqual({
      case: "email",
      value: expect.objectContaining({ address: "alice@example.com" }),
    });
    expect(signingSecret).toBe("");
  });

  test("a user has at most maxChannelsPerUser channels", async () => {
    const small = serviceClient({ store: createNotificationStore(db.sql), hub, maxChannelsPerUser: 2 });
    const create = () =>
      small.createChannel({ channel: { target: { case: "webhook", value: { url: PUBLIC_HOOK } } } }, alice);
    await Promise.all([create(), create()]);
    expect((await rejection(create())).code).toBe(Code.ResourceExhausted);
    expect(await count("channels")).toBe(2);
  });

  test("UpdateChannel and DeleteChannel of another user's channel are NOT_FOUND and change nothing", async () => {
    const { channel } = await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: PUBLIC_HOOK } } } },
      alice,
    );
    const id = channel?.id as string;
    expect((await rejection(client.updateChannel({ channel: { id, enabled: false } }, bob))).code).toBe(
      Code.NotFound,
    );
    expect((await rejection(client.deleteChannel({ id }, bob))).code).toBe(Code.NotFound);
    expect((await rejection(client.listDeliveries({ channelId: id }, bob))).code).toBe(Code.NotFound);
    expect((await rejection(client.deleteChannel({ id: "zzz" }, alice))).code).toBe(Code.NotFound);
    const { channels } = await client.listChannels({}, alice);
    expect(channels.map((c) => [c.id, c.enabled])).toEqual([[id, true]]);
  });

  test("disabling a channel stops new deliveries and fails its pending ones; deleting drops them", async () => {
    const { channel } = await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: PUBLIC_HOOK } } } },
      alice,
    );
    const id = channel?.id as string;
    await seed(2);
    const bad = await rejection(
      client.updateChannel({ channel: { id, enabled: false }, updateMask: { paths: ["url"] } }, alice),
    );
    expect(violations(bad)).toEqual(["update_mask"]);
    const off = await client.updateChannel(
      { channel: { id, enabled: false }, updateMask: { paths: ["enabled"] } },
      alice,
    );
    expect(off.channel?.enabled).toBe(false);
    const { deliveries } = await client.listDeliveries({ channelId: id }, alice);
    expect(deliveries.map((d) => [d.state, d.lastError])).toEqual([
      [DeliveryState.FAILED, "channel disabled before delivery"],
      [DeliveryState.FAILED, "channel disabled before delivery"],
    ]);
    await seed(1);
    expect(await count("deliveries")).toBe(2);
    const on = await client.updateChannel({ channel: { id, enabled: true } }, alice);
    expect(on.channel?.enabled).toBe(true);
    await seed(1);
    expect(await count("deliveries")).toBe(3);
    await client.deleteChannel({ id }, alice);
    expect(await count("deliveries")).toBe(0);
    expect((await client.listChannels({}, alice)).channels).toEqual([]);
    expect(await count("notifications")).toBe(4);
  });

  test("ListDeliveries pages a channel's delivery log newest first", async () => {
    const { channel } = await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: PUBLIC_HOOK } } } },
      alice,
    );
    const { channel: other } = await client.createChannel(
      { channel: { target: { case: "webhook", value: { url: `${PUBLIC_HOOK}/other` } } } },
      alice,
    );
    const id = channel?.id as string;
    await seed(5);
    const list = await inbox();
    const seen: string[] = [];
    let token = "";
    do {
      const res = await client.listDeliveries({ channelId: id, pageSize: 2, pageToken: token }, alice);
      for (const d of res.deliveries) {
        expect(d.channelId).toBe(id);
        expect(d.state).toBe(DeliveryState.PENDING);
        expect(d.attempts).toBe(0);
        expect(d.nextAttemptTime).toBeDefined();
        seen.push(d.notificationId);
      }
      token = res.nextPageToken;
    } while (token !== "");
    expect(seen).toEqual(list.map((n) => n.id));
    const first = await client.listDeliveries({ channelId: id, pageSize: 1 }, alice);
    const foreign = await rejection(
      client.listDeliveries({ channelId: other?.id as string, pageToken: first.nextPageToken }, alice),
    );
    expect(violations(foreign)).toEqual(["page_token"]);
  });
});
