/**
 * MCP over Streamable HTTP at `/mcp`, for a Node-style HTTP/1.1 server (the `fallback` of
 * `startServer`, the edge). Stateless: every POST carries the caller's `Authorization: Bearer <JWT>`,
 * gets a fresh MCP server acting as that caller, and is answered with JSON. Nothing is kept between
 * requests, so any replica can answer any request and there are no sessions to expire or leak
 * across users; the tools are plain request/response and need no server-initiated messages.
 *
 * A request without a valid token is refused with HTTP 401 (and a JSON-RPC error body saying why)
 * before any MCP processing; GET and DELETE (streams and sessions, which a stateless server has none
 * of) are 405. The body is read here, bounded (body.ts), and handed to the SDK parsed: a body over
 * the read limit — chunked ones included, which carry no `content-length` for the listener to check
 * — is answered 413 and its connection closed without reading the rest; a body that is not JSON is
 * the JSON-RPC parse error (400, -32700).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Client } from "@connectrpc/connect";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Principal } from "@todo/platform";
import { bodyMaxBytes } from "@todo/platform/serving";
import { createLogger } from "@todo/platform/telemetry";
import { bodyTooLargeMessage, readBoundedBody } from "./body";
import { createTodoMcpServer } from "./tools";

/** Where the MCP endpoint is served. */
export const MCP_PATH = "/mcp";

/** A Node-style HTTP handler (what `startServer`'s `fallback` and the edge take). */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the HTTP endpoint needs. */
export interface McpHttpDeps {
  /** TaskService; each call carries the MCP request's own `authorization` header. */
  readonly tasks: Client<typeof TaskService>;
  /** TagService, likewise. */
  readonly tags: Client<typeof TagService>;
  /**
   * Checks an access token and says whose it is (`TokenService.verify`); throws when it is invalid
   * or expired. Used to answer 401 up front and to learn the caller's time zone; the services still
   * check the forwarded token on every call.
   */
  readonly authenticate: (token: string) => Promise<Principal>;
  /** The time "tomorrow" counts from; default the system clock. */
  readonly clock?: () => Date;
  /** The longest body read, in bytes; default `bodyMaxBytes()` (request-limits.ts). */
  readonly bodyMaxBytes?: number;
}

function jsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

function unauthorized(res: ServerResponse, message: string): void {
  jsonRpcError(res, 401, -32001, message, {
    "www-authenticate": `Bearer realm="todo", error="invalid_token", error_description="${message.replaceAll('"', "'")}"`,
  });
}

/** The MCP endpoint: answers `/mcp` requests (see the module comment). */
export function createMcpHttpHandler(deps: McpHttpDeps): HttpHandler {
  const log = createLogger("mcp");
  const limit = deps.bodyMaxBytes ?? bodyMaxBytes();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const header = req.headers.authorization;
    const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    if (!header || !token) {
      unauthorized(
        res,
        "missing access token: send `Authorization: Bearer <access_token>` (from AuthService.SignIn or SignUp)",
      );
      return;
    }
    let principal: Principal;
    try {
      principal = await deps.authenticate(token);
    } catch {
      unauthorized(res, "invalid or expired access token: sign in again and send the new token");
      return;
    }
    if (req.method !== "POST") {
      jsonRpcError(
        res,
        405,
        -32000,
        "method not allowed: this MCP server is stateless; send JSON-RPC requests with POST",
        { allow: "POST" },
      );
      return;
    }
    const body = await readBoundedBody(req, limit);
    if (body.tooLarge) {
      // The rest of the body is never read: the connection closes once the answer is out.
      jsonRpcError(res, 413, -32000, bodyTooLargeMessage(limit), { connection: "close" });
      res.on("finish", () => req.socket.destroySoon?.());
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body.bytes));
    } catch {
      jsonRpcError(res, 400, -32700, "Parse error: the request body is not JSON encoded as UTF-8");
      return;
    }
    const server = createTodoMcpServer({
      tasks: deps.tasks,
      tags: deps.tags,
      call: { headers: { authorization: header } },
      timeZone: principal.timeZone,
      clock: deps.clock,
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, parsed);
  };
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A client (or the edge) that goes away mid-body is no fault of the server's.
      if (req.destroyed && !res.headersSent) {
        log.debug("mcp request aborted by the client", { err });
        return;
      }
      log.error("mcp request failed", { err });
      if (!res.headersSent) jsonRpcError(res, 500, -32603, "internal error");
      else res.destroy();
    });
  };
}

/** Sends `/mcp` (any query string) to `mcp` and every other path to `fallback`. */
export function withMcp(mcp: HttpHandler, fallback: HttpHandler): HttpHandler {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === MCP_PATH) mcp(req, res);
    else fallback(req, res);
  };
}
