/**
 * The page itself: the initial JavaScript budget, a 360 px wide screen, and both themes.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { signUpApi, uniqueEmail } from "./lib/api.ts";
import { emailBox, quickAdd, quickAddBox, signInUi, signUpUi, taskList } from "./lib/app.ts";
import { e2e, newContext, newPage } from "./lib/harness.ts";
import { kb, measurePageJs } from "./lib/metrics.ts";

beforeAll(async () => {
  await e2e();
});

const BUDGET = 100 * 1024;

/** Relative luminance (0 black … 1 white) of a CSS `rgb(…)` colour. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

const background = (page: import("playwright-core").Page) =>
  page.evaluate(() => getComputedStyle(document.body).backgroundColor);

describe("page", () => {
  test("the JavaScript the HTML loads is at most 100 KB gzipped, signed out and signed in", async () => {
    const { server } = await e2e();
    const anonymous = await newPage();
    const signInJs = await measurePageJs(anonymous, async () => {
      await anonymous.goto("/");
      await emailBox(anonymous).waitFor();
    });
    // The entry module at least; the form needs nothing loaded lazily.
    expect(signInJs.files.filter((f) => f.initial).length).toBeGreaterThan(0);

    const user = await signUpApi(server.grpcUrl);
    await user.tasks.createTask({ task: { title: "Something to show" } });
    const context = await newContext();
    await signInUi(await context.newPage(), user.email);
    const fresh = await newContext({ storageState: await context.storageState() });
    const page = await fresh.newPage();
    const tasksJs = await measurePageJs(page, async () => {
      await page.goto("/");
      await taskList(page).getByRole("listitem").first().waitFor();
    });
    for (const [name, m] of [
      ["sign-in page", signInJs],
      ["task list", tasksJs],
    ] as const) {
      const initial = m.files.filter((f) => f.initial);
      const list = initial.map((f) => `${new URL(f.url).pathname} ${kb(f.gzipBytes)}`).join(", ");
      if (m.initialGzipBytes > BUDGET)
        throw new Error(`${name}: ${kb(m.initialGzipBytes)} gzipped (${list}) > 100 KB`);
      expect(m.initialGzipBytes).toBeLessThanOrEqual(BUDGET);
    }
  });

  test("at 360 px wide nothing scrolls sideways and quick add works", async () => {
    const page = await newPage({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    await signUpUi(page, uniqueEmail("mobile"));
    await quickAdd(page, "Pick up the parcel tomorrow 5pm #errands", "Pick up the parcel");
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    const box = await quickAddBox(page).boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 360).toBe(true);
  });

  test("follows the system's dark theme, and the toggle switches it", async () => {
    const page = await newPage({ colorScheme: "dark" });
    await signUpUi(page, uniqueEmail("theme"));
    expect(luminance(await background(page))).toBeLessThan(0.2);
    await page.getByRole("button", { name: "Switch to light theme" }).click();
    expect(luminance(await background(page))).toBeGreaterThan(0.6);
    // The pick is remembered over a reload.
    await page.reload();
    await quickAddBox(page).waitFor();
    expect(luminance(await background(page))).toBeGreaterThan(0.6);
  });
});
