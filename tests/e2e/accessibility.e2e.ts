/**
 * Accessibility (issue 13 §7): axe-core's WCAG 2.2 A/AA rules and best practices on every main
 * screen — signed out (the sign-in form, and its error), the task list with tasks in the light and
 * the dark theme, the editor open, the Tags page, Notifications and the assistant's panel — at a
 * desktop size and at 390×844 (a phone, touch), with no serious or critical violation. Beside axe:
 * the checkboxes are at least 24×24 px at 390 px (WCAG 2.2's target size, which axe passes for
 * small targets with enough space around them), quick add's "Details…" is on screen and opens
 * the editor there, and a row shows the time of a due date days away, not only in its tooltip.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import type { BrowserContextOptions, Page } from "playwright-core";
import { createTask, signUpApi, type UserApi } from "./lib/api.ts";
import { bell, completeBox, emailBox, passwordBox, quickAddBox, signInUi, taskRow } from "./lib/app.ts";
import { BLOCKING_IMPACTS, blockingViolations, describeViolations, runAxe } from "./lib/axe.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

const DAY = 86_400_000;

const SIZES: readonly { name: string; options: BrowserContextOptions }[] = [
  { name: "desktop", options: { viewport: { width: 1280, height: 800 } } },
  {
    name: "390×844",
    options: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  },
];

/**
 * Screens checked by one test: each {@link Audit.check} runs axe on the page as it is and keeps
 * what it found, so a failing test lists every screen's violations at once, not just the first.
 */
class Audit {
  readonly found: string[] = [];
  screens = 0;

  async check(page: Page, screen: string): Promise<void> {
    const results = await runAxe(page);
    // axe ran its rules: a page it could not inspect would pass nothing.
    expect(results.passes.length).toBeGreaterThan(0);
    this.screens++;
    for (const line of describeViolations(blockingViolations(results))) this.found.push(`${screen}: ${line}`);
  }

  /** Fails with every violation found, one per line. */
  done(): void {
    if (this.found.length > 0)
      throw new Error(
        `${this.found.length} violations (${BLOCKING_IMPACTS.join(", ")}):\n${this.found.join("\n")}`,
      );
    expect(this.found).toEqual([]);
  }
}

/**
 * A user with tasks of every kind the row can show (overdue, today, days away with and without a
 * time, recurring, with reminders, tags and each priority) and one notification, signed in.
 */
async function seededUser(): Promise<{ user: UserApi; dueFar: Date }> {
  const { server } = await e2e();
  const user = await signUpApi(server.grpcUrl);
  const now = Date.now();
  const at = (ms: number) => timestampFromDate(new Date(ms));
  // 18:00 UTC three days from now: "Fri 11 Dec, 18:00" style.
  const dueFar = new Date(Math.floor(now / DAY) * DAY + 3 * DAY + 18 * 3_600_000);
  const dateOnly = new Date(Math.floor(now / DAY) * DAY + 4 * DAY + 23 * 3_600_000 + 59 * 60_000);
  await createTask(user, {
    title: "Pay rent",
    description: "Bank transfer to the landlord",
    dueTime: at(now - 2 * DAY),
    priority: Priority.URGENT,
    tags: ["home", "money"],
  });
  await createTask(user, { title: "Call mom", dueTime: at(now + 3_600_000), priority: Priority.HIGH });
  await createTask(user, {
    title: "Book dentist",
    dueTime: timestampFromDate(dueFar),
    priority: Priority.MEDIUM,
  });
  await createTask(user, {
    title: "Plan the garden",
    dueTime: timestampFromDate(dateOnly),
    priority: Priority.LOW,
  });
  await createTask(user, {
    title: "Water plants",
    dueTime: at(now + DAY),
    recurrence: { rrule: "FREQ=DAILY" },
    reminders: [{ trigger: { case: "at", value: at(now + 1500) } }],
    tags: ["garden"],
  });
  // The reminder above fires in a moment: Notifications then has something to list.
  await untilPasses(
    async () => expect((await user.notifications.listNotifications({})).notifications.length).toBe(1),
    { timeoutMs: 20_000, intervalMs: 250 },
  );
  return { user, dueFar };
}

const nav = async (page: Page, name: string | RegExp) => {
  const menu = page.getByRole("button", { name: "Menu", exact: true });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name, exact: true }).click();
};

