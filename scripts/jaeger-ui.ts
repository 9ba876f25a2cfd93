/**
 * `bun scripts/jaeger-ui.ts <jaeger-ui source>`: builds Jaeger's web UI from its source into
 * `${TODO_CACHE_DIR:-~/.cache/todo}/jaeger-ui-<version>/build/` and prints that directory on stdout
 * (progress goes to stderr), for `bun run observe --jaeger-ui DIR` and
 * `bun run screenshots:observability` (`JAEGER_UI_DIR`).
 *
 * Why a build from source: the Jaeger that `bun run obs:tools` builds from the Go module has no UI
 * assets, and no package on npm ships a built Jaeger UI. The source is a clone of
 * github.com/jaegertracing/jaeger-ui, so this cannot run in CI (no network but the package
 * registries); everything the build installs comes from the npm registry (`npm ci` on the tag's
 * package-lock.json).
 *
 * `<source>` is either a git directory of that repository (a bare clone, or a clone's work tree:
 * its tag `--ref`, default the Jaeger version `deploy/tools/jaeger/go.mod` requires, e.g. v1.75.0,
 * is exported with `git archive`; nothing in the clone is changed) or an unpacked source tree
 * (copied without its node_modules). The UI's own sources are built unchanged:
 *
 * 1. `npm ci --engine-strict=false --ignore-scripts`: the tag wants Node ≥ 24 (`engines`, and
 *    `engine-strict` in its .npmrc) but builds with Node 20.19+; the root's `prepare` script would
 *    install husky's git hooks (an exported tree has no .git) and build plexus, which step 2 does.
 * 2. `npm run build --workspace @jaegertracing/plexus` (the graph component the UI imports).
 * 3. `vite build` in packages/jaeger-ui with NODE_ENV=production: the package's `build` script
 *    minus its `REACT_APP_VSN_STATE=$(../../scripts/get-tracking-version.js)`, which fails on
 *    v1.75.0 (`require` in a `"type": "module"` package) and leaves the variable empty either way;
 *    it only labels analytics events, which Jaeger's default UI config does not send.
 *
 * About 5 minutes on 2 cores. A finished build is reused (`--force` builds again); with no
 * `<source>`, the script prints the cached build for the Jaeger version, or says how to make one.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { cacheRoot } from "./lib/cache-root.ts";
import { jaegerVersion } from "./lib/observability-tools.ts";
import { capture } from "./lib/proc.ts";
import { needProgram, runOrThrow } from "./lib/tool-cache.ts";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    ref: { type: "string" },
    force: { type: "boolean", default: false },
  },
});
const log = (msg: string) => process.stderr.write(`[jaeger-ui] ${msg}\n`);
/** The Jaeger release we run; the UI tag of the same number is the one it was released with. */
const wanted = jaegerVersion();
const buildDir = (version: string) => join(cacheRoot(), `jaeger-ui-${version}`, "build");

/** The UI's version as its package.json says (the cache directory's name). */
function uiVersion(tree: string): string {
  const pkg = JSON.parse(readFileSync(join(tree, "packages", "jaeger-ui", "package.json"), "utf8")) as {
    version?: string;
  };
  if (!pkg.version) throw new Error(`${tree}/packages/jaeger-ui/package.json has no version`);
  return pkg.version;
}

/** Vite 7 needs Node 20.19+ (or 22.12+). */
async function checkNode(): Promise<void> {
  needProgram("npm", "the Jaeger UI build uses npm (Node 20.19 or newer)");
  const version = (await runOrThrow(["node", "--version"], {}, "node --version")).trim();
  const [major = 0, minor = 0] = version.slice(1).split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19) || (major === 22 && minor < 12))
    throw new Error(`node ${version}: the Jaeger UI build (Vite 7) needs Node 20.19+ or 22.12+`);
}

/**
 * Puts the source into `dest`: `git archive <ref>` of a git directory, or a copy of an unpacked
 * tree. Returns what was built from, for manifest.json.
 */
