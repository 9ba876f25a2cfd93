import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { cleanup, fireEvent, screen, waitFor, within } from "@solidjs/testing-library";
import { type Notification, NotificationSchema } from "@todo/gen/todo/notification/v1/notification_pb";
import {
  type MarkReadRequest,
  NotificationService,
  type WatchNotificationsResponse,
} from "@todo/gen/todo/notification/v1/notification_service_pb";
import { afterEach, describe, expect, it } from "vitest";
import { pushStream, renderWithServices } from "../components/editor/test-support";
import { NotificationsPage } from "./Notifications";

afterEach(cleanup);

const T0 = Date.parse("2027-01-05T09:00:00Z");

function note(id: string, minutesAgo: number, read: boolean): Notification {
  return create(NotificationSchema, {
    id,
    title: `Reminder: task ${id}`,
    body: `Due soon (${id})`,
    taskId: `task-${id}`,
    createTime: timestampFromMs(T0 - minutesAgo * 60_000),
    ...(read ? { readTime: timestampFromMs(T0) } : {}),
  });
}

function setup(inbox: Notification[]) {
  const store = [...inbox];
  const marks: MarkReadRequest[] = [];
  const stream = pushStream<WatchNotificationsResponse>();
  renderWithServices(
    () => <NotificationsPage reconnectDelayMs={5} />,
    (router) =>
      router.service(NotificationService, {
        listNotifications(req) {
          const all = req.unreadOnly ? store.filter((n) => !n.readTime) : store;
          const start = req.pageToken ? Number(req.pageToken) : 0;
          const page = all.slice(start, start + req.pageSize);
          const next = start + req.pageSize < all.length ? String(start + req.pageSize) : "";
          return {
            notifications: page,
            nextPageToken: next,
            unreadCount: store.filter((n) => !n.readTime).length,
          };
        },
        markRead(req) {
          marks.push(req);
          let n = 0;
          store.forEach((x, i) => {
            if (!x.readTime && (req.all || x.id === req.id)) {
              store[i] = create(NotificationSchema, { ...x, readTime: timestampFromMs(T0) });
              n += 1;
            }
          });
          return { markedCount: n };
        },
        async *watchNotifications(_req, ctx) {
          yield* stream.serve(ctx.signal);
        },
      }),
  );
  return { store, marks, stream };
}

const section = (name: string) => screen.getByRole("list", { name });
const titles = (name: string) =>
  within(section(name))
    .getAllByRole("listitem")
    .map((li) => li.querySelector(".np-title")?.textContent);

describe("NotificationsPage", () => {
  it("shows unread entries first, then earlier ones, with links to their tasks", async () => {
    setup([note("1", 1, true), note("2", 2, false), note("3", 3, true), note("4", 4, false)]);
    await screen.findByRole("list", { name: "Unread" });
    expect(titles("Unread")).toEqual(["Reminder: task 2", "Reminder: task 4"]);
    expect(titles("Earlier")).toEqual(["Reminder: task 1", "Reminder: task 3"]);
    expect(screen.getByText(/2 unread/)).toBeTruthy();
    const link = within(section("Unread")).getAllByRole("link")[0];
    expect(link?.getAttribute("href")).toBe("/?task=task-2");
    expect(link?.textContent).toContain("Unread: Reminder: task 2. Due soon (2)");
  });

  it("marks one read (button or opening it) and all read", async () => {
    const { marks } = setup([note("1", 1, false), note("2", 2, false), note("3", 3, false)]);
    fireEvent.click(await screen.findByRole("button", { name: "Mark read: Reminder: task 1" }));
    await waitFor(() => expect(marks).toEqual([expect.objectContaining({ id: "1" })]));
    expect(screen.queryByRole("button", { name: "Mark read: Reminder: task 1" })).toBeNull();
    expect(screen.getByText(/2 unread/)).toBeTruthy();

    const link = within(section("Unread")).getAllByRole("link")[1] as HTMLAnchorElement;
    link.addEventListener("click", (e) => e.preventDefault()); // no navigation in the test
    fireEvent.click(link);
    await waitFor(() => expect(marks.map((m) => m.id)).toEqual(["1", "2"]));

    fireEvent.click(screen.getByRole("button", { name: "Mark all read" }));
    await waitFor(() => expect(marks.at(-1)?.all).toBe(true));
    expect(screen.getByText(/All caught up/)).toBeTruthy();
    expect(document.querySelectorAll(".np-unread")).toHaveLength(0);
    expect((screen.getByRole("button", { name: "Mark all read" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("adds live notifications from WatchNotifications, and reconnects after a drop", async () => {
    const { stream, store } = setup([note("1", 5, true)]);
    await screen.findByRole("list", { name: "Earlier" });
    await waitFor(() => expect(stream.calls).toBe(1));
    stream.push({} as WatchNotificationsResponse); // a keep-alive: nothing shows
    stream.push({ notification: note("live-1", 0, false) } as WatchNotificationsResponse);
    await screen.findByRole("list", { name: "Unread" });
    expect(titles("Unread")).toEqual(["Reminder: task live-1"]);
    expect(screen.getByText(/1 unread/)).toBeTruthy();

    // The stream drops; a notification written meanwhile is fetched after the reconnect.
    store.unshift(note("missed", 0, false));
    stream.fail(new ConnectError("connection reset", Code.Unavailable));
    await waitFor(() => expect(stream.calls).toBe(2));
    stream.push({ notification: note("live-2", 0, false) } as WatchNotificationsResponse);
    await waitFor(() => expect(titles("Unread")).toContain("Reminder: task missed"));
    await waitFor(() => expect(titles("Unread")).toContain("Reminder: task live-2"));
    expect(titles("Unread").filter((t) => t === "Reminder: task live-1")).toHaveLength(1);
  });

  it("pages through earlier notifications", async () => {
    const many = Array.from({ length: 60 }, (_, i) => note(`r${i}`, i + 1, true));
    setup(many);
    await screen.findByRole("list", { name: "Earlier" });
    expect(within(section("Earlier")).getAllByRole("listitem")).toHaveLength(50);
    fireEvent.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(section("Earlier")).getAllByRole("listitem")).toHaveLength(60));
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();
  });

  it("says when the inbox is empty", async () => {
    setup([]);
    expect(await screen.findByText(/No notifications yet/)).toBeTruthy();
  });
});
