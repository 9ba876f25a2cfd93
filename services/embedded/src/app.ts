/**
 * The one-process composition used by `bun start` and the integration tests: every service on one
 * database (PGlite by default), one in-process event bus fed from the services' outboxes, the
 * scheduler's Postgres timers, and one server with both listeners.
 */
import {
  assistantValidators,
  createAssistantService,
  createAssistantStore,
  migrateAssistant,
  modelConfigFromEnv,
} from "@todo/assistant";
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import {
  AUTH_PUBLIC_METHODS,
  authValidators,
  createAuthService,
  createIdentitySessionCheck,
  createIdentityStore,
  createRateLimiter,
  migrateIdentity,
  rateLimitSettingsFromEnv,
} from "@todo/identity";
import { createMcpHttpHandler, withMcp } from "@todo/mcp";
import {
  createDeliveryWorker,
  createNotificationHub,
  createNotificationService,
  createNotificationStore,
  createRemindersHandler,
  createSmtpMailer,
  migrateNotifications,
  notificationConfigFromEnv,
  notificationValidators,
  watchModeFor,
} from "@todo/notification";
import {
  createLogger,
  createTokenService,
  defineService,
  openDatabase,
  type RunningServer,
  startServer,
  Topics,
} from "@todo/platform";
import { ensurePrivateDir } from "@todo/platform/data";
import { createMemoryBus, type OutboxRelay, startOutboxRelay } from "@todo/platform/events";
import { createPostgresJobScheduler } from "@todo/platform/jobs";
import {
  createActingAs,
  createServiceClient,
  createWebHandler,
  sessionCacheOptionsFromEnv,
  trustedProxyHopsFromEnv,
  withSessionCheck,
} from "@todo/platform/serving";
import {
  createSchedulerJobHandler,
  createSchedulerService,
  createTaskEventsHandler as createSchedulerTaskEventsHandler,
  migrateScheduler,
  SCHEDULER_SCHEMA,
  schedulerValidators,
} from "@todo/scheduler";
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
  migrateTasks,
  taskValidators,
} from "@todo/task";
import type { AppConfig } from "./config";

/** A running app. */
export interface App {
  readonly server: RunningServer;
  readonly databaseKind: "postgres" | "pglite";
  close(): Promise<void>;
}

