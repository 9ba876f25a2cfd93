/** The tag service as its own process (see runService; `KAFKA_BROKERS` selects the Kafka bus). */
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { defineService, runService, Topics } from "@todo/platform";
import { createEventBus } from "@todo/platform/adapters";
import { type OutboxRelay, startOutboxRelay } from "@todo/platform/events";
import { createTagStore, migrateTags } from "./store";
import { createTagService } from "./tag-service";
import { createTaskEventsHandler } from "./task-events-consumer";
import { tagValidators } from "./validation";

await runService("tag", {
  migrate: migrateTags,
  build: async ({ sql }) => {
    const bus = await createEventBus(process.env, { clientId: "tag" });
    const subscription = await bus.subscribe(Topics.taskEvents, "tag", createTaskEventsHandler({ sql }));
    const relay: OutboxRelay = startOutboxRelay({ sql, schema: "tag", bus });
    const service = createTagService({ store: createTagStore(sql), afterCommit: () => relay.wake() });
    return {
      services: [defineService(TagService, service, tagValidators)],
      async close() {
        await subscription.unsubscribe();
        await relay.stop();
        await bus.close();
      },
    };
  },
});
