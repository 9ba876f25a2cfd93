/**
 * Two windows on one account stay in step without reloading (WatchTasks): what one window (or
 * another client) does shows up in the other.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { untilPasses } from "@todo/testkit/eventually";
import { signUpApi } from "./lib/api.ts";
import { completeBox, quickAdd, signInUi, taskRow } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

describe("live sync", () => {
  test("a task added, renamed and completed in one window follows in the other", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    // Two separate browser contexts: nothing shared but the account.
    const [a, b] = [await newPage(), await newPage()];
    await signInUi(a, user.email);
    await signInUi(b, user.email);
    let reloads = 0;
    b.on("framenavigated", () => reloads++);

    await quickAdd(a, "Buy oat milk", "Buy oat milk");
    await taskRow(b, "Buy oat milk").waitFor({ state: "visible", timeout: 10_000 });

    // A change from another client (the API) reaches both windows.
    const found = await user.tasks.listTasks({ query: "oat milk" });
    const task = found.tasks[0];
    expect(task?.title).toBe("Buy oat milk");
    await user.tasks.updateTask({
      task: { id: task?.id ?? "", title: "Buy oat milk (2 l)" },
      updateMask: { paths: ["title"] },
    });
    await taskRow(a, "Buy oat milk (2 l)").waitFor({ state: "visible", timeout: 10_000 });
    await taskRow(b, "Buy oat milk (2 l)").waitFor({ state: "visible", timeout: 10_000 });

    await completeBox(b, "Buy oat milk (2 l)").click();
    await untilPasses(async () => expect(await taskRow(a, "Buy oat milk (2 l)").count()).toBe(0), {
      timeoutMs: 10_000,
    });
    expect(reloads).toBe(0);
  });
});
