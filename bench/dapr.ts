/**
 * The Dapr sidecar's overhead (`bun bench/dapr.ts`, issue 5 "Measure"): the same services measured
 * with and without Dapr, on a real PostgreSQL and a real Apache Kafka. The report is printed as
 * markdown and written into the "Dapr sidecar overhead" section of `docs/benchmarks.md`, between the
 * `dapr:start`/`dapr:end` markers (the rest of that section — its analysis — is kept).
 *
 * Phases (`--phases`), in this order; the two systems never run at the same time (the Dapr system
 * first, unless `--direct-first`):
 *   invocation  In a `DaprTestSystem` (the Dapr scheduler and every service beside a real `daprd`):
 *               a unary `TaskService.GetTask` of an existing task, authenticated as its owner, over
 *               three paths, with the same client (connect-node's gRPC transport, built by
 *               `@todo/platform/serving` (clients.ts) exactly as the services build theirs):
 *                 direct         h2c to the task app's gRPC port;
 *                 one sidecar    the task app's own sidecar's gRPC API with `dapr-app-id: task`
 *                                (sidecar → app), to split the cost per hop;
 *                 two sidecars   the *scheduler's* sidecar (`daprServiceTarget`): caller's sidecar →
 *                                callee's sidecar → app, the path the scheduler and the assistant use.
 *               After a warm-up, `--calls` sequential calls per path, then `--concurrent-calls` per
 *               path with `--concurrency` in flight on one HTTP/2 connection. The paths take turns in
 *               blocks of `--block` calls, the first path of each round rotating, so drift in the
 *               shared machine's load falls on every path alike. CPU time of each process, from /proc.
 *   pubsub      Publish → deliver: a committed task change reaching an open WatchTasks stream. The task
 *               service writes `TaskChanged` to its outbox in the transaction of the change; its relay
 *               publishes it to `task-updates`, which every task replica consumes to feed its streams:
 *                 Dapr           the same `DaprTestSystem`: the relay publishes through the sidecar
 *                                (Dapr pub/sub, Kafka component), the sidecar's `pubsub-broadcast`
 *                                subscription delivers to the app's gRPC callback;
 *                 direct Kafka   a `TestSystem` (every service but the assistant, no Dapr): kafkajs.
 *               `UpdateTask` calls (straight to the task app in both systems) at `--rate`/s for
 *               `--duration` s, after an unmeasured warm-up; one stream, on its own connection.
 *               Latencies to the change's arrival on the stream, from: its `change_time` (stamped in
 *               the transaction that commits it), the call's answer (after the commit), its start;
 *               our own kafkajs consumers of `task-updates` and `task-events` split the path at the
 *               record's broker timestamp (publish | deliver).
 *
 * Options (flag or environment variable, default):
 *   --phases / BENCH_PHASES (invocation,pubsub)
 *   --calls / BENCH_CALLS (2000)                      sequential calls per invocation path
 *   --concurrent-calls / BENCH_CONCURRENT_CALLS (4000)  concurrent-run calls per invocation path
 *   --concurrency / BENCH_CONCURRENCY (16)            calls in flight in the concurrent run
 *   --block / BENCH_BLOCK (250)                       calls of one path before the next path's turn
 *   --warmup / BENCH_WARMUP (300)                     unmeasured calls per path (and per load) first
 *   --rate / BENCH_RATE (20)                          UpdateTask calls per second in the pubsub phase
 *   --duration / BENCH_DURATION (30)                  seconds of measured updates per system
 *   --quiet-wait / BENCH_QUIET_WAIT (60)              before each phase, wait up to this many seconds …
 *   --quiet-cores / BENCH_QUIET_CORES (0.6)           … until the whole machine is busy below this many
 *                                                     cores (the idle systems included); then measure anyway
 *   --direct-first                                    run the system without Dapr first (default: Dapr first)
 *   --out (docs/benchmarks.md)                        where the section goes; `--no-write` only prints
 *
 * Needs `DATABASE_URL` (an admin URL: fresh databases are created and dropped) and `KAFKA_BROKERS`
 * (`export $(cat .infra/env | xargs)` after `bun scripts/infra.ts up`); the Dapr binaries are built
 * or taken from the cache by the harness. Progress goes to stderr, the report to stdout.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { TaskUpdatedSchema } from "@todo/gen/todo/events/v1/task_events_pb";
import { TaskChangedSchema } from "@todo/gen/todo/events/v1/task_updates_pb";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { fromCloudEvent, isEventOf, Topics } from "@todo/platform";
import { fromKafkaRecord } from "@todo/platform/adapters";
import { createRemoteTransport, daprServiceTarget } from "@todo/platform/serving";
import { daprVersion } from "../scripts/lib/dapr-binaries.ts";
import { DaprTestSystem } from "../tests/integration/dapr-system";
import type { CollectedRecord, KafkaProbe } from "../tests/integration/kafka-probe";
import { bearer, TestSystem } from "../tests/integration/system";
import { paced, pooled, waitUntil } from "./lib/load";
import { intOption, numberOption, printHelpAndExit } from "./lib/options";
import { ms, type Summary, summarize, table } from "./lib/stats";
import { CpuMeter, type CpuReport, type MachineInfo, machineInfo } from "./lib/system";

const root = resolve(import.meta.dir, "..");

// ---------------------------------------------------------------------------------------------
// Options

const { values: flags } = parseArgs({
  options: {
    phases: { type: "string" },
    calls: { type: "string" },
    "concurrent-calls": { type: "string" },
    concurrency: { type: "string" },
    block: { type: "string" },
    warmup: { type: "string" },
    rate: { type: "string" },
    duration: { type: "string" },
    "quiet-wait": { type: "string" },
    "quiet-cores": { type: "string" },
    out: { type: "string" },
    "no-write": { type: "boolean", default: false },
    "direct-first": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) printHelpAndExit(import.meta.path);

const PHASES = ["invocation", "pubsub"] as const;
type Phase = (typeof PHASES)[number];

function phasesOption(raw: string | undefined): Set<Phase> {
  const names = (raw ?? PHASES.join(","))
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!PHASES.includes(n as Phase)) throw new Error(`unknown phase ${n}; known: ${PHASES.join(", ")}`);
  }
  return new Set(names as Phase[]);
}

const options = {
  phases: phasesOption(flags.phases ?? process.env.BENCH_PHASES),
  calls: intOption(flags.calls, "BENCH_CALLS", 2000, 1),
  concurrentCalls: intOption(flags["concurrent-calls"], "BENCH_CONCURRENT_CALLS", 4000, 1),
  concurrency: intOption(flags.concurrency, "BENCH_CONCURRENCY", 16, 1, 1000),
  block: intOption(flags.block, "BENCH_BLOCK", 250, 1),
  warmup: intOption(flags.warmup, "BENCH_WARMUP", 300, 0),
  rate: numberOption(flags.rate, "BENCH_RATE", 20, 0.1, 1000),
  duration: numberOption(flags.duration, "BENCH_DURATION", 30, 1, 3600),
  quietWait: numberOption(flags["quiet-wait"], "BENCH_QUIET_WAIT", 60, 0, 3600),
  quietCores: numberOption(flags["quiet-cores"], "BENCH_QUIET_CORES", 0.6, 0, 64),
  directFirst: flags["direct-first"] === true,
  out: resolve(root, flags.out ?? "docs/benchmarks.md"),
  write: !flags["no-write"],
};

const log = (message: string) => console.error(`[bench:dapr] ${message}`);

// Ctrl-C or a CI timeout: exit, so the harnesses' exit hooks kill every process they started.
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const) {
  process.once(signal, () => process.exit(code));
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Clock ticks per second of /proc/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The whole machine's busy cores over the next `ms` milliseconds, from /proc/stat. */
async function machineBusy(ms = 2000): Promise<number> {
  const sample = () => {
    const v = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: v.reduce((a, b) => a + b, 0) - idle, at: performance.now() };
  };
  const a = sample();
  await Bun.sleep(ms);
  const b = sample();
  return (b.busy - a.busy) / TICKS_PER_SECOND / ((b.at - a.at) / 1000);
}