async function exportSource(source: string, ref: string, dest: string): Promise<Record<string, string>> {
  mkdirSync(dest, { recursive: true });
  if (existsSync(join(source, "packages", "jaeger-ui", "package.json"))) {
    if (flags.ref)
      throw new Error(`${source} is an unpacked tree, not a git directory: --ref does not apply`);
    cpSync(source, dest, {
      recursive: true,
      filter: (path) => !["node_modules", ".git", "build"].includes(basename(path)),
    });
    return { source };
  }
  const gitDir = existsSync(join(source, ".git")) ? join(source, ".git") : source;
  const commit = await capture(["git", `--git-dir=${gitDir}`, "rev-parse", "--verify", `${ref}^{commit}`]);
  if (commit.code !== 0)
    throw new Error(
      `${source} is neither a jaeger-ui source tree nor a git directory with ${ref}: ${commit.stderr.trim()}`,
    );
  await runOrThrow(
    [
      "bash",
      "-o",
      "pipefail",
      "-c",
      'git --git-dir="$1" archive "$2" | tar -x -C "$3"',
      "_",
      gitDir,
      ref,
      dest,
    ],
    {},
    `git archive ${ref}`,
  );
  return { source, ref, commit: commit.stdout.trim() };
}

/** Runs one build step in `cwd`, logging how long it took. */
async function step(what: string, cmd: readonly string[], cwd: string, env?: Record<string, string>) {
  const started = performance.now();
  log(`${what}: ${cmd.join(" ")}`);
  await runOrThrow(cmd, { cwd, env }, what);
  const seconds = Math.round((performance.now() - started) / 1000);
  log(`${what}: done in ${seconds} s`);
  return seconds;
}

async function build(source: string): Promise<string> {
  await checkNode();
  const ref = flags.ref ?? wanted;
  const partial = join(cacheRoot(), `jaeger-ui.partial-${process.pid}`);
  const src = join(partial, "src");
  rmSync(partial, { recursive: true, force: true });
  try {
    const from = await exportSource(source, ref, src);
    const version = uiVersion(src);
    if (`v${version}` !== wanted)
      log(`warning: this is Jaeger UI ${version}; the Jaeger we run is ${wanted} (tag ${wanted} matches it)`);
    const out = buildDir(version);
    if (existsSync(join(out, "index.html")) && !flags.force) {
      log(`${out} is already built (--force builds again)`);
      return out;
    }
    if (!existsSync(join(src, "package-lock.json")))
      throw new Error(
        `Jaeger UI ${version} has no package-lock.json: this script builds the npm releases (v1.x)`,
      );
    const seconds = {
      install: await step(
        "npm ci",
        ["npm", "ci", "--engine-strict=false", "--ignore-scripts", "--no-audit", "--no-fund"],
        src,
      ),
      plexus: await step("plexus", ["npm", "run", "build", "--workspace", "@jaegertracing/plexus"], src),
      ui: await step(
        "vite build",
        [join(src, "node_modules", ".bin", "vite"), "build"],
        join(src, "packages", "jaeger-ui"),
        {
          NODE_ENV: "production",
        },
      ),
    };
    const built = join(src, "packages", "jaeger-ui", "build");
    // Jaeger's query service fills these placeholders of index.html in when it serves the UI.
    if (!readFileSync(join(built, "index.html"), "utf8").includes("JAEGER_CONFIG"))
      throw new Error(`${built}/index.html has no JAEGER_CONFIG placeholder: not a Jaeger UI build`);
    renameSync(built, join(partial, "build"));
    rmSync(src, { recursive: true, force: true });
    writeFileSync(
      join(partial, "manifest.json"),
      `${JSON.stringify({ ...from, version, buildSeconds: seconds }, null, 2)}\n`,
    );
    const final = join(out, "..");
    rmSync(final, { recursive: true, force: true });
    renameSync(partial, final);
    log(`built Jaeger UI ${version} in ${seconds.install + seconds.plexus + seconds.ui} s`);
    return out;
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

const [source, ...extra] = positionals;
if (extra.length > 0)
  throw new Error(`one source directory, not ${positionals.length}: ${positionals.join(" ")}`);
if (source) {
  console.log(await build(resolve(source)));
} else {
  const cached = buildDir(wanted.slice(1));
  if (!existsSync(join(cached, "index.html"))) {
    log(`no Jaeger UI ${wanted.slice(1)} in ${cached}: give a jaeger-ui git clone or source tree`);
    log(`  (github.com/jaegertracing/jaeger-ui, tag ${wanted}): bun scripts/jaeger-ui.ts <dir>`);
    process.exit(2);
  }
  console.log(cached);
}
