/**
 * The assistant as its own process (see runService). It calls the task and tag services as the
 * caller: `TASK_SERVICE_URL` and `TAG_SERVICE_URL` say where they answer gRPC.
 */
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { defineService, runService } from "@todo/platform";
import { createServiceClient, serviceTargetFromEnv } from "@todo/platform/clients";
import { createAssistantService } from "./assistant-service";
import { createAssistantStore, migrateAssistant } from "./store";
import { assistantValidators } from "./validation";

await runService("assistant", async ({ sql }) => {
  await migrateAssistant(sql);
  const service = createAssistantService({
    tasks: createServiceClient(TaskService, serviceTargetFromEnv("task")),
    tags: createServiceClient(TagService, serviceTargetFromEnv("tag")),
    store: createAssistantStore(sql),
  });
  return { services: [defineService(AssistantService, service, assistantValidators)] };
});
