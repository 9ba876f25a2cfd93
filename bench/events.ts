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
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { ChangeType, type TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { EventBus } from "@todo/platform";
import { Kafka, logLevel } from "kafkajs";
import postgres from "postgres";
import { KAFKA_CLIENTS, kafkaClientsPhase, kafkaClientsTable } from "./events/kafka-clients";
import { benchChange } from "./lib/bench-change";
import { paced, pooled, waitUntil } from "./lib/load";
import { intOption, numberOption, printHelpAndExit } from "./lib/options";
import { ms, type Summary, summarize, table } from "./lib/stats";
import {
  type BenchDatabase,
  type BenchKafka,
  CpuMeter,
  type CpuReport,
  createFreshDatabase,
  machineInfo,
  type ServiceProcess,
  startPrivateKafka,
  startService,
} from "./lib/system";

const root = resolve(import.meta.dir, "..");

// ---------------------------------------------------------------------------------------------
// Options

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

function infraEnv(): Record<string, string> {
  const file = join(root, ".infra", "env");
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

const PHASES = ["outbox", "watch", "recurring", "reminders"] as const;
type Phase = (typeof PHASES)[number];

const fromInfra = infraEnv();
const leadRaw = flags.lead ?? process.env.BENCH_REMINDER_LEAD;
const options = {
  phases: new Set(
    (flags.phases ?? process.env.BENCH_PHASES ?? PHASES.join(","))
      .split(",")
      .map((p) => p.trim())
      .filter((p) => p !== "")
      .map((p) => {
        if (!(PHASES as readonly string[]).includes(p)) {
          throw new Error(`unknown phase ${p} (known: ${PHASES.join(", ")})`);
        }
        return p as Phase;
      }),
  ),
  reminders: intOption(flags.reminders, "BENCH_REMINDERS", 10_000, 1),
  remindersPerTask: intOption(flags["reminders-per-task"], "BENCH_REMINDERS_PER_TASK", 1, 1, 10),
  windowS: numberOption(flags.window, "BENCH_REMINDER_WINDOW", 15, 1),
  slackS: numberOption(flags.slack, "BENCH_REMINDER_SLACK", 30, 5),
  leadS: leadRaw ? numberOption(flags.lead, "BENCH_REMINDER_LEAD", 0, 5) : undefined,
  createConcurrency: intOption(flags["create-concurrency"], "BENCH_CREATE_CONCURRENCY", 16, 1, 1000),
  watchers: intOption(flags.watchers, "BENCH_WATCHERS", 2, 1, 100),
  watchUpdates: intOption(flags["watch-updates"], "BENCH_WATCH_UPDATES", 400, 1),
  watchRate: numberOption(flags["watch-rate"], "BENCH_WATCH_RATE", 20, 0.1, 10_000),
  recurring: intOption(flags.recurring, "BENCH_RECURRING", 100, 1),
  recurringRate: numberOption(flags["recurring-rate"], "BENCH_RECURRING_RATE", 5, 0.1, 10_000),
  outboxEvents: intOption(flags["outbox-events"], "BENCH_OUTBOX_EVENTS", 50_000, 1),
  outboxKeys: intOption(flags["outbox-keys"], "BENCH_OUTBOX_KEYS", 1000, 1),
  outboxBatch:
    (flags["outbox-batch"] ?? process.env.BENCH_OUTBOX_BATCH)
      ? intOption(flags["outbox-batch"], "BENCH_OUTBOX_BATCH", 100, 1, 100_000)
      : undefined,
  outboxWarmup: intOption(flags["outbox-warmup"], "BENCH_OUTBOX_WARMUP", 5000, 0),
  outboxTimeoutS: numberOption(flags["outbox-timeout"], "BENCH_OUTBOX_TIMEOUT", 90, 1),
  outboxCompare: flags["outbox-compare"] ? resolve(flags["outbox-compare"]) : undefined,
  servicesRoot: resolve(flags["services-root"] ?? root),
  quietWaitS: numberOption(flags["quiet-wait"], "BENCH_QUIET_WAIT", 0, 0, 3600),
  kafka: (flags.kafka ?? process.env.BENCH_KAFKA ?? "private") as "private" | "shared",
  databaseUrl: flags["database-url"] ?? process.env.DATABASE_URL ?? fromInfra.DATABASE_URL,
  keep: flags.keep ?? false,
  out: resolve(root, flags.out ?? "docs/benchmarks-events.md"),
  write: !flags["no-write"],
};
if (options.kafka !== "private" && options.kafka !== "shared") {
  throw new Error(`BENCH_KAFKA must be private or shared (got ${options.kafka})`);
}
if (!options.databaseUrl) {
  console.error("DATABASE_URL is not set (nor in .infra/env): run `bun run infra:up` first.");
  process.exit(2);
}
const sharedBrokers = process.env.KAFKA_BROKERS ?? fromInfra.KAFKA_BROKERS;
if (options.kafka === "shared" && !sharedBrokers) {
  console.error("--kafka shared needs KAFKA_BROKERS (or .infra/env): run `bun run infra:up` first.");
  process.exit(2);
}

/**
 * The name a topic has on the broker: the services' bus prefixes every topic and group with
 * `KAFKA_TOPIC_PREFIX`, so the benchmark's own kafkajs clients must too.
 */
const topicPrefix = process.env.KAFKA_TOPIC_PREFIX?.trim() ?? "";
const onBroker = (topic: string) => `${topicPrefix}${topic}`;

const started = Date.now();
const log = (msg: string) =>
  process.stderr.write(`[bench:events ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Clients

const sessions: Http2SessionManager[] = [];

/** A gRPC transport on a connection of its own, sending `token` as the bearer token. */
function transport(grpcPort: number, token?: string): Transport {
  const baseUrl = `http://127.0.0.1:${grpcPort}`;
  const sessionManager = new Http2SessionManager(baseUrl);
  sessions.push(sessionManager);
  return createGrpcTransport({
    baseUrl,
    sessionManager,
    interceptors: token
      ? [
          (next) => (req) => {
            req.header.set("authorization", `Bearer ${token}`);
            return next(req);
          },
        ]
      : [],
  });
}

interface BenchUser {
  readonly id: string;
  readonly token: string;
}

async function signUp(identityPort: number, label: string): Promise<BenchUser> {
  const res = await createClient(AuthService, transport(identityPort)).signUp({
    email: `${label}-${crypto.randomUUID().slice(0, 8)}@bench.example`,
    password: "benchmark password",
    timeZone: "UTC",
  });
  if (!res.user) throw new Error("SignUp returned no user");
  return { id: res.user.id, token: res.accessToken };
}

type Tasks = Client<typeof TaskService>;

/** When something arrived: monotonic (for latencies within this process) and wall clock (to compare with
 * times the services stamped). */
interface Arrival {
  readonly mono: number;
  readonly wall: number;
}

/** A WatchTasks stream held open by the benchmark, calling `onChange` with each change's arrival time. */
interface Watcher {
  readonly replica: string;
  close(): void;
  readonly done: Promise<void>;
}

function openWatcher(
  replica: string,
  tasks: Tasks,
  onChange: (change: TaskChange, at: Arrival) => void,
): Watcher {
  const abort = new AbortController();
  const done = (async () => {
    try {
      for await (const res of tasks.watchTasks({}, { signal: abort.signal })) {
        if (res.change) onChange(res.change, { mono: performance.now(), wall: Date.now() });
      }
    } catch (err) {
      if (!abort.signal.aborted) log(`a WatchTasks stream on ${replica} failed: ${String(err)}`);
    }
  })();
  return { replica, close: () => abort.abort(), done };
}

/**
 * Waits (at most `--quiet-wait` seconds) until processes other than this run's use under half a core
 * over 3 s, so that a phase starts on a machine that is not crowded by other people's work. The report
 * still says how busy the machine was while each phase ran.
 */
async function waitForQuiet(meter: CpuMeter, phase: string): Promise<void> {
  if (options.quietWaitS <= 0) return;
  const deadline = Date.now() + options.quietWaitS * 1000;
  for (;;) {
    const stop = meter.start();
    await Bun.sleep(3000);
    const r = stop();
    const other = r.other / r.seconds;
    if (other < 0.5) return;
    if (Date.now() > deadline) {
      log(`${phase}: the machine is still busy (${other.toFixed(2)} cores used by others); starting anyway`);
      return;
    }
    log(`${phase}: waiting for a quieter machine (${other.toFixed(2)} cores used by others)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Results

interface LatencyRow {
  readonly label: string;
  readonly expected: number;
  readonly summary: Summary;
  /** Samples below zero (an event before its due time); only meaningful for reminders. */
  readonly early?: number;
  /** Events per second through this stage while it was busy: (count − 1) / (last − first); reminders only. */
  readonly rate?: number;
}

interface ReminderResult {
  readonly reminders: number;
  readonly tasks: number;
  readonly createRate: number;
  readonly createSeconds: number;
  readonly setupSeconds: number;
  readonly slackSeconds: number;
  readonly scheduledAtWindow: number;
  readonly windowS: number;
  readonly duplicates: number;
  /** What went wrong on the way (jobs missing at the window, reminders that never fired). */
  readonly notes: readonly string[];
  readonly rows: readonly LatencyRow[];
  readonly cpu: CpuReport;
}

interface WatchResult {
  readonly streams: number;
  readonly updates: number;
  readonly rate: number;
  readonly rows: readonly LatencyRow[];
  readonly rpc: Summary;
  readonly cpu: CpuReport;
}

interface RecurringResult {
  readonly streams: number;
  readonly completions: number;
  readonly rate: number;
  readonly rows: readonly LatencyRow[];
  readonly rpc: Summary;
  readonly cpu: CpuReport;
}

interface OutboxResult {
  readonly label: string;
  readonly events: number;
  readonly keys: number;
  readonly batchSize: number | undefined;
  readonly insertSeconds: number;
  readonly drainSeconds: number;
  readonly drained: number;
  readonly remaining: number;
  readonly onKafka: number;
  readonly publishCalls: number;
  readonly publishMeanMs: number;
  readonly publishBusyShare: number;
  readonly cpu: CpuReport;
}

// ---------------------------------------------------------------------------------------------
// Phase: outbox relay throughput

type OutboxModule = typeof import("@todo/platform/events");
type BusKafkaModule = typeof import("@todo/platform/adapters");

/** Wraps every `publish*` method of `bus`, timing the calls and the time any of them is in flight. */
function timedBus(bus: EventBus) {
  const stats = { calls: 0, messages: 0, latencyMs: 0, busyMs: 0, inFlight: 0, busySince: 0 };
  const wrapped: Record<string, unknown> = {};
  const source = bus as unknown as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (typeof value !== "function") continue;
    if (!key.startsWith("publish")) {
      wrapped[key] = value.bind(bus);
      continue;
    }
    wrapped[key] = async (...args: unknown[]) => {
      const t0 = performance.now();
      if (stats.inFlight++ === 0) stats.busySince = t0;
      stats.calls++;
      const list = args.find(Array.isArray);
      stats.messages += key === "publish" ? 1 : Array.isArray(list) ? list.length : 1;
      try {
        return await (value as (...a: unknown[]) => Promise<unknown>).apply(bus, args);
      } finally {
        const t1 = performance.now();
        stats.latencyMs += t1 - t0;
        if (--stats.inFlight === 0) stats.busyMs += t1 - stats.busySince;
      }
    };
  }
  return { bus: wrapped as unknown as EventBus, stats };
}

async function outboxPhase(
  label: string,
  platformDir: string | undefined,
  db: BenchDatabase,
  brokers: string,
  meter: CpuMeter,
  run: number,
): Promise<OutboxResult> {
  const outbox: OutboxModule = platformDir
    ? await import(join(platformDir, "outbox.ts"))
    : await import("@todo/platform/events");
  const busKafka: BusKafkaModule = platformDir
    ? await import(join(platformDir, "bus-kafka.ts"))
    : await import("@todo/platform/adapters");
  const schema = `bench_outbox_${run}`;
  const topic = `bench.outbox-relay.${process.pid}.${run}`;
  const sql = postgres(db.url, { max: 10, onnotice: () => {} });
  const kafka = new Kafka({
    clientId: "bench-events-admin",
    brokers: brokers.split(","),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const keys = Array.from({ length: options.outboxKeys }, () => crypto.randomUUID());
  const now = new Date();

  /** Inserts `count` events with `enqueueEvent`, 5 000 per transaction (pipelined). */
  const fill = async (count: number) => {
    const perTx = 5000;
    for (let start = 0; start < count; start += perTx) {
      const end = Math.min(count, start + perTx);
      await sql.begin(async (tx) => {
        const writes: Promise<void>[] = [];
        for (let i = start; i < end; i++) {
          const key = keys[i % keys.length] as string;
          writes.push(outbox.enqueueEvent(tx, schema, { topic, key, event: benchChange(key, i, now) }));
        }
        await Promise.all(writes);
      });
    }
  };
  const remaining = async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(schema)}.outbox`;
    return row?.n ?? 0;
  };

  /** Starts one relay (with a bus of its own) and waits until the outbox is empty or time is up. */
  const drain = async (count: number, progress: boolean) => {
    const bus = await busKafka.createKafkaBus({
      brokers: brokers.split(","),
      clientId: `bench-relay-${run}`,
    });
    const timed = timedBus(bus);
    const stopCpu = meter.start();
    const t0 = performance.now();
    const relay = outbox.startOutboxRelay({
      sql,
      schema,
      bus: timed.bus,
      ...(options.outboxBatch ? { batchSize: options.outboxBatch } : {}),
    });
    let left = count;
    let lastLog = t0;
    const deadline = t0 + options.outboxTimeoutS * 1000;
    while (left > 0 && performance.now() < deadline) {
      await Bun.sleep(50);
      left = await remaining();
      if (progress && performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        const done = count - left;
        log(`outbox [${label}]: ${done} published, ${(done / ((lastLog - t0) / 1000)).toFixed(0)}/s so far`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = stopCpu();
    await relay.stop();
    await bus.close();
    // The round in progress at a timeout finishes during stop(): count what it removed as published.
    if (left > 0) left = await remaining();
    return { seconds, left, cpu, stats: timed.stats };
  };

  try {
    await outbox.ensureOutbox(sql, schema);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topic, `${topic}.dlq`].map((t) => ({ topic: onBroker(t), numPartitions: 3 })),
    });
    if (options.outboxWarmup > 0) {
      // Not measured: a fresh broker (and this process) run slowly until the JIT has warmed up.
      log(`outbox [${label}]: warm-up with ${options.outboxWarmup} events`);
      await fill(options.outboxWarmup);
      const warm = await drain(options.outboxWarmup, false);
      if (warm.left > 0) await sql.unsafe(`delete from ${schema}.outbox`);
    }
    log(
      `outbox [${label}]: inserting ${options.outboxEvents} events (${keys.length} keys) with enqueueEvent`,
    );
    const tInsert = performance.now();
    await fill(options.outboxEvents);
    const insertSeconds = (performance.now() - tInsert) / 1000;
    const offsetsBefore = await topicRecords(admin, onBroker(topic));
    const result = await drain(options.outboxEvents, true);
    const onKafka = (await topicRecords(admin, onBroker(topic))) - offsetsBefore;
    const drained = options.outboxEvents - result.left;
    log(
      `outbox [${label}]: ${drained} events in ${result.seconds.toFixed(2)} s = ${(drained / result.seconds).toFixed(0)}/s` +
        ` (${onKafka} records on Kafka, ${result.left} left)`,
    );
    return {
      label,
      events: options.outboxEvents,
      keys: keys.length,
      batchSize: options.outboxBatch,
      insertSeconds,
      drainSeconds: result.seconds,
      drained,
      remaining: result.left,
      onKafka,
      publishCalls: result.stats.calls,
      publishMeanMs: result.stats.calls > 0 ? result.stats.latencyMs / result.stats.calls : Number.NaN,
      publishBusyShare: result.stats.busyMs / (result.seconds * 1000),
      cpu: result.cpu,
    };
  } finally {
    await admin.deleteTopics({ topics: [onBroker(topic), onBroker(`${topic}.dlq`)] }).catch(() => {});
    await admin.disconnect();
    await sql.unsafe(`drop schema if exists ${schema} cascade`).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

/** The number of records ever written to `topic` (the sum of its partitions' high watermarks). */
async function topicRecords(admin: ReturnType<Kafka["admin"]>, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

// ---------------------------------------------------------------------------------------------
// Phase: WatchTasks

const WATCH_TITLE = /^bench watch (\d+)$/;

/** One change seen on one stream: when it arrived, and when the service stamped it (wall clock, ms). */
interface Receipt {
  readonly at: Arrival;
  readonly stampedMs: number;
}

/** One stream's receipts, keyed by what the benchmark did (an update's number, a series id). */
interface StreamLog<K> {
  readonly replica: string;
  readonly seen: Map<K, Receipt>;
}

/**
 * Latency rows: one per replica and one for all streams (call start → arrival), plus the two halves of
 * the total over all streams: call start → the service stamped the change, and stamp → arrival.
 */
function streamRows<K>(
  logs: readonly StreamLog<K>[],
  sent: ReadonlyMap<K, Arrival>,
  perReplica: number,
  stampLabel: string,
): LatencyRow[] {
  const rows: LatencyRow[] = [];
  const all: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  for (const replica of new Set(logs.map((l) => l.replica))) {
    const values: number[] = [];
    for (const l of logs.filter((x) => x.replica === replica)) {
      for (const [key, t0] of sent) {
        const r = l.seen.get(key);
        if (!r) continue;
        values.push(r.at.mono - t0.mono);
        before.push(r.stampedMs - t0.wall);
        after.push(r.at.wall - r.stampedMs);
      }
    }
    all.push(...values);
    rows.push({
      label: `streams on ${replica}`,
      expected: sent.size * perReplica,
      summary: summarize(values),
    });
  }
  const expected = sent.size * logs.length;
  rows.push({ label: "**all streams**", expected, summary: summarize(all) });
  rows.push({ label: `↳ call start → ${stampLabel}`, expected, summary: summarize(before) });
  rows.push({ label: `↳ ${stampLabel} → on the stream`, expected, summary: summarize(after) });
  return rows;
}

function stampOf(t: { seconds: bigint; nanos: number } | undefined): number {
  return t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : Number.NaN;
}

const REPLICAS = (taskA: number, taskB: number) =>
  [
    ["A (writer's replica)", taskA],
    ["B (other replica)", taskB],
  ] as const;

async function watchPhase(
  identity: number,
  taskA: number,
  taskB: number,
  meter: CpuMeter,
): Promise<WatchResult> {
  const user = await signUp(identity, "watch");
  const writer = createClient(TaskService, transport(taskA, user.token));
  const taskCount = Math.min(20, options.watchUpdates);
  const ids: string[] = [];
  for (let i = 0; i < taskCount; i++) {
    const res = await writer.createTask({ task: { title: `bench watch target ${i}`, timeZone: "UTC" } });
    ids.push(res.task?.id as string);
  }

  const logs: StreamLog<number>[] = [];
  const watchers: Watcher[] = [];
  for (const [replica, port] of REPLICAS(taskA, taskB)) {
    for (let s = 0; s < options.watchers; s++) {
      const entry: StreamLog<number> = { replica, seen: new Map() };
      logs.push(entry);
      const client = createClient(TaskService, transport(port, user.token));
      watchers.push(
        openWatcher(replica, client, (change, at) => {
          const seq = WATCH_TITLE.exec(change.task?.title ?? "")?.[1];
          if (change.type === ChangeType.UPDATED && seq !== undefined && !entry.seen.has(Number(seq))) {
            entry.seen.set(Number(seq), { at, stampedMs: stampOf(change.changeTime) });
          }
        }),
      );
    }
  }
  const update = (seq: number) =>
    writer.updateTask({
      task: { id: ids[seq % ids.length] as string, title: `bench watch ${seq}` },
      updateMask: { paths: ["title"] },
    });

  // Warm-up (not measured): until every stream has seen a change, so each is registered on its server.
  let seq = 0;
  const live = await waitUntil(
    async () => {
      await update(seq++);
      await Bun.sleep(200);
      return logs.every((l) => l.seen.size > 0);
    },
    30_000,
    0,
  );
  if (!live) throw new Error("WatchTasks streams saw no change within 30 s of warm-up updates");
  for (let i = 0; i < 10; i++) await update(seq++);
  await Bun.sleep(1000);
  const first = seq;
  const sent = new Map<number, Arrival>();
  const rpc: number[] = [];
  log(
    `watch: ${watchers.length} streams; ${options.watchUpdates} updates at ${options.watchRate}/s through task A`,
  );
  const stopCpu = meter.start();
  await paced(options.watchUpdates, options.watchRate, async (i) => {
    const t0 = { mono: performance.now(), wall: Date.now() };
    sent.set(first + i, t0);
    await update(first + i);
    rpc.push(performance.now() - t0.mono);
  });
  await waitUntil(() => logs.every((l) => [...sent.keys()].every((s) => l.seen.has(s))), 10_000);
  const cpu = stopCpu();
  for (const w of watchers) w.close();
  return {
    streams: watchers.length,
    updates: options.watchUpdates,
    rate: options.watchRate,
    rows: streamRows(logs, sent, options.watchers, "change stamped (change_time)"),
    rpc: summarize(rpc),
    cpu,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase: recurring task → next instance

async function recurringPhase(
  identity: number,
  taskA: number,
  taskB: number,
  meter: CpuMeter,
): Promise<RecurringResult> {
  const user = await signUp(identity, "recurring");
  const writer = createClient(TaskService, transport(taskA, user.token));
  const logs: (StreamLog<string> & { created: Set<string> })[] = [];
  const watchers: Watcher[] = [];
  for (const [replica, port] of REPLICAS(taskA, taskB)) {
    for (let s = 0; s < options.watchers; s++) {
      const entry = { replica, seen: new Map<string, Receipt>(), created: new Set<string>() };
      logs.push(entry);
      const client = createClient(TaskService, transport(port, user.token));
      watchers.push(
        openWatcher(replica, client, (change, at) => {
          const task = change.task;
          if (change.type !== ChangeType.CREATED || !task) return;
          if (task.id === task.seriesId) entry.created.add(task.id);
          else if (!entry.seen.has(task.seriesId)) {
            entry.seen.set(task.seriesId, { at, stampedMs: stampOf(task.createTime) });
          }
        }),
      );
    }
  }
  await Bun.sleep(500);
  const due = new Date();
  due.setUTCDate(due.getUTCDate() + 1);
  due.setUTCHours(9, 0, 0, 0);
  const ids: string[] = [];
  await pooled(options.recurring, 8, async (i) => {
    const res = await writer.createTask({
      task: {
        title: `bench series ${i}`,
        dueTime: timestampFromDate(due),
        timeZone: "UTC",
        recurrence: { rrule: "FREQ=DAILY", anchor: RecurrenceAnchor.SCHEDULE },
      },
    });
    ids.push(res.task?.id as string);
  });
  // The first instances' CREATED changes prove every stream is registered before anything is timed.
  const live = await waitUntil(() => logs.every((e) => ids.every((id) => e.created.has(id))), 30_000);
  if (!live) throw new Error("WatchTasks streams did not see the recurring tasks being created");
  await Bun.sleep(1000);
  log(`recurring: completing ${ids.length} daily tasks at ${options.recurringRate}/s through task A`);
  const sent = new Map<string, Arrival>();
  const rpc: number[] = [];
  const stopCpu = meter.start();
  await paced(ids.length, options.recurringRate, async (i) => {
    const id = ids[i] as string;
    const t0 = { mono: performance.now(), wall: Date.now() };
    sent.set(id, t0);
    await writer.completeTask({ id });
    rpc.push(performance.now() - t0.mono);
  });
  await waitUntil(() => logs.every((e) => ids.every((id) => e.seen.has(id))), 30_000);
  const cpu = stopCpu();
  for (const w of watchers) w.close();
  return {
    streams: watchers.length,
    completions: ids.length,
    rate: options.recurringRate,
    rows: streamRows(logs, sent, options.watchers, "next instance created (its create_time)"),
    rpc: summarize(rpc),
    cpu,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase: reminder lateness

/** How many of the user's reminder occurrences the scheduler has marked fired. */
async function scheduledOrFired(sql: postgres.Sql, userId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from scheduler.reminders where user_id = ${userId}::uuid and fired`;
  return row?.n ?? 0;
}

/**
 * Where reminders got stuck on their way to the scheduler: the user's tasks with reminders, the task
 * service's unpublished outbox rows, what the scheduler stored, and the dead-letter topics' sizes.
 */
async function setupDiagnostics(sql: postgres.Sql, kafka: Kafka, userId: string): Promise<string> {
  const [c] = await sql<
    {
      tasks: number;
      outbox: number;
      outbox_task_events: number;
      sched_tasks: number;
      sched_reminders: number;
      fired: number;
      processed: number;
      sched_outbox: number;
    }[]
  >`
    select
      (select count(*)::int from task.tasks where user_id = ${userId}::uuid
         and jsonb_array_length(reminders) > 0) as tasks,
      (select count(*)::int from task.outbox) as outbox,
      (select count(*)::int from task.outbox where topic = 'task-events') as outbox_task_events,
      (select count(*)::int from scheduler.tasks where user_id = ${userId}::uuid) as sched_tasks,
      (select count(*)::int from scheduler.reminders where user_id = ${userId}::uuid) as sched_reminders,
      (select count(*)::int from scheduler.reminders where user_id = ${userId}::uuid and fired) as fired,
      (select count(*)::int from scheduler.processed_events) as processed,
      (select count(*)::int from scheduler.outbox) as sched_outbox`;
  const admin = kafka.admin();
  const dlq: string[] = [];
  try {
    await admin.connect();
    for (const topic of ["task-events.dlq", "reminders.dlq"]) {
      const offsets = await admin.fetchTopicOffsets(onBroker(topic)).catch(() => []);
      dlq.push(`${topic} ${offsets.reduce((s, p) => s + Number(p.high), 0)}`);
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  return (
    `${c?.tasks} tasks with reminders; task outbox ${c?.outbox} rows (${c?.outbox_task_events} task-events); ` +
    `scheduler: ${c?.sched_tasks} tasks, ${c?.sched_reminders} reminders (${c?.fired} fired), ` +
    `${c?.processed} processed events, outbox ${c?.sched_outbox} rows; dead letters: ${dlq.join(", ")}`
  );
}

interface ReminderSeen {
  fireMs: number;
  ceMs: number;
  recordMs: number;
  receivedMs: number;
}

async function remindersPhase(
  identity: number,
  taskPorts: readonly number[],
  db: BenchDatabase,
  brokers: string,
  meter: CpuMeter,
): Promise<ReminderResult> {
  const user = await signUp(identity, "reminders");
  const notes: string[] = [];
  const clients = Array.from({ length: Math.max(2, Math.ceil(options.createConcurrency / 4)) }, (_, i) =>
    createClient(TaskService, transport(taskPorts[i % taskPorts.length] as number, user.token)),
  );
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });

  // Our own consumer of `reminders`, joined before anything can fire.
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
  await consumer.subscribe({ topic: onBroker("reminders"), fromBeginning: false });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: async ({ message }) => {
      const receivedMs = Date.now();
      const header = message.headers?.ce_time;
      const ceTime = Array.isArray(header) ? header[0] : header;
      if (!message.value || ceTime === undefined) return;
      const due = fromBinary(ReminderDueSchema, message.value);
      if (due.userId !== user.id || !due.fireTime) return;
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

  try {
    // Pilot: plain tasks (no reminder) to learn the creation rate, which sets the window's start. The
    // first 100 only warm the services up; the next 300 are timed.
    const plain = (from: number, count: number) =>
      pooled(count, options.createConcurrency, async (i, w) => {
        await (clients[w % clients.length] as Tasks).createTask({
          task: { title: `bench pilot ${from + i}`, timeZone: "UTC" },
        });
      });
    await plain(0, 100);
    const tPilot = performance.now();
    await plain(100, 300);
    const pilotRate = 300 / ((performance.now() - tPilot) / 1000);
    const taskCount = Math.ceil(options.reminders / options.remindersPerTask);
    // The scheduler stores the jobs a little behind the creation; budget 1.5 times the pilot's pace.
    const estimateS = (taskCount / pilotRate) * 1.5;
    const leadS = options.leadS ?? Math.ceil(estimateS + options.slackS);
    const createStart = Date.now();
    const windowStart = createStart + leadS * 1000;
    const windowMs = options.windowS * 1000;
    const windowEnd = windowStart + windowMs;
    log(
      `reminders: pilot ${pilotRate.toFixed(0)} CreateTask/s; creating ${taskCount} tasks with ` +
        `${options.reminders} reminders due from +${leadS} s over ${options.windowS} s`,
    );
    let made = 0;
    await pooled(taskCount, options.createConcurrency, async (t, w) => {
      const reminders = [];
      for (let r = 0; r < options.remindersPerTask; r++) {
        // Spread each task's reminders over the window: reminder r of task t is the k-th to fall due.
        const k = r * taskCount + t;
        if (k >= options.reminders) break;
        const at = new Date(windowStart + Math.floor((k * windowMs) / options.reminders));
        reminders.push({ trigger: { case: "at" as const, value: timestampFromDate(at) } });
      }
      await (clients[w % clients.length] as Tasks).createTask({
        task: { title: `bench reminder task ${t}`, timeZone: "UTC", reminders },
      });
      if (++made % 2000 === 0) log(`reminders: ${made} tasks created`);
    });
    const createSeconds = (Date.now() - createStart) / 1000;
    const scheduled = async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from scheduler.jobs where name like 'reminder/%'`;
      return row?.n ?? 0;
    };
    await waitUntil(
      async () => (await scheduled()) >= options.reminders,
      Math.max(0, windowStart - Date.now()),
      200,
    );
    const setupEnd = Date.now();
    const scheduledAtSetup = await scheduled();
    if (scheduledAtSetup < options.reminders) {
      const why = await setupDiagnostics(sql, kafka, user.id);
      log(`reminders: only ${scheduledAtSetup} of ${options.reminders} jobs stored at the window; ${why}`);
      notes.push(
        `At the window's start only ${scheduledAtSetup} of ${options.reminders} reminder jobs were stored: ${why}`,
      );
    }
    const slackSeconds = (windowStart - setupEnd) / 1000;
    log(
      `reminders: created in ${createSeconds.toFixed(1)} s (${(taskCount / createSeconds).toFixed(0)}/s); ` +
        `${scheduledAtSetup} jobs scheduled ${slackSeconds.toFixed(1)} s before the window`,
    );
    if (slackSeconds < 5)
      log("reminders: WARNING the set-up ran into the window; raise --lead or lower --reminders");
    await Bun.sleep(Math.max(0, windowStart - Date.now() - 2000));
    const scheduledAtWindow = await scheduled();
    const stopCpu = meter.start();
    const notified = async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from notification.notifications where user_id = ${user.id}::uuid`;
      return row?.n ?? 0;
    };
    let lastLog = Date.now();
    await waitUntil(
      async () => {
        const n = await notified();
        if (Date.now() - lastLog > 5000) {
          lastLog = Date.now();
          log(`reminders: ${seen.size} on Kafka, ${n} notifications`);
        }
        return seen.size >= options.reminders && n >= options.reminders;
      },
      windowEnd + 60_000 - Date.now(),
      200,
    );
    const cpu = stopCpu();
    const firedTotal = await scheduledOrFired(sql, user.id);
    if (seen.size < options.reminders) {
      const why = await setupDiagnostics(sql, kafka, user.id);
      log(`reminders: only ${seen.size} of ${options.reminders} fired; ${why}`);
      notes.push(
        `Only ${seen.size} of ${options.reminders} reminders reached Kafka by the deadline ` +
          `(${firedTotal} occurrences marked fired by the scheduler): ${why}`,
      );
    }

    const notifications = await sql<{ fire_ms: number; create_ms: number }[]>`
      select extract(epoch from fire_time)::float8 * 1000 as fire_ms,
             extract(epoch from create_time)::float8 * 1000 as create_ms
      from notification.notifications where user_id = ${user.id}::uuid`;
    const values = [...seen.values()];
    /** A stage's row from (due, happened) pairs in epoch ms. */
    const row = (label: string, pairs: readonly (readonly [number, number])[]): LatencyRow => {
      const lateness = pairs.map(([due, at]) => at - due);
      const times = pairs.map(([, at]) => at);
      const span = times.length > 1 ? Math.max(...times) - Math.min(...times) : Number.NaN;
      return {
        label,
        expected: options.reminders,
        summary: summarize(lateness),
        early: lateness.filter((v) => v < 0).length,
        rate: ((times.length - 1) / span) * 1000,
      };
    };
    return {
      reminders: options.reminders,
      tasks: taskCount,
      createRate: taskCount / createSeconds,
      createSeconds,
      setupSeconds: (setupEnd - createStart) / 1000,
      slackSeconds,
      scheduledAtWindow,
      windowS: options.windowS,
      duplicates,
      notes,
      rows: [
        row(
          "due (fire_time)",
          values.map((v) => [v.fireMs, v.fireMs]),
        ),
        row(
          "job fired (ce_time)",
          values.map((v) => [v.fireMs, v.ceMs]),
        ),
        row(
          "**ReminderDue on Kafka** (record timestamp)",
          values.map((v) => [v.fireMs, v.recordMs]),
        ),
        row(
          "received by a consumer (the benchmark's own)",
          values.map((v) => [v.fireMs, v.receivedMs]),
        ),
        row(
          "**notification written** (create_time)",
          notifications.map((n) => [n.fire_ms, n.create_ms]),
        ),
      ],
      cpu,
    };
  } finally {
    await consumer.disconnect().catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function allStreams(rows: readonly LatencyRow[]): LatencyRow {
  return rows.find((r) => r.label === "**all streams**") as LatencyRow;
}

/** CPU seconds a relay run cost: the relay (this process), the broker and the database. */
function relayCpu(cpu: CpuReport): number {
  return (cpu.byLabel.bench ?? 0) + (cpu.byLabel.kafka ?? 0) + (cpu.byLabel.postgres ?? 0);
}

function verdict(ok: boolean, detail: string): string {
  return `${ok ? "✅ met" : "❌ missed"} (${detail})`;
}

function latencyTable(rows: readonly LatencyRow[], reminders: boolean): string {
  return table(
    [
      reminders ? "stage (lateness = its time − fire_time)" : "measured",
      "samples / expected",
      ...(reminders ? ["early"] : []),
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "max ms",
      ...(reminders ? ["stage rate /s"] : []),
    ],
    rows.map((r) => [
      r.label,
      `${r.summary.count} / ${r.expected}`,
      ...(reminders ? [String(r.early ?? 0)] : []),
      ms(r.summary.p50),
      ms(r.summary.p95),
      ms(r.summary.p99),
      ms(r.summary.max),
      ...(reminders ? [r.rate === undefined || Number.isNaN(r.rate) ? "–" : r.rate.toFixed(0)] : []),
    ]),
  );
}

function cpuLine(cpu: CpuReport): string {
  const parts = Object.entries(cpu.byLabel)
    .filter(([, s]) => s >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([label, s]) => `${label} ${s.toFixed(1)}`);
  return (
    `CPU seconds over ${cpu.seconds.toFixed(1)} s: ${parts.join(", ")}, everything else on the machine ` +
    `${cpu.other.toFixed(1)}; the machine was ${((cpu.busyCores / 2) * 100).toFixed(0)} % busy ` +
    `(${cpu.busyCores.toFixed(2)} of its cores).`
  );
}

interface Report {
  idle?: CpuReport;
  reminders?: ReminderResult;
  watch?: WatchResult;
  recurring?: RecurringResult;
  outbox: OutboxResult[];
  failures: string[];
}

function renderResults(r: Report): { body: string; summary: string } {
  const out: string[] = [];
  const summaryRows: string[][] = [];
  if (r.reminders) {
    const x = r.reminders;
    const kafkaRow = x.rows[2] as LatencyRow;
    const notifRow = x.rows[4] as LatencyRow;
    const ok = (row: LatencyRow) =>
      row.summary.p99 <= 1000 && (row.early ?? 0) === 0 && row.summary.count === row.expected;
    summaryRows.push(
      [
        "Reminder lateness, ReminderDue on Kafka",
        "p99 ≤ 1 s, never early",
        `p99 ${ms(kafkaRow.summary.p99)} ms, ${kafkaRow.early} early, ${kafkaRow.summary.count}/${kafkaRow.expected}`,
        verdict(ok(kafkaRow), `${x.reminders} pending`),
      ],
      [
        "Reminder lateness, notification in the inbox",
        "p99 ≤ 1 s, never early",
        `p99 ${ms(notifRow.summary.p99)} ms, ${notifRow.early} early, ${notifRow.summary.count}/${notifRow.expected}`,
        verdict(ok(notifRow), "end to end"),
      ],
    );
    out.push(
      "### Reminder lateness (fired − due)",
      "",
      `${x.reminders} reminders on ${x.tasks} tasks (created through the API at ${x.createRate.toFixed(0)} tasks/s ` +
        `in ${x.createSeconds.toFixed(1)} s), due evenly over ${x.windowS} s ` +
        `(${(x.reminders / x.windowS).toFixed(0)} per second); ${x.scheduledAtWindow} jobs were pending when the ` +
        `window opened; ${x.scheduledAtWindow >= x.reminders ? `the set-up ended ${x.slackSeconds.toFixed(1)} s before it` : "the set-up had not ended by then"}. Duplicates on Kafka: ${x.duplicates}.`,
      "",
      latencyTable(x.rows, true),
      "",
      ...x.notes.flatMap((n) => [`**Note:** ${n}`, ""]),
      '"Stage rate" is how many reminders per second went through the stage while it was busy (count − 1 ' +
        "over the time from its first to its last event): a stage slower than the due rate is where the " +
        "backlog, and so the lateness, builds up.",
      "",
      cpuLine(x.cpu),
      "",
    );
  }
  if (r.watch) {
    const x = r.watch;
    const all = allStreams(x.rows);
    const cross = x.rows[1] as LatencyRow;
    summaryRows.push([
      "Task change → WatchTasks through Kafka",
      "p99 ≤ 250 ms",
      `p99 ${ms(all.summary.p99)} ms (other replica ${ms(cross.summary.p99)} ms), ${all.summary.count}/${all.expected}`,
      verdict(all.summary.p99 <= 250 && all.summary.count === all.expected, `${x.streams} streams`),
    ]);
    out.push(
      "### Task change → WatchTasks subscriber",
      "",
      `${x.updates} UpdateTask calls at ${x.rate}/s to task replica A, each seen by ${x.streams} streams ` +
        `(${x.streams / 2} on A, ${x.streams / 2} on B); UpdateTask itself took p50 ${ms(x.rpc.p50)} / p99 ` +
        `${ms(x.rpc.p99)} ms.`,
      "",
      latencyTable(x.rows, false),
      "",
      cpuLine(x.cpu),
      "",
    );
  }
  if (r.recurring) {
    const x = r.recurring;
    const all = allStreams(x.rows);
    summaryRows.push([
      "Complete recurring task → next instance on WatchTasks",
      "p99 ≤ 500 ms",
      `p99 ${ms(all.summary.p99)} ms, ${all.summary.count}/${all.expected}`,
      verdict(all.summary.p99 <= 500 && all.summary.count === all.expected, `${x.completions} completions`),
    ]);
    out.push(
      "### Completing a recurring task → next instance",
      "",
      `${x.completions} daily tasks completed at ${x.rate}/s through replica A; each next instance's CREATED ` +
        `change seen by ${x.streams} streams. CompleteTask itself took p50 ${ms(x.rpc.p50)} / p99 ` +
        `${ms(x.rpc.p99)} ms.`,
      "",
      latencyTable(x.rows, false),
      "",
      cpuLine(x.cpu),
      "",
    );
  }
  if (r.outbox.length > 0) {
    for (const x of r.outbox) {
      const rate = x.drained / x.drainSeconds;
      summaryRows.push([
        `Outbox relay → Kafka${r.outbox.length > 1 ? ` (${x.label})` : ""}`,
        "≥ 2 000 events/s",
        `${rate.toFixed(0)} events/s`,
        verdict(rate >= 2000 && x.remaining === 0, `${x.events} events`),
      ]);
    }
    out.push(
      "### Outbox relay throughput",
      "",
      table(
        [
          "relay",
          "events (keys)",
          "batch",
          "insert s",
          "drain s",
          "events/s",
          "left",
          "on Kafka",
          "publish calls",
          "mean publish ms",
          "publishing share",
          "CPU ms / 1000 events",
        ],
        r.outbox.map((x) => [
          x.label,
          `${x.events} (${x.keys})`,
          x.batchSize === undefined ? "default" : String(x.batchSize),
          x.insertSeconds.toFixed(1),
          x.drainSeconds.toFixed(1),
          (x.drained / x.drainSeconds).toFixed(0),
          String(x.remaining),
          String(x.onKafka),
          String(x.publishCalls),
          ms(x.publishMeanMs),
          `${(x.publishBusyShare * 100).toFixed(0)} %`,
          ((relayCpu(x.cpu) / Math.max(1, x.drained)) * 1e6).toFixed(0),
        ]),
      ),
      "",
      '"Publishing share" is the part of the drain time during which at least one publish call was in ' +
        'flight; the rest is the relay\'s own SQL (claim, delete) and scheduling. "CPU ms / 1000 events" ' +
        "adds up the CPU time of the relay's process, the broker and this run's PostgreSQL backends: unlike " +
        "events/s it hardly depends on what else the machine was doing, so it compares relays fairly.",
      "",
      ...r.outbox.map((x) => `- ${x.label}: ${cpuLine(x.cpu)}`),
      "",
    );
  }
  if (r.idle) {
    out.push("### The system at rest", "", `With every service up and no request: ${cpuLine(r.idle)}`, "");
  }
  if (r.failures.length > 0) {
    out.push("### Phases that failed", "", ...r.failures.map((f) => `- ${f}`), "");
  }
  const summary = table(["target (issue 3 §6)", "goal", "measured", "verdict"], summaryRows);
  return { body: out.join("\n"), summary };
}

const ANALYSIS_START = "<!-- analysis:start -->";
const ANALYSIS_END = "<!-- analysis:end -->";

function keptAnalysis(): string {
  const placeholder = `${ANALYSIS_START}\n_No analysis written yet._\n${ANALYSIS_END}`;
  if (!existsSync(options.out)) return placeholder;
  const text = readFileSync(options.out, "utf8");
  const a = text.indexOf(ANALYSIS_START);
  const b = text.indexOf(ANALYSIS_END);
  return a >= 0 && b > a ? text.slice(a, b + ANALYSIS_END.length) : placeholder;
}

function renderDoc(
  results: { body: string; summary: string },
  m: ReturnType<typeof machineInfo>,
  cmd: string,
) {
  return `# Event-path benchmarks (issue 3 §6)

Measured by \`bun run bench:events\` (\`bench/events.ts\`); the tables below are rewritten by each run, the
analysis section is kept. The API benchmark is in [benchmarks.md](benchmarks.md).

## Machine and versions

| | |
|---|---|
| date | ${m.date} |
| CPU | ${m.cpu} |
| cores (\`nproc\`) | ${m.cores} |
| memory | ${m.memory} |
| OS | ${m.os} |
| Bun | ${m.bun} |
| PostgreSQL | ${m.postgres} |
| Kafka | ${m.kafka} |
| kafkajs | ${m.kafkajs} |
| load average at the start (1/5/15 min) | ${m.loadAverage} |
| command | \`${cmd}\` |

The machine is shared: other people's builds, tests and benchmarks may run at the same time. Each phase
reports how many CPU seconds each process of this run used and how busy the whole machine was, so
a number measured on a crowded machine can be told apart.

## Summary

${results.summary}

## How it is measured

- **System**: a fresh PostgreSQL database; ${options.kafka === "private" ? "a private single-node Kafka started for the run (the `infra:up` component on free ports: the services' consumer groups have fixed names, so a shared broker would mix this run with other checkouts' services)" : "the shared Kafka broker of `.infra/env`"}; every service as its own
  process (\`bun services/<svc>/src/main.ts\`, as \`start:services\` runs them): identity, tag, scheduler,
  notification, and **two task-service processes** (A and B) on the same database and Kafka. Topics
  have 3 partitions. Clients are gRPC over h2c (connect-node), each on its own HTTP/2 connection.
- **Reminders**: tasks with absolute reminders are created through CreateTask on both task replicas; the
  reminders fall due evenly over a window that opens after the set-up has ended (the scheduler has
  stored every job), so the whole backlog is pending when firing starts. A kafkajs consumer of the
  benchmark's own reads \`reminders\`. *Lateness* = a timestamp − \`ReminderDue.fire_time\`, where the
  timestamp is: \`ce_time\` (when the scheduler's job ran, inside its firing transaction), the Kafka
  **record timestamp** (set by the producer when the relay sent the event: the reminder is *fired* —
  this is the number held to the target), the benchmark consumer's receipt, and
  \`notification.notifications.create_time\` (the inbox entry, what a user sees; PostgreSQL's
  \`now()\` at the start of the consumer's transaction). All clocks are this machine's. *Early* counts
  negative lateness; the target wants none.
- **WatchTasks**: streams open on both task replicas for one user; UpdateTask calls (title changes)
  go to replica A on another connection at a fixed rate (open loop); latency = UpdateTask call start →
  the UPDATED change arrives on a stream, per stream. Every change goes through the outbox, Kafka
  (\`task-updates\`) and each replica's consumer, so replica B's numbers are cross-replica delivery.
- **Recurring**: daily tasks (FREQ=DAILY, SCHEDULE anchor) are completed through replica A at a fixed
  rate; latency = CompleteTask call start → the CREATED change of the next instance (same
  \`series_id\`) on a stream. The path: task outbox → \`task-events\` → scheduler consumer → job
  \`next/<task>\` → TaskService.CreateTask (replica A) → outbox → \`task-updates\` → streams.
- **Outbox relay**: rows are inserted with \`enqueueEvent\` in transactions of 5 000 into a schema of their
  own while no relay runs; then one relay (\`startOutboxRelay\`, its defaults unless \`--outbox-batch\`)
  publishes them through \`createKafkaBus\` (idempotent producer, \`acks=all\`) to a topic of the
  run; events/s = rows / time until the outbox table is empty. The records that reached the topic
  are counted from its offsets. This phase runs before the services start.
- The \`↳\` rows split the total at the moment the service stamped the change (\`change_time\`, or the
  next instance's \`create_time\`): before it is the API call, after it the outbox, Kafka and the stream.
- Percentiles are nearest-rank over all samples.

## Results

${results.body}
## Analysis

${keptAnalysis()}
`;
}

// ---------------------------------------------------------------------------------------------
// Main

const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const sm of sessions) sm.abort();
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup: ${String(err)}`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().then(() => process.exit(130));
  });
}

const report: Report = { outbox: [], failures: [] };
let machine: ReturnType<typeof machineInfo> | undefined;
let fatal: unknown;
try {
  const adminUrl = options.databaseUrl as string;
  const probe = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const [{ server_version: pgVersion } = { server_version: "unknown" }] = await probe<
    { server_version: string }[]
  >`show server_version`;
  await probe.end({ timeout: 5 });
  machine = machineInfo(`PostgreSQL ${pgVersion}`, root);
  log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, load ${machine.loadAverage}`);

  let broker: BenchKafka;
  if (options.kafka === "private") {
    log("starting a private Kafka broker");
    broker = await startPrivateKafka(log);
    cleanups.push(() => broker.stop());
  } else {
    broker = { brokers: sharedBrokers as string, pid: undefined, private: false, stop: async () => {} };
  }
  log(`Kafka at ${broker.brokers}`);
  if (flags["kafka-clients"]) {
    const raw = flags["kafka-clients"] === "all" ? KAFKA_CLIENTS.join(",") : flags["kafka-clients"];
    const clients = raw.split(",").map((c) => {
      if (!(KAFKA_CLIENTS as readonly string[]).includes(c)) {
        throw new Error(`unknown Kafka client ${c} (known: ${KAFKA_CLIENTS.join(", ")})`);
      }
      return c as (typeof KAFKA_CLIENTS)[number];
    });
    const n = intOption(flags["kafka-clients-messages"], "BENCH_KAFKA_CLIENTS_MESSAGES", 20_000, 100);
    const partitions = Number(process.env.KAFKA_PARTITIONS ?? 3);
    const results = await kafkaClientsPhase(
      broker.brokers.split(","),
      clients,
      n,
      100,
      partitions,
      topicPrefix,
      log,
    );
    console.log(`## Kafka clients (${n} records each, ${partitions} partitions, acks=all, batches of 100)\n`);
    console.log(kafkaClientsTable(results));
    await cleanup();
    process.exit(0);
  }
  const db = await createFreshDatabase(adminUrl, "todo_bench_events");
  log(`database ${db.name}`);
  if (!options.keep) cleanups.push(() => db.drop());
  const meter = new CpuMeter(db.name);
  meter.track("kafka", broker.pid);

  if (options.phases.has("outbox")) {
    await waitForQuiet(meter, "outbox");
    try {
      report.outbox.push(await outboxPhase("current", undefined, db, broker.brokers, meter, 1));
      if (options.outboxCompare) {
        await waitForQuiet(meter, "outbox (compare)");
        report.outbox.push(
          await outboxPhase(
            `from ${options.outboxCompare}`,
            options.outboxCompare,
            db,
            broker.brokers,
            meter,
            2,
          ),
        );
      }
    } catch (err) {
      log(`outbox phase failed: ${String(err)}`);
      report.failures.push(`outbox: ${String(err)}`);
    }
  }

  const needServices = ["watch", "recurring", "reminders"].some((p) => options.phases.has(p as Phase));
  if (needServices) {
    const logDir = mkdtempSync(join(os.tmpdir(), "todo-bench-events-logs-"));
    if (!options.keep) cleanups.push(async () => rmSync(logDir, { recursive: true, force: true }));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && !k.startsWith("OTEL_") && !k.startsWith("BENCH_")) env[k] = v;
    }
    Object.assign(env, {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers,
      JWT_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url"),
      HOST: "127.0.0.1",
    });
    const services: ServiceProcess[] = [];
    const start = async (service: string, label: string, extra: Record<string, string> = {}) => {
      const p = await startService(options.servicesRoot, service, label, { ...env, ...extra }, logDir);
      services.push(p);
      cleanups.push(() => p.stop());
      meter.track(label, p.pid);
      return p;
    };
    log("starting the services (identity, task A, task B, tag, scheduler, notification)");
    // One after another: migrations take an advisory lock, and Kafka topic creation races otherwise.
    const identity = await start("identity", "identity");
    // The others check tokens' sessions with identity (docs/identity.md).
    env.IDENTITY_SERVICE_URL = `http://127.0.0.1:${identity.grpcPort}`;
    const taskA = await start("task", "task-a");
    const taskB = await start("task", "task-b");
    await start("tag", "tag");
    await start("scheduler", "scheduler", { TASK_SERVICE_URL: `http://127.0.0.1:${taskA.grpcPort}` });
    await start("notification", "notification");
    log(`services up; logs in ${logDir}; measuring 5 s at rest`);
    await Bun.sleep(2000);
    const stopIdle = meter.start();
    await Bun.sleep(5000);
    report.idle = stopIdle();

    const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        log(`${name} phase failed: ${String(err)}`);
        report.failures.push(`${name}: ${String(err)}`);
        return undefined;
      }
    };
    if (options.phases.has("watch")) {
      await waitForQuiet(meter, "watch");
      report.watch = await attempt("watch", () =>
        watchPhase(identity.grpcPort, taskA.grpcPort, taskB.grpcPort, meter),
      );
    }
    if (options.phases.has("recurring")) {
      await waitForQuiet(meter, "recurring");
      report.recurring = await attempt("recurring", () =>
        recurringPhase(identity.grpcPort, taskA.grpcPort, taskB.grpcPort, meter),
      );
    }
    if (options.phases.has("reminders")) {
      await waitForQuiet(meter, "reminders");
      report.reminders = await attempt("reminders", () =>
        remindersPhase(identity.grpcPort, [taskA.grpcPort, taskB.grpcPort], db, broker.brokers, meter),
      );
    }
  }
} catch (err) {
  fatal = err;
} finally {
  await cleanup();
}

if (fatal) {
  console.error(fatal);
  process.exit(1);
}
const results = renderResults(report);
const cmd = ["bun", "bench/events.ts", ...Bun.argv.slice(2)].join(" ");
console.log(`\n## Summary\n\n${results.summary}\n\n## Results\n\n${results.body}`);
if (options.write && machine) {
  writeFileSync(options.out, renderDoc(results, machine, cmd));
  log(`wrote ${options.out}`);
}
log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(report.failures.length > 0 ? 1 : 0);
