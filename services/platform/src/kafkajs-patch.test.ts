/**
 * kafkajs 2.2.4 scheduled its request-queue check `-1 - Date.now()` ms ahead whenever nothing was
 * throttled, and every service on Kafka printed a `TimeoutNegativeWarning` at start (kafkajs#1751,
 * fixed upstream only in unmerged pull requests). `patches/kafkajs@2.2.4.patch` (applied by
 * `bun install`, see package.json `patchedDependencies`) never schedules in the past. This runs a
 * Kafka bus in a fresh process — warnings are printed once per process — against the real broker and
 * requires a clean stderr.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { requireKafkaBrokers, uniqueKafkaName } from "./kafka-testing";
import { runScript } from "./testing";

test("a Kafka bus publishes and closes without kafkajs's TimeoutNegativeWarning", async () => {
  const brokers = requireKafkaBrokers();
  const script = `
    import { createKafkaBus } from ${JSON.stringify(join(import.meta.dir, "bus-kafka.ts"))};
    import { toCloudEvent, Topics } from ${JSON.stringify(join(import.meta.dir, "events.ts"))};
    import { TagDeletedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
    const bus = await createKafkaBus({ brokers: ${JSON.stringify(brokers)}, clientId: "patch-probe",
      topicPrefix: ${JSON.stringify(`${uniqueKafkaName("patch")}.`)} });
    const event = toCloudEvent(TagDeletedSchema, { userId: "u", tagId: "t", name: "n" },
      { source: "/todo/test", type: "todo.tag.v1.deleted", subject: "t" });
    await bus.publish(Topics.tagEvents, "t", event);
    await bus.close();
    console.log("published");
  `;
  const { code, stdout, stderr } = await runScript(script, import.meta.dir, {
    ...process.env,
    LOG_LEVEL: "warn",
  });
  expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: "published" });
  expect(stderr).not.toContain("TimeoutNegativeWarning");
}, 30_000);
