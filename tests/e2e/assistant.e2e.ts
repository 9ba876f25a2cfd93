/**
 * The assistant's chat panel (issue 6) in Chromium against the real `bun start`: the offline
 * interpreter acts through the API, the task list follows by itself over WatchTasks (the panel
 * never touches the list), chips open the task editor, follow-ups reuse the conversation, and a
 * "which one?" question is answered by clicking a candidate.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { Priority, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import type { Page } from "playwright-core";
import { createTask, listAllTasks, signInApi, signUpApi, uniqueEmail } from "./lib/api.ts";
import { signInUi, signUpUi, taskRow } from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

const panelOf = (page: Page) => page.getByRole("dialog", { name: "Assistant", exact: true });
const chatBox = (page: Page) => page.getByLabel("Message the assistant", { exact: true });
const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? "");

async function say(page: Page, text: string): Promise<void> {
  await chatBox(page).fill(text);
  await chatBox(page).press("Enter");
}

describe("assistant chat panel", () => {
  test("adds a task, opens it from its chip, and makes it urgent with a follow-up", async () => {
    const { server } = await e2e();
    const page = await newPage();
    const email = uniqueEmail("chat");
    await signUpUi(page, email);
    const user = await signInApi(server.grpcUrl, email);

    const button = page.getByRole("button", { name: "Assistant", exact: true });
    expect(await button.getAttribute("aria-expanded")).toBe("false");
    await button.click();
    const panel = panelOf(page);
    await panel.waitFor({ state: "visible" });
    expect(await button.getAttribute("aria-expanded")).toBe("true");
    await untilPasses(async () => expect(await focusedId(page)).toBe("chat-input"));

    await say(page, "add buy milk tomorrow at 6pm !high");
    const created = panel.getByRole("list", { name: "Created", exact: true });
    const chip = created.getByRole("button", { name: "buy milk", exact: true });
    await chip.waitFor();
    expect(await panel.getByText(/Created "buy milk"/).count()).toBeGreaterThan(0);
    // The list gets the task from the live feed, not from the panel.
    const row = taskRow(page, "buy milk");
    await row.waitFor({ state: "visible", timeout: 10_000 });
    expect(await row.getByText("Priority: High").count()).toBe(1);

    const [stored] = await listAllTasks(user);
    expect(stored?.title).toBe("buy milk");
    expect(stored?.priority).toBe(Priority.HIGH);
    const tomorrow6pm = new Date();
    tomorrow6pm.setUTCDate(tomorrow6pm.getUTCDate() + 1);
    tomorrow6pm.setUTCHours(18, 0, 0, 0);
    expect(Number(stored?.dueTime?.seconds) * 1000).toBe(tomorrow6pm.getTime());

    // The chip opens the task in the app's editor; Escape closes the editor, not the panel.
    await chip.click();
    const editor = page.getByRole("dialog", { name: "Edit task: buy milk", exact: true });
    await editor.waitFor();
    expect(await editor.getByLabel("Title", { exact: true }).inputValue()).toBe("buy milk");
    await page.keyboard.press("Escape");
    await editor.waitFor({ state: "detached" });
    expect(await panel.isVisible()).toBe(true);

    // A follow-up in the same conversation: "it" is the task just created.
    await say(page, "make it urgent");
    await panel
      .getByRole("list", { name: "Changed", exact: true })
      .getByRole("button", { name: "buy milk", exact: true })
      .waitFor();
    await untilPasses(async () => expect(await row.getByText("Priority: Urgent").count()).toBe(1));
    expect((await user.tasks.getTask({ id: stored?.id ?? "" })).task?.priority).toBe(Priority.URGENT);

    // Escape closes the panel and gives the focus back to the button.
    await chatBox(page).press("Escape");
    await panel.waitFor({ state: "hidden" });
    expect(await button.getAttribute("aria-expanded")).toBe("false");
    expect(await button.evaluate((el) => el === document.activeElement)).toBe(true);
    // Reopening keeps the conversation.
    await button.click();
    await panel.getByText("You: make it urgent", { exact: true }).waitFor();
  });

  test("asks which task is meant and acts on the candidate clicked (360 px wide)", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const mom = await createTask(user, { title: "call mom" });
    const dad = await createTask(user, { title: "call dad" });
    const page = await newPage({ viewport: { width: 360, height: 740 } });
    await signInUi(page, user.email);
    await taskRow(page, "call dad").waitFor();

    // The `a` shortcut opens the panel; at 360 px it covers the whole screen.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press("a");
    const panel = panelOf(page);
    await panel.waitFor({ state: "visible" });
    await untilPasses(async () => {
      const box = await panel.boundingBox();
      expect(box).toEqual({ x: 0, y: 0, width: 360, height: 740 });
    });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

    await say(page, "done with call");
    const choices = panel.getByRole("list", { name: "Which one?", exact: true });
    await choices.waitFor();
    const names = await choices.getByRole("button").allTextContents();
    expect(names.map((n) => n.replace(/^\d+\. /, "")).sort()).toEqual(["call dad", "call mom"]);
    // Nothing changed yet: a destructive action is never guessed.
    expect((await user.tasks.getTask({ id: dad.id })).task?.status).toBe(TaskStatus.OPEN);

    const dadChoice = choices.getByRole("button", { name: /\. call dad$/ });
    const number = (await dadChoice.textContent())?.match(/^(\d+)\./)?.[1];
    expect(number).toMatch(/^[12]$/);
    await dadChoice.click();
    // The follow-up sent is the candidate's number.
    await panel.getByText(`You: ${number}`, { exact: true }).waitFor();
    await panel
      .getByRole("list", { name: "Completed", exact: true })
      .getByRole("button", { name: "call dad (completed)", exact: true })
      .waitFor();
    expect((await user.tasks.getTask({ id: dad.id })).task?.status).toBe(TaskStatus.COMPLETED);
    expect((await user.tasks.getTask({ id: mom.id })).task?.status).toBe(TaskStatus.OPEN);

    // Close the panel: the list already dropped the completed task by itself.
    await panel.getByRole("button", { name: "Close assistant", exact: true }).click();
    await panel.waitFor({ state: "hidden" });
    await untilPasses(async () => expect(await taskRow(page, "call dad").count()).toBe(0));
    expect(await taskRow(page, "call mom").count()).toBe(1);
  });
});
