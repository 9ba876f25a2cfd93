/**
 * The event-path benchmark's report file (`docs/benchmarks-events.md` by default): rewritten by each
 * run, except its analysis section (between the `analysis` markers), which is kept.
 */
import { existsSync, readFileSync } from "node:fs";
import { type MachineInfo, machineTable } from "../lib/system";
import type { EventsOptions } from "./options";

const ANALYSIS_START = "<!-- analysis:start -->";
const ANALYSIS_END = "<!-- analysis:end -->";

/** The analysis section of `out` (markers included), or a placeholder when it has none. */
export function keptAnalysis(out: string): string {
  const placeholder = `${ANALYSIS_START}\n_No analysis written yet._\n${ANALYSIS_END}`;
  if (!existsSync(out)) return placeholder;
  const text = readFileSync(out, "utf8");
  const a = text.indexOf(ANALYSIS_START);
  const b = text.indexOf(ANALYSIS_END);
  return a >= 0 && b > a ? text.slice(a, b + ANALYSIS_END.length) : placeholder;
}

/** The whole report file: the machine, the summary, the method, the results and the kept analysis. */
export function renderDoc(
  options: Pick<EventsOptions, "kafka" | "out" | "command">,
  results: { body: string; summary: string },
  m: MachineInfo,
): string {
  const cmd = options.command;
  return `# Event-path benchmarks (issue 3 §6)

Measured by \`bun run bench:events\` (\`bench/events.ts\`); the tables below are rewritten by each run, the
analysis section is kept. The API benchmark is in [benchmarks.md](benchmarks.md).

## Machine and versions

${machineTable(m, cmd)}

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

${keptAnalysis(options.out)}
`;
}
