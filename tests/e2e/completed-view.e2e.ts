/** The Completed view lists what was done most recently first — by completion, not by creation. */
import { beforeAll, describe, expect, test } from "bun:test";
import { untilPasses } from "@todo/testkit/eventually";
import { createTask, signUpApi } from "./lib/api.ts";
import { completeBox, rowTitles, signInUi, taskRow } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

describe("the Completed view", () => {
  test("sorts by completion time, newest first, and a task completed in another window goes on top", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const titles = ["Made first", "Made second", "Made third", "Made fourth"];
    const tasks = [];
    for (const title of titles) tasks.push(await createTask(user, { title }));
    // Completed in the order third, first, second; "Made fourth" stays open.
    for (const i of [2, 0, 1]) {
      await user.tasks.completeTask({ id: tasks[i]?.id ?? "" });
      await Bun.sleep(20);
    }
    const page = await newPage();
    await signInUi(page, user.email);
    await page.goto("/?status=completed");
    await taskRow(page, "Made second").waitFor({ state: "visible" });
    expect(await rowTitles(page)).toEqual(["Made second", "Made first", "Made third"]);

    const other = await newPage();
    await signInUi(other, user.email);
    await completeBox(other, "Made fourth").click();
    await untilPasses(async () =>
      expect(await rowTitles(page)).toEqual(["Made fourth", "Made second", "Made first", "Made third"]),
    );
  });
});
