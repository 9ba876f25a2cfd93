/**
 * The in-page probe of `bun run bench:web` (bench/web.ts): installed as a context init script, so it
 * runs before the page's own scripts and sees the whole load. It notes when the task list gets its
 * rows, every change to them (search), the last keystroke, animation frames, and Chromium's
 * long-animation-frame entries (what ran on the main thread, and for how long, before the first
 * page was painted). Times are the page's `performance.now()` (0 = navigation start).
 */
import type { Page } from "playwright-core";

/** One script in a long animation frame (Chromium's `PerformanceScriptTiming`). */
export interface FrameScript {
  /** `module-script`, `classic-script`, `resolve-promise`, `event-listener`, … */
  readonly invokerType: string;
  readonly invoker: string;
  readonly sourceURL: string;
  readonly startTime: number;
  /** When it began to run, after compiling on the main thread. */
  readonly executionStart: number;
  readonly duration: number;
  readonly forcedStyleAndLayoutDuration: number;
}

/** A frame whose work took over 50 ms (Chromium's `PerformanceLongAnimationFrameTiming`). */
export interface LongFrame {
  readonly startTime: number;
  readonly duration: number;
  /** Where rendering began (0: the frame did not render). */
  readonly renderStart: number;
  /** Where style and layout began (0: none). */
  readonly styleAndLayoutStart: number;
  readonly scripts: readonly FrameScript[];
}

/** What the probe records. */
export interface Probe {
  /** Rows in the task list reached 1 (DOM time), then the next frame. */
  firstRow?: number;
  /** Rows reached the first page's size (see `target`), then the next frame. */
  firstPage?: number;
  firstPageFrame?: number;
  target: number;
  /** The event time of the last key pressed. */
  lastKey?: number;
  /** Changes to the list's rows: DOM time and the next frame. */
  changes: { t: number; frame: number }[];
  /** Every animation frame's time while `recordFrames` is on (the search phase). */
  frames: number[];
  recordFrames: boolean;
  /** Long animation frames, from the start of the load. */
  longFrames: LongFrame[];
}

/** Installed before the page's own scripts (a context init script); `target` = rows of a full first page. */
export function installProbe(target: number): void {
  const probe: Probe = { target, changes: [], frames: [], recordFrames: false, longFrames: [] };
  const onFrame = (t: number) => {
    if (probe.recordFrames) probe.frames.push(t);
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);
  (window as unknown as { __probe: Probe }).__probe = probe;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as LongFrame[])
        probe.longFrames.push({
          startTime: e.startTime,
          duration: e.duration,
          renderStart: e.renderStart,
          styleAndLayoutStart: e.styleAndLayoutStart,
          scripts: e.scripts.map((s) => ({
            invokerType: s.invokerType,
            invoker: s.invoker,
            sourceURL: s.sourceURL,
            startTime: s.startTime,
            executionStart: s.executionStart,
            duration: s.duration,
            forcedStyleAndLayoutDuration: s.forcedStyleAndLayoutDuration,
          })),
        });
    }).observe({ type: "long-animation-frame", buffered: true });
  } catch {
    // not Chromium: no breakdown
  }
  const rows = () => document.querySelector('ul[aria-label="Tasks"]')?.children.length ?? 0;
  const observer = new MutationObserver((records) => {
    const now = performance.now();
    const n = rows();
    if (n >= 1 && probe.firstRow === undefined) probe.firstRow = now;
    if (n >= probe.target && probe.firstPage === undefined) {
      probe.firstPage = now;
      requestAnimationFrame(() => {
        probe.firstPageFrame = performance.now();
      });
    }
    const list = document.querySelector('ul[aria-label="Tasks"]');
    if (list && records.some((r) => r.type !== "attributes" && list.contains(r.target))) {
      const change = { t: now, frame: now };
      probe.changes.push(change);
      requestAnimationFrame(() => {
        change.frame = performance.now();
      });
    }
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true });
  document.addEventListener(
    "keydown",
    (e) => {
      probe.lastKey = e.timeStamp;
    },
    true,
  );
}

/** The probe's record so far. */
export const readProbe = (page: Page): Promise<Probe> =>
  page.evaluate(() => (window as unknown as { __probe: Probe }).__probe);

/** Resource-timing entries of ListTasks calls (start, end) in page time. */
export const listTasksTimings = (page: Page): Promise<{ start: number; end: number }[]> =>
  page.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((e) => e.name.endsWith("/todo.task.v1.TaskService/ListTasks"))
      .map((e) => ({ start: e.startTime, end: (e as PerformanceResourceTiming).responseEnd })),
  );
