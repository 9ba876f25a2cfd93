/**
 * `daprd` and the Dapr scheduler, built from the Go module proxy at the version pinned in
 * `dapr/build/go.mod` and cached in `${TODO_CACHE_DIR:-~/.cache/todo}/dapr-<version>-<hash>/`, where
 * `<hash>` covers `go.mod`, `go.sum` and `components/registry.go`, so any change to what is built
 * builds again. (`dapr init` downloads release archives from GitHub, which this machine cannot reach.)
 *
 * `github.com/dapr/dapr`'s own go.mod has `replace` directives, so `go install …@version` refuses it;
 * `dapr/build` is a module of our own that requires it (copying those replace lines). Its
 * `cmd/daprd/components` package registers every component behind build tags; we build it with our
 * own `registry.go` in its place (only the components Todo uses), by building from a copy of the
 * module in `dapr/build/.src/dapr` (see docs/dapr.md for why). A first build takes several minutes
 * and downloads the modules it needs; later runs find the binaries in the cache.
 */
import { createHash } from "node:crypto";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from "node:fs";
import { join } from "node:path";
import { cacheRoot } from "./cache-root.ts";
import { capture } from "./proc.ts";

type Env = Readonly<Record<string, string | undefined>>;

const root = join(import.meta.dir, "..", "..");
/** The Go module that builds the binaries. */
export const buildDir: string = join(root, "dapr", "build");

/** The Dapr version `dapr/build/go.mod` pins. */
export function daprVersion(): string {
  const mod = readFileSync(join(buildDir, "go.mod"), "utf8");
  const version = /github\.com\/dapr\/dapr (v\d+\.\d+\.\d+)/.exec(mod)?.[1];
  if (!version)
    throw new Error(`${join(buildDir, "go.mod")} does not require github.com/dapr/dapr at a version`);
  return version;
}

/** The cache directory of the binaries for the current build inputs. */
export function binariesDir(env: Env = process.env): string {
  const hash = createHash("sha256");
  for (const file of ["go.mod", "go.sum", join("components", "registry.go")]) {
    hash.update(readFileSync(join(buildDir, file)));
  }
  return join(cacheRoot(env), `dapr-${daprVersion()}-${hash.digest("hex").slice(0, 12)}`);
}

/** Paths of the two programs. */
export interface DaprBinaries {
  readonly version: string;
  readonly daprd: string;
  readonly scheduler: string;
}

async function go(args: string[], log: (message: string) => void): Promise<string> {
  const goBin = Bun.which("go");
  if (!goBin) {
    throw new Error(
      "Building daprd needs Go (1.26 or newer): install it (Debian: golang; or https://go.dev/dl) and run again",
    );
  }
  const result = await capture([goBin, ...args], {
    cwd: buildDir,
    env: { ...process.env, GOFLAGS: "-mod=readonly" },
  });
  if (result.code !== 0) {
    const output = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => !line.startsWith("go: downloading"))
      .slice(-30)
      .join("\n");
    throw new Error(`go ${args.join(" ")} failed (exit ${result.code}):\n${output}`);
  }
  log(`dapr: go ${args[0]} ${args.at(-1)} done`);
  return result.stdout;
}

/**
 * The pinned `github.com/dapr/dapr` module's source in Go's module cache (read-only; downloaded
 * from the module proxy when missing). The chart's tests read the sidecar injector's annotation
 * names from it.
 */
export async function daprModuleDir(log: (message: string) => void = () => {}): Promise<string> {
  const version = daprVersion();
  const json = await go(["mod", "download", "-json", `github.com/dapr/dapr@${version}`], log);
  const dir = (JSON.parse(json) as { Dir?: string }).Dir;
  if (!dir || !existsSync(dir))
    throw new Error(`go mod download gave no directory for github.com/dapr/dapr@${version}`);
  return dir;
}

/**
 * Lays the pinned `github.com/dapr/dapr` out in `dapr/build/.src/dapr` (a copy of the module cache's,
 * which Go keeps read-only) with `cmd/daprd/components` replaced by our registry.
 */
async function prepareSource(log: (message: string) => void): Promise<void> {
  const dir = await daprModuleDir(log);
  const target = join(buildDir, ".src", "dapr");
  rmSync(target, { recursive: true, force: true });
  cpSync(dir, target, { recursive: true });
  const makeWritable = (d: string) => {
    chmodSync(d, 0o755);
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) makeWritable(p);
      else chmodSync(p, 0o644);
    }
  };
  makeWritable(target);
  const components = join(target, "cmd", "daprd", "components");
  for (const name of readdirSync(components)) rmSync(join(components, name));
  cpSync(join(buildDir, "components", "registry.go"), join(components, "registry.go"));
}

/**
 * Returns the binaries, building them first when the cache lacks them. The build goes to a temporary
 * directory renamed into place, so an interrupted build never leaves half a cache.
 */
export async function ensureDaprBinaries(
  log: (message: string) => void,
  env: Env = process.env,
): Promise<DaprBinaries> {
  const version = daprVersion();
  const dir = binariesDir(env);
  const daprd = join(dir, "daprd");
  const scheduler = join(dir, "scheduler");
  if (existsSync(daprd) && existsSync(scheduler)) return { version, daprd, scheduler };

  log(
    `dapr: building daprd and the scheduler ${version} from the Go module proxy into ${dir} (first time only; minutes)`,
  );
  const started = performance.now();
  await prepareSource(log);
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const ldflags = `-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${version.slice(1)}`;
  for (const program of ["daprd", "scheduler"]) {
    await go(
      [
        "build",
        "-trimpath",
        "-ldflags",
        ldflags,
        "-o",
        join(staging, program),
        `github.com/dapr/dapr/cmd/${program}`,
      ],
      log,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  log(`dapr: built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return { version, daprd, scheduler };
}
