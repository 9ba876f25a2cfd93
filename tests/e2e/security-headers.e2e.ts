/**
 * The web app under its Content-Security-Policy (services/platform/src/security-headers.ts,
 * docs/security.md): Chromium loads the built app from `bun start`, signs up, and uses it — quick
 * add, complete, the editor, the Tags and Notifications pages, the bell, a reminder, desktop
 * notifications, live updates, the assistant — without one `securitypolicyviolation` event, console
 * error, sanitizer warning or page error. And markup in a tag, a title and a description is shown as text wherever it
 * appears: no dialog opens, no element is made from it, the text is visible as typed.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { untilPasses } from "@todo/testkit/eventually";
import type { Page } from "playwright-core";
import { createTask, signInApi, signUpApi, uniqueEmail } from "./lib/api.ts";
import { bell, completeBox, quickAdd, searchBox, signInUi, signUpUi, taskRow } from "./lib/app.ts";
import { e2e, newContext } from "./lib/harness.ts";
import { expectNoTrouble, watch } from "./lib/policy-watch.ts";
import { repoRoot } from "./lib/server.ts";

beforeAll(async () => {
  await e2e();
});

const nav = (page: Page, name: string | RegExp) =>
  page.getByRole("navigation", { name: "Views" }).getByRole("link", { name, exact: true }).click();

describe("security headers", () => {
  test("the page is served with its policy, and the app runs under it without a violation", async () => {
    const { server } = await e2e();
    const context = await newContext();
    await context.grantPermissions(["notifications"]);
    const trouble = await watch(context);
    const page = await context.newPage();

    const response = await page.goto("/");
    const headers = response?.headers() ?? {};
    const csp = headers["content-security-policy"] ?? "";
    expect(csp).toMatch(/script-src 'self'( 'sha256-[A-Za-z0-9+/]+=*')+;/);
    expect(csp).not.toContain("unsafe");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(headers["permissions-policy"]).toContain("camera=()");

    // The inline theme script ran (its hash is in the policy): a stored "dark" is applied at load.
    await page.evaluate(() => localStorage.setItem("todo.theme", "dark"));
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");

    const email = uniqueEmail("csp");
    await signUpUi(page, email);
    // Signed in, a reload runs the first-page script (it sends the early ListTasks).
    await page.reload();
    await quickAdd(page, "Water the plants #home", "Water the plants");
    await quickAdd(page, "Call the bank tomorrow", "Call the bank");
    await completeBox(page, "Water the plants").click();
    await untilPasses(async () => expect(await taskRow(page, "Water the plants").count()).toBe(0));

    // The editor (a lazily loaded chunk), opened and closed.
    await taskRow(page, "Call the bank").getByRole("button", { name: "Call the bank", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Edit task: Call the bank" });
    await dialog.waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // Search, the Tags and Notifications pages, and back.
    await searchBox(page).fill("bank");
    await taskRow(page, "Call the bank").waitFor();
    await searchBox(page).fill("");
    await nav(page, "Tags");
    await page.getByRole("list", { name: "Your tags" }).getByRole("listitem", { name: "home" }).waitFor();
    // The create form's error (styled by a class: a static style attribute would be refused).
    await page.getByRole("button", { name: "Create tag", exact: true }).click();
    await page.getByRole("alert").filter({ hasText: "Type a name for the tag." }).waitFor();
    await nav(page, "Notifications");
    await page.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
    await nav(page, "Tasks");

    // Desktop notifications, the bell, a reminder arriving over WatchNotifications, a task
    // arriving over WatchTasks.
    await bell(page).click();
    const panel = page.getByRole("region", { name: "Latest notifications" });
    await panel.waitFor();
    // Permission was granted to the context, so the app uses desktop notifications at once.
    expect(await page.evaluate(() => Notification.permission)).toBe("granted");
    const me = await signInApi(server.grpcUrl, email);
    await createTask(me, {
      title: "Stretch your legs",
      reminders: [{ trigger: { case: "at", value: timestampFromDate(new Date(Date.now() + 1500)) } }],
    });
    await taskRow(page, "Stretch your legs").waitFor({ timeout: 10_000 });
    await untilPasses(
      async () => expect(await bell(page).getAttribute("aria-label")).toBe("Notifications, 1 unread"),
      { timeoutMs: 20_000, intervalMs: 200 },
    );

    // The assistant (another lazy chunk) answers a question.
    await page.getByRole("button", { name: "Assistant", exact: true }).click();
    const chat = page.getByLabel("Message the assistant", { exact: true });
    await chat.fill("what's due today?");
    await chat.press("Enter");
    await page.getByRole("list", { name: "Conversation" }).getByRole("listitem").nth(1).waitFor();

    expectNoTrouble(trouble);

    // The policy is enforced, and the watcher sees it: an inline script the page did not ship is
    // refused and reported — by Trusted Types, before script-src: its text is a plain string, and
    // no policy makes scripts (trusted-types.e2e.ts).
    const injected = await page.evaluate(() => {
      const s = document.createElement("script");
      try {
        s.textContent = "window.__injected = true";
      } catch (e) {
        return (e as Error).name;
      }
      document.head.append(s);
      return "assigned";
    });
    expect(injected).toBe("TypeError");
    expect(
      await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected),
    ).toBeUndefined();
    await untilPasses(() =>
      expect(trouble.violations).toEqual([expect.stringMatching(/^require-trusted-types-for/)]),
    );
  });

  test("no HTML template in the build carries a style or event handler attribute", () => {
    // Solid writes static attributes into its templates; the policy refuses inline styles and
    // handlers, so one in a view the other tests do not open would break only there.
    const dir = join(repoRoot, "web", "dist", "assets");
    const scripts = readdirSync(dir).filter((f) => f.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(3);
    const offending = scripts.flatMap((f) =>
      [...readFileSync(join(dir, f), "utf8").matchAll(/`<[^`]*?\s(style|on[a-z]+)=[^`]*`/g)].map(
        (m) => `${f}: ${m[0].slice(0, 120)}`,
      ),
    );
    expect(offending).toEqual([]);
  });

  test("markup in a tag, a title and a description is shown as text everywhere", async () => {
    const { server } = await e2e();
    const user = await signUpApi(server.grpcUrl);
    const tag = "<script>alert(1)</script>";
    const title = `<img src=x onerror=alert(2)> Pay <b>rent</b>`;
    const description = `<script>alert(3)</script><a href="javascript:alert(4)">click</a>`;
    await createTask(user, { title, description, tags: [tag] });
    await user.tags.createTag({ tag: { name: "<i onmouseover=alert(5)>hover</i>" } });

    const context = await newContext();
    const trouble = await watch(context);
    const page = await context.newPage();
    await signInUi(page, user.email);

    // The list: the title and the description's first line as text, the chip with the tag.
    const row = taskRow(page, title);
    await row.waitFor();
    expect(await row.getByRole("button", { name: title, exact: true }).textContent()).toBe(title);
    await row.getByText(description, { exact: true }).waitFor();
    const chip = row.getByRole("button", { name: `Filter by tag ${tag}`, exact: true });
    expect(await chip.textContent()).toBe(`#${tag}`);
    // The sidebar's tag list.
    await page.getByRole("navigation", { name: "Views" }).getByText(tag, { exact: true }).waitFor();

    // Search finds it by the markup's words, and shows it the same way.
    await searchBox(page).fill("rent");
    await taskRow(page, title).waitFor();
    await searchBox(page).fill("");

    // The editor: title and description in their fields as typed, the tag as a chip.
    await row.getByRole("button", { name: title, exact: true }).click();
    const dialog = page.getByRole("dialog", { name: `Edit task: ${title}` });
    await dialog.waitFor();
    expect(await dialog.getByLabel("Title", { exact: true }).inputValue()).toBe(title);
    expect(await dialog.getByLabel("Description", { exact: true }).inputValue()).toBe(description);
    await dialog.getByRole("list", { name: "Chosen tags" }).getByText(tag, { exact: true }).waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // The Tags page.
    await nav(page, "Tags");
    const tags = page.getByRole("list", { name: "Your tags" });
    await tags.getByRole("listitem", { name: tag, exact: true }).waitFor();
    await tags.getByText(`<i onmouseover=alert(5)>hover</i>`, { exact: true }).hover();
    await nav(page, "Tasks");

    // A reminder of the task: its notification in the toast, the bell and the Notifications page.
    await createTask(user, {
      title: `<svg onload=alert(6)>Due`,
      reminders: [{ trigger: { case: "at", value: timestampFromDate(new Date(Date.now() + 1500)) } }],
    });
    await untilPasses(
      async () => expect(await bell(page).getAttribute("aria-label")).toBe("Notifications, 1 unread"),
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await page.getByRole("status").filter({ hasText: "<svg onload=alert(6)>Due" }).first().waitFor();
    await bell(page).click();
    const panel = page.getByRole("region", { name: "Latest notifications" });
    await panel.getByText("<svg onload=alert(6)>Due", { exact: false }).first().waitFor();
    // The link's name carries the unread count ("Notifications 1").
    await nav(page, /^Notifications/);
    await page.getByRole("main").getByText("<svg onload=alert(6)>Due", { exact: false }).first().waitFor();

    // Nothing was made from the markup, and nothing ran.
    expect(
      await page.locator("img[src='x'], svg[onload], i[onmouseover], a[href^='javascript']").count(),
    ).toBe(0);
    expect(
      await page.evaluate(
        () => Array.from(document.scripts).filter((s) => s.textContent?.includes("alert(")).length,
      ),
    ).toBe(0);
    expectNoTrouble(trouble);
  });
});
