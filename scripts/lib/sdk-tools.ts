/**
 * The code generators and test tools of the Go and Python SDKs (`sdk/go`, `sdk/python`), built or
 * installed only from the package registries and cached in
 * `${TODO_CACHE_DIR:-~/.cache/todo}/sdk-tools-<hash>/` (`tool-cache.ts`: the hash covers every
 * pin below and the grpc plugin's source, so a changed input builds again and an unchanged one
 * never does; a hit costs one `manifest.json` read):
 *
 * - `protoc-gen-go` and `protoc-gen-connect-go` (connect-go v2): `go install <pkg>@<version>` from
 *   the Go module proxy, about 10 s each the first time;
 * - `protoc-gen-doc` (the API reference, docs/api-reference.md): `go install` likewise, about 10 s;
 * - `protoc-gen-connect-openapi` (the OpenAPI document, docs/openapi/): `go build` in the tool module
 *   `deploy/tools/protoc-gen-connect-openapi` (its go.mod and go.sum are part of the key), about
 *   2 minutes the first time;
 * - `python/`: a venv (`python3 -m venv`) with grpcio-tools (protoc's Python and `.pyi`
 *   generators, run by buf as `protoc_builtin` plugins through `python -m grpc_tools.protoc`, and
 *   the gRPC stub generator, run through `protoc-gen-grpc-python.py`), the SDK's runtime
 *   dependencies and pytest, all pinned; never the system Python's site-packages.
 *
 * `bun run gen` / `gen:check` (scripts/gen.ts) put `pathEntries` first on buf's PATH; the SDK
 * tests (scripts/lib/sdk-test.ts) run `go test` and the venv's pytest. `bun scripts/sdk-tools.ts`
 * prints the paths (`.ci/run` calls it so that a build is timed on its own).
 */
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Env,
  ensureToolCache,
  type GoTool,
  goBuildInModule,
  goInstall,
  goToolLdflags,
  type Log,
  needProgram,
  runOrThrow,
  sha,
  type ToolCacheSpec,
} from "./tool-cache.ts";

/** The Go protoc plugins and their pinned versions. */
export const SDK_GO_TOOLS: readonly GoTool[] = [
  { name: "protoc-gen-go", pkg: "google.golang.org/protobuf/cmd/protoc-gen-go", version: "v1.36.12" },
  {
    name: "protoc-gen-connect-go",
    pkg: "connectrpc.com/connect/v2/cmd/protoc-gen-connect-go",
    version: "v2.0.2",
  },
  {
    name: "protoc-gen-doc",
    pkg: "github.com/pseudomuto/protoc-gen-doc/cmd/protoc-gen-doc",
    version: "v1.5.1",
  },
];

/**
 * The tool module protoc-gen-connect-openapi is built in: the proxy serves the module's versions
 * but not its version list, which `go install …@version` reads, so go.mod requires it as a tool.
 */
export const openapiToolModuleDir: string = join(
  import.meta.dir,
  "..",
  "..",
  "deploy",
  "tools",
  "protoc-gen-connect-openapi",
);

/**
 * What the venv holds, pinned: the generators (grpcio-tools; its protobuf writes gencode for
 * protobuf 7.35+), the SDK's runtime dependencies at the versions its tests run with, pytest, and
 * setuptools (sdk/python's build backend: the SDK test builds its wheel without network).
 */
export const SDK_PYTHON_PACKAGES: readonly string[] = [
  "grpcio-tools==1.85.1",
  "grpcio==1.85.1",
  "grpcio-status==1.85.1",
  "protobuf==7.36.2",
  "googleapis-common-protos==1.76.0",
  "pytest==9.2.0",
  "setuptools==84.2.1",
];

const grpcPluginSource = join(import.meta.dir, "protoc-gen-grpc-python.py");

/** Each component's own input key. */
function componentKeys(): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const tool of SDK_GO_TOOLS) keys[tool.name] = sha(tool.pkg, tool.version, goToolLdflags(tool));
  keys["protoc-gen-connect-openapi"] = sha(
    readFileSync(join(openapiToolModuleDir, "go.mod")),
    readFileSync(join(openapiToolModuleDir, "go.sum")),
    "-s -w",
  );
  keys.python = sha(...SDK_PYTHON_PACKAGES, readFileSync(grpcPluginSource));
  return keys;
}

