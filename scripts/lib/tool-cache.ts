/**
 * The cache the project's built tools live in (`kube-tools.ts`, `observability-tools.ts`): one
 * directory per set of tools, `${TODO_CACHE_DIR:-~/.cache/todo}/<prefix>-<hash>/` (`cacheRoot()`),
 * where `<hash>` covers every component's input key, so a changed input builds again and an
 * unchanged one never does.
 *
 * A miss builds into `<dir>.partial-<pid>` and renames it into place, so an interrupted build never
 * leaves half a cache; a component whose own key did not change is copied from the previous cache
 * directory of the same prefix instead of being built again (the Go builds take minutes), and that
 * previous directory is then removed, as are the partial directories of builds whose process died.
 * `manifest.json` in a finished directory records the keys and each build's seconds.
 */
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheRoot } from "./cache-root.ts";
import { capture } from "./proc.ts";

/** An environment to read `TODO_CACHE_DIR` (and friends) from, or to add to a child's. */
export type Env = Readonly<Record<string, string | undefined>>;
/** Where progress goes. */
export type Log = (message: string) => void;

/** Hex SHA-256 of the parts, each followed by a NUL (so `("ab", "c")` ≠ `("a", "bc")`). */
export function sha(...parts: (string | Buffer)[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex");
}

/** The cache directory of `prefix` for these component keys. */
export function toolCacheDir(prefix: string, keys: Record<string, string>, env: Env = process.env): string {
  return join(cacheRoot(env), `${prefix}-${sha(...Object.entries(keys).flat()).slice(0, 12)}`);
}

/** What `manifest.json` in a finished cache directory records. */
export interface ToolManifest {
  readonly keys: Record<string, string>;
  readonly buildSeconds: Record<string, number>;
}

/** The manifest of a finished cache directory; `undefined` for a missing or unfinished one. */
export function readToolManifest(dir: string): ToolManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ToolManifest;
  } catch {
    return undefined;
  }
}

/**
 * Runs `cmd` (stdin closed, `env` added to this process's environment) and returns its stdout;
 * throws with the command and the last 30 lines of its output (without `go: downloading` noise)
 * when it exits non-zero. `what` names the step in the error.
 */
export async function runOrThrow(
  cmd: readonly string[],
  opts: { cwd?: string; env?: Env },
  what: string,
): Promise<string> {
  const result = await capture(cmd, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  if (result.code !== 0) {
    const output = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => !line.startsWith("go: downloading"))
      .slice(-30)
      .join("\n");
    throw new Error(`${what} failed (exit ${result.code}): ${cmd.join(" ")}\n${output}`);
  }
  return result.stdout;
}

/** The path of `program` on PATH; throws `<program> is not installed; <why>` when there is none. */
export function needProgram(program: string, why: string): string {
  const path = Bun.which(program);
  if (!path) throw new Error(`${program} is not installed; ${why}`);
  return path;
}

/** A Go program installed with `go install <pkg>@<version>`. */
export interface GoTool {
  readonly name: string;
  readonly pkg: string;
  readonly version: string;
  /** The `-X` variable its `version` command prints, when the module's own default is wrong. */
  readonly versionVar?: string;
  /** The value stamped into `versionVar` (default: `version`). */
  readonly versionValue?: string;
}

/** The `-ldflags` a Go tool is built with: stripped, and version-stamped when it says so. */
export function goToolLdflags(tool: GoTool): string {
  return tool.versionVar ? `-s -w -X ${tool.versionVar}=${tool.versionValue ?? tool.version}` : "-s -w";
}

/**
 * `go install -trimpath -ldflags=<goToolLdflags> <pkg>@<version>` with `GOBIN=out`, outside any
 * module or workspace (so nothing of this repository's Go setup leaks in).
 */
export async function goInstall(tool: GoTool, out: string): Promise<void> {
  const go = needProgram("go", `${tool.name} is built with Go 1.26+ from the Go module proxy`);
  const args = ["install", "-trimpath", `-ldflags=${goToolLdflags(tool)}`, `${tool.pkg}@${tool.version}`];
  await runOrThrow(
    [go, ...args],
    { cwd: tmpdir(), env: { GOWORK: "off", GOFLAGS: "-buildvcs=false", GOBIN: out } },
    `go install ${tool.name}`,
  );
}

/**
 * `go build -trimpath -ldflags=<ldflags> -o <out> <pkg>` inside the tool module `moduleDir` (a
 * go.mod that requires the program as a `tool`, for modules `go install …@version` refuses), with
 * its go.mod and go.sum as committed (`-mod=readonly`) and no workspace.
 */
