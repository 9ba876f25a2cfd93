/** The catalogue: each surface offers what it promises, and every schema names priorities, never numbers. */
import { describe, expect, test } from "bun:test";
import { PRIORITY_NAMES } from "@todo/language/priority";
import { z } from "zod";
import { MCP_TOOL_NAMES, MODEL_TOOL_NAMES, mcpTool, modelTool, OPERATIONS } from "./catalogue";

describe("the catalogue", () => {
  test("every operation is listed under its own name, and offered by at least one surface", () => {
    for (const [name, op] of Object.entries(OPERATIONS)) {
      expect(op.name as string).toBe(name);
      expect("mcp" in op || "model" in op).toBe(true);
    }
    const offered = new Set<string>([...MCP_TOOL_NAMES, ...MODEL_TOOL_NAMES]);
    expect([...offered].sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  test("MCP offers its six tools (a public contract), the model nine", () => {
    expect([...MCP_TOOL_NAMES]).toEqual([
      "add_task",
      "list_tasks",
      "complete_task",
      "update_task",
      "delete_task",
      "list_tags",
    ]);
    expect(MODEL_TOOL_NAMES).toHaveLength(9);
    expect(MODEL_TOOL_NAMES).toEqual(expect.arrayContaining([...MCP_TOOL_NAMES]));
  });

  test("priorities are names in both faces' schemas", () => {
    const mcp = (name: (typeof MCP_TOOL_NAMES)[number]) =>
      z.toJSONSchema(z.object(mcpTool(name).input), { io: "input" }) as {
        properties: Record<string, unknown>;
      };
    expect(mcp("add_task").properties.priority).toMatchObject({ type: "string", enum: [...PRIORITY_NAMES] });
    expect(mcp("list_tasks").properties.priority_at_least).toMatchObject({ enum: [...PRIORITY_NAMES] });
    expect(mcp("update_task").properties.priority).toMatchObject({ enum: [...PRIORITY_NAMES, "none"] });
    const model = z.toJSONSchema(modelTool("add_task").args, { io: "input" }) as {
      properties: Record<string, unknown>;
    };
    expect(model.properties.priority).toMatchObject({ type: "string", enum: [...PRIORITY_NAMES] });
  });

  test("the model's arguments are strict: an unknown field or a numeric priority is refused", () => {
    const args = modelTool("add_task").args;
    expect(args.safeParse({ title: "x" }).success).toBe(true);
    expect(args.safeParse({ title: "x", priority: 3 }).success).toBe(false);
    expect(args.safeParse({ title: "x", colour: "red" }).success).toBe(false);
    expect(modelTool("update_task").args.safeParse({ task: "report" }).success).toBe(false);
  });
});
