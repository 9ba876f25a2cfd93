/**
 * The event-path benchmark's options (`bench/events.ts` parses them from flags and environment
 * variables; its TSDoc lists them), and what every phase of a run is handed.
 */
import type { GrpcClients } from "../lib/clients";
import type { Log } from "../lib/system";
import type { KAFKA_CLIENTS } from "./kafka-clients";

/** The phases `--phases` can choose, in the order they run. */
export const EVENT_PHASES = ["outbox", "watch", "recurring", "reminders"] as const;
export type EventPhase = (typeof EVENT_PHASES)[number];

/** Every option of a run, parsed and checked. */
export interface EventsOptions {
  readonly phases: ReadonlySet<EventPhase>;
  /** Reminders in the lateness phase. */
  readonly reminders: number;
  /** Reminders per task (1–10): fewer tasks carry more reminders. */
  readonly remindersPerTask: number;
  /** Seconds over which the reminders fall due. */
  readonly windowS: number;
  /** Seconds from the estimated end of the set-up to the window. */
  readonly slackS: number;
  /** Seconds from the start of creation to the window (instead of the estimate). */
  readonly leadS: number | undefined;
  /** CreateTask calls in flight while the reminders' tasks are created. */
  readonly createConcurrency: number;
  /** WatchTasks streams per task replica. */
  readonly watchers: number;
  /** Measured UpdateTask calls of the watch phase. */
  readonly watchUpdates: number;
  /** UpdateTask calls per second (open loop). */
  readonly watchRate: number;
  /** Recurring tasks completed. */
  readonly recurring: number;
  /** CompleteTask calls per second (open loop). */
  readonly recurringRate: number;
  /** Events the outbox phase relays. */
  readonly outboxEvents: number;
  /** Distinct keys (task ids) among them. */
  readonly outboxKeys: number;
  /** The relay's batchSize (its default when undefined). */
  readonly outboxBatch: number | undefined;
  /** Events relayed first, unmeasured. */
  readonly outboxWarmup: number;
  /** Seconds before a relay run is cut short. */
  readonly outboxTimeoutS: number;
  /** A directory with a patched outbox.ts/bus-kafka.ts for a second relay run. */
  readonly outboxCompare: string | undefined;
  /** `--kafka-clients`: only the client comparison, of these clients. */
  readonly kafkaClients: readonly (typeof KAFKA_CLIENTS)[number][] | undefined;
  /** Records per client in the client comparison. */
  readonly kafkaClientsMessages: number;
  /** Where the services are run from (a patched scratch copy, or this checkout). */
  readonly servicesRoot: string;
  /** Seconds to wait at most, before each phase, for a quieter machine. */
  readonly quietWaitS: number;
  /** `private`: a broker of this run; `shared`: `sharedBrokers`. */
  readonly kafka: "private" | "shared";
  /** KAFKA_BROKERS (or .infra/env's), for `--kafka shared`. */
  readonly sharedBrokers: string | undefined;
  /** KAFKA_TOPIC_PREFIX: the services' bus prefixes every topic and group with it. */
  readonly topicPrefix: string;
  /** The PostgreSQL server on which a fresh database is created. */
  readonly databaseUrl: string;
  /** Keep the database and the services' logs. */
  readonly keep: boolean;
  /** The report file (absolute). */
  readonly out: string;
  /** Write the report into `out` (else only print it). */
  readonly write: boolean;
  /** The command line, for the report. */
  readonly command: string;
}

/** What every phase gets: the options, the log, the gRPC clients and the broker's topic names. */
export interface EventsRun {
  readonly options: EventsOptions;
  readonly log: Log;
  readonly clients: GrpcClients;
  /** The name a topic has on the broker (with `topicPrefix`), for the benchmark's own kafkajs clients. */
  onBroker(topic: string): string;
}
