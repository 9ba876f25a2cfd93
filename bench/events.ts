/**
 * The event-path benchmark (`bun run bench:events`): the services as separate processes on a real
 * PostgreSQL and a real Apache Kafka, measured against the targets of issue 3 §6. Results are printed
 * as markdown and written into `docs/benchmarks-events.md` (which explains the method; its analysis
 * section, between the `analysis` markers, is kept when the file is rewritten).
 *
 * Phases (each can be chosen with `--phases`), in this order:
 *   outbox     The relay's throughput: `--outbox-events` valid CloudEvents rows are inserted with
 *              `enqueueEvent` (in transactions of 5 000) into a schema of their own while no relay
 *              runs; then one relay (`startOutboxRelay` on `createKafkaBus`) starts and the time
 *              until the outbox is empty gives events/s. Every publish call is timed, to say where the
 *              time goes. `--outbox-compare DIR` runs it again with `outbox.ts`/`bus-kafka.ts` from
 *              DIR (a patched scratch copy of services/platform/src). Runs before the services start.
 *   watch      A task change reaching WatchTasks subscribers through Kafka: `--watchers` streams on
 *              each of two task-service processes (A and B, same database and Kafka); UpdateTask calls
 *              go to A from another connection at `--watch-rate`/s; latency = update RPC start →
 *              the change arrives on a stream. B's streams prove cross-replica delivery.
 *   recurring  Completing a recurring task shows the next instance: CompleteTask on A → the CREATED
 *              change of the next instance (created by the scheduler through TaskService) arrives on
 *              the streams; `--recurring` tasks completed at `--recurring-rate`/s.
 *   reminders  Reminder lateness with `--reminders` pending reminders: tasks are created through the
 *              API (both task replicas, `--create-concurrency` calls in flight) with absolute
 *              reminders falling due evenly over `--window` seconds, the window starting `--slack`
 *              seconds after the estimated end of the set-up (a pilot of plain tasks, 100 to warm up
 *              and 300 timed, measures the creation rate first; `--lead` fixes the window start). A kafkajs consumer of
 *              our own reads `reminders`; lateness = record timestamp − ReminderDue.fire_time (the
 *              moment the relay handed the event to Kafka), also reported: ce_time (when the job
 *              fired), receipt by our consumer, and notification.notifications.create_time (the inbox
 *              entry). "Early" counts events before their fire_time.
 *
 * Options (flag or environment variable, default):
 *   --phases / BENCH_PHASES (outbox,watch,recurring,reminders)
 *   --reminders / BENCH_REMINDERS (10000)            reminders in the lateness phase
 *   --reminders-per-task / BENCH_REMINDERS_PER_TASK (1)   1–10; fewer tasks carry more reminders
 *   --window / BENCH_REMINDER_WINDOW (15)            seconds over which the reminders fall due
 *   --slack / BENCH_REMINDER_SLACK (30)              seconds from the estimated set-up end to the window
 *   --lead / BENCH_REMINDER_LEAD                     seconds from the start of creation to the window
 *   --create-concurrency / BENCH_CREATE_CONCURRENCY (16)
 *   --watchers / BENCH_WATCHERS (2)                  WatchTasks streams per task replica
 *   --watch-updates / BENCH_WATCH_UPDATES (400)      measured UpdateTask calls
 *   --watch-rate / BENCH_WATCH_RATE (20)             UpdateTask calls per second (open loop)
 *   --recurring / BENCH_RECURRING (100)              recurring tasks completed
 *   --recurring-rate / BENCH_RECURRING_RATE (5)      CompleteTask calls per second (open loop)
 *   --outbox-events / BENCH_OUTBOX_EVENTS (50000)
 *   --outbox-keys / BENCH_OUTBOX_KEYS (1000)         distinct keys (task ids) among the events
 *   --outbox-batch / BENCH_OUTBOX_BATCH              the relay's batchSize (its default when unset)
 *   --outbox-warmup / BENCH_OUTBOX_WARMUP (5000)     events relayed first, unmeasured (a fresh broker's JIT)
 *   --outbox-timeout / BENCH_OUTBOX_TIMEOUT (90)     seconds before a relay run is cut short
 *   --outbox-compare DIR                             a second relay run with DIR's outbox.ts/bus-kafka.ts
 *   --kafka-clients LIST                             only the client comparison (bench/events/kafka-clients.ts):
 *                                                    kafkajs,platformatic (or `all`); prints its table, writes nothing
 *   --kafka-clients-messages / BENCH_KAFKA_CLIENTS_MESSAGES (20000)   records per client (batches of 100)
 *   --services-root DIR (this checkout)              run the services from DIR (a patched scratch copy)
 *   --quiet-wait / BENCH_QUIET_WAIT (0)              before each phase, wait up to this many seconds for
 *                                                    other work on the machine to use under half a core
 *   --kafka / BENCH_KAFKA (private)                  `private`: a broker of this run on free ports;
 *                                                    `shared`: KAFKA_BROKERS (or .infra/env)
 *   --database-url / DATABASE_URL (or .infra/env)    the server on which a fresh database is created
 *   --keep                                           keep the database and the services' logs
 *   --out (docs/benchmarks-events.md)                where to write the report; `--no-write` only prints
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readEnvFile } from "../scripts/lib/env-file.ts";
import { KAFKA_CLIENTS } from "./events/kafka-clients";
import { EVENT_PHASES, type EventsOptions } from "./events/options";
import { runEventsBench } from "./events/run";
import { GrpcClients } from "./lib/clients";
import {
  choiceOption,
  intOption,
  numberOption,
  optionalNumber,
  phasesOption,
  printHelpAndExit,
} from "./lib/options";

const root = resolve(import.meta.dir, "..");

const { values: flags } = parseArgs({
  options: {
    phases: { type: "string" },
    reminders: { type: "string" },
    "reminders-per-task": { type: "string" },
    window: { type: "string" },
    slack: { type: "string" },
    lead: { type: "string" },
    "create-concurrency": { type: "string" },
    watchers: { type: "string" },
    "watch-updates": { type: "string" },
    "watch-rate": { type: "string" },
    recurring: { type: "string" },
    "recurring-rate": { type: "string" },
    "outbox-events": { type: "string" },
    "outbox-keys": { type: "string" },
    "outbox-batch": { type: "string" },
    "outbox-timeout": { type: "string" },
    "outbox-warmup": { type: "string" },
    "outbox-compare": { type: "string" },
    "services-root": { type: "string" },
    "kafka-clients": { type: "string" },
    "kafka-clients-messages": { type: "string" },
    "quiet-wait": { type: "string" },
    kafka: { type: "string" },
    "database-url": { type: "string" },
    keep: { type: "boolean", default: false },
    out: { type: "string" },
    "no-write": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) printHelpAndExit(import.meta.path);

/** `--kafka-clients LIST` (or `all`): the clients to compare; undefined without the flag. */
function kafkaClientsOption(raw: string | undefined): EventsOptions["kafkaClients"] {
  if (!raw) return undefined;
  return (raw === "all" ? KAFKA_CLIENTS.join(",") : raw).split(",").map((c) => {
    if (!(KAFKA_CLIENTS as readonly string[]).includes(c)) {
      throw new Error(`unknown Kafka client ${c} (known: ${KAFKA_CLIENTS.join(", ")})`);
    }
    return c as (typeof KAFKA_CLIENTS)[number];
  });
}

