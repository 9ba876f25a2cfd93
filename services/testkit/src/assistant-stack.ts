/**
 * The assistant's tests on the real system: every service of `bun start` (`createSystem`) on a fresh
 * PostgreSQL database (DATABASE_URL; without it the tests fail), TaskService and TagService reached
 * through the in-process transport (auth and validation apply), and AssistantService instances on
 * top, built with the options a test gives, that call them as the caller. Nothing of ours is mocked.
 */

import { type CallOptions, type Client, createClient } from "@connectrpc/connect";
import {
  type AssistantServiceDeps,
  type AssistantStore,
  assistantValidators,
  createAssistantService,
  createAssistantStore,
} from "@todo/assistant";
import { createSystem, migrateSystem } from "@todo/embedded";
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import type { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import type { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTokenService, defineService, type Principal, silentLogger as quiet } from "@todo/platform";
import { createInProcessTransport } from "@todo/platform/serving";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";

/** The zone every test user lives in. */
export const ASSISTANT_TEST_ZONE = "America/New_York";

/** The services under test and how to call them. */
export interface AssistantTestStack {
  readonly db: TestDatabase;
  /** TaskService and TagService clients, to look behind the assistant's back. */
  readonly tasks: Client<typeof TaskService>;
  readonly tags: Client<typeof TagService>;
  readonly store: AssistantStore;
  /** Call options for `userId` (a signed token, zone {@link ASSISTANT_TEST_ZONE}; week start Monday unless given). */
  as(userId: string, weekStart?: number): Promise<CallOptions>;
  /** An AssistantService client for an assistant built with these options (plus the real clients and store). */
  assistant(options?: Partial<Omit<AssistantServiceDeps, "tasks" | "tags">>): Client<typeof AssistantService>;
  /** Stops the system and drops the database. */
  close(): Promise<void>;
}

/** Creates the stack on a fresh database; call `close()` afterwards. */
export async function createAssistantTestStack(): Promise<AssistantTestStack> {
  const db = await createTestDatabase();
  await migrateSystem(db.sql);
  const tokens = createTokenService({
    secret: "assistant-tests-secret-0123456789abcdefgh",
    issuer: "todo",
    audience: "todo-api",
    ttlSeconds: 3600,
  });
  const system = await createSystem({ sql: db.sql, databaseKind: "postgres", tokens, logger: quiet });
  const { tasks, tags } = system;
  const store = createAssistantStore(db.sql);
  return {
    db,
    tasks,
    tags,
    store,
    async as(userId, weekStart) {
      const principal: Principal = {
        userId,
        email: `${userId}@example.com`,
        timeZone: ASSISTANT_TEST_ZONE,
        weekStart,
      };
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
    async close() {
      await system.close();
      await db.drop();
    },
  };
}
