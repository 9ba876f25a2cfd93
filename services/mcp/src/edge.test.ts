/**
 * The edge of `start:services` forwards `/mcp` to the process that serves it (the assistant there; a
 * whole test app here), so MCP clients use the same origin in both run modes: tools, the 401 and the
 * web fallback all pass through it unchanged.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  signUpUser,
  startTestApp,
  startTestEdge,
  TEST_EDGE_FALLBACK_TEXT,
  type TestApp,
  type TestEdge,
  type TestUser,
} from "@todo/testkit";
import type { TaskView } from "@todo/tools";
import { callTool, connectHttp } from "../test/mcp-client";
import { TOOL_NAMES } from "./tools";

let server: TestApp;
let edge: TestEdge;
let user: TestUser;
let edgeUrl: string;

beforeAll(async () => {
  server = await startTestApp("pglite");
  user = await signUpUser(server, { protocol: "connect", name: "edge" });
  edge = await startTestEdge(server, ["todo.task.v1.TaskService"]);
  edgeUrl = edge.url;
}, 60_000);

afterAll(async () => {
  await edge?.close();
  await server?.close();
});

describe("the edge forwards /mcp", () => {
  test("an MCP client through the edge lists and calls tools as the user", async () => {
    const client = await connectHttp(`${edgeUrl}/mcp`, user.token);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual([...TOOL_NAMES]);
      const added = await callTool<{ task: TaskView }>(client, "add_task", {
        title: "via the edge",
        priority: "medium",
      });
      expect(added.isError).toBe(false);
      expect((await user.tasks.getTask({ id: added.structured.task.id })).task?.title).toBe("via the edge");
      const listed = await callTool<{ tasks: TaskView[] }>(client, "list_tasks", { query: "edge" });
      expect(listed.structured.tasks.map((t) => t.id)).toContain(added.structured.task.id);
    } finally {
      await client.close();
    }
  }, 30_000);

  test("the 401 passes through; other plain paths stay with the edge's fallback", async () => {
    const res = await fetch(`${edgeUrl}/mcp?x=1`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: "{}",
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith("Bearer ");
    const other = await fetch(`${edgeUrl}/mcp/other`);
    expect(other.status).toBe(404);
    expect(await other.text()).toBe(TEST_EDGE_FALLBACK_TEXT);
  });
});
