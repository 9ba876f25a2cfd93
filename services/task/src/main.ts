/** The task service as its own process (see runService; `KAFKA_BROKERS` selects the Kafka bus). */
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { defineService, runService, Topics } from "@todo/platform";
import { createEventBus } from "@todo/platform/bus";
import { type OutboxRelay, startOutboxRelay } from "@todo/platform/outbox";
import { createTaskStore, migrateTasks } from "./store";
import { createTagEventsHandler } from "./tag-events-consumer";
import { emitTaskEvent } from "./task-events";
import { etagOf } from "./task-mapper";
import { createTaskService } from "./task-service";
import { taskValidators } from "./validation";
import { createWatchHub } from "./watch-hub";

await runService("task", async ({ sql }) => {
  await migrateTasks(sql);
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
  const store = createTaskStore(sql, emitTaskEvent, etagOf);
  return {
    services: [
      defineService(TaskService, createTaskService({ store, afterCommit: wake, hub }), taskValidators),
    ],
    async close() {
      for (const s of subscriptions) await s.unsubscribe();
      await relay?.stop();
      await bus.close();
    },
  };
});
