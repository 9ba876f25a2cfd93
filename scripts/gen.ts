/**
 * Code generation for the API contract.
 *
 *   bun scripts/gen.ts          copy third-party protos, then `buf generate` into gen/
 *   bun scripts/gen.ts --check  fail if regenerating would change gen/
 *   bun scripts/gen.ts --lint   `buf lint` and `buf format` check
 *
 * Third-party protos (googleapis, gRPC health and reflection, and Dapr's app-callback contract) are
 * copied out of the npm packages that ship them into `.buf-deps/`, because remote BSR dependencies
 * cannot be fetched here. Dapr's come from `@dapr/dapr` (a dependency of @todo/platform): a service
 * running beside a Dapr sidecar serves `dapr.proto.runtime.v1.AppCallback` to receive events, jobs
 * and binding triggers (services/platform/src/dapr-callback.ts).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

const root = join(import.meta.dir, "..");
const depsDir = join(root, ".buf-deps");
const genDir = join(root, "gen");
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

function run(cmd: string[]): void {
  const PATH = `${join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}`;
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

/** Every generated file below `dir`, as paths relative to it. */
function generatedFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (name !== "node_modules") walk(p);
      } else if (name.endsWith("_pb.ts")) {
        out.push(relative(dir, p));
      }
    }
  };
  walk(dir);
  return out.sort();
}

const mode = process.argv[2];
vendor();
if (mode === "--lint") {
  run([buf, "lint"]);
  run([buf, "format", "proto", "--diff", "--exit-code"]);
} else if (mode === "--check") {
  const out = mkdtempSync(join(tmpdir(), "todo-gen-"));
  try {
    run([buf, "generate", "--output", out]);
    const fresh = generatedFiles(join(out, "gen"));
    const committed = generatedFiles(genDir);
    const problems: string[] = [];
    for (const f of new Set([...fresh, ...committed])) {
      if (!fresh.includes(f)) problems.push(`stale file (no longer generated): gen/${f}`);
      else if (!committed.includes(f)) problems.push(`missing file: gen/${f}`);
      else if (readFileSync(join(out, "gen", f), "utf8") !== readFileSync(join(genDir, f), "utf8"))
        problems.push(`differs from a fresh generation: gen/${f}`);
    }
    if (problems.length > 0) {
      console.error(
        `${problems.join("\n")}\ngen/ is out of date: run \`bun run gen\` and commit the result.`,
      );
      process.exit(1);
    }
    console.log(`gen/ is up to date (${fresh.length} files)`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
} else {
  for (const f of generatedFiles(genDir)) rmSync(join(genDir, f));
  run([buf, "generate"]);
  console.log(`generated ${generatedFiles(genDir).length} files into gen/`);
}
