/**
 * The Dapr benchmark's section of the report file (`docs/benchmarks.md` by default): "Dapr sidecar
 * overhead", whose block between the `dapr:start`/`dapr:end` markers each run rewrites; the rest of
 * the section (its analysis) and of the file is kept.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { DaprOptions } from "./options";
import { fmtInt } from "./report";

/** The method paragraph, with this run's settings. */
export function methodSection(options: DaprOptions): string {
  return [
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
}

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
export function writeSection(file: string, body: string): void {
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