/**
 * Waits (at most `--quiet-wait` seconds) until the machine is busy below `--quiet-cores`, so a phase
 * does not start in the middle of someone else's test run; returns the last reading.
 */
async function waitForQuiet(what: string): Promise<number> {
  const deadline = Date.now() + options.quietWait * 1000;
  for (;;) {
    const busy = await machineBusy();
    if (busy < options.quietCores) return busy;
    if (Date.now() > deadline) {
      log(`${what}: the machine is still busy (${busy.toFixed(2)} cores); measuring anyway`);
      return busy;
    }
    log(`${what}: waiting for a quieter machine (${busy.toFixed(2)} cores busy)`);
  }
}

/** Milliseconds since the epoch with sub-millisecond resolution (this process's clock). */
const wallNow = () => performance.timeOrigin + performance.now();

const stampMs = (t: Timestamp | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : Number.NaN);

/** Process ids whose `/proc/<pid>/cmdline` (NUL-separated) and environment satisfy `match`. */
function findPids(match: (cmdline: string, environ: () => string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = () => `\0${readFileSync(`/proc/${entry}/environ`, "utf8")}`;
      if (match(cmdline, environ)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile, or is not ours to read
    }
  }
  return pids;
}

/** The `daprd` whose gRPC API listens on `grpcPort`. */
const sidecarPid = (grpcPort: number) =>
  findPids((cmd) => cmd.includes("daprd") && cmd.includes(`\0--dapr-grpc-port=${grpcPort}\0`))[0];

/** The app `services/<name>/src/main.ts` started with `GRPC_PORT=<grpcPort>`. */
const appPid = (name: string, grpcPort: number) =>
  findPids(
    (cmd, env) => cmd.includes(`services/${name}/src/main.ts`) && env().includes(`\0GRPC_PORT=${grpcPort}\0`),
  )[0];

