/**
 * The assistant as its own process (see runService). It calls the task and tag services as the
 * caller: `TASK_SERVICE_URL` and `TAG_SERVICE_URL` say where they answer gRPC.
 */
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createMcpHttpHandler, withMcp } from "@todo/mcp";
import { defineService, runService } from "@todo/platform";
import { createServiceClient, serviceTargetFromEnv } from "@todo/platform/serving";
import { createAssistantService } from "./assistant-service";
import { modelConfigFromEnv } from "./model";
import { createAssistantStore, migrateAssistant } from "./store";
import { assistantValidators } from "./validation";

await runService("assistant", {
  migrate: migrateAssistant,
  build: async ({ sql, tokens }) => {
    const service = createAssistantService({
      tasks: createServiceClient(TaskService, serviceTargetFromEnv("task")),
      tags: createServiceClient(TagService, serviceTargetFromEnv("tag")),
      store: createAssistantStore(sql),
      model: modelConfigFromEnv(),
    });
    // MCP (docs/mcp.md): `/mcp` on this process's HTTP/1.1 port (the edge forwards it here), acting as the
    // caller whose token it is given; any other non-RPC path is 404.
    const fallback = withMcp(
      createMcpHttpHandler({
        tasks: createServiceClient(TaskService, serviceTargetFromEnv("task")),
        tags: createServiceClient(TagService, serviceTargetFromEnv("tag")),
        authenticate: (token) => tokens.verify(token),
      }),
      (_req, res) => {
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found\n");
      },
    );
    return { services: [defineService(AssistantService, service, assistantValidators)], fallback };
  },
});