describe("accessibility (axe-core)", () => {
  for (const size of SIZES) {
    test(`signed out, ${size.name}: the sign-in form and its error`, async () => {
      const audit = new Audit();
      const page = await newPage(size.options);
      await page.goto("/");
      await emailBox(page).waitFor();
      await audit.check(page, `sign in (${size.name})`);
      await emailBox(page).fill("nobody@example.com");
      await passwordBox(page).fill("short");
      await page.getByRole("button", { name: "Sign up", exact: true }).click();
      await page.getByRole("alert").first().waitFor();
      await audit.check(page, `sign up error (${size.name})`);
      audit.done();
    });

    for (const theme of ["light", "dark"] as const) {
      test(`signed in, ${size.name}, ${theme}: list, editor, Tags, Notifications, assistant`, async () => {
        const audit = new Audit();
        const { user } = await seededUser();
        const page = await newPage({ ...size.options, colorScheme: theme });
        await signInUi(page, user.email);
        await taskRow(page, "Water plants").waitFor();
        await untilPasses(async () =>
          expect(await bell(page).getAttribute("aria-label")).toContain("1 unread"),
        );
        await audit.check(page, `task list (${size.name}, ${theme})`);

        // A selected row (keyboard users' j/k) and a hovered one have their own backgrounds.
        const rent = taskRow(page, "Pay rent");
        await rent.getByText("Bank transfer to the landlord").click();
        await untilPasses(async () => expect(await rent.getAttribute("aria-current")).toBe("true"));
        if (!size.options.hasTouch) await taskRow(page, "Water plants").hover();
        await audit.check(page, `task list, a row selected (${size.name}, ${theme})`);

        // Quick add's preview of what it understood: a chip per field.
        await quickAddBox(page).fill("Pay rent every month tomorrow 9am #home !high remind me 1 hour before");
        await page.getByRole("list", { name: "What quick add understood" }).waitFor();
        await audit.check(page, `quick add preview (${size.name}, ${theme})`);
        await quickAddBox(page).fill("");

        // The fullest editor: a recurring task with a reminder, its next dates listed.
        await taskRow(page, "Water plants")
          .getByRole("button", { name: "Water plants", exact: true })
          .click();
        const editor = page.getByRole("dialog", { name: "Edit task: Water plants" });
        await editor.getByRole("region", { name: "Next dates" }).getByRole("listitem").first().waitFor();
        await audit.check(page, `editor (${size.name}, ${theme})`);
        await page.keyboard.press("Escape");
        await editor.waitFor({ state: "detached" });

        await nav(page, "Tags");
        await page.getByRole("list", { name: "Your tags" }).waitFor();
        await audit.check(page, `Tags (${size.name}, ${theme})`);

        await nav(page, /^Notifications( \d+)?$/);
        await page.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
        await page.getByText("Water plants").first().waitFor();
        await audit.check(page, `Notifications (${size.name}, ${theme})`);

        await nav(page, "Tasks");
        await quickAddBox(page).waitFor();
        await page.getByRole("button", { name: "Assistant", exact: true }).click();
        const panel = page.getByRole("dialog", { name: "Assistant", exact: true });
        await panel.waitFor();
        const chat = page.getByLabel("Message the assistant", { exact: true });
        await chat.fill("what's due this week?");
        await chat.press("Enter");
        await panel.getByRole("listitem").nth(1).waitFor();
        await audit.check(page, `assistant (${size.name}, ${theme})`);

        // The other theme by the toggle (`<html data-theme>`), not by the system's preference.
        await page.getByRole("button", { name: "Close assistant" }).click();
        const other = theme === "light" ? "dark" : "light";
        await page.getByRole("button", { name: `Switch to ${other} theme` }).click();
        await untilPasses(async () =>
          expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(other),
        );
        await audit.check(page, `task list, ${other} by the toggle (${size.name})`);
        expect(audit.screens).toBe(8);
        audit.done();
      });
    }
  }

  test("at 390×844 the checkboxes are 24×24 px and Details… is on screen and opens the editor", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    await createTask(user, { title: "Pay rent" });
    const page = await newPage(SIZES[1]?.options);
    await signInUi(page, user.email);
    const box = await completeBox(page, "Pay rent").boundingBox();
    expect(box && Math.min(box.width, box.height)).toBeGreaterThanOrEqual(24);
    const details = page.getByRole("button", { name: "Details…", exact: true });
    await details.waitFor({ state: "visible" });
    const b = await details.boundingBox();
    expect(b && b.x >= 0 && b.x + b.width <= 390 && b.width >= 24 && b.height >= 24).toBe(true);
    await details.click();
    await page.getByRole("dialog", { name: "New task" }).waitFor();
  });

  for (const size of SIZES) {
    test(`${size.name}: a row shows the time of a due date days away, a date-only one no time`, async () => {
      const { server } = await e2e();
      const user = await signUpApi(server.grpcUrl);
      const now = Date.now();
      const far = new Date(Math.floor(now / DAY) * DAY + 3 * DAY + 18 * 3_600_000);
      const dateOnly = new Date(Math.floor(now / DAY) * DAY + 4 * DAY + 23 * 3_600_000 + 59 * 60_000);
      await createTask(user, { title: "Book dentist", dueTime: timestampFromDate(far) });
      await createTask(user, { title: "Plan the garden", dueTime: timestampFromDate(dateOnly) });
      const page = await newPage(size.options);
      await signInUi(page, user.email);
      // "Thu 10 Dec, 18:00" (a date in another year shows the year instead of the weekday).
      const thisYear = far.getUTCFullYear() === new Date(now).getUTCFullYear();
      const date = far.toLocaleDateString("en-GB", {
        timeZone: "UTC",
        day: "numeric",
        month: "short",
        ...(thisYear ? { weekday: "short" } : { year: "numeric" }),
      });
      const farTime = taskRow(page, "Book dentist").locator("time");
      await farTime.waitFor();
      expect(await farTime.textContent()).toBe(`${date.replace(",", "")}, 18:00`);
      expect(await farTime.isVisible()).toBe(true);
      const onlyText = await taskRow(page, "Plan the garden").locator("time").textContent();
      expect(onlyText).not.toContain(":");
    });
  }
});