const databaseName = (url: string) => new URL(url).pathname.slice(1);

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const signed = (n: number) => (Number.isNaN(n) ? "–" : `${n >= 0 ? "+" : "−"}${ms(Math.abs(n))}`);
const cores = (c: CpuReport | undefined) => (c ? c.busyCores.toFixed(2) : "–");

// ---------------------------------------------------------------------------------------------
// Phase: service invocation

type Tasks = Client<typeof TaskService>;

/** One way to reach the task app. */
interface InvocationPath {
  readonly label: string;
  readonly client: Tasks;
}

/** What one path did under one load. */
interface PathResult {
  readonly label: string;
  readonly summary: Summary;
  readonly errors: number;
  readonly firstError?: string;
  /** When the errors happened: seconds from the start of this load's measured rounds. */
  readonly errorSpan?: readonly [number, number];
  /** Wall time of this path's blocks, in seconds. */
  readonly seconds: number;
  /** CPU seconds by process over this path's blocks. */
  readonly cpu: Readonly<Record<string, number>>;
  /** The machine's mean busy cores over this path's blocks. */
  readonly busyCores: number;
}

interface InvocationLoad {
  readonly name: string;
  /** The machine's busy cores just before this load started. */
  readonly busyBefore: number;
  readonly concurrency: number;
  readonly paths: readonly PathResult[];
}

interface InvocationResult {
  readonly loads: readonly InvocationLoad[];
}

/** The processes whose CPU the invocation phase reports, in column order. */
const INVOCATION_CPU = ["task app", "task sidecar", "scheduler sidecar", "postgres", "bench"] as const;

/** Tracks the CPU of the task app and of the task's and the scheduler's sidecars of `system`. */
async function trackDaprProcesses(system: DaprTestSystem, meter: CpuMeter): Promise<void> {
  const task = await system.portsOf("task");
  const scheduler = await system.portsOf("scheduler");
  for (const [label, pid] of [
    ["task app", appPid("task", task.grpc)],
    ["task sidecar", sidecarPid(task.sidecar.grpc)],
    ["scheduler sidecar", sidecarPid(scheduler.sidecar.grpc)],
  ] as const) {
    if (pid === undefined) log(`no process found for ${label}; its CPU is not reported`);
    meter.track(label, pid);
  }
}

async function invocationPhase(system: DaprTestSystem, meter: CpuMeter): Promise<InvocationResult> {
  const { token } = await system.signUp("UTC");
  const task = await system.portsOf("task");
  const scheduler = await system.portsOf("scheduler");
  const auth = [bearer(token)];
  const sidecarOf = (ports: typeof task) => ({
    httpUrl: `http://127.0.0.1:${ports.sidecar.http}`,
    httpPort: ports.sidecar.http,
    grpcPort: ports.sidecar.grpc,
    apiToken: system.daprApiToken,
    pubsub: "pubsub",
    broadcastPubsub: "pubsub-broadcast",
  });
  const viaDapr = (ports: typeof task): Tasks => {
    const remote = daprServiceTarget(sidecarOf(ports), "task").remote;
    if (!remote) throw new Error("daprServiceTarget gave no remote target");
    return createClient(TaskService, createRemoteTransport({ ...remote, interceptors: auth }));
  };
  const paths: InvocationPath[] = [
    {
      label: "direct (h2c to the task app)",
      client: createClient(
        TaskService,
        createRemoteTransport({ url: `http://127.0.0.1:${task.grpc}`, protocol: "grpc", interceptors: auth }),
      ),
    },
    { label: "one sidecar (the task app's own daprd → app)", client: viaDapr(task) },
    { label: "**two sidecars** (scheduler's daprd → task's daprd → app)", client: viaDapr(scheduler) },
  ];

  const created = await paths[0]?.client.createTask({ task: { title: "bench dapr invocation target" } });
  const id = created?.task?.id;
  if (!id) throw new Error("CreateTask returned no task");
  const call = async (path: InvocationPath) => {
    const res = await path.client.getTask({ id });
    if (res.task?.id !== id) throw new Error(`GetTask through ${path.label} returned another task`);
  };

  const loads: InvocationLoad[] = [];
  for (const [name, calls, concurrency] of [
    ["sequential", options.calls, 1],
    [`${options.concurrency} in flight`, options.concurrentCalls, options.concurrency],
  ] as const) {
    const busyBefore = await waitForQuiet(`invocation, ${name}`);
    // Warm-up (not measured): connections, the JIT, the sidecars' name resolution and pools.
    for (const path of paths) await pooled(options.warmup, concurrency, () => call(path));
    const acc = paths.map(() => ({
      samples: [] as number[],
      errors: 0,
      firstError: undefined as string | undefined,
      errorTimes: [] as number[],
      ms: 0,
      cpu: {} as Record<string, number>,
      busySeconds: 0,
    }));
    const rounds = Math.ceil(calls / options.block);
    const loadStart = performance.now();
    log(`invocation, ${name}: ${calls} calls per path in ${rounds} rounds of ${options.block}`);
    for (let round = 0; round < rounds; round++) {
      const size = Math.min(options.block, calls - round * options.block);
      for (let k = 0; k < paths.length; k++) {
        const i = (round + k) % paths.length;
        const path = paths[i] as InvocationPath;
        const a = acc[i] as (typeof acc)[number];
        const stop = meter.start();
        const t0 = performance.now();
        await pooled(size, concurrency, async () => {
          const start = performance.now();
          try {
            await call(path);
            a.samples.push(performance.now() - start);
          } catch (err) {
            a.errors++;
            a.errorTimes.push((performance.now() - loadStart) / 1000);
            a.firstError ??= err instanceof Error ? err.message : String(err);
          }
        });
        a.ms += performance.now() - t0;
        const cpu = stop();
        for (const [label, seconds] of Object.entries(cpu.byLabel)) {
          a.cpu[label] = (a.cpu[label] ?? 0) + seconds;
        }
        a.busySeconds += cpu.busyCores * cpu.seconds;
      }
    }
    loads.push({
      name,
      busyBefore,
      concurrency,
      paths: paths.map((p, i) => {
        const a = acc[i] as (typeof acc)[number];
        return {
          label: p.label,
          summary: summarize(a.samples),
          errors: a.errors,
          ...(a.firstError ? { firstError: a.firstError } : {}),
          ...(a.errorTimes.length > 0
            ? { errorSpan: [a.errorTimes[0] as number, a.errorTimes.at(-1) as number] as const }
            : {}),
          seconds: a.ms / 1000,
          cpu: a.cpu,
          busyCores: a.busySeconds / (a.ms / 1000),
        };
      }),
    });
    for (const p of loads.at(-1)?.paths ?? []) {
      log(`  ${p.label}: p50 ${ms(p.summary.p50)} ms, p99 ${ms(p.summary.p99)} ms, ${p.errors} errors`);
    }
  }
  if (loads.some((l) => l.paths.some((p) => p.errors > 0))) {
    // For the reader of stderr: what the sidecars said about it.
    for (const name of ["scheduler-daprd", "task-daprd"]) {
      const lines = system
        .logTail(name, 5000)
        .split("\n")
        .filter(
          (l) =>
            /level=(error|warning)/.test(l) && !/mTLS is disabled|increasedCardinality|Actor runtime/.test(l),
        );
      log(`${name}: ${lines.length} warnings and errors; the last ones:\n${lines.slice(-10).join("\n")}`);
    }
  }
  return { loads };
}

