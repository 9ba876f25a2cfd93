/**
 * The one test command (`bun run test [bun test args…]`). On a fresh checkout after `bun install`
 * it does every set-up step itself:
 *
 * 1. the checks `bun run gen:check`, `bun run proto:breaking` (`buf breaking` against the last
 *    release's image, proto/releases/), `bun run lint`, `bun run typecheck` — each one counts as
 *    one passed or failed test, and a failure does not stop the run, so every problem shows at once;
 * 2. the infrastructure: for each component whose variables (e.g. `DATABASE_URL`) are not already
 *    in the environment, `scripts/infra.ts up <component>`, and its `KEY=VALUE` lines are exported;
 *    and daprd + the Dapr scheduler, built from the Go module proxy unless cached (dapr-build.ts);
 *    and the Kubernetes tools the chart's tests use (helm, kubeconform, kube-score, actionlint,
 *    zizmor, kube-apiserver), built or fetched unless cached (kube-tools.ts); and the observability
 *    tools (Prometheus, promtool, Alertmanager, amtool, Jaeger, the collector), likewise
 *    (observability-tools.ts);
 * 3. `bun test` with any extra arguments passed through (e.g. a path filter), output streamed live;
 * 4. on a full run (no extra arguments), the web app's component tests: `bun x vitest run` in web/
 *    (`*.ct.tsx`, happy-dom), counted from vitest's JSON report;
 * 5. on a full run, the browser tests: `tests/e2e/run.ts` (headless Chromium against `bun start`),
 *    whose pass/fail counts are added like bun test's;
 * 6. on a full run, the Go and Python SDKs' tests: `scripts/sdk-test.ts` (`go test` in sdk/go and
 *    pytest in sdk/python against `bun start`), whose `N passed, N failed` line is added likewise.
 *
 * The very last line of output is always `<N> passed, <N> failed`: bun test's own pass/fail counts
 * plus the checks (and plus one failure when bun test failed without saying which test failed —
 * no tests found, a crash — or when the infrastructure did not start). Exits non-zero if anything
 * failed or if bun test ran no tests. Never reads stdin.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BunTestCounts, parseBunTestSummary } from "./lib/bun-test-summary.ts";
import { components } from "./lib/components.ts";
import { parseEnvLines } from "./lib/env-file.ts";
import { parseSdkSummary } from "./lib/sdk-test.ts";
import { parseVitestJson, parseVitestText, type VitestCounts } from "./lib/vitest-summary.ts";

const root = join(import.meta.dir, "..");
const bun = process.execPath;
const checks = ["gen:check", "proto:breaking", "lint", "typecheck"] as const;

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

/** Lists the failed tests under their step's line of the summary, so the log's end says which. */
function writeFailedNames(counts: BunTestCounts): void {
  for (const name of counts.failed) process.stdout.write(`        (fail) ${name}\n`);
}

/** Pass/fail counts of the browser tests, and whether they failed outside any test. */
interface E2eOutcome {
  readonly counts: BunTestCounts;
  readonly unexplained: number;
  readonly detail: string;
}

/**
 * The browser tests (`tests/e2e/run.ts`: headless Chromium against `bun start`), a step of their
 * own because their files are `*.e2e.ts`, which the plain `bun test` never picks up.
 */
