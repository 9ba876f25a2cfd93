/**
 * Code generation for the API contract: the TypeScript in gen/, the Go and Python SDKs, the API
 * reference and the OpenAPI document.
 *
 *   bun scripts/gen.ts          copy third-party protos, then `buf generate` into gen/ (buf.gen.yaml),
 *                               sdk/go/gen/ (buf.gen.go.yaml), sdk/python/src/todo/
 *                               (buf.gen.python.yaml), docs/api-reference.md (buf.gen.docs.yaml) and
 *                               docs/openapi/todo.openapi.yaml (buf.gen.openapi.yaml)
 *   bun scripts/gen.ts --check  fail if regenerating would change any of them
 *   bun scripts/gen.ts --lint   `buf lint` and `buf format` check
 *
 * Third-party protos (googleapis, gRPC health and reflection, and Dapr's app-callback contract) are
 * copied out of the npm packages that ship them into `.buf-deps/`, because remote BSR dependencies
 * cannot be fetched here. Dapr's come from `@dapr/dapr` (a dependency of @todo/platform): a service
 * running beside a Dapr sidecar serves `dapr.proto.runtime.v1.AppCallback` to receive events, jobs
 * and binding triggers (services/platform/src/dapr-callback.ts).
 *
 * The plugins (protoc-gen-go, protoc-gen-connect-go, protoc-gen-doc, protoc-gen-connect-openapi,
 * grpcio-tools in a venv) are built or installed first when the cache lacks them
 * (scripts/lib/sdk-tools.ts; a hit costs milliseconds), and put first on buf's PATH.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { ensureSdkTools } from "./lib/sdk-tools.ts";

const root = join(import.meta.dir, "..");
const depsDir = join(root, ".buf-deps");
const buf = join(root, "node_modules", ".bin", "buf");

/** Where each vendored proto comes from: [path inside .buf-deps, package, path inside package]. */
const vendored: ReadonlyArray<readonly [string, string, string]> = [
  ["google/api/field_behavior.proto", "google-proto-files", "google/api/field_behavior.proto"],
  ["google/rpc/error_details.proto", "google-proto-files", "google/rpc/error_details.proto"],
  ["grpc/health/v1/health.proto", "grpc-health-check", "proto/health/v1/health.proto"],
  [
    "grpc/reflection/v1/reflection.proto",
    "@grpc/reflection",
    "build/proto/grpc/reflection/v1/reflection.proto",
  ],
  [
    "grpc/reflection/v1alpha/reflection.proto",
    "@grpc/reflection",
    "build/proto/grpc/reflection/v1alpha/reflection.proto",
  ],
  ["dapr/proto/runtime/v1/appcallback.proto", "@dapr/dapr", "proto/dapr/proto/runtime/v1/appcallback.proto"],
  ["dapr/proto/common/v1/common.proto", "@dapr/dapr", "proto/dapr/proto/common/v1/common.proto"],
];

/** The directory of an npm package, resolved like @todo/platform resolves it (workspaces hoist or not). */
function packageDir(pkg: string): string {
  return dirname(Bun.resolveSync(`${pkg}/package.json`, join(root, "services", "platform")));
}

function vendor(): void {
  rmSync(depsDir, { recursive: true, force: true });
  for (const [target, pkg, source] of vendored) {
    const from = join(packageDir(pkg), source);
    const to = join(depsDir, target);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to);
  }
}

/** Directories put first on the PATH of every command `run` starts (the SDK plugins). */
const extraPath: string[] = [];

function run(cmd: string[]): void {
  const PATH = [...extraPath, join(root, "node_modules", ".bin"), process.env.PATH ?? ""].join(":");
  const result = Bun.spawnSync(cmd, {
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
    env: { ...process.env, PATH },
  });
  if (result.exitCode !== 0) {
    console.error(`failed: ${cmd.join(" ")}`);
    process.exit(result.exitCode ?? 1);
  }
}

