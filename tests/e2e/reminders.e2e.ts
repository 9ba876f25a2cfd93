/**
 * A reminder firing: the bell's unread count goes up and the notification appears in the open
 * page (WatchNotifications), and in the browser's own notifications when allowed and the page is
 * in the background.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { untilPasses } from "@todo/testkit/eventually";
import { createTask, signUpApi } from "./lib/api.ts";
import { bell, signInUi } from "./lib/app.ts";
import { e2e, newContext } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

describe("reminders", () => {
  test("a reminder firing raises the bell's count and shows the notification", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    const context = await newContext();
    const page = await context.newPage();
    await signInUi(page, user.email);
    await untilPasses(async () => expect(await bell(page).getAttribute("aria-label")).toBe("Notifications"));

    const fireAt = new Date(Date.now() + 3000);
    await createTask(user, {
      title: "Stretch your legs",
      dueTime: timestampFromDate(new Date(fireAt.getTime() + 3600_000)),
      reminders: [{ trigger: { case: "at", value: timestampFromDate(fireAt) } }],
    });

    await untilPasses(
      async () => expect(await bell(page).getAttribute("aria-label")).toBe("Notifications, 1 unread"),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(fireAt.getTime());
    // The app's own toast says so while the page is visible…
    await page
      .getByRole("status")
      .filter({ hasText: "Stretch your legs" })
      .first()
      .waitFor({ state: "visible" });
    // …and the bell's panel lists it, unread, until it is marked read.
    await bell(page).click();
    const panel = page.getByRole("region", { name: "Latest notifications" });
    await panel.getByText("Stretch your legs").first().waitFor({ state: "visible" });
    await panel.getByRole("button", { name: "Mark all read" }).click();
    await untilPasses(async () => expect(await bell(page).getAttribute("aria-label")).toBe("Notifications"));
    // The bell clears at once (optimistically); the server agrees once MarkRead has landed.
    await untilPasses(async () =>
      expect((await user.notifications.listNotifications({ unreadOnly: true })).unreadCount).toBe(0),
    );
  });

  test("with permission given, a page in the background shows a browser notification", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    const context = await newContext();
    await context.grantPermissions(["notifications"]);
    // Record what reaches the real Notification constructor, and let the page believe it is hidden
    // (headless pages always count as visible).
    await context.addInitScript(() => {
      const Real = window.Notification;
      const shown: string[] = [];
      (window as unknown as { __notifications: string[] }).__notifications = shown;
      class Recording extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          shown.push(title);
        }
      }
      Object.defineProperty(window, "Notification", { value: Recording, configurable: true, writable: true });
      Object.defineProperty(Document.prototype, "visibilityState", {
        get: () => "hidden",
        configurable: true,
      });
      Object.defineProperty(Document.prototype, "hidden", { get: () => true, configurable: true });
    });
    const page = await context.newPage();
    await signInUi(page, user.email);
    expect(await page.evaluate(() => Notification.permission)).toBe("granted");

    await createTask(user, {
      title: "Take the bread out",
      reminders: [{ trigger: { case: "at", value: timestampFromDate(new Date(Date.now() + 2000)) } }],
    });
    await untilPasses(
      async () =>
        expect(
          await page.evaluate(() => (window as unknown as { __notifications: string[] }).__notifications),
        ).toEqual([expect.stringContaining("Take the bread out")]),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  });
});