/** Starts every service in this process. */
export async function startApp(config: AppConfig): Promise<App> {
  const log = createLogger("todo");
  const embedded = !config.databaseUrl && !config.dataDir.startsWith("memory://");
  // The data directory holds the database and the JWT key: its owner's only (private-dir.ts).
  if (embedded) ensurePrivateDir(config.dataDir);
  const db = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir.startsWith("memory://") ? config.dataDir : `${config.dataDir}/pg`,
    name: "todo",
  });
  const { sql } = db;
  await migrateIdentity(sql);
  await migrateTasks(sql);
  await migrateTags(sql);
  await migrateScheduler(sql);
  await migrateNotifications(sql);
  await migrateAssistant(sql);

  const bus = createMemoryBus();
  // Every token's session is checked against identity's tables (one cache for the whole process).
  const identityStore = createIdentityStore(sql);
  const tokens = withSessionCheck(
    createTokenService({
      secret: config.jwtSecret,
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: config.jwtTtlSeconds,
    }),
    createIdentitySessionCheck(identityStore),
    sessionCacheOptionsFromEnv(),
  );
  const limitSettings = rateLimitSettingsFromEnv();
  const relays: OutboxRelay[] = [];
  const wakeRelays = () => {
    for (const r of relays) r.wake();
  };
  // LISTEN/NOTIFY does not cross PGlite's socket: there the relays and timers are woken in-process and poll.
  const listen = db.kind === "postgres";
  const jobs = createPostgresJobScheduler({ sql, schema: SCHEDULER_SCHEMA, listen });
  const notificationConfig = notificationConfigFromEnv();
  const notificationHub = createNotificationHub({ sql, mode: watchModeFor(db.kind) });
  const mailer = notificationConfig.smtpUrl
    ? createSmtpMailer({ url: notificationConfig.smtpUrl, from: notificationConfig.smtpFrom })
    : undefined;
  const worker = createDeliveryWorker({
    sql,
    mailer,
    allowPrivateTargets: notificationConfig.allowPrivateTargets,
    maxAttempts: notificationConfig.maxAttempts,
    backoffBaseMs: notificationConfig.retryBaseMs,
    backoffMaxMs: notificationConfig.retryMaxMs,
    timeoutMs: notificationConfig.webhookTimeoutMs,
  });
  const watchHub = createWatchHub();

  // Subscribe before the relays start: the in-process bus drops events of topics nobody listens to,
  // and rows left by a crash are published as soon as a relay runs.
  const subscriptions = await Promise.all([
    bus.subscribe(Topics.taskEvents, "tag", createTaskEventsHandler({ sql })),
    bus.subscribe(Topics.taskEvents, "scheduler", createSchedulerTaskEventsHandler({ sql, jobs })),
    bus.subscribe(Topics.tagEvents, "task", createTagEventsHandler({ sql, afterCommit: wakeRelays })),
    bus.subscribe(
      Topics.reminders,
      "notification",
      createRemindersHandler({ sql, hub: notificationHub, afterCommit: () => worker.wake() }),
    ),
    // Every process reads all of task-updates (a group of its own) for its WatchTasks streams.
    bus.subscribe(Topics.taskUpdates, `task-watch-${Bun.randomUUIDv7()}`, watchHub.deliver),
  ]);
  const relayOptions = { sql, bus, listen, pollIntervalMs: listen ? 1000 : 250 };
  relays.push(
    startOutboxRelay({ ...relayOptions, schema: "task" }),
    startOutboxRelay({ ...relayOptions, schema: "tag" }),
    startOutboxRelay({ ...relayOptions, schema: SCHEDULER_SCHEMA }),
  );

  const taskRegistration = defineService(
    TaskService,
    createTaskService({
      store: createTaskStore(sql),
      afterCommit: wakeRelays,
      hub: watchHub,
    }),
    taskValidators,
  );
  const tagRegistration = defineService(
    TagService,
    createTagService({ store: createTagStore(sql), afterCommit: wakeRelays }),
    tagValidators,
  );
  // The scheduler and the assistant call TaskService (and TagService) in-process, through the same
  // interceptors as the server, as the user they act for.
  const inProcess = { services: [taskRegistration, tagRegistration], tokens, name: "todo" };
  const tasks = createServiceClient(TaskService, { inProcess });
  jobs.start(createSchedulerJobHandler({ tasks, actingAs: createActingAs(tokens), afterCommit: wakeRelays }));
  worker.start();

  const server = await startServer({
    name: "todo",
    host: config.host,
    httpPort: config.httpPort,
    grpcPort: config.grpcPort,
    tokens,
    publicMethods: AUTH_PUBLIC_METHODS,
    services: [
      defineService(
        AuthService,
        createAuthService({
          store: identityStore,
          tokens,
          limits: { limiter: createRateLimiter(sql, limitSettings), settings: limitSettings },
          trustedProxyHops: trustedProxyHopsFromEnv(),
        }),
        authValidators,
      ),
      taskRegistration,
      tagRegistration,
      defineService(SchedulerService, createSchedulerService({ sql }), schedulerValidators),
      defineService(
        NotificationService,
        createNotificationService({
          store: createNotificationStore(sql),
          hub: notificationHub,
          allowPrivateTargets: notificationConfig.allowPrivateTargets,
          allowHttpTargets: notificationConfig.allowHttpTargets,
          emailEnabled: mailer !== undefined,
          keepAliveMs: notificationConfig.keepAliveMs,
        }),
        notificationValidators,
      ),
      defineService(
        AssistantService,
        createAssistantService({
          tasks,
          tags: createServiceClient(TagService, { inProcess }),
          store: createAssistantStore(sql),
          model: modelConfigFromEnv(),
        }),
        assistantValidators,
      ),
    ],
    // MCP (docs/mcp.md): `/mcp` is the MCP endpoint, acting as the caller whose token it is given, through
    // the same in-process clients and interceptors; every other non-RPC path is the web app.
    fallback: withMcp(
      createMcpHttpHandler({
        tasks,
        tags: createServiceClient(TagService, { inProcess }),
        authenticate: (token) => tokens.verify(token),
      }),
      createWebHandler(config.webDist),
    ),
  });
  log.info("started", { database: db.kind, http: server.httpPort, grpc: server.grpcPort });

  return {
    server,
    databaseKind: db.kind,
    async close() {
      await notificationHub.close();
      await server.close();
      await jobs.stop();
      await worker.stop();
      // Relays first: an event relayed into the in-process bus after its subscribers left would be
      // dropped and its outbox row deleted. Rows still in the outbox are published at the next start.
      for (const r of relays) await r.stop();
      for (const s of subscriptions) await s.unsubscribe();
      await bus.close();
      mailer?.close();
      await db.close();
    },
  };
}
