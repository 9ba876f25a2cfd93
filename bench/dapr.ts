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
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { DAPR_PHASES, type DaprOptions } from "./dapr/options";
import { runDaprBench } from "./dapr/run";
import { intOption, numberOption, phasesOption, printHelpAndExit } from "./lib/options";

const root = resolve(import.meta.dir, "..");

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

const options: DaprOptions = {
  phases: phasesOption(flags.phases ?? process.env.BENCH_PHASES, DAPR_PHASES),
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

await runDaprBench({ options, log });