// ---------------------------------------------------------------------------------------------
// Phase: publish → deliver

/** One measured interval, summarised. */
interface IntervalRow {
  readonly label: string;
  readonly summary: Summary;
}

interface PubsubResult {
  readonly system: string;
  readonly sent: number;
  readonly delivered: number;
  readonly rows: readonly IntervalRow[];
  readonly cpu: CpuReport;
  /** The machine's busy cores just before the measured updates. */
  readonly busyBefore: number;
}

const TITLE = /^bench dapr (\d+)$/;
const DAPR = "Dapr pub/sub";
const DIRECT = "direct Kafka";

/** Sent and answered times of one update, and its arrival on the stream. */
interface UpdateTimes {
  sentMono: number;
  answeredMono?: number;
  arrivedMono?: number;
  arrivedWall?: number;
  stampedWall?: number;
}

/**
 * The broker timestamp (the producer's send time) of the first record of `records` per update number,
 * read from the title that `titleOf` finds in an event of `schema`; other records are skipped.
 */
function recordTimes<Desc extends DescMessage>(
  records: readonly CollectedRecord[],
  schema: Desc,
  titleOf: (message: MessageShape<Desc>) => string | undefined,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of records) {
    try {
      const event = fromKafkaRecord(r.headers, r.value);
      if (!isEventOf(schema, event)) continue;
      const seq = Number(TITLE.exec(titleOf(fromCloudEvent(schema, event)) ?? "")?.[1] ?? Number.NaN);
      if (!Number.isNaN(seq) && !out.has(seq)) out.set(seq, r.timestamp);
    } catch {
      // not an event this benchmark wrote
    }
  }
  return out;
}

/**
 * Paced updates of `ids` through `writer` and their arrival on a WatchTasks stream of `watcher`
 * (both direct to the task app, each on its own connection).
 */
