/**
 * `runService`'s commands, through a real service main as a process (the identity service: the
 * smallest), against a database of its own: `migrate` applies the migrations once and exits 0, a second
 * run finds nothing to do, an unknown command is refused with the usage, and a database that never
 * answers fails the command after `MIGRATE_WAIT_SECONDS` instead of hanging.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parsePrometheusText, sumOf } from "./metrics-testing";
import { createTestDatabase, type TestDatabase } from "./testing";

const main = join(import.meta.dir, "..", "..", "identity", "src", "main.ts");
let db: TestDatabase;

async function run(args: string[], env: Record<string, string>) {
  const child = Bun.spawn([process.execPath, main, ...args], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, output: stdout + stderr };
}

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe("a service main's commands", () => {
  test("migrate applies the migrations once, then finds the schema up to date", async () => {
    const first = await run(["migrate"], { DATABASE_URL: db.url });
    expect(first.output).toContain("identity: applied migrations 1");
    expect(first.code).toBe(0);
    const rows = await db.sql<{ version: number }[]>`select version from identity.schema_migrations`;
    expect(rows.map((r) => r.version)).toContain(1);

    const second = await run(["migrate"], { DATABASE_URL: db.url });
    expect(second.output).toContain("identity: schema up to date");
    expect(second.code).toBe(0);
  });

  test("an unknown command is refused with the usage", async () => {
    const result = await run(["migrat"], { DATABASE_URL: db.url });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('unknown command "migrat" (usage: identity [serve | migrate])');
  });

  test("migrate gives up on a database that never answers", async () => {
    const result = await run(["migrate"], {
      DATABASE_URL: "postgres://todo:todo@127.0.0.1:1/todo",
      MIGRATE_WAIT_SECONDS: "1",
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("identity: the database did not accept connections");
  });
});

test("serve with METRICS_PORT serves the service's metrics on a port of its own, and stops on SIGTERM", async () => {
  const child = Bun.spawn([process.execPath, main], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      DATABASE_URL: db.url,
      JWT_SECRET: "service-main-test-secret-0123456789abcdef",
      PORT: "0",
      GRPC_PORT: "0",
      METRICS_PORT: "0",
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    let text = "";
    const decoder = new TextDecoder();
    const reader = child.stdout.getReader();
    const deadline = Date.now() + 30_000;
    while (!/identity: metrics at (\S+)/.test(text)) {
      if (Date.now() > deadline) throw new Error(`no metrics URL printed:\n${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`the service exited:\n${text}${await new Response(child.stderr).text()}`);
      text += decoder.decode(value);
    }
    reader.releaseLock();
    const metricsUrl = /identity: metrics at (\S+)/.exec(text)?.[1] as string;
    const http = /identity: (http:\/\/\S+) \(HTTP\/1\.1\)/.exec(text)?.[1] as string;
    expect(new URL(metricsUrl).port).not.toBe(new URL(http).port);
    const health = await fetch(`${http}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(health.status).toBe(200);
    const exposition = parsePrometheusText(await (await fetch(metricsUrl)).text());
    expect(
      sumOf(exposition, "rpc_server_call_duration_seconds_count", {
        rpc_method: "grpc.health.v1.Health/Check",
        rpc_status_code: "OK",
      }),
    ).toBe(1);
    expect(
      sumOf(exposition, "db_client_connection_max", { db_client_connection_pool_name: "identity" }),
    ).toBe(20);
    expect(exposition.samples.find((s) => s.name === "target_info")?.labels.service_name).toBe("identity");
  } finally {
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  }
}, 60_000);
