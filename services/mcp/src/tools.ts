/**
 * The MCP server of Todo: six tools over the ordinary TaskService and TagService clients, called **as
 * the user** whose credentials the MCP client gave (the call options carry that user's
 * `authorization` header), so the services authenticate, validate and scope every call exactly as
 * for any other client and the MCP layer holds no power of its own. A failed call (NOT_FOUND,
 * INVALID_ARGUMENT, ABORTED…) is a tool result with `isError: true` and the service's message, never
 * a protocol error: the model reads it and can correct itself.
 *
 * The tools — their schemas, handlers and result views — are the MCP faces of the operations in the
 * one catalogue, `@todo/tools`; this module registers them. One server is made per caller (per HTTP
 * request in the stateless HTTP mode, once for stdio).
 */
import type { CallOptions, Client } from "@connectrpc/connect";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createLogger } from "@todo/platform/telemetry";
import { errorText, MCP_TOOL_NAMES, mcpTool, type OperationEnv, type ToolAnswer } from "@todo/tools";

/** The tools every Todo MCP server offers, in the order `tools/list` returns them. */
export const TOOL_NAMES = MCP_TOOL_NAMES;

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

/** A tool result: the text, the structured JSON also as text (for clients that show only text), and the JSON. */
function ok({ text, structured }: ToolAnswer): CallToolResult {
  return {
    content: [
      { type: "text", text },
      { type: "text", text: JSON.stringify(structured) },
    ],
    structuredContent: structured,
  };
}

/** Creates an MCP server whose tools act as the caller described by `deps`. */
export function createTodoMcpServer(deps: TodoMcpDeps): McpServer {
  const env: OperationEnv = {
    tasks: deps.tasks,
    tags: deps.tags,
    call: deps.call ?? {},
    timeZone: deps.timeZone,
    clock: deps.clock ?? (() => new Date()),
  };
  const log = createLogger("mcp");
  const server = new McpServer(SERVER_INFO, { instructions: INSTRUCTIONS });
  for (const name of TOOL_NAMES) {
    const tool = mcpTool(name);
    server.registerTool(
      name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: tool.annotations,
      },
      // Failures become tool errors that carry the service's message.
      async (args: Record<string, unknown>): Promise<CallToolResult> => {
        try {
          return ok(await tool.run(args, env));
        } catch (err) {
          const text = errorText(err);
          if (text.startsWith("INTERNAL: the tool failed")) log.error("tool failed", { tool: name, err });
          return { content: [{ type: "text", text }], isError: true };
        }
      },
    );
  }
  return server;
}
