/** The task service as its own process (see runService for its settings). */
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { defineService, runService, Topics } from "@todo/platform";
import { createMemoryBus } from "@todo/platform/bus-memory";
import { startOutboxRelay } from "@todo/platform/outbox";
import { createTaskStore, migrateTasks } from "./store";
import { createTagEventsHandler } from "./tag-events-consumer";
import { emitTaskEvent } from "./task-events";
import { etagOf } from "./task-mapper";
import { createTaskService } from "./task-service";
import { taskValidators } from "./validation";
import { createWatchHub } from "./watch-hub";

await runService("task", async ({ sql }) => {
  await migrateTasks(sql);
  // Until the Kafka adapter (issue 3), events stay inside this process.
  const bus = createMemoryBus();
  const wake = () => relay.wake();
  const hub = createWatchHub();
  const subscriptions = [
    await bus.subscribe(Topics.tagEvents, "task", createTagEventsHandler({ sql, afterCommit: wake })),
    // Every replica reads all of task-updates (a group of its own) for its WatchTasks streams.
    await bus.subscribe(Topics.taskUpdates, `task-watch-${Bun.randomUUIDv7()}`, hub.deliver),
  ];
  const relay = startOutboxRelay({ sql, schema: "task", bus });
  const store = createTaskStore(sql, emitTaskEvent, etagOf);
  return {
    services: [
      defineService(TaskService, createTaskService({ store, afterCommit: wake, hub }), taskValidators),
    ],
    async close() {
      for (const s of subscriptions) await s.unsubscribe();
      await relay.stop();
      await bus.close();
    },
  };
});
