/**
 * The reminders phase's own kafkajs consumer of `reminders` (a fresh group, from the end of the
 * topic), joined before anything can fire: when each of one user's occurrences fired (ce_time), was
 * written to Kafka (the record timestamp) and was received here; a second record of an occurrence
 * counts as a duplicate.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { Kafka, logLevel } from "kafkajs";
import type { EventsRun } from "./options";

/** When one reminder occurrence was due and reached each stage, in epoch ms. */
export interface ReminderSeen {
  fireMs: number;
  ceMs: number;
  recordMs: number;
  receivedMs: number;
}

/** A running consumer: what it has seen so far, by occurrence key. */
export interface ReminderConsumer {
  readonly seen: ReadonlyMap<string, ReminderSeen>;
  /** Records of an occurrence seen before. */
  duplicates(): number;
  /** The client, for the diagnostics' admin calls. */
  readonly kafka: Kafka;
  stop(): Promise<void>;
}

/** Joins a new consumer group on `reminders` at `brokers`, counting the reminders of user `userId`. */
export async function startReminderConsumer(
  run: EventsRun,
  brokers: string,
  userId: string,
): Promise<ReminderConsumer> {
  const seen = new Map<string, ReminderSeen>();
  let duplicates = 0;
  const kafka = new Kafka({
    clientId: "bench-events",
    brokers: brokers.split(","),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `bench-events-${process.pid}-${Date.now()}`,
    maxWaitTimeInMs: 100,
  });
  const joined = new Promise<void>((resolveJoin) => {
    const off = consumer.on(consumer.events.GROUP_JOIN, () => {
      off();
      resolveJoin();
    });
  });
  await consumer.connect();
  await consumer.subscribe({ topic: run.onBroker("reminders"), fromBeginning: false });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: async ({ message }) => {
      const receivedMs = Date.now();
      const header = message.headers?.ce_time;
      const ceTime = Array.isArray(header) ? header[0] : header;
      if (!message.value || ceTime === undefined) return;
      const due = fromBinary(ReminderDueSchema, message.value);
      if (due.userId !== userId || !due.fireTime) return;
      if (seen.has(due.occurrenceKey)) {
        duplicates++;
        return;
      }
      seen.set(due.occurrenceKey, {
        fireMs: timestampDate(due.fireTime).getTime(),
        ceMs: new Date(ceTime.toString()).getTime(),
        recordMs: Number(message.timestamp),
        receivedMs,
      });
    },
  });
  await joined;
  return {
    seen,
    duplicates: () => duplicates,
    kafka,
    stop: () => consumer.disconnect().catch(() => {}),
  };
}