export async function goBuildInModule(opts: {
  readonly name: string;
  readonly moduleDir: string;
  readonly pkg: string;
  readonly out: string;
  readonly ldflags: string;
}): Promise<void> {
  const go = needProgram("go", `${opts.name} is built with Go 1.26+ from the Go module proxy`);
  await runOrThrow(
    [go, "build", "-trimpath", "-ldflags", opts.ldflags, "-o", opts.out, opts.pkg],
    { cwd: opts.moduleDir, env: { GOWORK: "off", GOFLAGS: "-mod=readonly -buildvcs=false" } },
    `go build ${opts.name}`,
  );
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Other directories of `prefix` in the cache: finished ones, and partial ones of dead builds. */
function otherCacheDirs(prefix: string, dir: string): { finished: string[]; abandoned: string[] } {
  const parent = join(dir, "..");
  const finished: string[] = [];
  const abandoned: string[] = [];
  if (!existsSync(parent)) return { finished, abandoned };
  for (const name of readdirSync(parent)) {
    const path = join(parent, name);
    if (!name.startsWith(`${prefix}-`) || path === dir) continue;
    const partial = /\.partial-(\d+)$/.exec(name);
    if (partial) {
      if (!processAlive(Number(partial[1]))) abandoned.push(path);
    } else if (readToolManifest(path)) finished.push(path);
  }
  return { finished, abandoned };
}

/**
 * Builds one component into `<staging>/<path ?? name>`, or copies it from a previous cache
 * directory whose key for `name` is the same. A component with an explicit `path` (data that holds
 * absolute paths into the final directory) is never copied, always made again.
 */
export type BuildComponent = (
  name: string,
  build: (out: string) => Promise<void>,
  path?: string,
) => Promise<void>;

/** What `ensureToolCache` builds. */
export interface ToolCacheSpec {
  /** The directory name's prefix, e.g. `kube-tools`; also the log lines' prefix. */
  readonly prefix: string;
  /** One input key per component (see `sha`). */
  readonly keys: Record<string, string>;
  /** Builds every component with `component`; `dir` is the final directory, `staging` the partial one. */
  readonly build: (component: BuildComponent, dirs: { dir: string; staging: string }) => Promise<void>;
  /** How long the first build takes, for the log line that announces it. */
  readonly firstBuildHint?: string;
}

/**
 * Returns the cache directory for `spec.keys`, building it first when it is not there (a hit costs
 * a few milliseconds: one `manifest.json` read). Throws, leaving no partial directory, when a
 * component's build fails.
 */
export async function ensureToolCache(
  spec: ToolCacheSpec,
  log: Log = (message) => process.stderr.write(`${message}\n`),
  env: Env = process.env,
): Promise<string> {
  const { prefix, keys } = spec;
  const dir = toolCacheDir(prefix, keys, env);
  if (readToolManifest(dir)) return dir;

  const { finished, abandoned } = otherCacheDirs(prefix, dir);
  for (const path of abandoned) rmSync(path, { recursive: true, force: true });
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  log(
    `${prefix}: building into ${dir} (only what changed; ${spec.firstBuildHint ?? "the first time takes minutes"})`,
  );
  const started = performance.now();
  const buildSeconds: Record<string, number> = {};

  const component: BuildComponent = async (name, build, path) => {
    const out = join(staging, path ?? name);
    const donor = path
      ? undefined
      : finished.find((d) => readToolManifest(d)?.keys[name] === keys[name] && existsSync(join(d, name)));
    if (donor) {
      cpSync(join(donor, name), out, { recursive: true, verbatimSymlinks: true });
      log(`${prefix}: ${name} unchanged, copied from ${donor}`);
      return;
    }
    const t = performance.now();
    mkdirSync(out, { recursive: true });
    await build(out);
    buildSeconds[name] = Math.round((performance.now() - t) / 100) / 10;
    log(`${prefix}: ${name} built in ${buildSeconds[name]} s`);
  };

  try {
    await spec.build(component, { dir, staging });
    writeFileSync(join(staging, "manifest.json"), `${JSON.stringify({ keys, buildSeconds }, null, 2)}\n`);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process finished the same build first: use its directory.
    rmSync(staging, { recursive: true, force: true });
    if (!readToolManifest(dir)) throw error;
  }
  for (const path of finished) rmSync(path, { recursive: true, force: true });
  log(`${prefix}: ready in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}
