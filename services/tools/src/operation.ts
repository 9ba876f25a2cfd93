/**
 * What one operation of the catalogue is: a name, and the faces it shows — to MCP clients (an input
 * and output schema, annotations and a handler over the Task and Tag clients that returns the result
 * view) and to the language model (a description and an argument schema; the assistant carries the
 * checked arguments out through its executor, which calls the same handlers in `task-calls.ts`).
 */
import type { CallOptions, Client } from "@connectrpc/connect";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { z } from "zod";

/** The caller's clients: every operation runs through them, as the caller. */
export interface TaskClients {
  /** TaskService through any transport (in-process, gRPC, Connect). */
  readonly tasks: Client<typeof TaskService>;
  /** TagService likewise. */
  readonly tags: Client<typeof TagService>;
  /** Options for every call: the caller's `authorization` header when the transport does not add it. */
  readonly call: CallOptions;
}

/** What an MCP handler works with: the caller's clients, zone and clock. */
export interface OperationEnv extends TaskClients {
  /** The caller's IANA time zone: dates typed in words are read in it, and results are shown in it. */
  readonly timeZone: string;
  /** The time "tomorrow" counts from. */
  readonly clock: () => Date;
}

/** An MCP tool's result: a line of text for a reader and the structured JSON (its output schema). */
export interface ToolAnswer {
  readonly text: string;
  readonly structured: Record<string, unknown>;
}

/** MCP's tool annotations (hints for the client; they grant nothing). */
export interface ToolAnnotations {
  readonly title: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** An operation as an MCP tool. */
export interface McpFace<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly title: string;
  readonly description: string;
  readonly input: Shape;
  readonly output: z.ZodRawShape;
  readonly annotations: ToolAnnotations;
  /** Carries out a checked call; throws ToolInputError or the service's ConnectError when it fails. */
  run(args: z.output<z.ZodObject<Shape>>, env: OperationEnv): Promise<ToolAnswer>;
}

/** An operation as a language-model function tool. */
export interface ModelFace<Args extends z.ZodType = z.ZodType> {
  readonly description: string;
  /** The one source of both the JSON Schema the model is shown and the check its arguments pass. */
  readonly args: Args;
}

/** One operation of the catalogue. */
export interface Operation {
  readonly name: string;
  readonly mcp?: McpFace;
  readonly model?: ModelFace;
}

/** Types an MCP face's handler by its input shape. */
export function mcpFace<Shape extends z.ZodRawShape>(face: McpFace<Shape>): McpFace<Shape> {
  return face;
}

/** Types a model face by its argument schema. */
export function modelFace<Args extends z.ZodType>(face: ModelFace<Args>): ModelFace<Args> {
  return face;
}
