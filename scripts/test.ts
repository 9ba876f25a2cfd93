/**
 * The one test command (`bun run test [bun test args…]`). On a fresh checkout after `bun install`
 * it does every set-up step itself:
 *
 * 1. the checks `bun run gen:check`, `bun run lint`, `bun run typecheck` — each one counts as one
 *    passed or failed test, and a failure does not stop the run, so every problem shows at once;
 * 2. the infrastructure: for each component whose variables (e.g. `DATABASE_URL`) are not already
 *    in the environment, `scripts/infra.ts up <component>`, and its `KEY=VALUE` lines are exported;
 * 3. `bun test` with any extra arguments passed through (e.g. a path filter), output streamed live.
 *
 * The very last line of output is always `<N> passed, <N> failed`: bun test's own pass/fail counts
 * plus the checks (and plus one failure when bun test failed without saying which test failed —
 * no tests found, a crash — or when the infrastructure did not start). Exits non-zero if anything
 * failed or if bun test ran no tests. Never reads stdin.
 */
import { join } from "node:path";
import { parseBunTestSummary } from "./lib/bun-test-summary.ts";
import { components } from "./lib/components.ts";
import { parseEnvLines } from "./lib/env-file.ts";

const root = join(import.meta.dir, "..");
const bun = process.execPath;
const checks = ["gen:check", "lint", "typecheck"] as const;

/** One line of the final summary. */
interface Outcome {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const startedAt = performance.now();
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)}s`;

function header(title: string): void {
  process.stdout.write(`\n━━━ ${title} (at ${seconds(startedAt)})\n`);
}

/** Runs a child with inherited output and closed stdin; returns its exit code. */
async function runLive(cmd: string[]): Promise<number> {
  const child = Bun.spawn(cmd, { cwd: root, stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  return await child.exited;
}

/** Copies a child's stream to ours chunk by chunk, keeping the last `keep` characters for parsing. */
async function tee(
  stream: ReadableStream<Uint8Array>,
  out: NodeJS.WriteStream,
  keep = 65_536,
): Promise<string> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  let tail = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    out.write(value);
    tail = (tail + decoder.decode(value, { stream: true })).slice(-keep);
  }
  return tail + decoder.decode();
}

async function main(): Promise<number> {
  const extraArgs = Bun.argv.slice(2);
  const outcomes: Outcome[] = [];

  for (const check of checks) {
    header(`bun run ${check}`);
    const t = performance.now();
    const code = await runLive([bun, "run", check]);
    outcomes.push({
      name: check,
      ok: code === 0,
      detail: code === 0 ? seconds(t) : `exit ${code}, ${seconds(t)}`,
    });
  }

  const env: Record<string, string | undefined> = { ...process.env };
  const missing = components.filter((c) => c.envKeys.some((key) => !env[key]));
  let infraFailure: Outcome | undefined;
  if (missing.length > 0) {
    const names = missing.map((c) => c.name);
    header(`bun scripts/infra.ts up ${names.join(" ")}`);
    const child = Bun.spawn([bun, join(root, "scripts", "infra.ts"), "up", ...names], {
      cwd: root,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
    });
    const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
    process.stdout.write(stdout);
    if (code === 0) {
      for (const [key, value] of Object.entries(parseEnvLines(stdout))) env[key] ??= value;
    } else {
      infraFailure = { name: `infra up ${names.join(" ")}`, ok: false, detail: `exit ${code}` };
    }
  } else {
    header("infrastructure");
    for (const c of components)
      process.stdout.write(`${c.name}: using ${c.envKeys.join(", ")} from the environment\n`);
  }

  // Output is piped (to count results), so keep bun test's colours when a person is watching.
  if (process.stdout.isTTY && env.FORCE_COLOR === undefined) env.FORCE_COLOR = "1";
  header(`bun test ${extraArgs.join(" ")}`.trimEnd());
  const t = performance.now();
  // Integration tests start servers and databases: 30 s per test, not the default 5 s.
  const child = Bun.spawn([bun, "test", "--timeout", "30000", ...extraArgs], {
    cwd: root,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    tee(child.stdout, process.stdout),
    tee(child.stderr, process.stderr),
    child.exited,
  ]);
  const counts = parseBunTestSummary(`${out}\n${err}`);
  // A failing exit with no failing test named (no tests found, a crash, an error outside any test)
  // still counts as one failure, so "0 failed" always means a clean run.
  const unexplained = (code !== 0 && counts.fail === 0) || counts.pass + counts.fail === 0 ? 1 : 0;

  header("summary");
  for (const o of outcomes) process.stdout.write(`${o.ok ? "ok  " : "FAIL"}  ${o.name} (${o.detail})\n`);
  if (infraFailure) process.stdout.write(`FAIL  ${infraFailure.name} (${infraFailure.detail})\n`);
  const extras = [counts.skip ? `${counts.skip} skipped` : "", counts.todo ? `${counts.todo} todo` : ""]
    .filter(Boolean)
    .join(", ");
  process.stdout.write(
    `${code === 0 ? "ok  " : "FAIL"}  bun test: ${counts.pass} pass, ${counts.fail} fail${extras ? `, ${extras}` : ""} ` +
      `(exit ${code}, ${seconds(t)})\n`,
  );
  if (counts.pass + counts.fail === 0) process.stdout.write("FAIL  bun test ran no tests\n");
  else if (unexplained)
    process.stdout.write("FAIL  bun test failed outside any test (see its output above)\n");
  process.stdout.write(`total time ${seconds(startedAt)}\n`);

  const passed = outcomes.filter((o) => o.ok).length + counts.pass;
  const failed = outcomes.filter((o) => !o.ok).length + (infraFailure ? 1 : 0) + counts.fail + unexplained;
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
