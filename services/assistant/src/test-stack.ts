/**
 * Test support for the assistant's tests: a real TaskService and TagService on a fresh PostgreSQL
 * database (DATABASE_URL; without it the tests fail), reached through the in-process transport (auth
 * and validation apply), and AssistantService instances on top that call them as the caller. Nothing
 * of ours is mocked.
 */
import { type CallOptions, type Client, createClient } from "@connectrpc/connect";
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTokenService, defineService, type Principal } from "@todo/platform";
import { createInProcessTransport } from "@todo/platform/serving";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { createTagService, createTagStore, migrateTags, tagValidators } from "@todo/tag";
import { createTaskService, createTaskStore, createWatchHub, migrateTasks, taskValidators } from "@todo/task";
import { type AssistantServiceDeps, createAssistantService } from "./assistant-service";
import { type AssistantStore, createAssistantStore, migrateAssistant } from "./store";
import { assistantValidators } from "./validation";

/** The zone every test user lives in. */
export const ZONE = "America/New_York";

/** The services under test and how to call them. */
export interface AssistantTestStack {
  readonly db: TestDatabase;
  /** TaskService and TagService clients, to look behind the assistant's back. */
  readonly tasks: Client<typeof TaskService>;
  readonly tags: Client<typeof TagService>;
  readonly store: AssistantStore;
  /** Call options for `userId` (a signed token, zone {@link ZONE}; week start Monday unless given). */
  as(userId: string, weekStart?: number): Promise<CallOptions>;
  /** An AssistantService client for an assistant built with these options (plus the real clients and store). */
  assistant(options?: Partial<Omit<AssistantServiceDeps, "tasks" | "tags">>): Client<typeof AssistantService>;
}

/** Creates the stack on a fresh database; call `db.drop()` afterwards. */
export async function createAssistantTestStack(): Promise<AssistantTestStack> {
  const db = await createTestDatabase();
  await migrateTasks(db.sql);
  await migrateTags(db.sql);
  await migrateAssistant(db.sql);
  const tokens = createTokenService({
    secret: "assistant-tests-secret-0123456789abcdefgh",
    issuer: "todo",
    audience: "todo-api",
    ttlSeconds: 3600,
  });
  const backend = createInProcessTransport({
    services: [
      defineService(
        TaskService,
        createTaskService({ store: createTaskStore(db.sql), hub: createWatchHub() }),
        taskValidators,
      ),
      defineService(TagService, createTagService({ store: createTagStore(db.sql) }), tagValidators),
    ],
    tokens,
  });
  const tasks = createClient(TaskService, backend);
  const tags = createClient(TagService, backend);
  const store = createAssistantStore(db.sql);
  return {
    db,
    tasks,
    tags,
    store,
    async as(userId, weekStart) {
      const principal: Principal = { userId, email: `${userId}@example.com`, timeZone: ZONE, weekStart };
      const { token } = await tokens.issue(principal);
      return { headers: { authorization: `Bearer ${token}` } };
    },
    assistant(options = {}) {
      const front = createInProcessTransport({
        services: [
          defineService(
            AssistantService,
            createAssistantService({ store, ...options, tasks, tags }),
            assistantValidators,
          ),
        ],
        tokens,
      });
      return createClient(AssistantService, front);
    },
  };
}