async function publishDeliver(
  systemLabel: string,
  writer: Tasks,
  watcher: Tasks,
  kafka: KafkaProbe,
  meter: CpuMeter,
): Promise<PubsubResult> {
  // Our own consumers of the two topics the change's events go to: when each reached Kafka.
  const updatesTopic = await kafka.collect(Topics.taskUpdates);
  const eventsTopic = await kafka.collect(Topics.taskEvents);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await writer.createTask({ task: { title: `bench dapr target ${i}` } });
    if (!res.task?.id) throw new Error("CreateTask returned no task");
    ids.push(res.task.id);
  }
  const times = new Map<number, UpdateTimes>();
  const seen = new Set<number>();
  const abort = new AbortController();
  let streamError: unknown;
  const stream = (async () => {
    try {
      for await (const res of watcher.watchTasks({}, { signal: abort.signal })) {
        const arrivedMono = performance.now();
        const arrivedWall = wallNow();
        const change = res.change;
        const seq = Number(TITLE.exec(change?.task?.title ?? "")?.[1] ?? Number.NaN);
        if (change?.type !== ChangeType.UPDATED || Number.isNaN(seq) || seen.has(seq)) continue;
        seen.add(seq);
        const t = times.get(seq);
        if (t) Object.assign(t, { arrivedMono, arrivedWall, stampedWall: stampMs(change.changeTime) });
      }
    } catch (err) {
      if (!abort.signal.aborted) streamError = err;
    }
  })();
  const update = async (seq: number) => {
    const t: UpdateTimes = { sentMono: performance.now() };
    times.set(seq, t);
    await writer.updateTask({
      task: { id: ids[seq % ids.length] as string, title: `bench dapr ${seq}` },
      updateMask: { paths: ["title"] },
    });
    t.answeredMono = performance.now();
  };

  try {
    // Warm-up (not measured): until the stream sees changes (the consumer has joined), then a paced
    // stretch at the measured rate.
    let seq = 0;
    const deadline = Date.now() + 90_000;
    while (seen.size === 0) {
      if (streamError) throw streamError;
      if (Date.now() > deadline) throw new Error(`${systemLabel}: no change reached the stream in 90 s`);
      await update(seq++);
      await Bun.sleep(250);
    }
    const warm = Math.ceil(options.rate * 5);
    const warmFirst = seq;
    await paced(warm, options.rate, (i) => update(warmFirst + i));
    seq += warm;
    await waitUntil(() => seen.has(seq - 1), 10_000);
    await Bun.sleep(1000);

    const busyBefore = await waitForQuiet(`pubsub, ${systemLabel}`);
    const count = Math.round(options.rate * options.duration);
    const first = seq;
    log(`pubsub, ${systemLabel}: ${count} updates at ${options.rate}/s`);
    const stop = meter.start();
    await paced(count, options.rate, (i) => update(first + i));
    await waitUntil(
      () => Array.from({ length: count }, (_, i) => first + i).every((s) => seen.has(s)),
      15_000,
    );
    const cpu = stop();
    if (streamError) throw streamError;

    const arrived = Array.from({ length: count }, (_, i) => times.get(first + i) as UpdateTimes).filter(
      (t) => t.arrivedMono !== undefined,
    );
    const onKafka = recordTimes(updatesTopic.records, TaskChangedSchema, (m) => m.change?.task?.title);
    const eventOnKafka = recordTimes(eventsTopic.records, TaskUpdatedSchema, (m) => m.task?.title);
    const seqs = Array.from({ length: count }, (_, i) => first + i);
    /** `to − from` over the measured updates where both are known. */
    const between = (from: (seq: number, t: UpdateTimes) => number | undefined, to: typeof from) =>
      summarize(
        seqs
          .map((seq) => {
            const t = times.get(seq) as UpdateTimes;
            return (to(seq, t) ?? Number.NaN) - (from(seq, t) ?? Number.NaN);
          })
          .filter(Number.isFinite),
      );
    const stamped = (_: number, t: UpdateTimes) => t.stampedWall;
    const arrivedWall = (_: number, t: UpdateTimes) => t.arrivedWall;
    const arrivedMono = (_: number, t: UpdateTimes) => t.arrivedMono;
    const updateRecord = (seq: number) => onKafka.get(seq);
    const rows: IntervalRow[] = [
      {
        label: "**`change_time` (stamped in the committing transaction) → on the stream**",
        summary: between(stamped, arrivedWall),
      },
      {
        label: "↳ `change_time` → its `task-updates` record on Kafka",
        summary: between(stamped, updateRecord),
      },
      {
        label: "↳ `task-updates` record on Kafka → on the stream",
        summary: between(updateRecord, arrivedWall),
      },
      {
        label: "the change's `task-events` record → its `task-updates` record",
        summary: between((seq) => eventOnKafka.get(seq), updateRecord),
      },
      {
        label: "UpdateTask answered (after the commit) → on the stream",
        summary: between((_, t) => t.answeredMono, arrivedMono),
      },
      {
        label: "UpdateTask sent → on the stream (what a user sees)",
        summary: between((_, t) => t.sentMono, arrivedMono),
      },
      {
        label: "UpdateTask round trip (no sidecar on this path in either system)",
        summary: between(
          (_, t) => t.sentMono,
          (_, t) => t.answeredMono,
        ),
      },
    ];
    log(
      `  ${arrived.length}/${count} delivered; change_time → stream p50 ${ms(rows[0]?.summary.p50 ?? Number.NaN)} ms, p99 ${ms(rows[0]?.summary.p99 ?? Number.NaN)} ms`,
    );
    return { system: systemLabel, sent: count, delivered: arrived.length, rows, cpu, busyBefore };
  } finally {
    abort.abort();
    await stream;
  }
}

// ---------------------------------------------------------------------------------------------
// The report

