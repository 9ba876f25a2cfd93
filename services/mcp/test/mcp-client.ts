/**
 * Test helpers for the MCP server: connect the SDK's own client over Streamable HTTP, call a tool and
 * read its result, and one walk through every tool whose effects are checked through TaskService
 * (the same walk runs over HTTP, through the edge and over stdio).
 */
import { expect } from "bun:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectError } from "@connectrpc/connect";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { Priority, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { rejection, type TestUser, untilPasses } from "@todo/testkit";
import type { TagView, TaskView } from "@todo/tools";

/** An MCP client connected over Streamable HTTP to `url`, sending the token when given. */
export async function connectHttp(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: "todo-mcp-test", version: "0.0.0" });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** A tool's result: whether it failed, its text, and its structured content. */
export interface ToolOutcome<T = Record<string, unknown>> {
  readonly isError: boolean;
  readonly text: string;
  readonly structured: T;
}

/** Calls a tool and returns its result (a protocol error rejects). */
export async function callTool<T = Record<string, unknown>>(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolOutcome<T>> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content
    .map((c) => (c.type === "text" ? c.text : ""))
    .filter(Boolean)
    .join("\n");
  return { isError: result.isError === true, text, structured: (result.structuredContent ?? {}) as T };
}

/** A task's due time; fails the test when it has none. */
function dueOf(task: Task | undefined): Date {
  if (!task?.dueTime) throw new Error(`task ${task?.id} has no due time`);
  return timestampDate(task.dueTime);
}

/** An instant as seen in a time zone: its hour, its date, and all of it (`Fri 2027-03-12 18:00:00`). */
export interface WallClockView {
  readonly hour: number;
  /** `2027-03-12`. */
  readonly day: string;
  /** Weekday, date and time to the second: `Fri 2027-03-12 18:00:00`. */
  readonly text: string;
}

/** `date` as seen on the clocks of `timeZone`. */
export function wallClock(date: Date, timeZone: string): WallClockView {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = `${get("year")}-${get("month")}-${get("day")}`;
  const time = `${get("hour")}:${get("minute")}:${get("second")}`;
  return { hour: Number(get("hour")), day, text: `${get("weekday")} ${day} ${time}` };
}

/**
 * Calls every tool as `user` (whose time zone is `timeZone`) and checks each effect through
 * TaskService with the user's own client: add (with a due date in words and a repetition in words),
 * list (by tag, text and priority), update, complete, list_tags, delete.
 */
export async function exerciseEveryTool(client: Client, user: TestUser, timeZone: string): Promise<void> {
  const tag = `errands${crypto.randomUUID().slice(0, 6)}`;
  // add_task: priority by name, a due date in words, tags with and without '#'.
  const added = await callTool<{ task: TaskView }>(client, "add_task", {
    title: "Buy milk",
    description: "two litres",
    priority: "high",
    due: "tomorrow at 5pm",
    tags: [`#${tag}`],
  });
  expect(added.isError).toBe(false);
  expect(added.text).toContain('Created "Buy milk"');
  const milkId = added.structured.task.id;
  expect(added.structured.task.priority).toBe("high");
  const milk = (await user.tasks.getTask({ id: milkId })).task;
  expect(milk?.title).toBe("Buy milk");
  expect(milk?.description).toBe("two litres");
  expect(milk?.priority).toBe(Priority.HIGH);
  expect(milk?.tags).toEqual([tag]);
  const due = wallClock(dueOf(milk), timeZone);
  const tomorrow = wallClock(new Date(Date.now() + 86_400_000), timeZone);
  expect({ hour: due.hour, day: due.day }).toEqual({ hour: 17, day: tomorrow.day });

  // add_task with a repetition in words: the rule and its first occurrence.
  const rent = await callTool<{ task: TaskView }>(client, "add_task", {
    title: "Pay rent",
    repeat: "every month on the 1st at 9am",
  });
  expect(rent.isError).toBe(false);
  const rentId = rent.structured.task.id;
  const rentTask = (await user.tasks.getTask({ id: rentId })).task;
  expect(rentTask?.recurrence?.rrule).toContain("FREQ=MONTHLY");
  expect(wallClock(dueOf(rentTask), timeZone).hour).toBe(9);

  // list_tasks: by tag, by text, by priority.
  const byTag = await callTool<{ tasks: TaskView[]; total_size: number }>(client, "list_tasks", {
    tags: [tag],
  });
  expect(byTag.isError).toBe(false);
  expect(byTag.structured.tasks.map((t) => t.id)).toEqual([milkId]);
  expect(byTag.structured.total_size).toBe(1);
  const byText = await callTool<{ tasks: TaskView[] }>(client, "list_tasks", { query: "rent" });
  expect(byText.structured.tasks.map((t) => t.id)).toContain(rentId);
  expect(byText.structured.tasks.map((t) => t.id)).not.toContain(milkId);
  const urgentish = await callTool<{ tasks: TaskView[] }>(client, "list_tasks", {
    priority_at_least: "high",
  });
  expect(urgentish.structured.tasks.map((t) => t.id)).toContain(milkId);
  expect(urgentish.structured.tasks.map((t) => t.id)).not.toContain(rentId);

  // update_task: title, priority, an extra tag, an exact due time.
  const updated = await callTool<{ task: TaskView }>(client, "update_task", {
    id: milkId,
    title: "Buy oat milk",
    priority: "urgent",
    add_tags: ["shop"],
    due: "2030-01-02T10:00:00Z",
  });
  expect(updated.isError).toBe(false);
  const milk2 = (await user.tasks.getTask({ id: milkId })).task;
  expect(milk2?.title).toBe("Buy oat milk");
  expect(milk2?.priority).toBe(Priority.URGENT);
  expect(milk2?.tags).toEqual([tag, "shop"]);
  expect(dueOf(milk2).toISOString()).toBe("2030-01-02T10:00:00.000Z");
  expect(updated.structured.task.due_time).toBe("2030-01-02T10:00:00.000Z");

  // complete_task.
  const done = await callTool<{ task: TaskView }>(client, "complete_task", { id: milkId });
  expect(done.isError).toBe(false);
  expect(done.structured.task.status).toBe("completed");
  expect((await user.tasks.getTask({ id: milkId })).task?.status).toBe(TaskStatus.COMPLETED);
  const completed = await callTool<{ tasks: TaskView[] }>(client, "list_tasks", { status: "completed" });
  expect(completed.structured.tasks.map((t) => t.id)).toContain(milkId);

  // list_tags: the catalogue follows task events, so it may trail by a moment.
  await untilPasses(
    async () => {
      const tags = await callTool<{ tags: TagView[] }>(client, "list_tags");
      expect(tags.isError).toBe(false);
      expect(tags.structured.tags.map((t) => t.name)).toEqual(expect.arrayContaining([tag, "shop"]));
    },
    { timeoutMs: 10_000 },
  );

  // delete_task.
  const deleted = await callTool<{ deleted: { id: string; title: string } }>(client, "delete_task", {
    id: rentId,
  });
  expect(deleted.isError).toBe(false);
  expect(deleted.structured.deleted).toEqual({ id: rentId, title: "Pay rent" });
  const gone = await rejection<ConnectError>(() => user.tasks.getTask({ id: rentId }));
  expect(gone.code).toBe(Code.NotFound);
}
