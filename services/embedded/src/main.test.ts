/**
 * `bun start` as a real subprocess: it prints both URLs, serves the web page and the API on them,
 * keeps its data and signing key in `TODO_DATA_DIR`, and exits 0 soon after SIGTERM or SIGINT.
 */
import { afterAll, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { bearer, removeDir, startMainProcess, tempDir } from "@todo/testkit";

const dataDir = tempDir("todo-main");
const children: Bun.Subprocess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && !c.killed) c.kill("SIGKILL");
  removeDir(dataDir);
});

/** A started `bun services/embedded/src/main.ts`, its two URLs and everything it printed so far. */
interface Started {
  readonly child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  readonly httpUrl: string;
  readonly grpcUrl: string;
  output(): string;
}

const HTTP_URL = /HTTP\/1\.1\):\s+(http:\/\/\S+)/;
const GRPC_URL = /\(h2c\):\s+(http:\/\/\S+)/;

/** Starts main.ts on free ports with the embedded store in `dataDir`; resolves once both URLs are printed. */
async function startMain(): Promise<Started> {
  const { child, output } = await startMainProcess(dataDir, [HTTP_URL, GRPC_URL]);
  children.push(child);
  return {
    child,
    httpUrl: HTTP_URL.exec(output())?.[1] as string,
    grpcUrl: GRPC_URL.exec(output())?.[1] as string,
    output,
  };
}

/** Sends `signal` and returns the exit code and how long the exit took. */
async function stop(started: Started, signal: "SIGTERM" | "SIGINT"): Promise<{ code: number; ms: number }> {
  const t = performance.now();
  started.child.kill(signal);
  const code = await Promise.race([started.child.exited, Bun.sleep(15_000).then(() => -1)]);
  return { code, ms: performance.now() - t };
}

const email = `main-${crypto.randomUUID()}@example.com`;
const password = "bun start password";

test("bun start prints both URLs, serves the page and the API, and exits 0 on SIGTERM", async () => {
  const started = await startMain();
  try {
    expect(started.output()).toContain(`embedded database in ${dataDir}`);
    expect(started.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started.grpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started.httpUrl).not.toBe(started.grpcUrl);

    const page = await fetch(`${started.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(await page.text()).toContain("<html");

    // Connect JSON over HTTP/1.1, then gRPC over h2c with the token it gave.
    const res = await fetch(`${started.httpUrl}/todo.identity.v1.AuthService/SignUp`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    expect(res.status).toBe(200);
    const { accessToken } = (await res.json()) as { accessToken: string };
    const tasks = createClient(
      TaskService,
      createGrpcTransport({ baseUrl: started.grpcUrl, interceptors: [bearer(accessToken)] }),
    );
    const { task } = await tasks.createTask({ task: { title: "made through bun start" } });
    expect((await tasks.listTasks({})).tasks.map((t) => t.id)).toEqual([task?.id as string]);

    // The generated signing key is kept in the data dir, readable by the owner only.
    expect(statSync(join(dataDir, "jwt-secret")).mode & 0o777).toBe(0o600);
  } finally {
    const { code, ms } = await stop(started, "SIGTERM");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  }
}, 60_000);

test("bun start on the same data dir keeps the account, and exits 0 on SIGINT", async () => {
  const started = await startMain();
  try {
    const auth = createClient(
      AuthService,
      createConnectTransport({ baseUrl: started.httpUrl, httpVersion: "1.1" }),
    );
    const session = await auth.signIn({ email, password });
    const tasks = createClient(
      TaskService,
      createGrpcTransport({ baseUrl: started.grpcUrl, interceptors: [bearer(session.accessToken)] }),
    );
    expect((await tasks.listTasks({})).tasks.map((t) => t.title)).toEqual(["made through bun start"]);
  } finally {
    const { code, ms } = await stop(started, "SIGINT");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  }
}, 60_000);