function machineSection(m: MachineInfo, dapr: string): string {
  return [
    `Run on ${m.date}, on a machine of **${m.cores} cores shared** with other engineers' test runs ` +
      `(load average at the start ${m.loadAverage}); everything — the load generator, the services, ` +
      "the sidecars, PostgreSQL and Kafka — on that one machine, over loopback.",
    "",
    `${m.cpu}, ${m.memory}; ${m.os}; Bun ${m.bun}; Dapr ${dapr} (\`daprd\` and the scheduler built from the ` +
      `Go module proxy); ${m.kafka}, kafkajs ${m.kafkajs}; PostgreSQL ${m.postgres}.`,
  ].join("\n");
}

function invocationSection(r: InvocationResult): string {
  const out: string[] = [
    "### Service invocation: `TaskService.GetTask`, direct vs through Dapr",
    "",
    "Latency in ms, measured in the client; Δ = difference from the direct path's percentile. CPU is " +
      "milliseconds of CPU per call, over that path's blocks (busy = the whole machine's mean busy " +
      "cores over them, of 2).",
  ];
  for (const load of r.loads) {
    const direct = load.paths[0]?.summary;
    out.push(
      "",
      `**${load.name}** (${fmtInt(load.paths[0]?.summary.count ?? 0)} calls per path; the machine was ` +
        `${load.busyBefore.toFixed(2)} cores busy just before):`,
      "",
    );
    out.push(
      table(
        [
          "path",
          "calls",
          "errors",
          "calls/s",
          "mean",
          "p50",
          "p95",
          "p99",
          "max",
          "Δp50",
          "Δp99",
          `CPU ms/call: ${INVOCATION_CPU.join(" / ")}`,
          "busy",
        ],
        load.paths.map((p, i) => {
          const s = p.summary;
          const n = s.count + p.errors;
          const cpu = INVOCATION_CPU.map((label) =>
            (((p.cpu[label] ?? 0) * 1000) / Math.max(1, n)).toFixed(2),
          );
          return [
            p.label,
            fmtInt(s.count),
            String(p.errors),
            fmtInt(s.count / p.seconds),
            ms(s.mean),
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
            ms(s.max),
            i === 0 || !direct ? "" : signed(s.p50 - direct.p50),
            i === 0 || !direct ? "" : signed(s.p99 - direct.p99),
            cpu.join(" / "),
            p.busyCores.toFixed(2),
          ];
        }),
      ),
    );
    for (const p of load.paths.filter((x) => x.firstError)) {
      const [from, to] = (p.errorSpan ?? [0, 0]).map((t) => `${t.toFixed(1)} s`);
      const span = from === to ? `all at ${from}` : `all between ${from} and ${to}`;
      const when = p.errorSpan ? ` (${span} into the ${load.name} rounds)` : "";
      out.push("", `- ${p.label}: ${p.errors} errors${when}; the first: ${p.firstError}`);
    }
  }
  return out.join("\n");
}

/** The processes whose CPU per update the pubsub phase reports, in column order. */
const PUBSUB_CPU = ["task app", "task sidecar", "postgres"] as const;

function pubsubSection(results: readonly PubsubResult[]): string {
  // The baseline first, whatever order the systems ran in.
  const ordered = [...results].sort((x, y) => Number(x.system !== DIRECT) - Number(y.system !== DIRECT));
  const base = ordered.find((r) => r.system === DIRECT);
  const out: string[] = [
    "### Publish → deliver: a task change reaching a WatchTasks stream, Dapr pub/sub vs direct Kafka",
    "",
    `${fmtInt(ordered[0]?.sent ?? 0)} UpdateTask calls at ${options.rate}/s per system, the systems one ` +
      `after the other (${results[0]?.system} first); latency in ms; Δ = Dapr minus direct Kafka.`,
    "",
  ];
  const rows: string[][] = [];
  for (const [li, label] of (ordered[0]?.rows.map((r) => r.label) ?? []).entries()) {
    for (const res of ordered) {
      const s = res.rows[li]?.summary;
      const b = base?.rows[li]?.summary;
      if (!s) continue;
      const delta = res !== base && b;
      rows.push([
        res === ordered[0] ? label : "",
        res.system,
        fmtInt(s.count),
        ms(s.mean),
        ms(s.p50),
        ms(s.p95),
        ms(s.p99),
        ms(s.max),
        delta ? signed(s.p50 - b.p50) : "",
        delta ? signed(s.p99 - b.p99) : "",
      ]);
    }
  }
  out.push(table(["interval", "system", "n", "mean", "p50", "p95", "p99", "max", "Δp50", "Δp99"], rows));
  out.push(
    "",
    table(
      [
        "system",
        "updates",
        "delivered",
        `CPU ms per update: ${PUBSUB_CPU.join(" / ")}`,
        "busy before",
        "busy during",
      ],
      ordered.map((r) => [
        r.system,
        fmtInt(r.sent),
        fmtInt(r.delivered),
        PUBSUB_CPU.map((l) => {
          const seconds = r.cpu.byLabel[l];
          return seconds === undefined ? "–" : ((seconds * 1000) / r.sent).toFixed(2);
        }).join(" / "),
        r.busyBefore.toFixed(2),
        cores(r.cpu),
      ]),
    ),
  );
  return out.join("\n");
}

