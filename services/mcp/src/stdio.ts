/**
 * `bun run mcp`: the Todo MCP server over stdio, for desktop MCP clients that start it as a command.
 * It reaches a running Todo server over Connect/HTTP at `TODO_URL` (default http://127.0.0.1:8080)
 * as the user given by `TODO_TOKEN`, or by `TODO_EMAIL` and `TODO_PASSWORD` (signed in through
 * AuthService.SignIn). stdout carries only MCP messages; every log line goes to stderr.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createLogger } from "@todo/platform/telemetry";
import { connectRemote, remoteOptionsFromEnv } from "./remote";
import { createTodoMcpServer } from "./tools";

const log = createLogger("mcp-stdio");
const options = remoteOptionsFromEnv();
let session: Awaited<ReturnType<typeof connectRemote>>;
try {
  session = await connectRemote(options);
} catch (err) {
  process.stderr.write(`todo-mcp: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
const server = createTodoMcpServer({ tasks: session.tasks, tags: session.tags, timeZone: session.timeZone });
const transport = new StdioServerTransport();
transport.onclose = () => process.exit(0);
process.stdin.on("end", () => void server.close().finally(() => process.exit(0)));
await server.connect(transport);
log.info("serving MCP on stdio", { url: options.url, user: session.email });
