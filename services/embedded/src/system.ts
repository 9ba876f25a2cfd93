/**
 * The wired-up system, once: every service of Todo on one database, one in-process event bus fed
 * from the services' outboxes, the scheduler's Postgres timers and the notification delivery
 * worker. `bun start` (app.ts) serves it; the test kit (services/testkit) builds the same system for
 * the suites that need more than one service, so there is one copy of how the services are joined.
 *
 * What is not the system's: opening the database, the token service and the listeners — the caller
 * brings `sql` and `tokens` and serves `services` however it likes.
 */
import type { Client } from "@connectrpc/connect";
import {
  assistantValidators,
  createAssistantService,
  createAssistantStore,
  type ModelConfig,
  migrateAssistant,
} from "@todo/assistant";
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import {
  authValidators,
  createAuthService,
  createIdentityStore,
  createRateLimiter,
  type IdentityStore,
  migrateIdentity,
  rateLimitSettingsFromEnv,
} from "@todo/identity";
import {
  createDeliveryWorker,
  createNotificationHub,
  createNotificationService,
  createNotificationStore,
  createRemindersHandler,
  createSmtpMailer,
  migrateNotifications,
  type NotificationConfig,
  notificationConfigFromEnv,
  notificationValidators,
  watchModeFor,
} from "@todo/notification";
import {
  defineService,
  type EventHandler,
  type Logger,
  type ServiceRegistration,
  type Sql,
  type Subscription,
  type TokenService,
  Topics,
} from "@todo/platform";
import {
  createMemoryBus,
  type EventBus,
  type MemoryBusOptions,
  startOutboxRelay,
} from "@todo/platform/events";
import { createPostgresJobScheduler, type PostgresJobScheduler } from "@todo/platform/jobs";
import { createActingAs, createServiceClient, trustedProxyHopsFromEnv } from "@todo/platform/serving";
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
  createTaskEventsHandler as createTagTaskEventsHandler,
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

/** Creates (or brings up to date) every service's schema on `sql`. */
export async function migrateSystem(sql: Sql): Promise<void> {
  await migrateIdentity(sql);
  await migrateTasks(sql);
  await migrateTags(sql);
  await migrateScheduler(sql);
  await migrateNotifications(sql);
  await migrateAssistant(sql);
}

/** A subscriber the caller adds to the bus, beside the services' own. */
export interface ExtraSubscriber {
  readonly topic: string;
  readonly group: string;
  readonly handler: EventHandler;
}

/** How fast the system's loops run; the defaults are `bun start`'s. */
export interface SystemTuning {
  /** The outbox relays' longest sleep; default 1 s with LISTEN/NOTIFY (PostgreSQL), 250 ms without. */
  readonly relayPollMs?: number;
  /** The scheduler's timers (default: the job scheduler's own). */
  readonly jobs?: Pick<PostgresJobSchedulerOptions, "pollIntervalMs" | "minBackoffMs" | "maxBackoffMs">;
  /** The in-process bus's retries (default: the bus's own). */
  readonly bus?: Omit<MemoryBusOptions, "logger">;
}

type PostgresJobSchedulerOptions = Parameters<typeof createPostgresJobScheduler>[0];

/** What the system is built from. */
export interface SystemOptions {
  readonly sql: Sql;
  /** LISTEN/NOTIFY wakes the relays and timers on PostgreSQL; PGlite has none, so there they poll. */
  readonly databaseKind: "postgres" | "pglite";
  /** Signs and verifies every token (with the session check the caller wants). */
  readonly tokens: TokenService;
  /** Identity's store, when the caller already made one for its session check; default: a new one. */
  readonly identityStore?: IdentityStore;
  /** Default: `notificationConfigFromEnv()`; with an SMTP URL e-mail is sent. */
  readonly notification?: NotificationConfig;
  /** The assistant's language model; none: it reads requests with its own grammar. */
  readonly model?: ModelConfig;
  readonly tuning?: SystemTuning;
  /**
   * Wraps the TaskService client the scheduler's timers call (a test makes it fail); default as is.
   */
  readonly schedulerTasks?: (tasks: Client<typeof TaskService>) => Client<typeof TaskService>;
  /** Subscribed with the services' own consumers, before any outbox relay starts. */
  readonly subscribers?: readonly ExtraSubscriber[];
  /** Every loop's logger (a test passes a quiet one); default: each component's own. */
  readonly logger?: Logger;
}

/** The running system. */
export interface System {
  /** Auth, Task, Tag, Scheduler, Notification and Assistant, ready for `startServer`. */
  readonly services: readonly ServiceRegistration[];
  /** In-process clients of TaskService and TagService, through the servers' interceptors. */
  readonly tasks: Client<typeof TaskService>;
  readonly tags: Client<typeof TagService>;
  readonly bus: EventBus;
  readonly jobs: PostgresJobScheduler;
  /** The scheduler's `task-events` consumer, for a test that delivers an event again. */
  readonly schedulerTaskEvents: EventHandler;
  /** Wakes every outbox relay (after a commit made outside the services). */
  wakeRelays(): void;
  /** Ends the open WatchNotifications streams, so a server that stops next need not wait for them. */
  endStreams(): Promise<void>;
  /** Ends the streams, stops the loops (relays before the bus) and the bus; the database stays open. */
  close(): Promise<void>;
}

