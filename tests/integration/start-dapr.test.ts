/**
 * `bun run start:dapr` as a real process: it builds (or finds) the Dapr binaries, provisions the
 * topics, starts the Dapr scheduler and every service beside its sidecar, and the edge; the API and
 * the MCP endpoint answer through the edge; SIGTERM stops every process it started.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import {
  connectTransport,
  createDatabase,
  dropDatabase,
  freePort,
  ROOT,
  requireInfrastructure,
} from "./system";

const { databaseUrl: adminUrl, kafkaBrokers } = requireInfrastructure();
const runDir = mkdtempSync(join(tmpdir(), "todo-start-dapr-"));
const databaseName = `todo_start_dapr_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
let child: Bun.Subprocess<"ignore", "pipe", "pipe"> | undefined;

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  // Whatever the script left behind (it should leave nothing) must not outlive the test.
  Bun.spawnSync(["pkill", "-KILL", "-f", runDir]);
  await dropDatabase(adminUrl, databaseName);
  rmSync(runDir, { recursive: true, force: true });
}, 30_000);

/** Whether every port `offset` would give start:dapr is free on loopback. */
async function offsetIsFree(offset: number): Promise<boolean> {
  const ports = [50006, 8190, 9190, 52379, 52380].map((p) => p + offset);
  for (let i = 0; i < 6; i++)
    ports.push(...[8101, 50101, 3501, 50201, 50301, 9091].map((p) => p + offset + i));
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

test("start:dapr serves the system through the edge and stops everything on SIGTERM", async () => {
  const databaseUrl = await createDatabase(adminUrl, databaseName);
  let offset = 0;
  for (const candidate of [1000, 2000, 3000, 4000, 5000, 6000, 7000]) {
    if (await offsetIsFree(candidate)) {
      offset = candidate;
      break;
    }
  }
  expect(offset).toBeGreaterThan(0);
  const edgePort = await freePort();

  child = Bun.spawn([process.execPath, join(ROOT, "scripts", "start-dapr.ts")], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: `start-dapr-${databaseName}.`,
      KAFKA_PARTITIONS: "1",
      PORT: String(edgePort),
      DAPR_PORT_OFFSET: String(offset),
      DAPR_RUN_DIR: runDir,
      LOG_LEVEL: "warn",
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      output += decoder.decode(value, { stream: true });
    }
  };
  void pump(child.stdout);
  void pump(child.stderr);
  const deadline = Date.now() + 150_000;
  while (!output.includes("Todo runs under Dapr") && child.exitCode === null && Date.now() < deadline) {
    await Bun.sleep(200);
  }
  if (!output.includes("Todo runs under Dapr")) throw new Error(`start:dapr did not come up:\n${output}`);
  expect(output).toContain(`the edge is at http://127.0.0.1:${edgePort}`);

  // The browser's path: Connect over HTTP/1.1 to the edge, on to the services beside their sidecars.
  const edge = `http://127.0.0.1:${edgePort}`;
  const signedUp = await createClient(AuthService, connectTransport(edge)).signUp({
    email: `start-dapr-${crypto.randomUUID()}@example.test`,
    password: "correct horse battery staple",
    timeZone: "Europe/Berlin",
  });
  const tasks = createClient(TaskService, connectTransport(edge, signedUp.accessToken));
  const { task } = await tasks.createTask({ task: { title: "Through the edge" } });
  expect((await tasks.listTasks({})).tasks.map((t) => t.id)).toEqual([task?.id ?? "missing"]);
  // The assistant's MCP endpoint is forwarded too, and wants a token.
  const mcp = await fetch(`${edge}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  expect(mcp.status).toBe(401);

  child.kill("SIGTERM");
  const code = await Promise.race([child.exited, Bun.sleep(30_000).then(() => "timeout")]);
  expect(code).toBe(0);
  await Bun.sleep(500);
  const left = Bun.spawnSync(["pgrep", "-f", runDir]).stdout.toString().trim();
  expect(left).toBe("");
}, 240_000);
