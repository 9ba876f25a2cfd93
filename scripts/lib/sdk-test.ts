/**
 * The Go and Python SDKs' tests against a running `bun start` (scripts/sdk-test.ts runs them; so
 * does `bun run test`, as a step of its own):
 *
 * - Go: `go vet ./...` (which compiles every generated package, not only those the tests import),
 *   then `go test -json -count=1 ./...` in sdk/go, counted per test (a test with subtests counts
 *   its subtests, not itself);
 * - Python: sdk/python is copied out of the checkout, built into a wheel and installed into a
 *   scratch directory with the SDK tools' venv (so the test imports what `pip install todo-sdk`
 *   would install, never src/), then the venv's pytest runs sdk/python/tests, counted from its
 *   JUnit XML report.
 *
 * Both suites read the server from `TODO_SDK_TEST_GRPC_URL` / `TODO_SDK_TEST_HTTP_URL` and fail,
 * never skip, without it; a skipped test counts as a failure here too. A suite that exits non-zero
 * without a failed test (a build error, a crash) counts as one failure.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SdkTools } from "./sdk-tools.ts";

const root = join(import.meta.dir, "..", "..");
/** The Go SDK's module. */
export const goSdkDir: string = join(root, "sdk", "go");
/** The Python SDK's project. */
export const pythonSdkDir: string = join(root, "sdk", "python");

/** What one SDK's tests did. */
export interface SdkSuiteResult {
  readonly name: string;
  readonly pass: number;
  readonly fail: number;
  /** The names of the failed (or skipped) tests. */
  readonly failed: readonly string[];
  /** Set when the suite failed outside any test (exit code, and why). */
  readonly unexplained?: string;
}

/** One event of `go test -json` (the fields read here). */
interface GoTestEvent {
  readonly Action?: string;
  readonly Package?: string;
  readonly Test?: string;
}

/**
 * Counts `go test -json` output: the final pass/fail/skip of each test that has no subtests
 * (a parent's result only repeats its subtests'). Skips count as failures. Lines that are not
 * JSON (build errors go to stderr, but be safe) are ignored.
 */
export function parseGoTestJson(output: string): { pass: number; fail: number; failed: string[] } {
  const outcome = new Map<string, string>();
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    let event: GoTestEvent;
    try {
      event = JSON.parse(line) as GoTestEvent;
    } catch {
      continue;
    }
    if (!event.Test || !["pass", "fail", "skip"].includes(event.Action ?? "")) continue;
    outcome.set(`${event.Package ?? ""} ${event.Test}`, event.Action as string);
  }
  const keys = [...outcome.keys()];
  const leaves = keys.filter((key) => !keys.some((other) => other.startsWith(`${key}/`)));
  const failed = leaves.filter((key) => outcome.get(key) !== "pass").sort();
  return { pass: leaves.length - failed.length, fail: failed.length, failed };
}

/** Decodes the five XML entities (JUnit reports escape test names). */
function unescapeXml(text: string): string {
  return text
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&amp;", "&");
}

/**
 * Counts a pytest JUnit XML report: each `<testcase>` passed unless it holds a `<failure>`,
 * `<error>` or `<skipped>` (a skip counts as a failure: these tests must never skip).
 */
export function parseJunitXml(xml: string): { pass: number; fail: number; failed: string[] } {
  const failed: string[] = [];
  let pass = 0;
  const testcase = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(testcase)) {
    const attrs = match[1] ?? "";
    const body = match[2] ?? "";
    const name = unescapeXml(/\bname="([^"]*)"/.exec(attrs)?.[1] ?? "?");
    const classname = unescapeXml(/\bclassname="([^"]*)"/.exec(attrs)?.[1] ?? "");
    if (/<(failure|error|skipped)\b/.test(body)) failed.push(classname ? `${classname}::${name}` : name);
    else pass++;
  }
  return { pass, fail: failed.length, failed };
}

