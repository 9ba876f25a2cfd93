/**
 * The MCP endpoint of `bun start` (`/mcp` on the HTTP/1.1 port), end to end on PGlite: the SDK's own
 * client over Streamable HTTP lists and calls every tool, each effect checked through TaskService;
 * tokens are required (401), service errors are tool errors, and one user never reaches another's
 * tasks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, type ConnectError } from "@connectrpc/connect";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Priority, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { rejection, signUpUser, startTestApp, type TestApp, type TestUser } from "@todo/testkit";
import type { TaskView } from "@todo/tools";
import { callTool, connectHttp, exerciseEveryTool } from "../test/mcp-client";
import { TOOL_NAMES } from "./tools";

let server: TestApp;
let alice: TestUser;
let bob: TestUser;
let mcpUrl: string;

beforeAll(async () => {
  server = await startTestApp("pglite");
  mcpUrl = `${server.httpUrl}/mcp`;
  alice = await signUpUser(server, { protocol: "connect", name: "alice", timeZone: "Europe/Berlin" });
  bob = await signUpUser(server, { protocol: "connect", name: "bob", timeZone: "America/New_York" });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe("MCP over Streamable HTTP at /mcp", () => {
  test("lists the six tools with JSON schemas that name priorities", async () => {
    const client = await connectHttp(mcpUrl, alice.token);
    try {
      expect(client.getServerVersion()?.name).toBe("todo");
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual([...TOOL_NAMES]);
      for (const tool of tools) {
        expect(tool.description?.length ?? 0).toBeGreaterThan(20);
        expect(tool.inputSchema.type).toBe("object");
        expect(tool.outputSchema?.type).toBe("object");
      }
      const add = tools.find((t) => t.name === "add_task");
      const props = add?.inputSchema.properties as Record<string, { enum?: string[]; type?: string }>;
      expect(add?.inputSchema.required).toEqual(["title"]);
      expect(props.priority?.enum).toEqual(["low", "medium", "high", "urgent"]);
      expect(props.due?.type).toBe("string");
      expect(props.tags?.type).toBe("array");
      const list = tools.find((t) => t.name === "list_tasks");
      expect(Object.keys(list?.inputSchema.properties ?? {})).toEqual(
        expect.arrayContaining(["filter", "query", "order_by", "page_size", "page_token", "status"]),
      );
      expect(tools.find((t) => t.name === "delete_task")?.annotations?.destructiveHint).toBe(true);
      expect(tools.find((t) => t.name === "list_tags")?.annotations?.readOnlyHint).toBe(true);
    } finally {
      await client.close();
    }
  });

  test("every tool acts as the caller, checked through TaskService", async () => {
    const client = await connectHttp(mcpUrl, alice.token);
    try {
      await exerciseEveryTool(client, alice, "Europe/Berlin");
    } finally {
      await client.close();
    }
  }, 30_000);

  test("pages through list_tasks with page_size and page_token, in the given order", async () => {
    const client = await connectHttp(mcpUrl, alice.token);
    try {
      const tag = `page${crypto.randomUUID().slice(0, 6)}`;
      for (const [title, priority] of [
        ["p-low", "low"],
        ["p-urgent", "urgent"],
        ["p-medium", "medium"],
      ] as const)
        expect((await callTool(client, "add_task", { title, priority, tags: [tag] })).isError).toBe(false);
      const first = await callTool<{ tasks: TaskView[]; total_size: number; next_page_token: string }>(
        client,
        "list_tasks",
        { tags: [tag], order_by: "priority desc", page_size: 2 },
      );
      expect(first.structured.tasks.map((t) => t.title)).toEqual(["p-urgent", "p-medium"]);
      expect(first.structured.total_size).toBe(3);
      expect(first.structured.next_page_token).not.toBe("");
      const second = await callTool<{ tasks: TaskView[]; next_page_token: string }>(client, "list_tasks", {
        tags: [tag],
        order_by: "priority desc",
        page_size: 2,
        page_token: first.structured.next_page_token,
      });
      expect(second.structured.tasks.map((t) => t.title)).toEqual(["p-low"]);
      expect(second.structured.next_page_token).toBe("");
      const filtered = await callTool<{ tasks: TaskView[] }>(client, "list_tasks", {
        filter: `tags:${tag} AND priority <= MEDIUM`,
        order_by: "priority",
      });
      expect(filtered.structured.tasks.map((t) => t.title)).toEqual(["p-low", "p-medium"]);
    } finally {
      await client.close();
    }
  }, 30_000);

  test("service errors are tool errors with the service's message", async () => {
    const client = await connectHttp(mcpUrl, alice.token);
    try {
      const unknown = await callTool(client, "complete_task", { id: crypto.randomUUID() });
      expect(unknown.isError).toBe(true);
      expect(unknown.text).toMatch(/^NOT_FOUND: /);
      expect((await callTool(client, "delete_task", { id: crypto.randomUUID() })).text).toMatch(
        /^NOT_FOUND: /,
      );

      // The task service's own validation (a blank title), with its field violation.
      const blank = await callTool(client, "add_task", { title: "   " });
      expect(blank.isError).toBe(true);
      expect(blank.text).toMatch(/^INVALID_ARGUMENT: .*title/);

      // A stale etag is ABORTED and changes nothing.
      const added = await callTool<{ task: TaskView }>(client, "add_task", { title: "etag check" });
      const { id, etag } = added.structured.task;
      expect((await callTool(client, "update_task", { id, title: "changed" })).isError).toBe(false);
      const stale = await callTool(client, "update_task", { id, title: "lost update", etag });
      expect(stale.isError).toBe(true);
      expect(stale.text).toMatch(/^ABORTED: /);
      expect((await alice.tasks.getTask({ id })).task?.title).toBe("changed");

      // Arguments the tools cannot use.
      const badDue = await callTool(client, "add_task", { title: "x", due: "banana o'clock" });
      expect(badDue.isError).toBe(true);
      expect(badDue.text).toContain("could not read");
      const numeric = await callTool(client, "add_task", { title: "x", priority: 3 });
      expect(numeric.isError).toBe(true);
      expect(numeric.text).toContain("priority");
      const badFilter = await callTool(client, "list_tasks", { filter: "priority === HIGH" });
      expect(badFilter.isError).toBe(true);
      expect(badFilter.text).toMatch(
        /^INVALID_ARGUMENT: filter.*in the filter sent: status = OPEN AND \(priority === HIGH\)/,
      );
      const nothing = await callTool(client, "update_task", { id });
      expect(nothing.isError).toBe(true);
      expect(nothing.text).toContain("nothing to change");
    } finally {
      await client.close();
    }
  }, 30_000);

  test("a second user cannot see or touch the first user's tasks", async () => {
    const aliceClient = await connectHttp(mcpUrl, alice.token);
    const bobClient = await connectHttp(mcpUrl, bob.token);
    try {
      const added = await callTool<{ task: TaskView }>(aliceClient, "add_task", {
        title: "alice's secret",
        priority: "low",
      });
      const id = added.structured.task.id;
      const seen = await callTool<{ tasks: TaskView[]; total_size: number }>(bobClient, "list_tasks", {
        status: "all",
      });
      expect(seen.structured.tasks.map((t) => t.id)).not.toContain(id);
      expect(seen.structured.total_size).toBe(0);
      expect((await callTool(bobClient, "list_tasks", { query: "secret" })).structured.tasks).toEqual([]);
      for (const [tool, args] of [
        ["complete_task", { id }],
        ["update_task", { id, title: "bob was here", priority: "urgent" }],
        ["delete_task", { id }],
      ] as const) {
        const res = await callTool(bobClient, tool, args);
        expect(res.isError).toBe(true);
        expect(res.text).toMatch(/^NOT_FOUND: /);
      }
      const task = (await alice.tasks.getTask({ id })).task;
      expect(task?.title).toBe("alice's secret");
      expect(task?.priority).toBe(Priority.LOW);
      expect(task?.status).toBe(TaskStatus.OPEN);
      // Bob's own task lands in Bob's list, not Alice's.
      const bobs = await callTool<{ task: TaskView }>(bobClient, "add_task", { title: "bob's task" });
      expect((await bob.tasks.getTask({ id: bobs.structured.task.id })).task?.title).toBe("bob's task");
      const err = await rejection<ConnectError>(() => alice.tasks.getTask({ id: bobs.structured.task.id }));
      expect(err.code).toBe(Code.NotFound);
    } finally {
      await aliceClient.close();
      await bobClient.close();
    }
  }, 30_000);

  test("dates in words are read in the caller's own time zone", async () => {
    const client = await connectHttp(mcpUrl, bob.token);
    try {
      const added = await callTool<{ task: TaskView }>(client, "add_task", {
        title: "NY lunch",
        due: "tomorrow at noon",
      });
      expect(added.isError).toBe(false);
      expect(added.structured.task.time_zone).toBe("America/New_York");
      const hour = new Intl.DateTimeFormat("en-US", {
        timeZone: "America/New_York",
        hour: "numeric",
        hourCycle: "h23",
      }).format(new Date(added.structured.task.due_time ?? ""));
      expect(hour).toBe("12");
    } finally {
      await client.close();
    }
  });
});

describe("HTTP authentication and routing of /mcp", () => {
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "0" } },
  };
  const post = (headers: Record<string, string>) =>
    fetch(mcpUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body: JSON.stringify(initialize),
    });

  test("no token is 401 with a message saying what to send", async () => {
    const res = await post({});
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toStartWith("Bearer ");
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("Authorization: Bearer");
  });

  test("an invalid token is 401", async () => {
    const res = await post({ authorization: "Bearer not-a-jwt" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("sign in again");
    const forged = await post({ authorization: `Bearer ${alice.token.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
  });

  test("the SDK client without a token fails to connect with 401", async () => {
    const err = await rejection<StreamableHTTPError>(() => connectHttp(mcpUrl));
    expect(err).toBeInstanceOf(StreamableHTTPError);
    expect(err.code).toBe(401);
  });

  test("with a token, initialize answers JSON; GET is 405", async () => {
    const res = await post({ authorization: `Bearer ${alice.token}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as { result: { serverInfo: { name: string } } };
    expect(body.result.serverInfo.name).toBe("todo");
    const get = await fetch(mcpUrl, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  test("other paths still reach the web app", async () => {
    const res = await fetch(`${server.httpUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("Todo");
  });
});
