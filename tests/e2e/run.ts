/**
 * Runs the browser tests (`bun run test:e2e [name filter…]`): every `tests/e2e/*.e2e.ts` under
 * `bun test` with `tests/e2e/setup.ts` preloaded and a 60 s per-test timeout. The files are named
 * `.e2e.ts`, not `.test.ts`, so the plain `bun test` of the unit and integration suites never picks
 * them up; `scripts/test.ts` runs this as a step of its own and adds its counts.
 *
 * Arguments that are not flags select files whose name contains them (`bun run test:e2e tags`);
 * flags (e.g. `-t "live sync"`) are passed to `bun test`. The output ends with bun test's own
 * summary; the exit code is bun test's.
 */
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { repoRoot } from "./lib/server.ts";

const dir = import.meta.dir;
const args = Bun.argv.slice(2);
// bun test flags that take the next argument as their value (others are `--flag` or `--flag=value`).
const VALUE_FLAGS = new Set(["-t", "--test-name-pattern", "--timeout", "--rerun-each", "--seed"]);
const isFilter = (a: string, i: number) => !a.startsWith("-") && !VALUE_FLAGS.has(args[i - 1] ?? "");
const filters = args.filter(isFilter);
const passThrough = args.filter((a, i) => !isFilter(a, i));
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".e2e.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => `./${relative(repoRoot, join(dir, f))}`);

if (files.length === 0) {
  console.error(`no e2e test files in ${dir} match ${filters.join(" ")}`);
  process.exit(1);
}

const child = Bun.spawn(
  [
    process.execPath,
    "test",
    "--preload",
    `./${relative(repoRoot, join(dir, "setup.ts"))}`,
    "--timeout",
    "60000",
    ...passThrough,
    ...files,
  ],
  { cwd: repoRoot, stdin: "ignore", stdout: "inherit", stderr: "inherit" },
);
process.exitCode = await child.exited;