async function runE2e(env: Record<string, string | undefined>): Promise<E2eOutcome> {
  header("e2e: bun tests/e2e/run.ts");
  const t = performance.now();
  const child = Bun.spawn([bun, join(root, "tests", "e2e", "run.ts")], {
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
  const ranNone = counts.pass + counts.fail === 0;
  return {
    counts,
    unexplained: (code !== 0 && counts.fail === 0) || ranNone ? 1 : 0,
    detail: `exit ${code}, ${seconds(t)}`,
  };
}

/** Pass/fail counts of the SDK tests, and whether they failed outside any test. */
interface SdkOutcome {
  readonly counts: { readonly pass: number; readonly fail: number };
  readonly unexplained: number;
  readonly detail: string;
}

/** The Go and Python SDKs' tests (`scripts/sdk-test.ts`), counted from its last line. */
async function runSdk(env: Record<string, string | undefined>): Promise<SdkOutcome> {
  header("sdk: bun scripts/sdk-test.ts (go test in sdk/go, pytest in sdk/python)");
  const t = performance.now();
  const child = Bun.spawn([bun, join(root, "scripts", "sdk-test.ts")], {
    cwd: root,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, , code] = await Promise.all([
    tee(child.stdout, process.stdout),
    tee(child.stderr, process.stderr),
    child.exited,
  ]);
  const counts = parseSdkSummary(out) ?? { pass: 0, fail: 0 };
  const ranNone = counts.pass + counts.fail === 0;
  return {
    counts,
    unexplained: (code !== 0 && counts.fail === 0) || ranNone ? 1 : 0,
    detail: `exit ${code}, ${seconds(t)}`,
  };
}

/** Pass/fail counts of the web component tests, and whether they failed outside any test. */
interface VitestOutcome {
  readonly counts: VitestCounts;
  readonly unexplained: number;
  readonly detail: string;
}

/**
 * The web app's component tests (`*.ct.tsx` under web/src, vitest in happy-dom), a step of their own
 * because they need Solid's JSX transform and a DOM, which the plain `bun test` has not.
 */
async function runVitest(env: Record<string, string | undefined>): Promise<VitestOutcome> {
  header("web: bun x vitest run (in web/)");
  const t = performance.now();
  const report = join(tmpdir(), `todo-vitest-${process.pid}.json`);
  rmSync(report, { force: true });
  const child = Bun.spawn(
    [bun, "x", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
    { cwd: join(root, "web"), env, stdin: "ignore", stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    tee(child.stdout, process.stdout),
    tee(child.stderr, process.stderr),
    child.exited,
  ]);
  const fromJson = existsSync(report) ? parseVitestJson(readFileSync(report, "utf8")) : undefined;
  rmSync(report, { force: true });
  const counts = fromJson ?? parseVitestText(`${out}\n${err}`);
  const ranNone = counts.pass + counts.fail === 0;
  return {
    counts,
    unexplained: (code !== 0 && counts.fail === 0) || ranNone ? 1 : 0,
    detail: `exit ${code}, ${seconds(t)}`,
  };
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

  // The Dapr tests start real sidecars: build daprd and the Dapr scheduler first when they are not
  // cached (minutes, once), so that no test's own time limit has to cover the build.
  if (!infraFailure) {
    header("Dapr binaries (scripts/dapr-build.ts)");
    const code = await runLive([bun, join(root, "scripts", "dapr-build.ts")]);
    if (code !== 0) infraFailure = { name: "dapr build", ok: false, detail: `exit ${code}` };
  }

  // The chart tests read it with helm, kubeconform, kube-score, actionlint, zizmor and a real
  // kube-apiserver: build them (minutes, once; then a cache hit) before any test's timeout runs.
  if (!infraFailure) {
    header("Kubernetes tools (scripts/kube-tools.ts)");
    const code = await runLive([bun, join(root, "scripts", "kube-tools.ts")]);
    if (code !== 0) infraFailure = { name: "kube tools build", ok: false, detail: `exit ${code}` };
  }

  // Prometheus and promtool (Debian's package), Alertmanager, Jaeger and the OpenTelemetry collector
  // (Go module proxy) for the observability tests: fetched or built once (minutes), then a cache hit.
  if (!infraFailure) {
    header("Observability tools (scripts/observability-tools.ts)");
    const code = await runLive([bun, join(root, "scripts", "observability-tools.ts")]);
    if (code !== 0) infraFailure = { name: "observability tools build", ok: false, detail: `exit ${code}` };
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
  // With a path filter only the selected bun tests run; the browser tests run on a full run.
  const web = extraArgs.length === 0 ? await runVitest(env) : undefined;
  const e2e = extraArgs.length === 0 ? await runE2e(env) : undefined;
  const sdk = extraArgs.length === 0 ? await runSdk(env) : undefined;

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
  writeFailedNames(counts);
  if (counts.pass + counts.fail === 0) process.stdout.write("FAIL  bun test ran no tests\n");
  else if (unexplained)
    process.stdout.write("FAIL  bun test failed outside any test (see its output above)\n");
  if (web) {
    const { counts: c, unexplained: u } = web;
    process.stdout.write(
      `${u + c.fail ? "FAIL" : "ok  "}  web vitest: ${c.pass} pass, ${c.fail} fail${c.skip ? `, ${c.skip} skipped` : ""} (${web.detail})\n`,
    );
    if (u)
      process.stdout.write("FAIL  web vitest failed outside any test, or ran none (see its output above)\n");
  }
  if (e2e) {
    const { counts: c, unexplained: u } = e2e;
    process.stdout.write(
      `${u + c.fail ? "FAIL" : "ok  "}  e2e: ${c.pass} pass, ${c.fail} fail (${e2e.detail})\n`,
    );
    writeFailedNames(c);
    if (u) process.stdout.write("FAIL  e2e failed outside any test, or ran none (see its output above)\n");
  }
  if (sdk) {
    const { counts: c, unexplained: u } = sdk;
    process.stdout.write(
      `${u + c.fail ? "FAIL" : "ok  "}  sdk (Go, Python): ${c.pass} pass, ${c.fail} fail (${sdk.detail})\n`,
    );
    if (u) process.stdout.write("FAIL  sdk failed outside any test, or ran none (see its output above)\n");
  }
  process.stdout.write(`total time ${seconds(startedAt)}\n`);

  const passed =
    outcomes.filter((o) => o.ok).length +
    counts.pass +
    (web?.counts.pass ?? 0) +
    (e2e?.counts.pass ?? 0) +
    (sdk?.counts.pass ?? 0);
  const failed =
    outcomes.filter((o) => !o.ok).length +
    (infraFailure ? 1 : 0) +
    counts.fail +
    unexplained +
    (web ? web.counts.fail + web.unexplained : 0) +
    (e2e ? e2e.counts.fail + e2e.unexplained : 0) +
    (sdk ? sdk.counts.fail + sdk.unexplained : 0);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
