/** The tag service as its own process (see runService for its settings). */
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { defineService, runService, Topics } from "@todo/platform";
import { createMemoryBus } from "@todo/platform/bus-memory";
import { startOutboxRelay } from "@todo/platform/outbox";
import { createTagStore, migrateTags } from "./store";
import { createTagService } from "./tag-service";
import { createTaskEventsHandler } from "./task-events-consumer";
import { tagValidators } from "./validation";

await runService("tag", async ({ sql }) => {
  await migrateTags(sql);
  // Until the Kafka adapter (issue 3), events stay inside this process.
  const bus = createMemoryBus();
  const subscription = await bus.subscribe(Topics.taskEvents, "tag", createTaskEventsHandler({ sql }));
  const relay = startOutboxRelay({ sql, schema: "tag", bus });
  return {
    services: [
      defineService(
        TagService,
        createTagService({ store: createTagStore(sql), afterCommit: () => relay.wake() }),
        tagValidators,
      ),
    ],
    async close() {
      await subscription.unsubscribe();
      await relay.stop();
      await bus.close();
    },
  };
});
