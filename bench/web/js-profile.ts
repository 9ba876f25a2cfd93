/**
 * Where the main thread's time goes before the first page is painted, by the code it ran: V8's CPU
 * profile (CDP `Profiler`, sampling every 250 µs) of a few extra cold loads of the task list, cut at
 * the frame after the first page, with each sample's function mapped through the build's source maps
 * (web/dist/assets/*.map) to the package or part of the app it came from. The profiler slows a load
 * down a little, so these loads are not among the timed ones.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import type { TodoServer } from "../../tests/e2e/lib/server.ts";
import { summarize } from "../lib/stats.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * A source map's `mappings` as, per generated line, the segments' generated columns and source
 * indexes (ascending by column): all a lookup by position needs.
 */
export function decodeMappings(mappings: string): { column: number; source: number }[][] {
  const lines: { column: number; source: number }[][] = [];
  let source = 0;
  for (const line of mappings.split(";")) {
    const segments: { column: number; source: number }[] = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0] ?? 0;
      if (values.length > 1) {
        source += values[1] ?? 0;
        segments.push({ column, source });
      }
    }
    lines.push(segments);
  }
  return lines;
}

/** What a source file of the build is, for the table: a package, the generated code, or the app. */
export function codeOf(source: string): string {
  const pkg = /node_modules\/(?:\.bun\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(source)?.[1];
  if (pkg) return pkg;
  if (/(^|\/)gen\//.test(source)) return "generated code (gen/)";
  if (/services\/language\//.test(source)) return "@todo/language";
  return "the app (web/src)";
}

/** Maps positions in the built files to {@link codeOf} names, reading each file's map once. */
function sourceLookup(distDir: string) {
  const maps = new Map<string, { sources: string[]; lines: { column: number; source: number }[][] } | null>();
  return (url: string, line: number, column: number): string | undefined => {
    const file = /\/assets\/([^/?#]+\.js)$/.exec(url)?.[1];
    if (!file) return undefined;
    if (!maps.has(file)) {
      const path = join(distDir, "assets", `${file}.map`);
      const map = existsSync(path)
        ? (JSON.parse(readFileSync(path, "utf8")) as { sources: string[]; mappings: string })
        : undefined;
      maps.set(file, map ? { sources: map.sources, lines: decodeMappings(map.mappings) } : null);
    }
    const map = maps.get(file);
    if (!map) return `${file} (no source map)`;
    const segments = map.lines[line] ?? [];
    let found: { column: number; source: number } | undefined;
    for (const s of segments) {
      if (s.column > column) break;
      found = s;
    }
    return found ? codeOf(map.sources[found.source] ?? "") : `${file} (not in its source map)`;
  };
}

/** The name of the function the frame mark spins in (see {@link installFrameMark}). */
const MARK = "benchFirstPageFrameMark";

/**
 * An init script for the profiled loads: in the frame after the task list holds `target` rows, it
 * spins for 3 ms in a function of a known name, so the profile shows where the first page was painted.
 */
function installFrameMark(target: number): void {
  let done = false;
  function benchFirstPageFrameMark() {
    const until = performance.now() + 3;
    while (performance.now() < until) {
      // spin: a few samples in this function mark the frame in the profile
    }
    (window as unknown as { benchFrameMarked: boolean }).benchFrameMarked = true;
  }
  new MutationObserver(() => {
    const n = document.querySelector('ul[aria-label="Tasks"]')?.children.length ?? 0;
    if (done || n < target) return;
    done = true;
    requestAnimationFrame(benchFirstPageFrameMark);
  }).observe(document, { childList: true, subtree: true });
}

/** Self time (ms) per kind of code until the first page's frame, in one profile. */
function attribute(profile: Profile, lookup: ReturnType<typeof sourceLookup>, origin: string) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = nodes.get(profile.samples[i] as number)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === MARK) return out;
    const us = profile.timeDeltas[i + 1] ?? 0;
    let kind: string;
    if (frame.url.includes("/assets/"))
      kind = lookup(frame.url, frame.lineNumber, frame.columnNumber) ?? "the app (web/src)";
    else if (frame.url.startsWith(origin)) kind = "inline scripts of index.html";
    else if (frame.url) kind = "the benchmark's probe";
    else if (frame.functionName === "(program)") kind = "(program): parsing, compiling, style, layout, paint";
    else if (frame.functionName === "(idle)") kind = "(idle): waiting for the network or other threads";
    else if (frame.functionName === "(garbage collector)") kind = "(garbage collector)";
    else kind = "built-ins called from JavaScript (DOM, fetch, Intl, …)";
    out.set(kind, (out.get(kind) ?? 0) + us / 1000);
  }
  return out;
}

/** Median self time per kind of code over `runs` profiled cold loads, largest first. */
export async function profileColdLoads(
  browser: Browser,
  server: TodoServer,
  storageState: Awaited<ReturnType<BrowserContext["storageState"]>>,
  target: number,
  runs: number,
  distDir: string,
): Promise<{ kind: string; ms: number }[]> {
  const lookup = sourceLookup(distDir);
  const per: Map<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ baseURL: server.url, timezoneId: "UTC", storageState });
    await context.addInitScript(installFrameMark, target);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 250 });
    await cdp.send("Profiler.start");
    await page.goto("/");
    await page.waitForFunction(
      () => (window as unknown as { benchFrameMarked?: boolean }).benchFrameMarked,
      undefined,
      {
        timeout: 30_000,
        polling: 50,
      },
    );
    const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: Profile };
    per.push(attribute(profile, lookup, server.url));
    await context.close();
  }
  const kinds = new Set(per.flatMap((m) => [...m.keys()]));
  return [...kinds]
    .map((kind) => ({ kind, ms: summarize(per.map((m) => m.get(kind) ?? 0)).p50 }))
    .sort((a, b) => b.ms - a.ms);
}
