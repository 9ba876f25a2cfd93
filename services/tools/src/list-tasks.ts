/** list_tasks: the caller's tasks, filtered and a page at a time (MCP) or the first 20 (the model). */
import { Code, ConnectError } from "@connectrpc/connect";
import { z } from "zod";
import { parseDue } from "./dates";
import { ToolInputError } from "./errors";
import { PRIORITY_HELP, pageTokenArg, priorityArg, tagListArg, tagNamesArg, WHEN_HELP } from "./fields";
import { cleanTags, filterValue } from "./messages";
import { mcpFace, modelFace } from "./operation";
import { describeTask, taskView, viewTask } from "./views";

export const listTasks = {
  name: "list_tasks",
  mcp: mcpFace({
    title: "List tasks",
    description:
      'Lists the user\'s tasks, open ones by default, a page at a time. Combine "query" (full-text search of title and description, typo-tolerant), "tags", "priority_at_least", "due_before"/"due_after", "overdue" and a raw "filter". Returns the tasks with their ids, the total count and a token for the next page.',
    input: {
      status: z
        .enum(["open", "completed", "all"])
        .optional()
        .describe("Which tasks: open (the default), completed or all."),
      query: z.string().max(200).optional().describe("Words to search for in titles and descriptions."),
      tags: tagListArg.optional().describe("Only tasks carrying every one of these tags."),
      priority_at_least: priorityArg.optional().describe("Only tasks of this priority or higher."),
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
      page_token: pageTokenArg.optional().describe("next_page_token of the previous page."),
    },
    output: {
      tasks: z.array(taskView),
      total_size: z
        .number()
        .int()
        .describe("How many tasks match, in all pages (for a search, at most 1000: see total_size_capped)."),
      total_size_capped: z
        .boolean()
        .describe("True when a search matches more tasks than total_size says (the count stops at 1000)."),
      next_page_token: z.string().describe("Pass as page_token for the next page; empty on the last."),
    },
    annotations: { title: "List tasks", readOnlyHint: true, openWorldHint: false },
    async run(args, env) {
      const ctx = { now: env.clock(), timeZone: env.timeZone };
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
      const res = await env.tasks
        .listTasks(
          {
            filter,
            query: args.query ?? "",
            orderBy: args.order_by ?? (args.query ? "" : "due_time, priority desc"),
            pageSize: args.page_size ?? 20,
            pageToken: args.page_token ?? "",
          },
          env.call,
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
      const lines = res.tasks.map((t, i) => `${i + 1}. ${describeTask(t, env.timeZone)}`);
      const more = res.nextPageToken ? " (more with page_token)" : "";
      const text =
        res.tasks.length === 0
          ? "No tasks match."
          : `${res.totalSize}${res.totalSizeCapped ? "+" : ""} task${res.totalSize === 1 ? "" : "s"} match${res.totalSize === 1 ? "es" : ""}${more}:\n${lines.join("\n")}`;
      return {
        text,
        structured: {
          tasks: res.tasks.map(viewTask),
          total_size: res.totalSize,
          total_size_capped: res.totalSizeCapped,
          next_page_token: res.nextPageToken,
        },
      };
    },
  }),
  model: modelFace({
    description:
      "Lists the user's tasks (at most 20, soonest due first), filtered by status, period, priority, tags or words. Use it to find a task's id.",
    args: z.strictObject({
      status: z
        .enum(["open", "completed"])
        .optional()
        .describe("Open tasks (the default) or completed ones."),
      when: z
        .string()
        .min(1)
        .max(100)
        .optional()
        .describe(
          'A period, in words: "today", "tomorrow", "this week", "next week", "this weekend", "this month", "next 3 days", "friday", "overdue"; for completed tasks, when they were completed ("yesterday", "last week").',
        ),
      priority: priorityArg.optional().describe(PRIORITY_HELP),
      tags: tagNamesArg.optional().describe("Only tasks with all of these tags."),
      text: z.string().min(1).max(200).optional().describe("Words to search for in titles and descriptions."),
      no_due_date: z.boolean().optional().describe("Only tasks without a due date."),
    }),
  }),
} as const;