/** Runs a child with closed stdin, its output copied to this process's stderr, and returns it. */
async function runCopying(cmd: string[], cwd: string, env: Record<string, string | undefined>) {
  const child = Bun.spawn(cmd, { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const copy = async (stream: ReadableStream<Uint8Array>, echo: boolean) => {
    let text = "";
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const part = decoder.decode(value, { stream: true });
      text += part;
      if (echo) process.stderr.write(part);
    }
    return text + decoder.decode();
  };
  const [stdout, stderr, code] = await Promise.all([
    copy(child.stdout, false),
    copy(child.stderr, true),
    child.exited,
  ]);
  return { stdout, stderr, code };
}

/** Where the server under test listens. */
export interface SdkTestServer {
  /** The HTTP/1.1 origin (Connect, gRPC-web). */
  readonly url: string;
  /** The h2c origin (gRPC, Connect). */
  readonly grpcUrl: string;
}

function serverEnv(server: SdkTestServer): Record<string, string | undefined> {
  return {
    ...process.env,
    TODO_SDK_TEST_GRPC_URL: server.grpcUrl,
    TODO_SDK_TEST_HTTP_URL: server.url,
  };
}

/** `go test` of sdk/go against `server`. The go.sum pins every module it downloads. */
export async function runGoSdkTests(server: SdkTestServer): Promise<SdkSuiteResult> {
  const name = "Go SDK (go test)";
  const env = { ...serverEnv(server), GOWORK: "off", GOFLAGS: "-mod=readonly -buildvcs=false" };
  // `go test` compiles only the packages the tests import; vet compiles (and checks) every one.
  const vet = await runCopying(["go", "vet", "./..."], goSdkDir, env);
  if (vet.code !== 0) return { name, pass: 0, fail: 0, failed: [], unexplained: `go vet exited ${vet.code}` };
  const { stdout, code } = await runCopying(["go", "test", "-json", "-count=1", "./..."], goSdkDir, env);
  // The JSON events carry each test's own output; show it as plain text.
  for (const line of stdout.split("\n")) {
    try {
      const event = JSON.parse(line) as { Action?: string; Output?: string };
      if (event.Action === "output" && event.Output) process.stderr.write(event.Output);
    } catch {
      if (line) process.stderr.write(`${line}\n`);
    }
  }
  const counts = parseGoTestJson(stdout);
  const unexplained =
    (code !== 0 && counts.fail === 0) || counts.pass + counts.fail === 0
      ? `go test exited ${code} with ${counts.pass + counts.fail} tests counted`
      : undefined;
  return { name, ...counts, unexplained };
}

/** Builds sdk/python's wheel outside the checkout and runs its pytest suite against `server`. */
export async function runPythonSdkTests(server: SdkTestServer, tools: SdkTools): Promise<SdkSuiteResult> {
  const name = "Python SDK (pytest)";
  const scratch = mkdtempSync(join(tmpdir(), "todo-sdk-python-"));
  try {
    const project = join(scratch, "project");
    const skip = new Set(["build", "dist", "__pycache__", ".pytest_cache"]);
    cpSync(pythonSdkDir, project, {
      recursive: true,
      filter: (source) => {
        const base = source.split("/").pop() ?? "";
        return !skip.has(base) && !base.endsWith(".egg-info");
      },
    });
    const env = { ...serverEnv(server), PYTHONDONTWRITEBYTECODE: "1", PIP_DISABLE_PIP_VERSION_CHECK: "1" };
    const pip = [tools.python, "-m", "pip", "--no-input", "-q"];
    const dist = join(scratch, "dist");
    const built = await runCopying(
      [...pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, project],
      scratch,
      env,
    );
    const wheel = readdirSync(dist, { withFileTypes: true }).find((e) => e.name.endsWith(".whl"));
    if (built.code !== 0 || !wheel) {
      return { name, pass: 0, fail: 0, failed: [], unexplained: `pip wheel exited ${built.code}` };
    }
    const site = join(scratch, "site");
    const installed = await runCopying(
      [...pip, "install", "--no-deps", "--target", site, join(dist, wheel.name)],
      scratch,
      env,
    );
    if (installed.code !== 0) {
      return { name, pass: 0, fail: 0, failed: [], unexplained: `pip install exited ${installed.code}` };
    }
    const report = join(scratch, "junit.xml");
    const tests = join(project, "tests");
    const ran = await runCopying(
      [tools.python, "-m", "pytest", "-p", "no:cacheprovider", "-ra", `--junitxml=${report}`, tests],
      project,
      { ...env, PYTHONPATH: site },
    );
    process.stderr.write(ran.stdout);
    let counts = { pass: 0, fail: 0, failed: [] as string[] };
    try {
      counts = parseJunitXml(readFileSync(report, "utf8"));
    } catch {
      // no report: counted below as a failure outside any test
    }
    const unexplained =
      (ran.code !== 0 && counts.fail === 0) || counts.pass + counts.fail === 0
        ? `pytest exited ${ran.code} with ${counts.pass + counts.fail} tests counted`
        : undefined;
    return { name, ...counts, unexplained };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The last line scripts/sdk-test.ts prints: `<N> passed, <N> failed`. */
export function parseSdkSummary(output: string): { pass: number; fail: number } | undefined {
  const lines = output.trimEnd().split("\n");
  const match = /^(\d+) passed, (\d+) failed$/.exec(lines[lines.length - 1]?.trim() ?? "");
  return match ? { pass: Number(match[1]), fail: Number(match[2]) } : undefined;
}