const fromInfra = readEnvFile(join(root, ".infra", "env"));
const options: EventsOptions = {
  phases: phasesOption(flags.phases ?? process.env.BENCH_PHASES, EVENT_PHASES),
  reminders: intOption(flags.reminders, "BENCH_REMINDERS", 10_000, 1),
  remindersPerTask: intOption(flags["reminders-per-task"], "BENCH_REMINDERS_PER_TASK", 1, 1, 10),
  windowS: numberOption(flags.window, "BENCH_REMINDER_WINDOW", 15, 1),
  slackS: numberOption(flags.slack, "BENCH_REMINDER_SLACK", 30, 5),
  leadS: optionalNumber(flags.lead, "BENCH_REMINDER_LEAD", 5),
  createConcurrency: intOption(flags["create-concurrency"], "BENCH_CREATE_CONCURRENCY", 16, 1, 1000),
  watchers: intOption(flags.watchers, "BENCH_WATCHERS", 2, 1, 100),
  watchUpdates: intOption(flags["watch-updates"], "BENCH_WATCH_UPDATES", 400, 1),
  watchRate: numberOption(flags["watch-rate"], "BENCH_WATCH_RATE", 20, 0.1, 10_000),
  recurring: intOption(flags.recurring, "BENCH_RECURRING", 100, 1),
  recurringRate: numberOption(flags["recurring-rate"], "BENCH_RECURRING_RATE", 5, 0.1, 10_000),
  outboxEvents: intOption(flags["outbox-events"], "BENCH_OUTBOX_EVENTS", 50_000, 1),
  outboxKeys: intOption(flags["outbox-keys"], "BENCH_OUTBOX_KEYS", 1000, 1),
  outboxBatch: optionalNumber(flags["outbox-batch"], "BENCH_OUTBOX_BATCH", 1, 100_000, true),
  outboxWarmup: intOption(flags["outbox-warmup"], "BENCH_OUTBOX_WARMUP", 5000, 0),
  outboxTimeoutS: numberOption(flags["outbox-timeout"], "BENCH_OUTBOX_TIMEOUT", 90, 1),
  outboxCompare: flags["outbox-compare"] ? resolve(flags["outbox-compare"]) : undefined,
  kafkaClients: kafkaClientsOption(flags["kafka-clients"]),
  kafkaClientsMessages: intOption(
    flags["kafka-clients-messages"],
    "BENCH_KAFKA_CLIENTS_MESSAGES",
    20_000,
    100,
  ),
  servicesRoot: resolve(flags["services-root"] ?? root),
  quietWaitS: numberOption(flags["quiet-wait"], "BENCH_QUIET_WAIT", 0, 0, 3600),
  kafka: choiceOption(flags.kafka, "BENCH_KAFKA", ["private", "shared"] as const),
  sharedBrokers: process.env.KAFKA_BROKERS ?? fromInfra.KAFKA_BROKERS,
  topicPrefix: process.env.KAFKA_TOPIC_PREFIX?.trim() ?? "",
  databaseUrl: flags["database-url"] ?? process.env.DATABASE_URL ?? fromInfra.DATABASE_URL ?? "",
  keep: flags.keep ?? false,
  out: resolve(root, flags.out ?? "docs/benchmarks-events.md"),
  write: !flags["no-write"],
  command: ["bun", "bench/events.ts", ...Bun.argv.slice(2)].join(" "),
};
if (!options.databaseUrl) {
  console.error("DATABASE_URL is not set (nor in .infra/env): run `bun run infra:up` first.");
  process.exit(2);
}
if (options.kafka === "shared" && !options.sharedBrokers) {
  console.error("--kafka shared needs KAFKA_BROKERS (or .infra/env): run `bun run infra:up` first.");
  process.exit(2);
}

const started = Date.now();
const log = (msg: string) =>
  process.stderr.write(`[bench:events ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);

try {
  process.exit(
    await runEventsBench({
      options,
      log,
      clients: new GrpcClients(),
      onBroker: (topic) => `${options.topicPrefix}${topic}`,
    }),
  );
} catch (fatal) {
  console.error(fatal);
  process.exit(1);
}
