/**
 * The smoke test against a real `bun start` (tests/e2e/lib/server.ts: free ports, a throw-away data
 * directory, the built web app), directly and through small proxies that add TLS or break one RPC;
 * and against addresses where nothing answers, where it must fail and name the failed step.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, repoRoot, startTodoServer, type TodoServer } from "../../tests/e2e/lib/server.ts";
import { capture } from "./proc.ts";
import { selfSignedCert } from "./self-signed-cert.ts";
import { normaliseBaseUrl, parseSmokeArgs, runSmoke, SMOKE_STEPS } from "./smoke.ts";

let server: TodoServer;
const closers: Array<() => unknown> = [];
const certDir = mkdtempSync(join(tmpdir(), "todo-smoke-tls-"));

beforeAll(async () => {
  server = await startTodoServer();
}, 180_000);

afterAll(async () => {
  for (const close of closers) await close();
  await server?.stop();
  rmSync(certDir, { recursive: true, force: true });
});

/** Runs `bun scripts/smoke.ts …args` and returns its exit code and output. */
async function smokeCli(args: string[], env: Record<string, string> = {}) {
  const result = await capture([process.execPath, join(repoRoot, "scripts", "smoke.ts"), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return { ...result, output: result.stdout + result.stderr };
}

/**
 * A reverse proxy in front of the server (HTTPS when `tls` is given) that records every path it
 * forwards and answers `blocked` paths itself with a Connect `unavailable` error.
 */
function startProxy(options: { tls?: { cert: string; key: string }; blocked?: string[] } = {}) {
  const seen: string[] = [];
  const proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(options.tls ? { tls: options.tls } : {}),
    async fetch(req) {
      const url = new URL(req.url);
      seen.push(url.pathname);
      if (options.blocked?.includes(url.pathname)) {
        return Response.json({ code: "unavailable", message: "blocked by the test proxy" }, { status: 503 });
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      return fetch(`${server.url}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        body: req.body,
        redirect: "manual",
        decompress: false,
      });
    },
  });
  closers.push(() => proxy.stop(true));
  const scheme = options.tls ? "https" : "http";
  return { url: `${scheme}://127.0.0.1:${proxy.port}`, seen };
}

describe("against a running bun start", () => {
  test("the CLI passes every step and exits 0", async () => {
    const run = await smokeCli([server.url]);
    expect(run.code, run.output).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toContain(`smoke: ${server.url} (Connect JSON over HTTP/1.1`);
    SMOKE_STEPS.forEach((step, i) => {
      expect(lines[i + 1]).toMatch(new RegExp(`^\\[${i + 1}/8\\] ${step} +ok `));
    });
    expect(lines.at(-1)).toMatch(/^smoke: passed, 8 steps in \d+\.\d s$/);
  }, 60_000);

  test("SMOKE_URL and the binary encoding work too; every step is reported with what it saw", async () => {
    const run = await smokeCli(["--binary", "--timeout", "5"], { SMOKE_URL: `${server.url}/` });
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("(Connect binary over HTTP/1.1, 5 s per call");

    const lines: string[] = [];
    const report = await runSmoke({ baseUrl: server.url, log: (l) => lines.push(l) });
    expect(report.ok).toBe(true);
    expect(report.failed).toBeUndefined();
    expect(report.steps.map((s) => s.step)).toEqual([...SMOKE_STEPS]);
    expect(report.steps.every((s) => s.ok && s.attempts === 1)).toBe(true);
    const detail = Object.fromEntries(report.steps.map((s) => [s.step, s.detail]));
    expect(detail.health).toBe("SERVING");
    expect(detail["web app"]).toStartWith("200 text/html");
    expect(detail["sign up"]).toMatch(/^smoke-[\w-]+@example\.com$/);
    expect(detail["check it is gone"]).toBe("GetTask is NOT_FOUND, the list is empty");
    expect(lines).toHaveLength(8);
  }, 60_000);

  test("https: passes with the CA given (or --insecure), fails at health without it", async () => {
    const { certFile, cert, key } = await selfSignedCert(certDir);
    const proxy = startProxy({ tls: { cert, key } });

    const trusted = await smokeCli(["--ca", certFile, proxy.url]);
    expect(trusted.code, trusted.output).toBe(0);
    expect(trusted.stdout).toContain("smoke: passed, 8 steps");

    const untrusted = await smokeCli(["--timeout", "5", proxy.url]);
    expect(untrusted.code, untrusted.output).toBe(1);
    expect(untrusted.stdout).toMatch(/smoke: FAILED at step "health": .*certificate/i);
    expect(untrusted.stdout).not.toContain("[2/8]");

    const insecure = await smokeCli(["--insecure", proxy.url]);
    expect(insecure.code, insecure.output).toBe(0);
  }, 60_000);

  test("a step that fails mid-way is named, and the task it created is deleted on the way out", async () => {
    const proxy = startProxy({ blocked: ["/todo.task.v1.TaskService/ListTasks"] });
    const report = await runSmoke({ baseUrl: proxy.url, timeoutMs: 5000 });
    expect(report.ok).toBe(false);
    expect(report.failed?.step).toBe("list with a filter");
    expect(report.failed?.detail).toContain("blocked by the test proxy");
    expect(report.steps.map((s) => s.step)).toEqual([...SMOKE_STEPS.slice(0, 6)]);
    expect(proxy.seen.filter((p) => p.endsWith("/CreateTask"))).toHaveLength(1);
    expect(proxy.seen.at(-1)).toBe("/todo.task.v1.TaskService/DeleteTask");

    const run = await smokeCli(["--timeout", "5", proxy.url]);
    expect(run.code, run.output).toBe(1);
    expect(run.stdout).toContain(
      'smoke: FAILED at step "list with a filter": [unavailable] blocked by the test proxy',
    );
  }, 60_000);
});

describe("against nothing", () => {
  test("where nothing listens: exit 1 after the retries, naming the health step", async () => {
    const port = await freePort();
    const t0 = performance.now();
    const run = await smokeCli(["--retries", "2", "--retry-delay", "0.2", `http://127.0.0.1:${port}`]);
    expect(run.code, run.output).toBe(1);
    expect(run.stdout).toContain("[1/8] health             not yet (attempt 1/3): [unavailable]");
    expect(run.stdout).toContain("(attempt 2/3)");
    expect(run.stdout).toMatch(/smoke: FAILED at step "health": \[unavailable\] .*ECONNREFUSED/);
    expect(run.stdout).not.toContain("[2/8]");
    expect(performance.now() - t0).toBeGreaterThan(400);
  }, 30_000);

  test("a server that accepts but never answers fails at health within the per-call timeout", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    closers.push(() => silent.stop(true));
    const t0 = performance.now();
    const report = await runSmoke({ baseUrl: `http://127.0.0.1:${silent.port}`, timeoutMs: 500 });
    const ms = performance.now() - t0;
    expect(report.ok).toBe(false);
    expect(report.failed?.step).toBe("health");
    expect(report.failed?.detail).toContain("[deadline_exceeded]");
    expect(report.steps).toHaveLength(1);
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(5000);
  }, 30_000);
});

describe("the command line", () => {
  test("options, SMOKE_URL and their errors", () => {
    const parsed = parseSmokeArgs(
      ["--timeout=2.5", "--retries", "30", "--retry-delay", "1", "--binary", "https://todo.example.com/"],
      {},
    );
    expect(parsed.help).toBe(false);
    expect(parsed.options).toMatchObject({
      baseUrl: "https://todo.example.com",
      timeoutMs: 2500,
      retries: 30,
      retryDelayMs: 1000,
      binary: true,
      insecure: false,
    });
    expect(parseSmokeArgs([], { SMOKE_URL: "http://127.0.0.1:8080" }).options.baseUrl).toBe(
      "http://127.0.0.1:8080",
    );
    expect(parseSmokeArgs(["--help"], {}).help).toBe(true);
    expect(() => parseSmokeArgs([], {})).toThrow("no base URL: pass one, or set SMOKE_URL");
    expect(() => parseSmokeArgs(["--timeout", "soon", "http://x"], {})).toThrow("--timeout wants a number");
    expect(() => parseSmokeArgs(["--retries", "1.5", "http://x"], {})).toThrow(
      "--retries wants a whole number",
    );
    expect(() => parseSmokeArgs(["--nope", "http://x"], {})).toThrow("unknown option --nope");
    expect(() => parseSmokeArgs(["--ca", "/nonexistent/ca.pem", "http://x"], {})).toThrow(
      "--ca /nonexistent/ca.pem",
    );
    expect(() => normaliseBaseUrl("ftp://x")).toThrow("only http:// and https://");
    expect(() => normaliseBaseUrl("todo.example.com")).toThrow("not a URL");
    expect(normaliseBaseUrl("https://h.example/prefix/")).toBe("https://h.example/prefix");
  });

  test("a usage error exits 2 with the usage text", async () => {
    const run = await smokeCli(["--timeout"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("smoke: --timeout needs a value");
    expect(run.stderr).toContain("usage: bun scripts/smoke.ts");
  });
});
