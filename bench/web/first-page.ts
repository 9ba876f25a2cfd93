/**
 * The first-page phase of `bun run bench:web`: cold loads (a new browser context: empty HTTP cache,
 * the session from storage) and warm ones (a reload), each timed from navigation start to the frame
 * after the task list holds its first page, with where that time went — when the HTML and the
 * JavaScript had arrived, when the app's code ran, when the early ListTasks was answered — read from
 * resource timing and Chromium's long-animation-frame entries, which cost the page nothing to
 * record. `profileColdLoads` adds a CPU profile of a few more cold loads, attributed to the packages
 * the code came from through the build's source maps.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { TodoServer } from "../../tests/e2e/lib/server.ts";
import { summarize } from "../lib/stats.ts";
import { installProbe, type LongFrame, listTasksTimings, type Probe, readProbe } from "./probe.ts";

type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

/** One load, in ms from navigation start (NaN where a mark was not seen). */
export interface LoadSample {
  firstRow: number;
  firstPage: number;
  frame: number;
  /** The document's response end. */
  htmlDone: number;
  domContentLoaded: number;
  /** The last JavaScript file the HTML loads, response end. */
  jsDone: number;
  /** The app's module script: the task that runs it (compiling what was not compiled yet, then evaluating) starts and ends. */
  appStart: number;
  appEnd: number;
  /** The first ListTasks (sent by the inline boot script), start and response end. */
  listStart: number;
  listEnd: number;
  /** Main-thread time in long animation frames (over 50 ms) before the first page's frame: scripts, and style + layout. */
  scriptMs: number;
  layoutMs: number;
}

/** Where the app's own module script ran, and the main thread's long work before `until`. */
function mainThread(frames: readonly LongFrame[], until: number) {
  const before = frames.filter((f) => f.startTime < until);
  const app = before.flatMap((f) => f.scripts).find((s) => s.invokerType === "module-script");
  let scriptMs = 0;
  let layoutMs = 0;
  for (const f of before) {
    for (const s of f.scripts) scriptMs += s.duration;
    if (f.styleAndLayoutStart > 0) layoutMs += f.startTime + f.duration - f.styleAndLayoutStart;
  }
  return {
    appStart: app ? app.startTime : Number.NaN,
    appEnd: app ? app.startTime + app.duration : Number.NaN,
    scriptMs,
    layoutMs,
  };
}

async function loadOnce(page: Page, action: () => Promise<unknown>): Promise<LoadSample> {
  await action();
  await page.waitForFunction(
    () => (window as unknown as { __probe: Probe }).__probe.firstPageFrame !== undefined,
    undefined,
    { timeout: 30_000, polling: 50 },
  );
  const probe = await readProbe(page);
  const frame = probe.firstPageFrame ?? Number.NaN;
  const main = mainThread(probe.longFrames, frame);
  const nav = await page.evaluate((appStart) => {
    const n = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    // The files the document itself loads (its scripts and module preloads), not the chunks the app
    // asks for later: what was requested before the app's script ran (or before DOMContentLoaded).
    const before = Number.isFinite(appStart) ? appStart : n.domContentLoadedEventStart;
    const initial = new Set(
      Array.from(document.querySelectorAll("script[src], link[rel=modulepreload]")).map(
        (e) => (e as HTMLScriptElement).src || (e as HTMLLinkElement).href,
      ),
    );
    const js = performance
      .getEntriesByType("resource")
      .filter((e) => initial.has(e.name) && e.startTime < before)
      .map((e) => (e as PerformanceResourceTiming).responseEnd);
    return {
      htmlDone: n.responseEnd,
      domContentLoaded: n.domContentLoadedEventEnd,
      jsDone: js.length ? Math.max(...js) : Number.NaN,
    };
  }, main.appStart);
  const list = (await listTasksTimings(page))[0] ?? { start: Number.NaN, end: Number.NaN };
  return {
    firstRow: probe.firstRow ?? Number.NaN,
    firstPage: probe.firstPage ?? Number.NaN,
    frame,
    ...nav,
    ...main,
    listStart: list.start,
    listEnd: list.end,
  };
}

/** `runs` cold loads, each followed by a warm one (a reload in the same context). */
export async function measureFirstPage(
  browser: Browser,
  server: TodoServer,
  storageState: StorageState,
  target: number,
  runs: number,
): Promise<{ cold: LoadSample[]; warm: LoadSample[] }> {
  const cold: LoadSample[] = [];
  const warm: LoadSample[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ baseURL: server.url, timezoneId: "UTC", storageState });
    await context.addInitScript(installProbe, target);
    const page = await context.newPage();
    cold.push(await loadOnce(page, () => page.goto("/")));
    await new Promise((r) => setTimeout(r, 500));
    warm.push(await loadOnce(page, () => page.reload()));
    await context.close();
  }
  return { cold, warm };
}

const cell = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "–");

/** The first page's table: one row per load. */
export function firstPageTable(samples: { cold: LoadSample[]; warm: LoadSample[] }): string[] {
  return [
    "| load | HTML | JS loaded | app's script runs | ListTasks | rows | frame | long frames: script / style+layout |",
    "|---|---:|---:|---|---|---:|---:|---:|",
    ...(["cold", "warm"] as const).flatMap((kind) =>
      samples[kind].map(
        (s, i) =>
          `| ${kind} ${i + 1} | ${cell(s.htmlDone)} | ${cell(s.jsDone)} | ${cell(s.appStart)} → ${cell(s.appEnd)} | ${cell(s.listStart)} → ${cell(s.listEnd)} | ${cell(s.firstPage)} | ${cell(s.frame)} | ${cell(s.scriptMs)} / ${cell(s.layoutMs)} |`,
      ),
    ),
  ];
}

/** The cold loads' medians, column by column, as one paragraph. */
export function coldSummary(cold: readonly LoadSample[]): string[] {
  const p50 = (xs: number[]) => cell(summarize(xs.filter(Number.isFinite)).p50);
  const m = (key: keyof LoadSample) => p50(cold.map((s) => s[key]));
  const task = p50(cold.map((s) => s.appEnd - s.appStart));
  return [
    `**Cold loads, medians**: the HTML was in at ${m("htmlDone")} ms and the JavaScript at ${m("jsDone")} ms; the app's script ran from ${m("appStart")} to ${m("appEnd")} ms (a ${task} ms task); the early ListTasks was sent at ${m("listStart")} ms and answered at ${m("listEnd")} ms; the rows were in the DOM at ${m("firstPage")} ms and painted in the frame at ${m("frame")} ms. Long frames before it: ${m("scriptMs")} ms of script, ${m("layoutMs")} ms of style and layout.`,
  ];
}
