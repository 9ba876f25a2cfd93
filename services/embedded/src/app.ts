/**
 * The one-process composition used by `bun start` and the integration tests: every service on one
 * database (PGlite by default), one in-process event bus fed from the services' outboxes, and one
 * server with both listeners.
 */
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { authValidators, createAuthService, createIdentityStore, migrateIdentity } from "@todo/identity";
import {
  createLogger,
  createTokenService,
  defineService,
  openDatabase,
  type RunningServer,
  startServer,
  Topics,
} from "@todo/platform";
import { createMemoryBus } from "@todo/platform/bus-memory";
import { type OutboxRelay, startOutboxRelay } from "@todo/platform/outbox";
import {
  createTagService,
  createTagStore,
  createTaskEventsHandler,
  migrateTags,
  tagValidators,
} from "@todo/tag";
import {
  createTagEventsHandler,
  createTaskService,
  createTaskStore,
  createWatchHub,
  emitTaskEvent,
  etagOf,
  migrateTasks,
  taskValidators,
} from "@todo/task";
import type { AppConfig } from "./config";
import { createWebHandler } from "./web";

/** A running app. */
export interface App {
  readonly server: RunningServer;
  readonly databaseKind: "postgres" | "pglite";
  close(): Promise<void>;
}

/** Starts every service in this process. */
export async function startApp(config: AppConfig): Promise<App> {
  const log = createLogger("todo");
  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir.startsWith("memory://") ? config.dataDir : `${config.dataDir}/pg`,
  });
  await migrateIdentity(db.sql);
  await migrateTasks(db.sql);
  await migrateTags(db.sql);

  const bus = createMemoryBus();
  const tokens = createTokenService({
    secret: config.jwtSecret,
    issuer: "todo",
    audience: "todo-api",
    ttlSeconds: config.jwtTtlSeconds,
  });
  const relays: OutboxRelay[] = [];
  const wakeRelays = () => {
    for (const r of relays) r.wake();
  };
  // Subscribe before the relays start: the in-process bus drops events of topics nobody listens to,
  // and rows left by a crash are published as soon as a relay runs.
  const hub = createWatchHub();
  const subscriptions = await Promise.all([
    bus.subscribe(Topics.taskEvents, "tag", createTaskEventsHandler({ sql: db.sql })),
    bus.subscribe(Topics.tagEvents, "task", createTagEventsHandler({ sql: db.sql, afterCommit: wakeRelays })),
    // Every process reads all of task-updates (a group of its own) for its WatchTasks streams.
    bus.subscribe(Topics.taskUpdates, `task-watch-${Bun.randomUUIDv7()}`, hub.deliver),
  ]);
  // LISTEN/NOTIFY does not cross PGlite's socket: there the relays are woken in-process and poll.
  const relayOptions = {
    sql: db.sql,
    bus,
    listen: db.kind === "postgres",
    pollIntervalMs: db.kind === "pglite" ? 250 : 1000,
  };
  relays.push(
    startOutboxRelay({ ...relayOptions, schema: "task" }),
    startOutboxRelay({ ...relayOptions, schema: "tag" }),
  );

  const taskStore = createTaskStore(db.sql, emitTaskEvent, etagOf);
  const server = await startServer({
    name: "todo",
    host: config.host,
    httpPort: config.httpPort,
    grpcPort: config.grpcPort,
    tokens,
    publicMethods: ["todo.identity.v1.AuthService.SignUp", "todo.identity.v1.AuthService.SignIn"],
    services: [
      defineService(
        AuthService,
        createAuthService({ store: createIdentityStore(db.sql), tokens }),
        authValidators,
      ),
      defineService(
        TaskService,
        createTaskService({ store: taskStore, afterCommit: wakeRelays, hub }),
        taskValidators,
      ),
      defineService(
        TagService,
        createTagService({ store: createTagStore(db.sql), afterCommit: wakeRelays }),
        tagValidators,
      ),
    ],
    fallback: createWebHandler(config.webDist),
  });
  log.info("started", { database: db.kind, http: server.httpPort, grpc: server.grpcPort });

  return {
    server,
    databaseKind: db.kind,
    async close() {
      await server.close();
      for (const s of subscriptions) await s.unsubscribe();
      for (const r of relays) await r.stop();
      await bus.close();
      await db.close();
    },
  };
}
