/** list_tags and rename_tag: the caller's tags. */
import { z } from "zod";
import { pageTokenArg, tagNameArg } from "./fields";
import { mcpFace, modelFace } from "./operation";
import { tagView, viewTag } from "./views";

export const listTags = {
  name: "list_tags",
  mcp: mcpFace({
    title: "List tags",
    description: "Lists the user's tags by name, with their colours and how many open tasks carry each.",
    input: {
      page_size: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .optional()
        .describe("How many tags at most; 200 by default."),
      page_token: pageTokenArg.optional().describe("next_page_token of the previous page."),
    },
    output: {
      tags: z.array(tagView),
      next_page_token: z.string().describe("Pass as page_token for the next page; empty on the last."),
    },
    annotations: { title: "List tags", readOnlyHint: true, openWorldHint: false },
    async run(args, env) {
      const res = await env.tags.listTags(
        { pageSize: args.page_size ?? 200, pageToken: args.page_token ?? "" },
        env.call,
      );
      const text =
        res.tags.length === 0
          ? "No tags yet."
          : `Tags:\n${res.tags.map((t) => `#${t.name} (${t.taskCount} open task${t.taskCount === 1 ? "" : "s"})`).join("\n")}`;
      return { text, structured: { tags: res.tags.map(viewTag), next_page_token: res.nextPageToken } };
    },
  }),
  model: modelFace({
    description: "Lists the user's tags with how many tasks have each.",
    args: z.strictObject({}),
  }),
} as const;

export const renameTag = {
  name: "rename_tag",
  model: modelFace({
    description: "Renames one of the user's tags on every task that has it.",
    args: z.strictObject({ from: tagNameArg, to: tagNameArg }),
  }),
} as const;