function invocationSummary(r: InvocationResult): string[] {
  return r.loads.map((load) => {
    const [direct, one, two] = load.paths.map((p) => p.summary);
    if (!direct || !one || !two) return "";
    return (
      `- Invocation, ${load.name}: direct p50 ${ms(direct.p50)} / p99 ${ms(direct.p99)} ms; through two ` +
      `sidecars p50 ${ms(two.p50)} / p99 ${ms(two.p99)} ms (Δp50 ${signed(two.p50 - direct.p50)}, Δp99 ` +
      `${signed(two.p99 - direct.p99)} ms); one sidecar p50 ${ms(one.p50)} / p99 ${ms(one.p99)} ms.`
    );
  });
}

function pubsubSummary(results: readonly PubsubResult[]): string {
  const d = results.find((r) => r.system === DIRECT);
  const x = results.find((r) => r.system === DAPR);
  const ds = d?.rows[0]?.summary;
  const xs = x?.rows[0]?.summary;
  if (!d || !x || !ds || !xs) return "";
  return (
    `- Publish → deliver (\`change_time\` → on the stream): direct Kafka p50 ${ms(ds.p50)} / p99 ${ms(ds.p99)} ms; ` +
    `Dapr pub/sub p50 ${ms(xs.p50)} / p99 ${ms(xs.p99)} ms (Δp50 ${signed(xs.p50 - ds.p50)}, Δp99 ` +
    `${signed(xs.p99 - ds.p99)} ms); delivered ${d.delivered}/${d.sent} and ${x.delivered}/${x.sent}.`
  );
}

const METHOD = [
  "**Method** (`bun bench/dapr.ts --help`):",
  "",
  "- *Systems*: `DaprTestSystem` (tests/integration/dapr-system.ts) — the Dapr scheduler and every " +
    "service as its own process beside a real `daprd` (app protocol gRPC, API token on), a fresh " +
    "database, its own Kafka topic prefix; the services reach Kafka, secrets and each other only " +
    "through their sidecars. `TestSystem` (tests/integration/system.ts) — the same service processes " +
    "without Dapr, kafkajs straight to the broker (identity, task, tag, scheduler and notification: the " +
    "same consumers of the change's events as under Dapr; the assistant, idle here, is not started). " +
    "Tracing off in both (Dapr sampling rate 0, no OTLP endpoint for the services).",
  `- *Invocation*: \`GetTask\` of one existing task, bearer token of its owner, connect-node's gRPC ` +
    "transport from `@todo/platform/serving` (clients.ts) (`createRemoteTransport`, and `daprServiceTarget` for the " +
    "sidecar paths: `dapr-app-id: task`, `dapr-api-token`), one HTTP/2 connection per path. " +
    `${options.warmup} unmeasured calls per path and load first; then ${fmtInt(options.calls)} sequential ` +
    `calls per path, then ${fmtInt(options.concurrentCalls)} with ${options.concurrency} in flight (closed ` +
    `loop). The paths alternate in blocks of ${options.block} calls, the first path rotating each round. ` +
    "CPU per call from `/proc/<pid>/stat` (the task app, both sidecars, this database's PostgreSQL " +
    "backends, the load generator).",
  `- *Publish → deliver*: one WatchTasks stream and a writer on another connection, both straight to ` +
    `the task app; UpdateTask (title) on 20 tasks in turn, paced at ${options.rate}/s for ` +
    `${options.duration} s (open loop) after ~5 s of unmeasured updates at that rate. The change is ` +
    "written to the outbox in its transaction; the relay (woken after the commit) publishes " +
    "`TaskChanged` to `task-updates` — directly with kafkajs, or through the sidecar's publish API " +
    "and its Kafka component; the task app consumes it — kafkajs consumer, or the sidecar's " +
    "`pubsub-broadcast` subscription calling the app's gRPC callback — and hands it to the stream. " +
    "`change_time` is the event's time, stamped inside the transaction (after the row's UPDATE, before " +
    "its outbox and history writes and the commit). Two kafkajs consumers of the benchmark read " +
    "`task-updates` and `task-events` to split the path at the record's broker timestamp (the " +
    "producer's send time: kafkajs in the relay, or the sidecar's Kafka client). All clocks are this " +
    "machine's. CPU per update is what each process used over the measured window divided by the " +
    "updates (so it includes their idle work: polling, heartbeats, health probes).",
  `- *A shared machine*: before each load and each system's updates the benchmark waits (up to ` +
    `${options.quietWait} s) until the whole machine is below ${options.quietCores} busy cores, and reports ` +
    "how busy it was before and during; the UpdateTask round trip (no sidecar on that path in either " +
    "system) is the control row — when it differs between the systems, the machine did.",
].join("\n");

