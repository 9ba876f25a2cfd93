/**
 * Vite builds the web app into web/dist, which `bun start` (and the edge) serve. In `bun run dev`
 * (web/), RPC paths are proxied to a running server on :8080.
 *
 * The build also inlines a small boot script into index.html (`firstPagePlugin`): it sends the task
 * list's first ListTasks while the app's JavaScript is still downloading (src/boot/first-page.ts);
 * it puts what the first screen runs into two files, the app and `vendor`, marked for eager
 * compilation (`compileHintsPlugin`); it marks Solid's compiled templates as trusted, so the Trusted
 * Types policy does not run DOMPurify on the app's own markup (`trustedTemplatesPlugin`); and it
 * writes Brotli and gzip copies of the text files for the server to send (`precompressPlugin`).
 * docs/benchmarks-web.md has the measurements.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { build, defineConfig, type Plugin, type Rolldown } from "vite";
import solid from "vite-plugin-solid";

const webDir = fileURLToPath(new URL(".", import.meta.url));
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Bundles src/boot/first-page-entry.ts (and what it imports) into one minified classic script. */
export async function bundleBootScript(): Promise<string> {
  const result = await build({
    configFile: false,
    root: webDir,
    logLevel: "warn",
    publicDir: false,
    build: {
      write: false,
      target: "es2022",
      minify: true,
      sourcemap: false,
      emptyOutDir: false,
      lib: { entry: "src/boot/first-page-entry.ts", formats: ["iife"], name: "todoBoot" },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunk = outputs.flatMap((o) => o.output).find((o) => o.type === "chunk");
  if (!chunk) throw new Error("first-page boot script: the build produced no chunk");
  const code = chunk.code.trim();
  // Inlined into <script>: its text must not be able to end the element early.
  if (/<\/script/i.test(code)) throw new Error("first-page boot script contains </script");
  return code;
}

/**
 * The marker in index.html where the boot script goes: before the stylesheet link Vite adds at the
 * end of <head>, because a classic script after a pending stylesheet waits for it to load.
 */
const BOOT_MARKER = /<!-- first-page:[^>]*-->/;

/** Inlines the first-page boot script into index.html (builds only; `vite` dev serves without it). */
export function firstPagePlugin(): Plugin {
  let script: Promise<string> | undefined;
  return {
    name: "todo:first-page",
    apply: "build",
    async transformIndexHtml(html) {
      if (!BOOT_MARKER.test(html)) throw new Error("index.html lacks the <!-- first-page: --> marker");
      script ??= bundleBootScript();
      const code = await script;
      return html.replace(BOOT_MARKER, () => `<script>${code}</script>`);
    },
  };
}

/**
 * A call to Solid's `template()` as its compiler writes it, with a literal that has no
 * substitution and no escape (its text is then exactly the string at run time). A template that
 * does not match is left alone and goes through DOMPurify like any other HTML.
 */
const SOLID_TEMPLATE = /(\b_\$template\()(`[^`$\\]*`)/g;

/**
 * Wraps every template of the app's compiled JSX in `trustedTemplate(…)` (src/trusted-types.ts), so
 * the Trusted Types default policy lets the app's own markup through without running DOMPurify on
 * it at start-up. Only the app's sources (src/) are rewritten; the import goes at the end of the
 * module (imports are hoisted), so no line moves (only columns on the template lines) and the
 * source map stays right to the line.
 */
export function trustedTemplatesPlugin(): Plugin {
  const src = join(webDir, "src");
  const registry = join(src, "trusted-types.ts");
  return {
    name: "todo:trusted-templates",
    enforce: "post",
    transform(code, id) {
      const file = id.split("?")[0] ?? id;
      if (!file.startsWith(src) || file === registry || !/\.[jt]sx?$/.test(file)) return;
      if (!code.includes("_$template(")) return;
      const out = code.replace(SOLID_TEMPLATE, "$1/*#__PURE__*/ __todoTrustedTemplate($2)");
      if (out === code) return;
      return {
        code: `${out}\nimport { trustedTemplate as __todoTrustedTemplate } from ${JSON.stringify(registry)};\n`,
        map: null,
      };
    },
  };
}

/** Which built files get precompressed copies: text, and big enough for compression to pay. */
const COMPRESSIBLE = /\.(js|css|html|svg|json|webmanifest|txt)$/;
const COMPRESS_MIN_BYTES = 1024;

/**
 * Writes a Brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy beside each text file of
 * the build, which the server sends as they are to clients that accept them
 * (services/platform/src/static-web.ts): the best compression, paid once per build instead of
 * per request. Source maps are left alone.
 */
export function precompressPlugin(): Plugin {
  return {
    name: "todo:precompress",
    apply: "build",
    async writeBundle(options, bundle) {
      const dir = options.dir ?? join(webDir, "dist");
      await Promise.all(
        Object.keys(bundle)
          .filter((name) => COMPRESSIBLE.test(name))
          .map(async (name) => {
            const path = join(dir, name);
            const data = await readFile(path);
            if (data.length < COMPRESS_MIN_BYTES) return;
            const [br, gz] = await Promise.all([
              brotli(data, {
                params: {
                  [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
                  [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
                  [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
                },
              }),
              gzip(data, { level: 9 }),
            ]);
            await Promise.all([writeFile(`${path}.br`, br), writeFile(`${path}.gz`, gz)]);
          }),
      );
    },
  };
}

/**
 * V8's explicit compile hint: a file starting with this comment is compiled whole, on the
 * background thread that parses the script while it downloads, instead of function by function on
 * the main thread as the app first calls them.
 */
const COMPILE_HINT = "//# allFunctionsCalledOnLoad";

/**
 * Marks the initial chunks (the entry and everything it imports statically) with
 * {@link COMPILE_HINT}: nearly all of their code runs before the first screen, so compiling it in
 * advance, while the main thread waits for the network, takes that work off the first screen's
 * path. Chunks loaded later (routes, the editor, the quick-add parser) are left to lazy
 * compilation.
 */
export function compileHintsPlugin(): Plugin {
  return {
    name: "todo:compile-hints",
    apply: "build",
    // The comment is added after the file names are hashed: count it in, so that adding or
    // removing this plugin renames the files and no cache keeps the other version.
    augmentChunkHash: () => COMPILE_HINT,
    generateBundle: {
      order: "post",
      handler(_options, bundle) {
        const initial = new Set<string>();
        const stack = Object.values(bundle).flatMap((o) =>
          o.type === "chunk" && o.isEntry ? [o.fileName] : [],
        );
        while (stack.length) {
          const name = stack.pop() as string;
          const chunk = bundle[name];
          if (initial.has(name) || chunk?.type !== "chunk") continue;
          initial.add(name);
          stack.push(...chunk.imports);
        }
        for (const name of initial) {
          const chunk = bundle[name];
          if (chunk?.type !== "chunk" || chunk.code.startsWith(COMPILE_HINT)) continue;
          chunk.code = `${COMPILE_HINT}\n${chunk.code}`;
          // One more line at the top: the source map's lines move down by one (the map is written
          // from its own asset when there is one).
          if (chunk.map) chunk.map.mappings = `;${chunk.map.mappings}`;
          const map = bundle[`${name}.map`];
          if (map?.type === "asset" && typeof map.source === "string") {
            const json = JSON.parse(map.source) as { mappings: string };
            json.mappings = `;${json.mappings}`;
            map.source = JSON.stringify(json);
          }
        }
      },
    },
  };
}

export default defineConfig({
  plugins: [solid(), trustedTemplatesPlugin(), firstPagePlugin(), precompressPlugin(), compileHintsPlugin()],
  build: {
    outDir: "dist",
    target: "es2022",
    sourcemap: true,
    rolldownOptions: {
      output: {
        // What every page runs before it can show anything — Solid, the router, the protobuf
        // runtime, Connect and the generated code of the calls the first screen makes — in one
        // chunk beside the app's own, so the HTML loads two scripts (and the libraries keep
        // their file name, and their place in the HTTP cache, while the app's code changes). The
        // priority vocabulary (`@todo/language/priority`, with its word-table.ts) goes there too:
        // the lazily loaded parser shares it, and on its own it would be a third script.
        codeSplitting: {
          groups: [
            {
              name: "vendor",
              tags: ["$initial"],
              test: /node_modules|[\\/]gen[\\/]|[\\/]services[\\/]language[\\/]src[\\/](priority|word-table)\.ts$/,
            },
          ],
        },
      },
    },
  },
  server: {
    proxy: { "^/(todo|grpc)\\.[\\w.]+/\\w+$": { target: "http://127.0.0.1:8080", changeOrigin: false } },
  },
});
