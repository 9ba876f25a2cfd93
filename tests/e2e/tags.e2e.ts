/**
 * Tags: the Tags page shows each tag with its count of open tasks, and renaming one renames it on
 * every task — in the list after navigating back, and live in another window.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { untilPasses } from "@todo/testkit/eventually";
import { createTask, listAllTasks, signUpApi } from "./lib/api.ts";
import { signInUi, taskRow } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

describe("tags", () => {
  test("renaming a tag on the Tags page renames it on the tasks", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    await createTask(user, { title: "Buy stamps", tags: ["errands"] });
    await createTask(user, { title: "Return library books", tags: ["errands", "reading"] });

    // A second window stays on the task list the whole time.
    const watcher = await newPage();
    await signInUi(watcher, user.email);
    await taskRow(watcher, "Buy stamps").getByRole("button", { name: "Filter by tag errands" }).waitFor();

    const page = await newPage();
    await signInUi(page, user.email);
    await page
      .getByRole("navigation", { name: "Views" })
      .getByRole("link", { name: "Tags", exact: true })
      .click();
    const tags = page.getByRole("list", { name: "Your tags" });
    const errands = tags.getByRole("listitem", { name: "errands", exact: true });
    // Counts follow task events, so they may trail by a moment.
    await untilPasses(async () => {
      await page.reload();
      await errands.getByText("2 open tasks").waitFor({ timeout: 1000 });
    });

    await errands.getByRole("button", { name: "Rename errands" }).click();
    const name = page.getByRole("textbox", { name: "New name for errands" });
    await name.fill("chores");
    await name.press("Enter");
    await tags.getByRole("listitem", { name: "chores", exact: true }).waitFor();
    expect(await tags.getByRole("listitem", { name: "errands", exact: true }).count()).toBe(0);

    // Back on the list, and live in the other window: every chip says #chores.
    await page
      .getByRole("navigation", { name: "Views" })
      .getByRole("link", { name: "Tasks", exact: true })
      .click();
    for (const p of [page, watcher]) {
      for (const title of ["Buy stamps", "Return library books"]) {
        const chip = taskRow(p, title).getByRole("button", { name: "Filter by tag chores" });
        await chip.waitFor({ timeout: 15_000 });
        expect(await chip.textContent()).toBe("#chores");
        expect(await taskRow(p, title).getByRole("button", { name: "Filter by tag errands" }).count()).toBe(
          0,
        );
      }
    }
    const stored = await listAllTasks(user);
    expect(stored.map((t) => [...t.tags].sort()).sort()).toEqual([["chores"], ["chores", "reading"]]);
  });
});