/** The section's opening paragraph, written when the section is first added. */
const SECTION_INTRO = `${[
  "The overhead of running beside Dapr sidecars (issue 5): a service invocation direct vs through the",
  "sidecars, and a task change's publish → deliver latency through Dapr pub/sub vs direct Kafka — real",
  "`daprd` processes, Kafka and PostgreSQL on one machine. Measured by `bun bench/dapr.ts` (`--help`",
  "lists the options; about four to six minutes); the block between the `dapr` markers is rewritten by",
  "each run, the analysis after it is kept.",
].join("\n")}\n`;

const START = "<!-- dapr:start -->";
const END = "<!-- dapr:end -->";

/**
 * Puts `body` between the markers of the "Dapr sidecar overhead" section of `file`, adding the
 * section (with an empty analysis) at the end when it is missing; everything else is kept.
 */
function writeSection(file: string, body: string): void {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const block = `${START}\n${body}\n${END}`;
  const at = text.indexOf(START);
  const end = text.indexOf(END);
  const next =
    at >= 0 && end > at
      ? `${text.slice(0, at)}${block}${text.slice(end + END.length)}`
      : `${text.trimEnd()}\n\n## Dapr sidecar overhead\n\n${SECTION_INTRO}\n${block}\n\n### Analysis\n\n_Not written yet._\n`;
  writeFileSync(file, next);
}

// ---------------------------------------------------------------------------------------------
// Main

const started = performance.now();
const { date, loadAverage } = machineInfo("", root);
const startInfo = { date, loadAverage };
let invocation: InvocationResult | undefined;
const pubsub: PubsubResult[] = [];
let machine: MachineInfo | undefined;

/** The Dapr system: the invocation phase, and the Dapr half of the pubsub phase. */
async function runDaprSystem(): Promise<void> {
  log("starting the Dapr system (the Dapr scheduler, every service and its sidecar)");
  const dapr = await DaprTestSystem.create({ label: "bench" });
  try {
    await dapr.startAll();
    const [version] = await dapr.sql<{ server_version: string }[]>`show server_version`;
    // The date and load of the run's start, whichever system runs first.
    machine = { ...machineInfo(version?.server_version ?? "unknown", root), ...startInfo };
    const meter = new CpuMeter(databaseName(dapr.databaseUrl));
    await trackDaprProcesses(dapr, meter);
    if (options.phases.has("invocation")) invocation = await invocationPhase(dapr, meter);
    if (options.phases.has("pubsub")) {
      const { token } = await dapr.signUp("UTC");
      pubsub.push(
        await publishDeliver(
          DAPR,
          dapr.client("task", TaskService, token),
          dapr.client("task", TaskService, token),
          dapr.kafka,
          meter,
        ),
      );
    }
  } catch (err) {
    log(
      `the Dapr system failed; task log:\n${dapr.logTail("task")}\ntask sidecar:\n${dapr.logTail("task-daprd")}`,
    );
    throw err;
  } finally {
    await dapr.close();
  }
}

/** The system without Dapr (kafkajs straight to the broker): the direct half of the pubsub phase. */
async function runDirectSystem(): Promise<void> {
  log("starting the direct system (every service but the assistant, kafkajs)");
  const direct = await TestSystem.create({ label: "benchdapr" });
  try {
    // The same consumers as under Dapr (tag and scheduler read task-events), so both systems do the
    // same work per change; the assistant has no place in TestSystem and is idle in this benchmark.
    for (const name of ["identity", "task", "tag", "scheduler", "notification"] as const) {
      await direct.start(name);
    }
    await direct.kafka.detectNamespace();
    const meter = new CpuMeter(databaseName(direct.databaseUrl));
    meter.track("task app", direct.service("task").proc.pid);
    const { token } = await direct.signUp();
    pubsub.push(
      await publishDeliver(
        DIRECT,
        direct.client("task", TaskService, token),
        direct.client("task", TaskService, token),
        direct.kafka,
        meter,
      ),
    );
  } catch (err) {
    log(`the direct system failed; task log:\n${await direct.logTail("task")}`);
    throw err;
  } finally {
    await direct.close();
  }
}

const order =
  options.directFirst && options.phases.has("pubsub")
    ? [runDirectSystem, runDaprSystem]
    : [runDaprSystem, ...(options.phases.has("pubsub") ? [runDirectSystem] : [])];
for (const run of order) await run();

const sections: string[] = [];
if (machine) sections.push(machineSection(machine, daprVersion()));
if (invocation || pubsub.length === 2) {
  const headline = [
    ...(invocation ? invocationSummary(invocation) : []),
    ...(pubsub.length === 2 ? [pubsubSummary(pubsub)] : []),
  ].filter(Boolean);
  sections.push(headline.join("\n"));
}
if (invocation) sections.push(invocationSection(invocation));
if (pubsub.length > 0) sections.push(pubsubSection(pubsub));
sections.push(METHOD);
const report = `### Latest results\n\n${sections.join("\n\n")}`;

console.log(`\n${report}\n`);
if (options.write) {
  writeSection(options.out, report);
  log(`wrote ${options.out}`);
}
log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