/** Builds the system on `options.sql` (migrated: `migrateSystem`) and starts its loops. */
export async function createSystem(options: SystemOptions): Promise<System> {
  const { sql, tokens, logger, tuning = {} } = options;
  const quiet = logger ? { logger } : {};
  const listen = options.databaseKind === "postgres";
  const bus = createMemoryBus({ ...tuning.bus, ...quiet });
  const relays = new Map<string, ReturnType<typeof startOutboxRelay>>();
  const wakeRelays = () => {
    for (const r of relays.values()) r.wake();
  };
  // After a commit, only the relay of the outbox it wrote to: waking the others would cost each an
  // empty claim per write.
  const waker = (schema: string) => () => relays.get(schema)?.wake();
  const jobs = createPostgresJobScheduler({
    sql,
    schema: SCHEDULER_SCHEMA,
    listen,
    ...tuning.jobs,
    ...quiet,
  });
  const notification = options.notification ?? notificationConfigFromEnv();
  const notificationHub = createNotificationHub({ sql, mode: watchModeFor(options.databaseKind), ...quiet });
  const mailer = notification.smtpUrl
    ? createSmtpMailer({ url: notification.smtpUrl, from: notification.smtpFrom })
    : undefined;
  const worker = createDeliveryWorker({
    sql,
    mailer,
    allowPrivateTargets: notification.allowPrivateTargets,
    maxAttempts: notification.maxAttempts,
    backoffBaseMs: notification.retryBaseMs,
    backoffMaxMs: notification.retryMaxMs,
    timeoutMs: notification.webhookTimeoutMs,
    ...quiet,
  });
  const watchHub = createWatchHub();
  const schedulerTaskEvents = createSchedulerTaskEventsHandler({ sql, jobs, ...quiet });

  // Subscribe before the relays start: the in-process bus drops events of topics nobody listens to,
  // and rows left by a crash are published as soon as a relay runs.
  const subscriptions: Subscription[] = await Promise.all([
    bus.subscribe(Topics.taskEvents, "tag", createTagTaskEventsHandler({ sql })),
    bus.subscribe(Topics.taskEvents, "scheduler", schedulerTaskEvents),
    bus.subscribe(Topics.tagEvents, "task", createTagEventsHandler({ sql, afterCommit: waker("task") })),
    bus.subscribe(
      Topics.reminders,
      "notification",
      createRemindersHandler({ sql, hub: notificationHub, afterCommit: () => worker.wake() }),
    ),
    // Every process reads all of task-updates (a group of its own) for its WatchTasks streams.
    bus.subscribe(Topics.taskUpdates, `task-watch-${Bun.randomUUIDv7()}`, watchHub.deliver),
    ...(options.subscribers ?? []).map((s) => bus.subscribe(s.topic, s.group, s.handler)),
  ]);
  const relayOptions = {
    sql,
    bus,
    listen,
    pollIntervalMs: tuning.relayPollMs ?? (listen ? 1000 : 250),
    ...quiet,
  };
  for (const schema of ["task", "tag", SCHEDULER_SCHEMA]) {
    relays.set(schema, startOutboxRelay({ ...relayOptions, schema }));
  }

  const taskRegistration = defineService(
    TaskService,
    createTaskService({ store: createTaskStore(sql), afterCommit: waker("task"), hub: watchHub }),
    taskValidators,
  );
  const tagRegistration = defineService(
    TagService,
    createTagService({ store: createTagStore(sql), afterCommit: waker("tag") }),
    tagValidators,
  );
  // The scheduler, the assistant and MCP call TaskService (and TagService) in-process, through the
  // same interceptors as the server, as the user they act for.
  const inProcess = { services: [taskRegistration, tagRegistration], tokens, name: "todo" };
  const tasks = createServiceClient(TaskService, { inProcess });
  const tags = createServiceClient(TagService, { inProcess });
  jobs.start(
    createSchedulerJobHandler({
      tasks: options.schedulerTasks ? options.schedulerTasks(tasks) : tasks,
      actingAs: createActingAs(tokens),
      afterCommit: waker(SCHEDULER_SCHEMA),
      ...quiet,
    }),
  );
  worker.start();

  const limitSettings = rateLimitSettingsFromEnv();
  const services: ServiceRegistration[] = [
    defineService(
      AuthService,
      createAuthService({
        store: options.identityStore ?? createIdentityStore(sql),
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
        allowPrivateTargets: notification.allowPrivateTargets,
        allowHttpTargets: notification.allowHttpTargets,
        emailEnabled: mailer !== undefined,
        keepAliveMs: notification.keepAliveMs,
      }),
      notificationValidators,
    ),
    defineService(
      AssistantService,
      createAssistantService({ tasks, tags, store: createAssistantStore(sql), model: options.model }),
      assistantValidators,
    ),
  ];

  return {
    services,
    tasks,
    tags,
    bus,
    jobs,
    schedulerTaskEvents,
    wakeRelays,
    endStreams: () => notificationHub.close(),
    async close() {
      await notificationHub.close();
      await jobs.stop();
      await worker.stop();
      // Relays first: an event relayed into the in-process bus after its subscribers left would be
      // dropped and its outbox row deleted. Rows still in the outbox are published at the next start.
      for (const r of relays.values()) await r.stop();
      for (const s of subscriptions) await s.unsubscribe();
      await bus.close();
      mailer?.close();
    },
  };
}