/** Paths of everything `ensureSdkTools` provides. */
export interface SdkTools {
  readonly dir: string;
  readonly protocGenGo: string;
  readonly protocGenConnectGo: string;
  readonly protocGenDoc: string;
  readonly protocGenConnectOpenapi: string;
  /** The venv's interpreter (grpc_tools, pytest, the SDK's dependencies). */
  readonly python: string;
  /** The gRPC Python stub plugin (a launcher in the venv's bin). */
  readonly protocGenGrpcPython: string;
  /** Directories to put first on buf's PATH: the Go plugins, then the venv's bin. */
  readonly pathEntries: readonly string[];
}

function toolsAt(dir: string): SdkTools {
  const venvBin = join(dir, "python", "bin");
  return {
    dir,
    protocGenGo: join(dir, "protoc-gen-go", "protoc-gen-go"),
    protocGenConnectGo: join(dir, "protoc-gen-connect-go", "protoc-gen-connect-go"),
    protocGenDoc: join(dir, "protoc-gen-doc", "protoc-gen-doc"),
    protocGenConnectOpenapi: join(dir, "protoc-gen-connect-openapi", "protoc-gen-connect-openapi"),
    python: join(venvBin, "python"),
    protocGenGrpcPython: join(venvBin, "protoc-gen-grpc-python"),
    pathEntries: [
      ...SDK_GO_TOOLS.map((tool) => join(dir, tool.name)),
      join(dir, "protoc-gen-connect-openapi"),
      venvBin,
    ],
  };
}

/** protoc-gen-connect-openapi, built in its tool module (go.mod and go.sum as committed). */
async function buildConnectOpenapi(out: string): Promise<void> {
  await goBuildInModule({
    name: "protoc-gen-connect-openapi",
    moduleDir: openapiToolModuleDir,
    pkg: "github.com/sudorandom/protoc-gen-connect-openapi",
    out: join(out, "protoc-gen-connect-openapi"),
    ldflags: "-s -w",
  });
}

/**
 * The venv: pinned wheels only (`--only-binary`: grpcio built from source would take most of an
 * hour on two cores), then the grpc plugin and a launcher that finds the venv's python beside
 * itself (so a venv copied to the next cache directory still runs it).
 */
async function buildPython(out: string): Promise<void> {
  const python = needProgram("python3", "the SDK generators are installed from PyPI into a venv");
  await runOrThrow([python, "-m", "venv", out], {}, "python3 -m venv");
  const pip = [join(out, "bin", "python"), "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"];
  await runOrThrow(
    [...pip, "install", "--only-binary=:all:", ...SDK_PYTHON_PACKAGES],
    {},
    "pip install (SDK tools)",
  );
  copyFileSync(grpcPluginSource, join(out, "bin", "protoc-gen-grpc-python.py"));
  const launcher = join(out, "bin", "protoc-gen-grpc-python");
  writeFileSync(
    launcher,
    '#!/bin/sh\nhere="$(dirname "$0")"\nexec "$here/python" "$here/protoc-gen-grpc-python.py" "$@"\n',
  );
  chmodSync(launcher, 0o755);
}

/**
 * Returns the tools, building what the cache lacks first (about a minute the first time on two
 * cores: three `go install`s and one `pip install`, and about two more minutes for
 * protoc-gen-connect-openapi's `go build`). `log` gets progress.
 */
export async function ensureSdkTools(
  log: Log = (message) => process.stderr.write(`${message}\n`),
  env: Env = process.env,
): Promise<SdkTools> {
  const build: ToolCacheSpec["build"] = async (component) => {
    for (const tool of SDK_GO_TOOLS) await component(tool.name, (out) => goInstall(tool, out));
    await component("protoc-gen-connect-openapi", buildConnectOpenapi);
    await component("python", buildPython);
  };
  const spec = {
    prefix: "sdk-tools",
    keys: componentKeys(),
    build,
    firstBuildHint: "about three minutes the first time",
  };
  return toolsAt(await ensureToolCache(spec, log, env));
}
