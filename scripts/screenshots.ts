/**
 * Refreshes the README's screenshots (`bun run screenshots`): starts `bun start` on a throw-away
 * database (building the web app first if needed), seeds a demo account through the API — a
 * plausible week of tasks with tags, priorities, recurrences and reminders, two reminders that
 * have fired — and photographs the app in headless Debian Chromium into `docs/screenshots/`:
 *
 * - `sign-in.png`        the sign-in form
 * - `tasks-light.png`    the task list, light theme
 * - `tasks-dark.png`     the task list, dark theme
 * - `editor.png`         the task editor on a recurring task, with its next dates
 * - `tags.png`           the Tags page
 * - `notifications.png`  the Notifications page
 * - `mobile.png`         the task list 360 px wide (at 2× pixel density)
 *
 * Options: `--out DIR` (docs/screenshots). Needs Chromium (`apt-get install -y chromium`).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { createTask, signUpApi, type UserApi } from "../tests/e2e/lib/api.ts";
import { emailBox, signInUi, taskList, taskRow } from "../tests/e2e/lib/app.ts";
import { launchChromium } from "../tests/e2e/lib/chromium.ts";
import { demoTasks } from "../tests/e2e/lib/seed.ts";
import { repoRoot, startTodoServer, type TodoServer } from "../tests/e2e/lib/server.ts";

const { values: flags } = parseArgs({
  options: { out: { type: "string", default: join(repoRoot, "docs", "screenshots") } },
});
const outDir = flags.out;
const log = (msg: string) => process.stderr.write(`[screenshots] ${msg}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

/** Seeds the demo account and waits until its two reminders have fired. */
async function seed(server: TodoServer): Promise<UserApi> {
  const user = await signUpApi(server.grpcUrl, {
    email: "alex@example.com",
    displayName: "Alex",
    timeZone: "UTC",
  });
  const soon = (s: number) => timestampFromDate(new Date(Date.now() + s * 1000));
  await createTask(user, {
    title: "Stretch and refill water",
    tags: ["health"],
    timeZone: "UTC",
    reminders: [{ trigger: { case: "at", value: soon(1) } }],
  });
  await createTask(user, {
    title: "Submit the expense report",
    tags: ["work", "finance"],
    timeZone: "UTC",
    dueTime: soon(3600),
    reminders: [{ trigger: { case: "at", value: soon(2) } }],
  });
  // Newest first is the list's default order: the demo's first task ends up on top.
  for (const task of demoTasks(new Date()).reverse()) await createTask(user, task);
  for (let i = 0; ; i++) {
    const res = await user.notifications.listNotifications({ pageSize: 10 });
    if (res.notifications.length >= 2) break;
    if (i > 60) throw new Error("the demo reminders did not fire within 30 s");
    await sleep(500);
  }
  return user;
}

/** A page of a new context signed in as the demo user. */
async function open(
  browser: Browser,
  server: TodoServer,
  state: StorageState,
  options: BrowserContextOptions,
): Promise<Page> {
  const context = await browser.newContext({
    baseURL: server.url,
    timezoneId: "UTC",
    locale: "en-US",
    viewport: { width: 1280, height: 800 },
    storageState: state,
    ...options,
  });
  return await context.newPage();
}

/** Waits for the task list's rows, fonts and a calm moment, then writes `name`. */
async function shoot(page: Page, name: string): Promise<void> {
  // Not "networkidle": the live streams keep requests open for good.
  await page.waitForLoadState("load");
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  await sleep(300);
  await page.screenshot({ path: join(outDir, name), animations: "disabled", caret: "hide" });
  log(`wrote ${join(outDir, name)}`);
}

async function tasksReady(page: Page): Promise<void> {
  await page.goto("/");
  await taskRow(page, "Pay rent").waitFor({ state: "visible" });
  await taskList(page).getByRole("listitem").nth(5).waitFor({ state: "visible" });
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  log("starting the server and Chromium");
  const server = await startTodoServer();
  const browser = await launchChromium();
  try {
    const user = await seed(server);

    // Signed out: the sign-in form. Then sign in once and reuse the session everywhere.
    const anonymous = await browser.newContext({
      baseURL: server.url,
      timezoneId: "UTC",
      locale: "en-US",
      viewport: { width: 1280, height: 800 },
      colorScheme: "light",
    });
    const signIn = await anonymous.newPage();
    await signIn.goto("/");
    await emailBox(signIn).waitFor({ state: "visible" });
    await shoot(signIn, "sign-in.png");
    await signInUi(signIn, user.email, user.password);
    const state = await anonymous.storageState();
    await anonymous.close();

    for (const scheme of ["light", "dark"] as const) {
      const page = await open(browser, server, state, { colorScheme: scheme });
      await tasksReady(page);
      await shoot(page, `tasks-${scheme}.png`);
      if (scheme === "light") {
        await taskRow(page, "Pay rent").getByRole("button", { name: "Pay rent", exact: true }).click();
        const dialog = page.getByRole("dialog");
        const preview = dialog.getByRole("region", { name: "Next dates" });
        await preview.getByRole("listitem").nth(4).waitFor();
        // Show the recurrence and its next dates rather than the top of the form.
        await preview.evaluate((el) => el.scrollIntoView({ block: "center" }));
        await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        await shoot(page, "editor.png");
        await page.keyboard.press("Escape");

        await page.goto("/tags");
        await page.getByRole("heading", { level: 1 }).waitFor();
        await shoot(page, "tags.png");

        await page.goto("/notifications");
        await page.getByText("Submit the expense report").first().waitFor();
        await shoot(page, "notifications.png");
      }
      await page.context().close();
    }

    const mobile = await open(browser, server, state, {
      colorScheme: "light",
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
    });
    await tasksReady(mobile);
    await shoot(mobile, "mobile.png");
    await mobile.context().close();
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
  }
}

await main();
