/**
 * The task service as its own process (see runService; `KAFKA_BROKERS` selects the Kafka bus). Under
 * Dapr it also sends the daily digest of overdue tasks when the `daily-digest` cron binding fires
 * (`DIGEST_HOUR`, `DAPR_STATE_STORE`; docs/digest.md); without Dapr there is no digest.
 */

import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { defineService, envInt, envString, runService, Topics } from "@todo/platform";
import { createDaprState, createEventBus } from "@todo/platform/adapters";
import { type OutboxRelay, startOutboxRelay } from "@todo/platform/events";
import { daprCallbacks } from "@todo/platform/serving";
import { createDigestTrigger, DEFAULT_DIGEST_HOUR, DIGEST_BINDING } from "./digest";
import { createTaskStore, migrateTasks } from "./store";
import { createTagEventsHandler } from "./tag-events-consumer";
import { createTaskService } from "./task-service";
import { taskValidators } from "./validation";
import { createWatchHub } from "./watch-hub";

await runService("task", {
  migrate: migrateTasks,
  build: async ({ sql, dapr }) => {
    const bus = await createEventBus(process.env, { clientId: "task" });
    let relay: OutboxRelay | undefined;
    const wake = () => relay?.wake();
    const hub = createWatchHub();
    // Subscribe before the relay starts, so nothing published at start-up goes unheard.
    const subscriptions = [
      await bus.subscribe(Topics.tagEvents, "task", createTagEventsHandler({ sql, afterCommit: wake })),
      // Every replica reads all of task-updates, from now on, in a group of its own: WatchTasks streams
      // on any replica see changes made through any other.
      await bus.subscribe(Topics.taskUpdates, `task-watch-${Bun.randomUUIDv7()}`, hub.deliver, {
        from: "latest",
        ephemeral: true,
      }),
    ];
    relay = startOutboxRelay({ sql, schema: "task", bus });
    const store = createTaskStore(sql);
    const stopDigest = dapr
      ? daprCallbacks().onBinding(
          DIGEST_BINDING,
          createDigestTrigger({
            sql,
            state: createDaprState(dapr.client, { storeName: envString("DAPR_STATE_STORE", "statestore") }),
            digestHour: envInt("DIGEST_HOUR", DEFAULT_DIGEST_HOUR, 0, 23),
            afterCommit: wake,
          }),
        )
      : undefined;
    return {
      services: [
        defineService(TaskService, createTaskService({ store, afterCommit: wake, hub }), taskValidators),
      ],
      async close() {
        stopDigest?.();
        for (const s of subscriptions) await s.unsubscribe();
        await relay?.stop();
        await bus.close();
      },
    };
  },
});
