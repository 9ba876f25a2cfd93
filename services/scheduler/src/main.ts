/**
 * The scheduler service as its own process (see runService; `KAFKA_BROKERS` selects the Kafka bus;
 * `TASK_SERVICE_URL` is where it creates the next instance of recurring tasks). Under a Dapr sidecar
 * the bus is Dapr pub/sub, the timers are Dapr jobs and TaskService is reached through the sidecar.
 */
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { defineService, runService, Topics } from "@todo/platform";
import { createEventBus, createJobScheduler } from "@todo/platform/adapters";
import { type OutboxRelay, startOutboxRelay } from "@todo/platform/events";
import { createActingAs, createServiceClient, serviceTargetFromEnv } from "@todo/platform/serving";
import { createSchedulerJobHandler } from "./scheduler-jobs";
import { createSchedulerService } from "./scheduler-service";
import { migrateScheduler, SCHEDULER_SCHEMA } from "./store";
import { createTaskEventsHandler } from "./task-events-consumer";
import { schedulerValidators } from "./validation";

await runService("scheduler", {
  migrate: migrateScheduler,
  build: async ({ sql, tokens }) => {
    const bus = await createEventBus(process.env, { clientId: "scheduler" });
    const jobs = await createJobScheduler({ sql, schema: SCHEDULER_SCHEMA });
    // Timers and their relay start first: a restarted scheduler fires due reminders at once, without
    // waiting for its consumer group to rebalance (up to the Kafka session timeout after a crash).
    const relay: OutboxRelay = startOutboxRelay({ sql, schema: SCHEDULER_SCHEMA, bus });
    const tasks = createServiceClient(TaskService, serviceTargetFromEnv("task"));
    jobs.start(
      createSchedulerJobHandler({ tasks, actingAs: createActingAs(tokens), afterCommit: () => relay.wake() }),
    );
    const subscription = await bus.subscribe(
      Topics.taskEvents,
      "scheduler",
      createTaskEventsHandler({ sql, jobs }),
    );
    return {
      services: [defineService(SchedulerService, createSchedulerService({ sql }), schedulerValidators)],
      async close() {
        await subscription.unsubscribe();
        await jobs.stop();
        await relay.stop();
        await bus.close();
      },
    };
  },
});
