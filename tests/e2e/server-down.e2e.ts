/**
 * When the server cannot be reached, the app says so — not "Something went wrong on the server" —
 * and a completion that did not reach the server is not shown as done. The browser's requests are
 * refused at the network level (Playwright's `route.abort("connectionrefused")`, what a stopped
 * server looks like to fetch), so the one server the run shares keeps serving the other tests.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import { createTask, listAllTasks, signUpApi } from "./lib/api.ts";
import { completeBox, signInUi, taskList, taskRow } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

const UNREACHABLE = "Can't reach the server. Check your connection and try again.";

describe("with the server out of reach", () => {
  test("a completion that fails is not shown as ticked, and the toast says the server is unreachable", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const task = await createTask(user, { title: "Call the plumber" });
    const page = await newPage();
    await signInUi(page, user.email);
    await page.goto("/?status=all");
    await taskRow(page, task.title).waitFor({ state: "visible" });

    await page.route("**/todo.task.v1.TaskService/CompleteTask", (route) => route.abort("connectionrefused"));
    await completeBox(page, task.title).click();
    const alert = page.getByRole("alert").filter({ hasText: "Couldn't complete" });
    await alert.waitFor({ state: "visible" });
    expect(await alert.textContent()).toContain(UNREACHABLE);
    expect(await alert.textContent()).not.toContain("went wrong on the server");
    await untilPasses(async () => {
      expect(await completeBox(page, task.title).isChecked()).toBe(false);
      expect(await taskRow(page, task.title).count()).toBe(1);
    });
    const [stored] = await listAllTasks(user, "status = COMPLETED OR status = OPEN");
    expect(stored?.status).toBe(TaskStatus.OPEN);

    // Back in reach, Retry completes it.
    await page.unroute("**/todo.task.v1.TaskService/CompleteTask");
    await alert.getByRole("button", { name: "Retry", exact: true }).click();
    await untilPasses(async () => {
      const [now] = await listAllTasks(user, "status = COMPLETED OR status = OPEN");
      expect(now?.status).toBe(TaskStatus.COMPLETED);
      expect(await completeBox(page, task.title).isChecked()).toBe(true);
    });
  });

  test("a list that cannot load says the server cannot be reached", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const page = await newPage();
    await signInUi(page, user.email);
    await page.route("**/todo.task.v1.TaskService/ListTasks", (route) => route.abort("connectionrefused"));
    await page.goto("/?status=completed");
    const alert = page.getByRole("alert").filter({ hasText: "reach the server" });
    await alert.waitFor({ state: "visible" });
    expect(await alert.textContent()).toContain(UNREACHABLE);
    expect(await taskList(page).count()).toBe(1);
  });
});
