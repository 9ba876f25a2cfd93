/**
 * Finding tasks: filters, search and sort — each one kept in the URL, so a reload (or a shared
 * link) shows the same view — and tag chips that filter by their tag.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import type { Page } from "playwright-core";
import { createTask, signUpApi, type UserApi } from "./lib/api.ts";
import { rowTitles, searchBox, signInUi, taskRow, waitForTaskPage } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

const DAY = 24 * 3600 * 1000;
const at = (offsetDays: number) => timestampFromDate(new Date(Date.now() + offsetDays * DAY));

/** Five tasks with different priorities, tags and due dates (created oldest first). */
const SEED = [
  { title: "Alpha report", priority: Priority.URGENT, tags: ["work"], dueTime: at(-1) },
  { title: "Buy milk", priority: Priority.LOW, tags: ["errands"], dueTime: at(1) },
  { title: "Call plumber", priority: Priority.HIGH, tags: ["home"] },
  { title: "Draft slides", priority: Priority.MEDIUM, tags: ["work"], dueTime: at(3) },
  { title: "Email landlord", priority: Priority.UNSPECIFIED, tags: [], dueTime: at(10) },
];
const ALL = SEED.map((t) => t.title);

let user: UserApi;

beforeAll(async () => {
  const { server } = await e2e();
  user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
  for (const t of SEED) await createTask(user, { ...t, timeZone: "UTC" });
});

async function signedIn(): Promise<Page> {
  const page = await newPage();
  await signInUi(page, user.email);
  await untilPasses(async () => expect((await rowTitles(page)).sort()).toEqual(ALL));
  return page;
}

/** Waits until the rows are exactly `titles` (in this order unless `sorted`). */
async function expectRows(page: Page, titles: string[], anyOrder = false): Promise<void> {
  await untilPasses(async () => {
    const shown = await rowTitles(page);
    expect(anyOrder ? shown.sort() : shown).toEqual(anyOrder ? [...titles].sort() : titles);
  });
}

describe("task list", () => {
  test("filters by priority and due date; the view lives in the URL and survives a reload", async () => {
    const page = await signedIn();
    await page.getByRole("combobox", { name: "Priority", exact: true }).selectOption({ label: "High" });
    await expectRows(page, ["Call plumber"]);
    expect(new URL(page.url()).searchParams.get("priority")).toBe("high");
    await page.reload();
    await waitForTaskPage(page);
    await expectRows(page, ["Call plumber"]);

    await page
      .getByRole("combobox", { name: "Priority", exact: true })
      .selectOption({ label: "Any priority" });
    await page.getByRole("group", { name: "Due date" }).getByRole("button", { name: "Overdue" }).click();
    await expectRows(page, ["Alpha report"]);
    await page.getByRole("group", { name: "Due date" }).getByRole("button", { name: "Next 7 days" }).click();
    await expectRows(page, ["Buy milk", "Draft slides"], true);

    // A shared link opens the same view.
    const other = await newPage();
    await signInUi(other, user.email);
    await other.goto(`/?tags=work`);
    await waitForTaskPage(other);
    await expectRows(other, ["Alpha report", "Draft slides"], true);
  });

  test("a tag chip filters by its tag", async () => {
    const page = await signedIn();
    await taskRow(page, "Draft slides").getByRole("button", { name: "Filter by tag work" }).click();
    await expectRows(page, ["Alpha report", "Draft slides"], true);
    expect(new URL(page.url()).searchParams.get("tags")).toBe("work");
  });

  test("search shows matching tasks as you type and keeps the text in the URL", async () => {
    const page = await signedIn();
    await searchBox(page).pressSequentially("plumb", { delay: 40 });
    await untilPasses(() => expect(new URL(page.url()).searchParams.get("q")).toBe("plumb"));
    await expectRows(page, ["Call plumber"]);
    await page.reload();
    await waitForTaskPage(page);
    await expectRows(page, ["Call plumber"]);
    expect(await searchBox(page).inputValue()).toBe("plumb");
    await searchBox(page).fill("");
    await expectRows(page, ALL, true);
  });

  test("sorts by title, priority and due date, both ways", async () => {
    const page = await signedIn();
    const sortBy = page.getByRole("combobox", { name: "Sort by", exact: true });
    await sortBy.selectOption({ label: "Title" });
    await expectRows(page, ALL);
    await page.getByRole("button", { name: /^Sorted ascending/ }).click();
    await expectRows(page, [...ALL].reverse());
    expect(new URL(page.url()).searchParams.get("dir")).toBe("desc");

    await sortBy.selectOption({ label: "Priority" });
    await expectRows(page, ["Alpha report", "Call plumber", "Draft slides", "Buy milk", "Email landlord"]);

    await sortBy.selectOption({ label: "Due date" });
    // Soonest first; tasks without a due date last.
    await expectRows(page, ["Alpha report", "Buy milk", "Draft slides", "Email landlord", "Call plumber"]);
  });
});
