/**
 * Measurements taken in the page, shared by the budget test (`layout.e2e.ts`) and the web
 * benchmark (`bench/web.ts`).
 */
import { gzipSync } from "node:zlib";
import type { Page, Response } from "playwright-core";

/** One JavaScript file the page fetched. */
export interface JsFile {
  readonly url: string;
  /** Size as served (uncompressed), bytes. */
  readonly bytes: number;
  /** Size after gzip at zlib's default level (6, what `vite build` reports), bytes. */
  readonly gzipBytes: number;
  /**
   * Whether the HTML document itself loads it (`<script src>` or `<link rel="modulepreload">`;
   * Vite lists every static import of the entry there). The rest came from dynamic `import()`s:
   * lazy routes, the editor, the quick-add parser, idle preloads.
   */
  readonly initial: boolean;
}

/** The JavaScript a page load fetched. */
export interface PageJs {
  readonly files: readonly JsFile[];
  /** The initial files only (see {@link JsFile.initial}): what the page needs before it can run. */
  readonly initialBytes: number;
  readonly initialGzipBytes: number;
  /** Everything fetched while `load` ran. */
  readonly totalBytes: number;
  readonly totalGzipBytes: number;
}

/** The script and modulepreload URLs of an HTML document, resolved against `base`. */
export function htmlScriptUrls(html: string, base: string): Set<string> {
  const urls = new Set<string>();
  for (const tag of html.match(/<(script|link)\b[^>]*>/gi) ?? []) {
    const isScript = /^<script/i.test(tag);
    if (!isScript && !/\brel\s*=\s*["']?modulepreload\b/i.test(tag)) continue;
    const ref = tag.match(/\b(?:src|href)\s*=\s*["']([^"']+)["']/i)?.[1];
    if (ref) urls.add(new URL(ref, base).href);
  }
  return urls;
}

/**
 * Records every JavaScript response (by content type) the page gets while `load` runs, sizes each
 * one gzipped, and marks which ones the HTML document loads itself. Use a page of a fresh context
 * (an empty HTTP cache). The budget ("initial JavaScript ≤ 100 KB gzipped") is about the
 * initial files: chunks loaded later on purpose (routes, the editor, idle preloads) are counted in
 * the totals but not in `initialGzipBytes`, whether or not they happen to arrive before `load` ends.
 */
export async function measurePageJs(page: Page, load: () => Promise<void>): Promise<PageJs> {
  const pending: Promise<Omit<JsFile, "initial"> | undefined>[] = [];
  let html: { text: Promise<string>; url: string } | undefined;
  const onResponse = (res: Response) => {
    if (res.request().resourceType() === "document" && res.frame() === page.mainFrame()) {
      html = { text: res.text().catch(() => ""), url: res.url() };
      return;
    }
    const type = res.headers()["content-type"] ?? "";
    if (!/javascript|ecmascript/.test(type)) return;
    pending.push(
      res
        .body()
        .then((body) => ({ url: res.url(), bytes: body.length, gzipBytes: gzipSync(body).length }))
        .catch(() => undefined),
    );
  };
  page.on("response", onResponse);
  try {
    await load();
  } finally {
    page.off("response", onResponse);
  }
  const fromHtml = html ? htmlScriptUrls(await html.text, html.url) : new Set<string>();
  const files = (await Promise.all(pending))
    .filter((f) => f !== undefined)
    .map((f) => ({ ...f, initial: fromHtml.has(f.url) }));
  const sum = (xs: readonly JsFile[], key: "bytes" | "gzipBytes") => xs.reduce((n, f) => n + f[key], 0);
  const initial = files.filter((f) => f.initial);
  return {
    files,
    initialBytes: sum(initial, "bytes"),
    initialGzipBytes: sum(initial, "gzipBytes"),
    totalBytes: sum(files, "bytes"),
    totalGzipBytes: sum(files, "gzipBytes"),
  };
}

/** `bytes` as kilobytes (1 KB = 1024 bytes) with one decimal. */
export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
