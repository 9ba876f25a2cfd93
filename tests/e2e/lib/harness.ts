/**
 * The shared state of one e2e run: one `bun start` server and one Chromium, started on first use
 * and closed by the preload (`tests/e2e/setup.ts`) after the last file. Every test gets fresh
 * browser contexts (its own cookies and storage) and its own user, so tests never see each other.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { launchChromium } from "./chromium.ts";
import { startTodoServer, type TodoServer } from "./server.ts";

/** What a test needs: the server and the browser. */
export interface E2E {
  readonly server: TodoServer;
  readonly browser: Browser;
}

let started: Promise<E2E> | undefined;
const contexts = new Set<BrowserContext>();

/**
 * The run's server and browser, started once (the first caller pays for the web build, the
 * server's start and the browser's launch). A failure is remembered, so every file fails with it.
 */
export function e2e(): Promise<E2E> {
  started ??= (async () => {
    const [server, browser] = await Promise.all([startTodoServer(), launchChromium()]);
    return { server, browser };
  })();
  return started;
}

/**
 * A new browser context with its base URL at the server (so `page.goto("/")` works), the time
 * zone fixed to UTC, a desktop viewport and English locale unless `options` says otherwise.
 * It is closed by {@link closeContexts} (called after each file) even if the test fails.
 */
export async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const { server, browser } = await e2e();
  const context = await browser.newContext({
    baseURL: server.url,
    timezoneId: "UTC",
    locale: "en-US",
    viewport: { width: 1280, height: 800 },
    ...options,
  });
  context.setDefaultTimeout(15_000);
  contexts.add(context);
  return context;
}

/** A new page in a new context (see {@link newContext}). */
export async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
  return await (await newContext(options)).newPage();
}

/** Closes every context opened by {@link newContext} so far. */
export async function closeContexts(): Promise<void> {
  const open = [...contexts];
  contexts.clear();
  await Promise.all(open.map((c) => c.close().catch(() => {})));
}

/** Closes the browser and stops the server, if they were started. */
export async function closeE2E(): Promise<void> {
  if (!started) return;
  const pending = started;
  started = undefined;
  await closeContexts();
  const env = await pending.catch(() => undefined);
  if (!env) return;
  await env.browser.close().catch(() => {});
  await env.server.stop();
}
