/**
 * Taking things back, as a new user would: Undo after completing a recurring task restores the
 * series exactly (one server call, seen by a second window, still so after a reload), fast clicks
 * on a recurring checkbox complete one occurrence, and a task can be deleted — from the editor, the
 * row's menu and the Delete key — and brought back with Undo.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Priority, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { untilPasses } from "@todo/testkit/eventually";
import type { Page } from "playwright-core";
import { createTask, listAllTasks, signUpApi, type UserApi } from "./lib/api.ts";
import {
  completeBox,
  quickAdd,
  quickAddBox,
  quickAddPreview,
  signInUi,
  taskRow,
  taskRows,
} from "./lib/app.ts";
import { e2e, newPage } from "./lib/harness.ts";

beforeAll(async () => {
  await e2e();
});

const ALL = "status = COMPLETED OR status = OPEN";

/** The toast's button named `label` (Undo, Retry). */
const toastButton = (page: Page, label: string) =>
  page
    .getByRole("region", { name: "Notifications from the app" })
    .getByRole("button", { name: label, exact: true });

async function series(user: UserApi, title: string): Promise<Task[]> {
  return (await listAllTasks(user, ALL)).filter((t) => t.title === title);
}

const dueIso = (t: Task | undefined) => (t?.dueTime ? timestampDate(t.dueTime).toISOString() : undefined);