/** One set of generated files: a buf template and the directory its plugins write. */
interface Target {
  /** The template, relative to the root; none for `buf.gen.yaml` (plain `buf generate`). */
  readonly template?: string;
  /** The directory the template's `out` writes, relative to the root. */
  readonly dir: string;
  /** Whether a file name there is generated (everything else is left alone). */
  readonly generated: (name: string) => boolean;
}

const targets: readonly Target[] = [
  { dir: "gen", generated: (name) => name.endsWith("_pb.ts") },
  { template: "buf.gen.go.yaml", dir: "sdk/go/gen", generated: (name) => name.endsWith(".go") },
  {
    template: "buf.gen.python.yaml",
    dir: "sdk/python/src/todo",
    generated: (name) => /(_pb2\.pyi?|_pb2_grpc\.py)$/.test(name),
  },
  { template: "buf.gen.docs.yaml", dir: "docs", generated: (name) => name === "api-reference.md" },
  {
    template: "buf.gen.openapi.yaml",
    dir: "docs/openapi",
    generated: (name) => name === "todo.openapi.yaml",
  },
];

const skippedDirs = new Set(["node_modules", "__pycache__"]);

/** Every generated file of `target` below `dir`, as paths relative to it. */
function generatedFiles(dir: string, target: Target): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (!skippedDirs.has(name)) walk(p);
      } else if (target.generated(name)) {
        out.push(relative(dir, p));
      }
    }
  };
  walk(dir);
  return out.sort();
}

/** Removes the empty directories below `dir` (left by a proto file that was removed). */
function pruneEmptyDirs(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory() && !skippedDirs.has(name)) {
      pruneEmptyDirs(p);
      if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
    }
  }
}

function generate(target: Target, output?: string): void {
  run([
    buf,
    "generate",
    ...(target.template ? ["--template", target.template] : []),
    ...(output ? ["--output", output] : []),
  ]);
}

/** The differences between a fresh generation of `target` under `out` and the committed files. */
function drift(target: Target, out: string): { problems: string[]; count: number } {
  const freshDir = join(out, target.dir);
  const committedDir = join(root, target.dir);
  const fresh = generatedFiles(freshDir, target);
  const committed = generatedFiles(committedDir, target);
  const problems: string[] = [];
  for (const f of new Set([...fresh, ...committed])) {
    const path = `${target.dir}/${f}`;
    if (!fresh.includes(f)) problems.push(`stale file (no longer generated): ${path}`);
    else if (!committed.includes(f)) problems.push(`missing file: ${path}`);
    else if (readFileSync(join(freshDir, f), "utf8") !== readFileSync(join(committedDir, f), "utf8"))
      problems.push(`differs from a fresh generation: ${path}`);
  }
  return { problems, count: fresh.length };
}

const mode = process.argv[2];
vendor();
if (mode === "--lint") {
  run([buf, "lint"]);
  run([buf, "format", "proto", "--diff", "--exit-code"]);
} else {
  extraPath.push(...(await ensureSdkTools((message) => console.error(message))).pathEntries);
  if (mode === "--check") {
    const out = mkdtempSync(join(tmpdir(), "todo-gen-"));
    try {
      const problems: string[] = [];
      for (const target of targets) {
        generate(target, out);
        const result = drift(target, out);
        problems.push(...result.problems);
        if (result.problems.length === 0) console.log(`${target.dir}/ is up to date (${result.count} files)`);
      }
      if (problems.length > 0) {
        console.error(
          `${problems.join("\n")}\nthe generated code is out of date: run \`bun run gen\` and commit the result.`,
        );
        process.exit(1);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  } else {
    for (const target of targets) {
      const dir = join(root, target.dir);
      for (const f of generatedFiles(dir, target)) rmSync(join(dir, f));
      pruneEmptyDirs(dir);
      generate(target);
      console.log(`generated ${generatedFiles(dir, target).length} files into ${target.dir}/`);
    }
  }
}
