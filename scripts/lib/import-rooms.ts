/**
 * The rooms of the repository — which workspace packages may import which — and a scanner that
 * finds every import that breaks them (docs/architecture.md, "Packages and what each may import").
 *
 * The rules, in short: services share only the contract (`gen`), the platform and the libraries;
 * no service imports another service; only the composition package (`embedded`, the one-process
 * mode) wires services together. Every import of another package goes through its name and an
 * entry of its `exports` map — never a relative path into its folder, never a file the package does
 * not export. Scripts, benchmarks and cross-package tests (tooling) may use any package, the same way.
 * The test kit (`testkit`) may use every package, and only test code may use it.
 *
 * Imports are read with Bun's own parser (`Bun.Transpiler.scanImports`), so comments and strings
 * that look like imports are not counted and dynamic `import()` calls are.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";
import { Glob } from "bun";

/** What kind of package a folder is; {@link MAY_IMPORT} says what each may import. */
export type Room = "contract" | "platform" | "library" | "service" | "composition" | "testkit" | "web";

/** The room of every workspace package, by folder. A new package must be added here. */
export const ROOMS: Readonly<Record<string, Room>> = {
  gen: "contract",
  "services/platform": "platform",
  "services/language": "library",
  "services/recurrence": "library",
  "services/events": "library",
  "services/tools": "library",
  "services/mcp": "library",
  "services/identity": "service",
  "services/task": "service",
  "services/tag": "service",
  "services/scheduler": "service",
  "services/notification": "service",
  "services/assistant": "service",
  "services/edge": "service",
  "services/loadgen": "service",
  "services/embedded": "composition",
  "services/testkit": "testkit",
  web: "web",
};

/** The rooms each room may import (besides itself). */
export const MAY_IMPORT: Readonly<Record<Room, readonly Room[]>> = {
  contract: [],
  platform: ["contract"],
  library: ["contract", "platform", "library"],
  service: ["contract", "platform", "library"],
  composition: ["contract", "platform", "library", "service", "composition"],
  testkit: ["contract", "platform", "library", "service", "composition"],
  web: ["contract", "library"],
};

/**
 * Whether `file` is test code, which alone may import the test kit: tests (`*.test.ts`, `*.e2e.ts`,
 * `*.ct.tsx`), a package's test helpers (in its `test/` folder, beside `src/`; the platform's
 * `*-testing.ts`, behind its `testing` entry), the test kit itself, and everything outside the
 * packages (scripts, benchmarks, `tests/`).
 */
export function isTestCode(file: string): boolean {
  const name = file.split("/").at(-1) ?? "";
  return (
    /\.(test|e2e|ct)\.tsx?$/.test(name) ||
    /^(services\/[^/]+|web)\/test\//.test(file) ||
    /(^|-)testing\.ts$|test-support\.tsx?$/.test(name) ||
    file.startsWith("services/testkit/") ||
    !/^(services\/|web\/|gen\/)/.test(file)
  );
}

/** One import that breaks the rules. */
export interface ImportViolation {
  /** The importing file, relative to the repository root. */
  readonly file: string;
  /** The import as written. */
  readonly specifier: string;
  /** The imported package's folder. */
  readonly target: string;
  /** Why it is refused. */
  readonly reason: string;
}

interface WorkspacePackage {
  readonly dir: string;
  readonly name: string;
  readonly exports: readonly string[];
}

/** The workspace packages under `root`, with the subpaths their `exports` maps allow. */
export function workspacePackages(root: string): WorkspacePackage[] {
  const dirs = ["gen", "web", ...readdirSync(join(root, "services")).map((d) => `services/${d}`)];
  return dirs
    .filter((dir) => existsSync(join(root, dir, "package.json")))
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as {
        name: string;
        exports?: Record<string, string>;
      };
      return { dir, name: manifest.name, exports: Object.keys(manifest.exports ?? {}) };
    });
}

/** Whether `subpath` (`.` or `./x/y`) is an entry of an `exports` map with these keys (`./*` patterns too). */
export function isExported(exportKeys: readonly string[], subpath: string): boolean {
  return exportKeys.some((key) => {
    if (!key.includes("*")) return key === subpath;
    const [prefix, suffix] = key.split("*") as [string, string];
    return (
      subpath.startsWith(prefix) && subpath.endsWith(suffix) && subpath.length > prefix.length + suffix.length
    );
  });
}

/** The package whose folder holds `file` (a path relative to the root), if any. */
function packageOf(packages: readonly WorkspacePackage[], file: string): WorkspacePackage | undefined {
  return packages.find((p) => file === p.dir || file.startsWith(`${p.dir}/`));
}

/** Every import in the repository's TypeScript that breaks the rooms. */
export async function findImportViolations(root: string): Promise<ImportViolation[]> {
  const packages = workspacePackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));
  const transpilers = {
    ts: new Bun.Transpiler({ loader: "ts" }),
    tsx: new Bun.Transpiler({ loader: "tsx" }),
  };
  const violations: ImportViolation[] = [];
  const files = new Glob("{gen,services,web,scripts,bench,tests}/**/*.{ts,tsx}").scan({ cwd: root });
  for await (const file of files) {
    if (file.split(sep).includes("node_modules")) continue;
    const from = packageOf(packages, file);
    const transpiler = file.endsWith(".tsx") ? transpilers.tsx : transpilers.ts;
    for (const { path: specifier } of transpiler.scanImports(readFileSync(join(root, file), "utf8"))) {
      const found = checkImport(packages, byName, file, from, specifier);
      if (found) violations.push(found);
    }
  }
  return violations.sort((a, b) => a.file.localeCompare(b.file) || a.specifier.localeCompare(b.specifier));
}

function checkImport(
  packages: readonly WorkspacePackage[],
  byName: ReadonlyMap<string, WorkspacePackage>,
  file: string,
  from: WorkspacePackage | undefined,
  specifier: string,
): ImportViolation | undefined {
  let target: WorkspacePackage | undefined;
  if (specifier.startsWith(".")) {
    target = packageOf(
      packages,
      normalize(join(dirname(file), specifier))
        .split(sep)
        .join("/"),
    );
    if (!target || target === from) return undefined;
    return {
      file,
      specifier,
      target: target.dir,
      reason: `a relative path into ${target.dir}; import ${target.name}`,
    };
  }
  const name = specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");
  target = byName.get(name);
  if (!target || target === from) return undefined;
  const subpath = specifier === name ? "." : `.${specifier.slice(name.length)}`;
  if (!isExported(target.exports, subpath)) {
    return { file, specifier, target: target.dir, reason: `${target.name} does not export ${subpath}` };
  }
  if (ROOMS[target.dir] === "testkit") {
    if (isTestCode(file)) return undefined;
    return { file, specifier, target: target.dir, reason: "only test code may import the test kit" };
  }
  if (!from) return undefined; // tooling may use any package through its entries
  const fromRoom = ROOMS[from.dir];
  const toRoom = ROOMS[target.dir];
  if (!fromRoom || !toRoom) {
    const unknown = fromRoom ? target.dir : from.dir;
    return {
      file,
      specifier,
      target: target.dir,
      reason: `${unknown} has no room in scripts/lib/import-rooms.ts`,
    };
  }
  if (!MAY_IMPORT[fromRoom].includes(toRoom)) {
    return {
      file,
      specifier,
      target: target.dir,
      reason: `a ${fromRoom} package may not import a ${toRoom} package`,
    };
  }
  return undefined;
}

/** `violation` as one line: `file: specifier (reason)`. */
export function describeViolation(violation: ImportViolation): string {
  return `${violation.file}: ${violation.specifier} (${violation.reason})`;
}