describe("Undo after completing a recurring task", () => {
  for (const [phrase, days] of [
    ["every day", 1],
    ["every week", 7],
  ] as const) {
    test(`"water plants ${phrase}": tick, Undo → one open row, the same after a reload and in another window`, async () => {
      const { server } = await e2e();
      const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
      const page = await newPage();
      await signInUi(page, user.email);
      const other = await newPage();
      await signInUi(other, user.email);

      await quickAdd(page, `water plants ${phrase}`, "water plants");
      const [first] = await series(user, "water plants");
      if (!first) throw new Error("quick add created nothing");
      expect(first.recurrence?.rrule).toBeTruthy();
      await taskRow(other, "water plants").waitFor({ state: "visible" });

      await completeBox(page, "water plants").click();
      // The row moves on: the next occurrence, `days` later, is the only open one.
      await untilPasses(
        async () => {
          const open = (await series(user, "water plants")).filter((t) => t.status === TaskStatus.OPEN);
          expect(open).toHaveLength(1);
          expect(open[0]?.id).not.toBe(first.id);
        },
        { timeoutMs: 15_000 },
      );
      const next = (await series(user, "water plants")).find((t) => t.id !== first.id);
      const step = new Date(dueIso(next) ?? 0).getTime() - new Date(dueIso(first) ?? 0).getTime();
      expect(Math.round(step / 86_400_000)).toBe(days);

      await toastButton(page, "Undo").click();
      // Exactly the state before: the first occurrence open again, the generated one gone.
      const expectRestored = async () => {
        const all = await series(user, "water plants");
        expect(all.map((t) => [t.id, t.status])).toEqual([[first.id, TaskStatus.OPEN]]);
        expect(dueIso(all[0])).toBe(dueIso(first));
      };
      await untilPasses(expectRestored);
      for (const p of [page, other]) {
        await untilPasses(async () => {
          expect(await taskRow(p, "water plants").count()).toBe(1);
          expect(await taskRow(p, "water plants").locator("time").getAttribute("datetime")).toBe(
            dueIso(first) ?? "",
          );
        });
      }
      // Nothing comes back later (the scheduler's job for that completion is spent) or after a reload.
      await Bun.sleep(2000);
      await page.reload();
      await taskRow(page, "water plants").waitFor({ state: "visible" });
      expect(await taskRow(page, "water plants").count()).toBe(1);
      await expectRestored();
    });
  }

  test("fast clicks on a recurring checkbox complete one occurrence", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const page = await newPage();
    await signInUi(page, user.email);
    await quickAdd(page, "stretch every week", "stretch");
    // A script clicking the box every 20 ms for 0.9 s, whatever row carries the name by then.
    await page.evaluate(async () => {
      const end = Date.now() + 900;
      while (Date.now() < end) {
        document.querySelector<HTMLInputElement>('input[aria-label="Complete stretch"]')?.click();
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    await Bun.sleep(1500);
    const all = await series(user, "stretch");
    // One occurrence completed: the next one's box waits 1 s after it showed before it takes a click.
    expect(all.map((t) => t.status).sort()).toEqual([TaskStatus.OPEN, TaskStatus.COMPLETED]);
    // A deliberate click after that completes the next one.
    await completeBox(page, "stretch").click();
    await untilPasses(async () => {
      const now = await series(user, "stretch");
      expect(now.filter((t) => t.status === TaskStatus.COMPLETED)).toHaveLength(2);
      expect(now.filter((t) => t.status === TaskStatus.OPEN)).toHaveLength(1);
    });
  });
});

describe("deleting a task, with Undo", () => {
  async function setUp(title: string) {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const task = await createTask(user, { title, tags: ["home"], priority: Priority.HIGH });
    const page = await newPage();
    await signInUi(page, user.email);
    await taskRow(page, title).waitFor({ state: "visible" });
    return { user, task, page };
  }

  async function expectDeletedThenUndone(page: Page, user: UserApi, task: Task) {
    await untilPasses(async () => expect(await taskRow(page, task.title).count()).toBe(0));
    await untilPasses(async () => expect(await listAllTasks(user, ALL)).toHaveLength(0));
    await toastButton(page, "Undo").click();
    await taskRow(page, task.title).waitFor({ state: "visible" });
    const [back] = await listAllTasks(user, ALL);
    expect(back?.id).toBe(task.id);
    expect(back?.tags).toEqual(["home"]);
    expect(back?.priority).toBe(Priority.HIGH);
  }

  test("from the editor", async () => {
    const { user, task, page } = await setUp("Old receipts");
    await taskRow(page, task.title).getByRole("button", { name: task.title, exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
    await untilPasses(async () => expect(await page.getByRole("dialog").count()).toBe(0));
    await expectDeletedThenUndone(page, user, task);
  });

  test("from the row's menu", async () => {
    const { user, task, page } = await setUp("Spare cables");
    const menuButton = page.getByRole("button", { name: `More actions for ${task.title}`, exact: true });
    await menuButton.click();
    expect(await menuButton.getAttribute("aria-expanded")).toBe("true");
    const menu = page.getByRole("menu", { name: `More actions for ${task.title}` });
    expect(await menu.getByRole("menuitem").allTextContents()).toEqual(["Edit", "Delete"]);
    await menu.getByRole("menuitem", { name: "Delete" }).click();
    await expectDeletedThenUndone(page, user, task);
  });

  test("with the Delete key on the selected row", async () => {
    const { user, task, page } = await setUp("Broken umbrella");
    await page.keyboard.press("j");
    await untilPasses(async () =>
      expect(await taskRows(page).first().getAttribute("aria-current")).toBe("true"),
    );
    await page.keyboard.press("Delete");
    await expectDeletedThenUndone(page, user, task);
  });
});

describe("quick add reads Todoist's p1–p4", () => {
  test('"Pay rent tomorrow p1 #home" is an urgent "Pay rent", previewed so', async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl, { timeZone: "UTC" });
    const page = await newPage();
    await signInUi(page, user.email);
    await quickAddBox(page).fill("Pay rent tomorrow p1 #home");
    await untilPasses(async () => {
      const items = (await quickAddPreview(page).allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());
      expect(items).toContain("Priority: Urgent");
      expect(items).toContain("Tag: #home");
    });
    await quickAddBox(page).press("Enter");
    await taskRow(page, "Pay rent").waitFor({ state: "visible" });
    const [task] = await listAllTasks(user);
    expect(task?.title).toBe("Pay rent");
    expect(task?.priority).toBe(Priority.URGENT);
    expect(task?.tags).toEqual(["home"]);
  });
});
