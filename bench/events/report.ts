/**
 * The event-path benchmark's results as markdown: a section per phase (latency tables, the relay's
 * numbers, where the CPU time went) and the summary table of the issue's targets with verdicts.
 */
import { ms, table } from "../lib/stats";
import type { CpuReport } from "../lib/system";
import type { OutboxResult } from "./outbox";
import type { RecurringResult } from "./recurring";
import type { ReminderResult } from "./reminders";
import type { LatencyRow } from "./streams";
import type { WatchResult } from "./watch";

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

/** Where a phase's CPU time went, in a sentence. */
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

/** Everything a run measured, for the report. */
export interface Report {
  idle?: CpuReport;
  reminders?: ReminderResult;
  watch?: WatchResult;
  recurring?: RecurringResult;
  outbox: OutboxResult[];
  failures: string[];
}

/** The latency table of a stream phase and where its CPU time went, after its intro. */
function streamTable(x: { rows: readonly LatencyRow[]; cpu: CpuReport }): string[] {
  return ["", latencyTable(x.rows, false), "", cpuLine(x.cpu), ""];
}

/** A phase's rows of the summary table, and its section of the results. */
interface Section {
  readonly summary: string[][];
  readonly lines: string[];
}

/** The report's results (a section per phase) and its summary table of the targets. */
export function renderResults(r: Report): { body: string; summary: string } {
  const sections: Section[] = [];
  if (r.reminders) sections.push(remindersSection(r.reminders));
  if (r.watch) sections.push(watchSection(r.watch));
  if (r.recurring) sections.push(recurringSection(r.recurring));
  if (r.outbox.length > 0) sections.push(outboxSection(r.outbox));
  const out = sections.flatMap((x) => x.lines);
  if (r.idle) {
    out.push("### The system at rest", "", `With every service up and no request: ${cpuLine(r.idle)}`, "");
  }
  if (r.failures.length > 0) {
    out.push("### Phases that failed", "", ...r.failures.map((f) => `- ${f}`), "");
  }
  const summary = table(
    ["target (issue 3 §6)", "goal", "measured", "verdict"],
    sections.flatMap((x) => x.summary),
  );
  return { body: out.join("\n"), summary };
}

function remindersSection(x: ReminderResult): Section {
  const summary: string[][] = [];
  const lines: string[] = [];
  const kafkaRow = x.rows[2] as LatencyRow;
  const notifRow = x.rows[4] as LatencyRow;
  const ok = (row: LatencyRow) =>
    row.summary.p99 <= 1000 && (row.early ?? 0) === 0 && row.summary.count === row.expected;
  summary.push(
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
  lines.push(
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
  return { summary, lines };
}

function watchSection(x: WatchResult): Section {
  const summary: string[][] = [];
  const lines: string[] = [];
  const all = allStreams(x.rows);
  const cross = x.rows[1] as LatencyRow;
  summary.push([
    "Task change → WatchTasks through Kafka",
    "p99 ≤ 250 ms",
    `p99 ${ms(all.summary.p99)} ms (other replica ${ms(cross.summary.p99)} ms), ${all.summary.count}/${all.expected}`,
    verdict(all.summary.p99 <= 250 && all.summary.count === all.expected, `${x.streams} streams`),
  ]);
  lines.push(
    "### Task change → WatchTasks subscriber",
    "",
    `${x.updates} UpdateTask calls at ${x.rate}/s to task replica A, each seen by ${x.streams} streams ` +
      `(${x.streams / 2} on A, ${x.streams / 2} on B); UpdateTask itself took p50 ${ms(x.rpc.p50)} / p99 ` +
      `${ms(x.rpc.p99)} ms.`,
  );
  lines.push(...streamTable(x));
  return { summary, lines };
}

function recurringSection(x: RecurringResult): Section {
  const summary: string[][] = [];
  const lines: string[] = [];
  const all = allStreams(x.rows);
  summary.push([
    "Complete recurring task → next instance on WatchTasks",
    "p99 ≤ 500 ms",
    `p99 ${ms(all.summary.p99)} ms, ${all.summary.count}/${all.expected}`,
    verdict(all.summary.p99 <= 500 && all.summary.count === all.expected, `${x.completions} completions`),
  ]);
  lines.push(
    "### Completing a recurring task → next instance",
    "",
    `${x.completions} daily tasks completed at ${x.rate}/s through replica A; each next instance's CREATED ` +
      `change seen by ${x.streams} streams. CompleteTask itself took p50 ${ms(x.rpc.p50)} / p99 ` +
      `${ms(x.rpc.p99)} ms.`,
  );
  lines.push(...streamTable(x));
  return { summary, lines };
}

function outboxSection(outbox: readonly OutboxResult[]): Section {
  const summary: string[][] = [];
  const lines: string[] = [];
  for (const x of outbox) {
    const rate = x.drained / x.drainSeconds;
    summary.push([
      `Outbox relay → Kafka${outbox.length > 1 ? ` (${x.label})` : ""}`,
      "≥ 2 000 events/s",
      `${rate.toFixed(0)} events/s`,
      verdict(rate >= 2000 && x.remaining === 0, `${x.events} events`),
    ]);
  }
  lines.push(
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
      outbox.map((x) => [
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
    ...outbox.map((x) => `- ${x.label}: ${cpuLine(x.cpu)}`),
    "",
  );
  return { summary, lines };
}
