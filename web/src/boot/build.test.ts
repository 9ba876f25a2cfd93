/**
 * The build steps of web/vite.config.ts that the server and the first visit rely on: the inline
 * first-page script, the precompressed copies, the compile hints and the trusted Solid templates.
 */
import { describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import {
  bundleBootScript,
  compileHintsPlugin,
  firstPagePlugin,
  precompressPlugin,
  trustedTemplatesPlugin,
} from "../../vite.config";
import { SESSION_KEY } from "../api/stored-session";
import { EARLY_FIRST_PAGE, encodeListTasksRequest, firstPageRequest, LIST_TASKS_PATH } from "./first-page";

type Hook = (...args: unknown[]) => unknown;
const hook = (plugin: object, name: string) => (plugin as Record<string, Hook>)[name] as Hook;

describe("the inline first-page script", () => {
  it("is small, safe to inline, and sends the first page's request when run", async () => {
    const code = await bundleBootScript();
    expect(code.length).toBeLessThan(6 * 1024);
    expect(code).not.toMatch(/<\/script/i);
    expect(code).not.toMatch(/\bimport\b|\bexport\b/);

    const calls: { url: string; init: RequestInit }[] = [];
    const win: Record<string, unknown> = {
      location: { pathname: "/", search: "?due=today" },
      localStorage: {
        getItem: (k: string) =>
          k === SESSION_KEY
            ? JSON.stringify({
                token: "t1",
                user: { id: "u1", email: "a@x", displayName: "a", timeZone: "UTC" },
              })
            : null,
      },
      fetch: async (url: string, init: RequestInit) => {
        calls.push({ url, init });
        return new Response(null, { status: 204 });
      },
    };
    new Function("window", code)(win);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(LIST_TASKS_PATH);
    expect(calls[0]?.init.body).toEqual(encodeListTasksRequest(firstPageRequest("?due=today")));
    expect(win[EARLY_FIRST_PAGE]).toBeDefined();
  });

  it("replaces index.html's marker in <head>, and insists on the marker", async () => {
    const transform = hook(firstPagePlugin(), "transformIndexHtml");
    const html = readFileSync(join(import.meta.dir, "..", "..", "index.html"), "utf8");
    const out = (await transform(html)) as string;
    expect(out).not.toContain("<!-- first-page:");
    const at = out.indexOf("__todoFirstPage");
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(out.indexOf("</head>"));
    await expect(Promise.resolve().then(() => transform("<html><head></head></html>"))).rejects.toThrow(
      /marker/,
    );
  });
});

describe("precompressPlugin", () => {
  it("writes Brotli and gzip copies of text files big enough to gain, and leaves the rest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "todo-precompress-"));
    try {
      const big = `export const words = ${JSON.stringify("lorem ipsum ".repeat(500))};\n`;
      writeFileSync(join(dir, "app.js"), big);
      writeFileSync(join(dir, "tiny.css"), "a{}");
      writeFileSync(join(dir, "app.js.map"), big);
      writeFileSync(join(dir, "logo.png"), big);
      const bundle = { "app.js": {}, "tiny.css": {}, "app.js.map": {}, "logo.png": {} };
      await hook(precompressPlugin(), "writeBundle")({ dir }, bundle);
      expect(brotliDecompressSync(readFileSync(join(dir, "app.js.br"))).toString()).toBe(big);
      expect(gunzipSync(readFileSync(join(dir, "app.js.gz"))).toString()).toBe(big);
      expect(readFileSync(join(dir, "app.js.br")).length).toBeLessThan(big.length / 10);
      for (const skipped of ["tiny.css", "app.js.map", "logo.png"]) {
        expect(() => readFileSync(join(dir, `${skipped}.br`))).toThrow();
        expect(() => readFileSync(join(dir, `${skipped}.gz`))).toThrow();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("compileHintsPlugin", () => {
  it("marks the entry and what it imports statically, shifting their source maps by the added line", () => {
    const chunk = (fileName: string, isEntry: boolean, imports: string[]) => ({
      type: "chunk",
      fileName,
      isEntry,
      imports,
      code: `console.log("${fileName}");\n`,
      map: { mappings: "AAAA" },
    });
    const map = (mappings: string) => ({ type: "asset", source: JSON.stringify({ version: 3, mappings }) });
    const bundle: Record<string, Record<string, unknown>> = {
      "index.js": chunk("index.js", true, ["shared.js"]),
      "shared.js": chunk("shared.js", false, []),
      "lazy.js": chunk("lazy.js", false, ["shared.js"]),
      "index.js.map": map("AAAA;AACA"),
      "lazy.js.map": map("AAAA"),
    };
    const generate = (compileHintsPlugin() as unknown as { generateBundle: { handler: Hook } }).generateBundle
      .handler;
    generate({}, bundle);
    generate({}, bundle); // idempotent
    const hint = "//# allFunctionsCalledOnLoad\n";
    expect(bundle["index.js"]?.code).toBe(`${hint}console.log("index.js");\n`);
    expect(bundle["shared.js"]?.code).toBe(`${hint}console.log("shared.js");\n`);
    expect(bundle["lazy.js"]?.code).toBe('console.log("lazy.js");\n');
    expect(JSON.parse(bundle["index.js.map"]?.source as string).mappings).toBe(";AAAA;AACA");
    expect(JSON.parse(bundle["lazy.js.map"]?.source as string).mappings).toBe("AAAA");
    expect(bundle["shared.js"]?.map).toEqual({ mappings: ";AAAA" });
  });
});

describe("trustedTemplatesPlugin", () => {
  const transform = hook(trustedTemplatesPlugin(), "transform");
  const src = join(import.meta.dir, "..");

  it("wraps each literal template of the app's compiled JSX, without moving a line", () => {
    const code = [
      'import { template as _$template } from "solid-js/web";',
      "var _tmpl$ = /*#__PURE__*/ _$template(`<li class=task-row><input type=checkbox>`), _tmpl$2 = /*#__PURE__*/ _$template(`<td>`);",
      "export const row = () => _tmpl$();",
    ].join("\n");
    const out = transform(code, join(src, "components", "Row.tsx")) as { code: string };
    const lines = out.code.split("\n");
    expect(lines[1]).toBe(
      "var _tmpl$ = /*#__PURE__*/ _$template(/*#__PURE__*/ __todoTrustedTemplate(`<li class=task-row><input type=checkbox>`)), _tmpl$2 = /*#__PURE__*/ _$template(/*#__PURE__*/ __todoTrustedTemplate(`<td>`));",
    );
    // The other lines stay where they were (the import is appended), so the source map holds.
    expect([lines[0], lines[2]]).toEqual([code.split("\n")[0], code.split("\n")[2]]);
    expect(out.code).toContain(
      `import { trustedTemplate as __todoTrustedTemplate } from ${JSON.stringify(join(src, "trusted-types.ts"))};`,
    );
  });

  it("leaves templates with substitutions or escapes, other files and libraries alone", () => {
    // A `$` may start a substitution; a backslash an escape (the text would differ at run time).
    const odd = "var a = _$template(`<p>$x</p>`), b = _$template(`<p>\\u0041</p>`);";
    expect(transform(odd, join(src, "components", "Odd.tsx"))).toBeUndefined();
    const plain = "var _tmpl$ = _$template(`<p>`);";
    expect(transform(plain, "/repo/node_modules/some-lib/index.jsx")).toBeUndefined();
    expect(transform(plain, join(src, "trusted-types.ts"))).toBeUndefined();
    expect(transform("export const x = 1;", join(src, "lib", "x.ts"))).toBeUndefined();
  });
});
