/**
 * The MCP server of Todo: six tools over the ordinary TaskService and TagService clients, called **as
 * the user** whose credentials the MCP client gave (the call options carry that user's
 * `authorization` header), so the services authenticate, validate and scope every call exactly as
 * for any other client and the MCP layer holds no power of its own. A failed call (NOT_FOUND,
 * INVALID_ARGUMENT, ABORTED…) is a tool result with `isError: true` and the service's message, never
 * a protocol error: the model reads it and can correct itself.
 *
 * One server is made per caller (per HTTP request in the stateless HTTP mode, once for stdio).
 */
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { RecurrenceAnchor, type Task, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { movedDue } from "@todo/language/due-move";
import { createLogger } from "@todo/platform/logger";
import { z } from "zod";
import {
  cleanTags,
  describeTask,
  errorText,
  filterValue,
  PRIORITY_NAMES,
  parseDue,
  parseDueChange,
  parseRepeat,
  priorityOf,
  type Repetition,
  ToolInputError,
  tagView,
  taskView,
  viewTag,
  viewTask,
  type WhenContext,
} from "./convert";

/** The tools every Todo MCP server offers, in the order `tools/list` returns them. */
export const TOOL_NAMES = [
  "add_task",
  "list_tasks",
  "complete_task",
  "update_task",
  "delete_task",
  "list_tags",
] as const;

/** Name and version the server reports in `initialize`. */
export const SERVER_INFO = { name: "todo", version: "0.1.0" } as const;

/** What a server needs: clients, and who it acts for. */
export interface TodoMcpDeps {
  /** TaskService through any transport (in-process, gRPC, Connect). */
  readonly tasks: Client<typeof TaskService>;
  /** TagService likewise. */
  readonly tags: Client<typeof TagService>;
  /**
   * Options for every call: the caller's `authorization` header when the transport does not add it
   * itself. The services, not this server, decide what the caller may see and do.
   */
  readonly call?: CallOptions;
  /** The caller's IANA time zone: dates typed in words are read in it, and results are shown in it. */
  readonly timeZone: string;
  /** The time "tomorrow" counts from; default the system clock. */
  readonly clock?: () => Date;
}

const INSTRUCTIONS = `Manages the user's Todo tasks, acting as that user.
- Find task ids with list_tasks (by text with "query", or by tags, priority and due dates), then pass an id to complete_task, update_task or delete_task.
- Priorities are names: low < medium < high < urgent (never numbers).
- Dates can be ISO-8601 or plain English ("tomorrow 5pm", "next friday"), read in the user's time zone; repetitions are plain English ("every Monday at 9am") or RRULEs.
- Tags are plain names (a leading # is ignored).`;

const WHEN_HELP =
  'ISO-8601 (an instant with offset such as 2026-05-07T17:00:00+02:00, or a date 2026-05-07 meaning the end of that day) or plain English in the user\'s time zone ("tomorrow 5pm", "next friday", "in 2 hours").';

const id = z.string().min(1).max(100).describe("The task's id, from list_tasks or add_task.");
const priority = z.enum(PRIORITY_NAMES);
const tagList = z.array(z.string().min(1).max(64)).max(20);

const taskResult = { task: taskView };

function ok(text: string, structured: Record<string, unknown>): CallToolResult {
  return {
    content: [
      { type: "text", text },
      { type: "text", text: JSON.stringify(structured) },
    ],
    structuredContent: structured,
  };
}

function recurrence(r: Repetition): Task["recurrence"] {
  return {
    $typeName: "todo.task.v1.Recurrence",
    rrule: r.rrule,
    anchor: r.anchor === "completion" ? RecurrenceAnchor.COMPLETION : RecurrenceAnchor.SCHEDULE,
  };
}

/** Creates an MCP server whose tools act as the caller described by `deps`. */
export function createTodoMcpServer(deps: TodoMcpDeps): McpServer {
  const { tasks, tags, timeZone } = deps;
  const call = deps.call ?? {};
  const clock = deps.clock ?? (() => new Date());
  const log = createLogger("mcp");
  const server = new McpServer(SERVER_INFO, { instructions: INSTRUCTIONS });
  const when = (): WhenContext => ({ now: clock(), timeZone });

  /** Runs a tool body, turning failures into tool errors that carry the service's message. */
  const guarded =
    <A>(tool: string, body: (args: A) => Promise<CallToolResult>) =>
    async (args: A): Promise<CallToolResult> => {
      try {
        return await body(args);
      } catch (err) {
        const text = errorText(err);
        if (text.startsWith("INTERNAL: the tool failed")) log.error("tool failed", { tool, err });
        return { content: [{ type: "text", text }], isError: true };
      }
    };

  server.registerTool(
    "add_task",
    {
      title: "Add a task",
      description:
        "Creates a task for the user. Only the title is required. Returns the created task with its id.",
      inputSchema: {
        title: z.string().min(1).max(500).describe('What to do, e.g. "Call mom".'),
        description: z.string().max(10_000).optional().describe("Longer notes."),
        priority: priority.optional().describe("How important: low, medium, high or urgent."),
        due: z.string().max(200).optional().describe(`When it is due: ${WHEN_HELP}`),
        repeat: z
          .string()
          .max(500)
          .optional()
          .describe(
            'How it repeats: plain English ("every Monday at 9am", "every 3 days after I finish", "on the 1st of every month") or an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO. Without "due", the first occurrence becomes the due time.',
          ),
        tags: tagList.optional().describe('Tag names, e.g. ["errands"]; new tags are created.'),
        time_zone: z
          .string()
          .max(64)
          .optional()
          .describe("IANA time zone the due time and repetition are meant in; the user's by default."),
        request_id: z
          .string()
          .max(100)
          .optional()
          .describe("An idempotency key: repeating it returns the task the first call created."),
      },
      outputSchema: taskResult,
      annotations: { title: "Add a task", readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    guarded("add_task", async (args) => {
      const ctx = { now: clock(), timeZone: args.time_zone || timeZone };
      const task = create(TaskSchema, {
        title: args.title,
        description: args.description ?? "",
        priority: priorityOf(args.priority),
        tags: cleanTags(args.tags ?? []),
        timeZone: ctx.timeZone,
      });
      if (args.due) task.dueTime = timestampFromDate(parseDue(args.due, ctx));
      if (args.repeat) {
        const { repetition, firstDue } = parseRepeat(args.repeat, ctx);
        task.recurrence = recurrence(repetition);
        if (!task.dueTime && firstDue) task.dueTime = timestampFromDate(firstDue);
      }
      const created = (await tasks.createTask({ task, requestId: args.request_id ?? "" }, call)).task as Task;
      return ok(`Created ${describeTask(created, timeZone)}.`, { task: viewTask(created) });
    }),
  );

  server.registerTool(
    "list_tasks",
    {
      title: "List tasks",
      description:
        'Lists the user\'s tasks, open ones by default, a page at a time. Combine "query" (full-text search of title and description, typo-tolerant), "tags", "priority_at_least", "due_before"/"due_after", "overdue" and a raw "filter". Returns the tasks with their ids, the total count and a token for the next page.',
      inputSchema: {
        status: z
          .enum(["open", "completed", "all"])
          .optional()
          .describe("Which tasks: open (the default), completed or all."),
        query: z.string().max(200).optional().describe("Words to search for in titles and descriptions."),
        tags: tagList.optional().describe("Only tasks carrying every one of these tags."),
        priority_at_least: priority.optional().describe("Only tasks of this priority or higher."),
        due_before: z.string().max(200).optional().describe(`Only tasks due before this: ${WHEN_HELP}`),
        due_after: z.string().max(200).optional().describe(`Only tasks due at or after this: ${WHEN_HELP}`),
        overdue: z.boolean().optional().describe("true: only tasks whose due time has passed."),
        filter: z
          .string()
          .max(2000)
          .optional()
          .describe(
            "An extra filter in the API's AIP-160 language (docs/filtering.md), ANDed with the rest, e.g. `NOT due_time:*` or `tags:work OR tags:home`.",
          ),
        order_by: z
          .string()
          .max(200)
          .optional()
          .describe(
            'Sort keys with optional asc/desc: priority, due_time, create_time, update_time, title. Default: "due_time, priority desc" (by relevance when "query" is set).',
          ),
        page_size: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe("How many tasks at most; 20 by default."),
        page_token: z.string().max(2000).optional().describe("next_page_token of the previous page."),
      },
      outputSchema: {
        tasks: z.array(taskView),
        total_size: z
          .number()
          .int()
          .describe(
            "How many tasks match, in all pages (for a search, at most 1000: see total_size_capped).",
          ),
        total_size_capped: z
          .boolean()
          .describe("True when a search matches more tasks than total_size says (the count stops at 1000)."),
        next_page_token: z.string().describe("Pass as page_token for the next page; empty on the last."),
      },
      annotations: { title: "List tasks", readOnlyHint: true, openWorldHint: false },
    },
    guarded("list_tasks", async (args) => {
      const ctx = when();
      const parts: string[] = [];
      const status = args.status ?? "open";
      if (status !== "all") parts.push(`status = ${status.toUpperCase()}`);
      for (const tag of cleanTags(args.tags ?? [])) parts.push(`tags:${filterValue(tag)}`);
      if (args.priority_at_least) parts.push(`priority >= ${args.priority_at_least.toUpperCase()}`);
      if (args.due_before)
        parts.push(`due_time < ${parseDue(args.due_before, ctx, "due_before").toISOString()}`);
      if (args.due_after)
        parts.push(`due_time >= ${parseDue(args.due_after, ctx, "due_after").toISOString()}`);
      if (args.overdue) parts.push(`due_time < ${ctx.now.toISOString()}`);
      if (args.filter?.trim()) parts.push(`(${args.filter})`);
      const filter = parts.join(" AND ");
      const res = await tasks
        .listTasks(
          {
            filter,
            query: args.query ?? "",
            orderBy: args.order_by ?? (args.query ? "" : "due_time, priority desc"),
            pageSize: args.page_size ?? 20,
            pageToken: args.page_token ?? "",
          },
          call,
        )
        .catch((err: unknown) => {
          // Positions in a filter error count in the whole filter sent, not the caller's part: show it.
          if (
            err instanceof ConnectError &&
            err.code === Code.InvalidArgument &&
            err.rawMessage.startsWith("filter")
          )
            throw new ToolInputError(`${err.rawMessage} (in the filter sent: ${filter})`);
          throw err;
        });
      const lines = res.tasks.map((t, i) => `${i + 1}. ${describeTask(t, timeZone)}`);
      const more = res.nextPageToken ? " (more with page_token)" : "";
      const text =
        res.tasks.length === 0
          ? "No tasks match."
          : `${res.totalSize}${res.totalSizeCapped ? "+" : ""} task${res.totalSize === 1 ? "" : "s"} match${res.totalSize === 1 ? "es" : ""}${more}:\n${lines.join("\n")}`;
      return ok(text, {
        tasks: res.tasks.map(viewTask),
        total_size: res.totalSize,
        total_size_capped: res.totalSizeCapped,
        next_page_token: res.nextPageToken,
      });
    }),
  );

  server.registerTool(
    "complete_task",
    {
      title: "Complete a task",
      description:
        "Marks a task done. Completing a recurring task also creates its next occurrence. Completing a completed task changes nothing.",
      inputSchema: { id },
      outputSchema: taskResult,
      annotations: {
        title: "Complete a task",
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
      },
    },
    guarded("complete_task", async (args) => {
      const done = (await tasks.completeTask({ id: args.id }, call)).task as Task;
      return ok(`Completed ${describeTask(done, timeZone)}.`, { task: viewTask(done) });
    }),
  );

  server.registerTool(
    "update_task",
    {
      title: "Change a task",
      description:
        'Changes the given fields of a task and leaves the others alone. "tags" replaces all tags; "add_tags"/"remove_tags" edit them. null clears "due" or "repeat". Returns the task after the change.',
      inputSchema: {
        id,
        title: z.string().min(1).max(500).optional().describe("A new title."),
        description: z.string().max(10_000).optional().describe("New notes; an empty string clears them."),
        priority: z
          .enum([...PRIORITY_NAMES, "none"])
          .optional()
          .describe("low, medium, high, urgent, or none to clear it."),
        due: z
          .string()
          .max(200)
          .nullable()
          .optional()
          .describe(
            `A new due time (${WHEN_HELP}); null removes it. A day without a time ("friday", 2026-05-07) keeps the task's time of day; a task due by the end of its day stays so.`,
          ),
        repeat: z
          .string()
          .max(500)
          .nullable()
          .optional()
          .describe('A new repetition ("every Friday", FREQ=DAILY); null stops it repeating.'),
        tags: tagList.optional().describe("The complete new list of tags."),
        add_tags: tagList.optional().describe("Tags to add."),
        remove_tags: tagList.optional().describe("Tags to remove."),
        time_zone: z.string().max(64).optional().describe("The IANA time zone the due time is meant in."),
        etag: z
          .string()
          .max(200)
          .optional()
          .describe("The etag you read: the change fails with ABORTED if the task changed since."),
      },
      outputSchema: taskResult,
      annotations: {
        title: "Change a task",
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
      },
    },
    guarded("update_task", async (args) => {
      const current = (await tasks.getTask({ id: args.id }, call)).task as Task;
      const ctx = { now: clock(), timeZone: args.time_zone || current.timeZone || timeZone };
      const next = create(TaskSchema, { id: current.id, etag: args.etag ?? "" });
      const paths: string[] = [];
      if (args.title !== undefined) {
        next.title = args.title;
        paths.push("title");
      }
      if (args.description !== undefined) {
        next.description = args.description;
        paths.push("description");
      }
      if (args.priority !== undefined) {
        next.priority = priorityOf(args.priority);
        paths.push("priority");
      }
      if (args.time_zone !== undefined) {
        next.timeZone = args.time_zone;
        paths.push("time_zone");
      }
      if (args.due !== undefined) {
        // A date without a time ("friday") keeps the task's time of day (docs/mcp.md).
        if (args.due !== null && args.due.trim() !== "")
          next.dueTime = timestampFromDate(
            movedDue(
              parseDueChange(args.due, ctx),
              current.dueTime ? timestampDate(current.dueTime) : undefined,
              current.timeZone || timeZone,
              ctx.timeZone,
              ctx.timeZone,
            ),
          );
        paths.push("due_time");
      }
      if (args.repeat !== undefined) {
        if (args.repeat !== null && args.repeat.trim() !== "") {
          const { repetition, firstDue } = parseRepeat(args.repeat, ctx);
          next.recurrence = recurrence(repetition);
          if (!paths.includes("due_time") && !current.dueTime && firstDue) {
            next.dueTime = timestampFromDate(firstDue);
            paths.push("due_time");
          }
        }
        paths.push("recurrence");
      }
      if (args.tags !== undefined || args.add_tags !== undefined || args.remove_tags !== undefined) {
        const remove = new Set(cleanTags(args.remove_tags ?? []).map((t) => t.toLowerCase()));
        const merged = (args.tags !== undefined ? cleanTags(args.tags) : [...current.tags]).filter(
          (t) => !remove.has(t.toLowerCase()),
        );
        for (const t of cleanTags(args.add_tags ?? []))
          if (!merged.some((m) => m.toLowerCase() === t.toLowerCase())) merged.push(t);
        next.tags = merged;
        paths.push("tags");
        // The new list was computed from what was read: make the write conditional on it.
        if (!next.etag) next.etag = current.etag;
      }
      if (paths.length === 0)
        throw new ToolInputError("nothing to change: give at least one field besides id (and etag)");
      const updated = (await tasks.updateTask({ task: next, updateMask: { paths } }, call)).task as Task;
      return ok(`Updated ${describeTask(updated, timeZone)} (${paths.join(", ")}).`, {
        task: viewTask(updated),
      });
    }),
  );

  server.registerTool(
    "delete_task",
    {
      title: "Delete a task",
      description:
        "Deletes a task for good (prefer complete_task for a task that was done). Returns the deleted task's id and title.",
      inputSchema: {
        id,
        etag: z
          .string()
          .max(200)
          .optional()
          .describe("The etag you read: nothing is deleted (ABORTED) if the task changed since."),
      },
      outputSchema: { deleted: z.object({ id: z.string(), title: z.string() }) },
      annotations: {
        title: "Delete a task",
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
      },
    },
    guarded("delete_task", async (args) => {
      const task = (await tasks.getTask({ id: args.id }, call)).task as Task;
      await tasks.deleteTask({ id: task.id, etag: args.etag ?? "" }, call);
      return ok(`Deleted "${task.title}" (id ${task.id}).`, { deleted: { id: task.id, title: task.title } });
    }),
  );

  server.registerTool(
    "list_tags",
    {
      title: "List tags",
      description: "Lists the user's tags by name, with their colours and how many open tasks carry each.",
      inputSchema: {
        page_size: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .optional()
          .describe("How many tags at most; 200 by default."),
        page_token: z.string().max(2000).optional().describe("next_page_token of the previous page."),
      },
      outputSchema: {
        tags: z.array(tagView),
        next_page_token: z.string().describe("Pass as page_token for the next page; empty on the last."),
      },
      annotations: { title: "List tags", readOnlyHint: true, openWorldHint: false },
    },
    guarded("list_tags", async (args) => {
      const res = await tags.listTags(
        { pageSize: args.page_size ?? 200, pageToken: args.page_token ?? "" },
        call,
      );
      const text =
        res.tags.length === 0
          ? "No tags yet."
          : `Tags:\n${res.tags.map((t) => `#${t.name} (${t.taskCount} open task${t.taskCount === 1 ? "" : "s"})`).join("\n")}`;
      return ok(text, { tags: res.tags.map(viewTag), next_page_token: res.nextPageToken });
    }),
  );

  return server;
}
