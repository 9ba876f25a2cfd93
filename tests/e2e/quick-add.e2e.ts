/**
 * Quick add: one line of natural language becomes a task with a due time, recurrence, priority,
 * tags and reminders — previewed before Enter, shown in its row after, and stored that way.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import { listAllTasks, signInApi, uniqueEmail } from "./lib/api.ts";
import { quickAdd, quickAddBox, quickAddPreview, signUpUi } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

/** The next 1st of a month at 09:00 UTC after `now` (the browser and the account are in UTC). */
function nextFirstAt9(now: Date): Date {
  const thisMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1, 9));
  return thisMonth > now ? thisMonth : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 9));
}

describe("quick add", () => {
  test("'Pay rent every month on the 1st at 9am #home !high' is previewed, then shown and stored", async () => {
    const { server } = await e2e();
    const page = await newPage();
    const email = uniqueEmail("quickadd");
    await signUpUi(page, email);

    const text = "Pay rent every month on the 1st at 9am #home !high";
    await quickAddBox(page).fill(text);
    // The preview says what was understood before anything is created.
    const preview = await untilPasses(async () => {
      const items = (await quickAddPreview(page).allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());
      expect(items).toContain("Tag: #home");
      expect(items).toContain("Priority: High");
      expect(items.some((i) => /^Repeats: every month on the 1st/i.test(i))).toBe(true);
      return items;
    });
    expect(preview.some((i) => i.startsWith("Due: "))).toBe(true);

    await quickAddBox(page).press("Enter");
    const row = page
      .getByRole("list", { name: "Tasks", exact: true })
      .getByRole("listitem")
      .filter({
        has: page.getByRole("button", { name: "Pay rent", exact: true }),
      });
    await row.waitFor({ state: "visible" });
    expect(await quickAddBox(page).inputValue()).toBe("");
    // The row: tag chip, priority badge, recurrence in words, the due time.
    expect(await row.getByRole("button", { name: "Filter by tag home" }).textContent()).toBe("#home");
    expect(await row.getByText("Priority: High").count()).toBe(1);
    expect(await row.getByText(/every month on the 1st/i).count()).toBe(1);
    expect(await row.locator("time").count()).toBe(1);

    // And the server has it so.
    const api = await signInApi(server.grpcUrl, email);
    const [task] = await listAllTasks(api);
    expect(task?.title).toBe("Pay rent");
    expect(task?.tags).toEqual(["home"]);
    expect(task?.priority).toBe(Priority.HIGH);
    expect(task?.recurrence?.rrule).toMatch(/FREQ=MONTHLY/);
    expect(task?.recurrence?.rrule).toMatch(/BYMONTHDAY=1(;|$)/);
    expect(task?.dueTime && timestampDate(task.dueTime).toISOString()).toBe(
      nextFirstAt9(new Date()).toISOString(),
    );
  });

  test("a reminder phrase adds a reminder, shown by the row's reminder icon", async () => {
    const { server } = await e2e();
    const page = await newPage();
    const email = uniqueEmail("quickadd-reminder");
    await signUpUi(page, email);

    const now = new Date();
    const row = await quickAdd(page, "Call mom tomorrow 6pm remind me 30 minutes before", "Call mom");
    const reminder = row.getByRole("img", { name: /^1 reminder/ });
    await reminder.waitFor({ state: "visible" });
    expect(await reminder.getAttribute("aria-label")).toMatch(/30 min/);

    const api = await signInApi(server.grpcUrl, email);
    const [task] = await listAllTasks(api);
    expect(task?.reminders.length).toBe(1);
    const trigger = task?.reminders[0]?.trigger;
    expect(trigger?.case).toBe("beforeDue");
    expect(trigger?.case === "beforeDue" ? Number(trigger.value.seconds) : 0).toBe(30 * 60);
    // "tomorrow 6pm" in the account's zone (UTC).
    const tomorrow6pm = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 18));
    expect(task?.dueTime && timestampDate(task.dueTime).toISOString()).toBe(tomorrow6pm.toISOString());
  });

  test("'standup every weekday at 9:30' repeats on weekdays", async () => {
    const { server } = await e2e();
    const page = await newPage();
    const email = uniqueEmail("quickadd-weekday");
    await signUpUi(page, email);
    const row = await quickAdd(page, "standup every weekday at 9:30", "standup");
    expect(await row.getByText(/weekday|Monday.*Friday|Mon.*Fri/i).count()).toBeGreaterThan(0);
    const api = await signInApi(server.grpcUrl, email);
    const [task] = await listAllTasks(api);
    expect(task?.recurrence?.rrule).toMatch(/FREQ=WEEKLY/);
    expect(task?.recurrence?.rrule).toMatch(/BYDAY=MO,TU,WE,TH,FR/);
  });
});
