/**
 * What `start:services` and `start:dapr` share: the services in start order, the infrastructure
 * settings written by `bun run infra:up`, and the readiness checks.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnvLines } from "./env-file.ts";

const root = join(import.meta.dir, "..", "..");

/** One service process: its name (`services/<name>/src/main.ts`), its APIs and other HTTP paths. */
export interface ServiceSpec {
  readonly name: string;
  /** The API services it serves (the edge routes their RPC paths to it). */
  readonly apis: readonly string[];
  /** Plain HTTP paths the edge forwards to it (`/mcp`: the assistant's MCP endpoint, docs/mcp.md). */
  readonly paths: readonly string[];
}

/** The services, in start order. */
export const SERVICES: readonly ServiceSpec[] = [
  { name: "identity", apis: ["todo.identity.v1.AuthService"], paths: [] },
  { name: "task", apis: ["todo.task.v1.TaskService"], paths: [] },
  { name: "tag", apis: ["todo.tag.v1.TagService"], paths: [] },
  { name: "scheduler", apis: ["todo.scheduler.v1.SchedulerService"], paths: [] },
  { name: "notification", apis: ["todo.notification.v1.NotificationService"], paths: [] },
  { name: "assistant", apis: ["todo.assistant.v1.AssistantService"], paths: ["/mcp"] },
];

/** The `KEY=VALUE` settings of `.infra/env` (empty when `infra:up` never ran). */
export function infraEnvironment(): Record<string, string> {
  const file = join(root, ".infra", "env");
  return existsSync(file) ? parseEnvLines(readFileSync(file, "utf8")) : {};
}

/** Waits until the service on HTTP port `port` reports SERVING through gRPC health (Connect JSON). */
export async function waitHealthy(name: string, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/grpc.health.v1.Health/Check`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      if (res.ok && ((await res.json()) as { status?: string }).status === "SERVING") return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  throw new Error(`${name} did not become healthy on port ${port}`);
}
