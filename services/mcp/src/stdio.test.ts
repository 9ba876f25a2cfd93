/**
 * `bun services/mcp/src/stdio.ts` (what `bun run mcp` starts), driven by the SDK's own client over
 * stdio against a running test app: with a token, and with an e-mail and password, it lists and calls
 * every tool as that user; stdout carries nothing but MCP; bad credentials end it with a message on
 * stderr.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { rejection, repoRoot, signUpUser, startTestApp, type TestApp, type TestUser } from "@todo/testkit";
import type { TaskView } from "@todo/tools";
import { callTool, exerciseEveryTool } from "../test/mcp-client";
import { TOOL_NAMES } from "./tools";

const STDIO = join(import.meta.dir, "stdio.ts");

let server: TestApp;
let user: TestUser;

beforeAll(async () => {
  server = await startTestApp("pglite");
  user = await signUpUser(server, { protocol: "connect", name: "stdio", timeZone: "Asia/Tokyo" });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/** A stdio MCP server process as an SDK client, collecting its stderr and any stray stdout. */
async function spawnStdio(env: Record<string, string>) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [STDIO],
    cwd: repoRoot,
    env: { TODO_URL: server.httpUrl, LOG_LEVEL: "info", ...env },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "todo-mcp-stdio-test", version: "0.0.0" });
  const protocolErrors: Error[] = [];
  client.onerror = (err) => protocolErrors.push(err);
  await client.connect(transport);
  return { client, protocolErrors, stderr: () => stderr };
}

describe("MCP over stdio", () => {
  test("with TODO_TOKEN: lists the tools and calls each one as the user", async () => {
    const { client, protocolErrors, stderr } = await spawnStdio({ TODO_TOKEN: user.token });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([...TOOL_NAMES]);
      await exerciseEveryTool(client, user, "Asia/Tokyo");
      const unknown = await callTool(client, "complete_task", { id: crypto.randomUUID() });
      expect(unknown.isError).toBe(true);
      expect(unknown.text).toMatch(/^NOT_FOUND: /);
      // Nothing but JSON-RPC came out of stdout; the logs went to stderr.
      expect(protocolErrors).toEqual([]);
      expect(stderr()).toContain("serving MCP on stdio");
    } finally {
      await client.close();
    }
  }, 60_000);

  test("with TODO_EMAIL and TODO_PASSWORD: signs in and acts as that user", async () => {
    const { client, protocolErrors } = await spawnStdio({
      TODO_EMAIL: user.email,
      TODO_PASSWORD: user.password,
    });
    try {
      expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
      const added = await callTool<{ task: TaskView }>(client, "add_task", {
        title: "from stdio",
        priority: "urgent",
      });
      expect(added.isError).toBe(false);
      expect(added.structured.task.time_zone).toBe("Asia/Tokyo");
      const task = (await user.tasks.getTask({ id: added.structured.task.id })).task;
      expect(task?.title).toBe("from stdio");
      expect(protocolErrors).toEqual([]);
    } finally {
      await client.close();
    }
  }, 60_000);

  test("refused credentials end the process with a message on stderr", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [STDIO],
      cwd: repoRoot,
      env: { TODO_URL: server.httpUrl, TODO_EMAIL: user.email, TODO_PASSWORD: "wrong password" },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
    });
    const client = new Client({ name: "todo-mcp-stdio-test", version: "0.0.0" });
    await rejection(() => client.connect(transport));
    await closed;
    expect(stderr).toContain("refused the credentials");
  }, 30_000);
});
