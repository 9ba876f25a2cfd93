/**
 * Keyboard: `n` new task, `/` search, `j`/`k` move, `x` complete, `e` edit.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import type { Page } from "playwright-core";
import { createTask, signUpApi } from "./lib/api.ts";
import { rowTitles, signInUi, taskRow } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

/** The accessible label of the focused element (aria-label or its label's text). */
const focusedLabel = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null;
    return el?.getAttribute("aria-label") ?? el?.labels?.[0]?.textContent?.trim() ?? "";
  });

/** The title of the row marked current (selected). */
const selectedTitle = (page: Page) =>
  page.evaluate(() =>
    document.querySelector('[aria-label="Tasks"] > li[aria-current="true"] button')?.textContent?.trim(),
  );

describe("keyboard", () => {
  test("n, /, j, k, x and e", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    const first = await createTask(user, { title: "First thing" });
    await createTask(user, { title: "Second thing" });
    await createTask(user, { title: "Third thing" });

    const page = await newPage();
    await signInUi(page, user.email);
    await untilPasses(async () =>
      expect(await rowTitles(page)).toEqual(["Third thing", "Second thing", "First thing"]),
    );
    await page.locator("body").click({ position: { x: 5, y: 400 } });

    await page.keyboard.press("n");
    expect(await focusedLabel(page)).toBe("Add a task");
    await page.keyboard.press("Escape");
    await page.keyboard.press("/");
    expect(await focusedLabel(page)).toBe("Search tasks");
    await page.keyboard.press("Escape");

    await page.keyboard.press("j");
    expect(await selectedTitle(page)).toBe("Third thing");
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    expect(await selectedTitle(page)).toBe("First thing");
    await page.keyboard.press("k");
    expect(await selectedTitle(page)).toBe("Second thing");
    await page.keyboard.press("j");

    await page.keyboard.press("x");
    await untilPasses(async () => expect(await taskRow(page, "First thing").count()).toBe(0));
    await untilPasses(async () =>
      expect((await user.tasks.getTask({ id: first.id })).task?.status).toBe(TaskStatus.COMPLETED),
    );

    await untilPasses(async () => expect(await selectedTitle(page)).toBeTruthy());
    const selected = await selectedTitle(page);
    await page.keyboard.press("e");
    await page.getByRole("dialog", { name: `Edit task: ${selected}` }).waitFor();
  });
});
