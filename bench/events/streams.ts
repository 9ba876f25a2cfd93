/**
 * What the stream phases (watch, recurring) record and how it becomes latency rows: per stream, when
 * each change arrived and when the service stamped it; per replica and over all streams, the
 * latency from the call's start, split at the stamp.
 */
import type { TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import { type Summary, summarize } from "../lib/stats";
import { type Arrival, openWatcher, tasksAt, type Watcher } from "./clients";
import type { EventsRun } from "./options";

/** One row of a latency table. */
export interface LatencyRow {
  readonly label: string;
  readonly expected: number;
  readonly summary: Summary;
  /** Samples below zero (an event before its due time); only meaningful for reminders. */
  readonly early?: number;
  /** Events per second through this stage while it was busy: (count − 1) / (last − first); reminders only. */
  readonly rate?: number;
}

/** One change seen on one stream: when it arrived, and when the service stamped it (wall clock, ms). */
export interface Receipt {
  readonly at: Arrival;
  readonly stampedMs: number;
}

/** One stream's receipts, keyed by what the benchmark did (an update's number, a series id). */
export interface StreamLog<K> {
  readonly replica: string;
  readonly seen: Map<K, Receipt>;
}

/**
 * Latency rows: one per replica and one for all streams (call start → arrival), plus the two halves of
 * the total over all streams: call start → the service stamped the change, and stamp → arrival.
 */
export function streamRows<K>(
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

/** A Timestamp as epoch milliseconds; NaN when there is none. */
export function stampOf(t: { seconds: bigint; nanos: number } | undefined): number {
  return t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : Number.NaN;
}

/** The two task replicas' labels and ports: A takes the writes, B proves cross-replica delivery. */
const REPLICAS = (taskA: number, taskB: number) =>
  [
    ["A (writer's replica)", taskA],
    ["B (other replica)", taskB],
  ] as const;

/**
 * Opens `--watchers` WatchTasks streams on each task replica (ports `taskA`, `taskB`) as the user of
 * `token`, each on its own connection with a log of its own made by `newLog(replica)`; every change
 * a stream receives goes to `onChange` with that stream's log.
 */
export function openStreams<L extends StreamLog<unknown>>(
  run: EventsRun,
  taskA: number,
  taskB: number,
  token: string,
  newLog: (replica: string) => L,
  onChange: (log: L, change: TaskChange, at: Arrival) => void,
): { logs: L[]; watchers: Watcher[] } {
  const logs: L[] = [];
  const watchers: Watcher[] = [];
  for (const [replica, port] of REPLICAS(taskA, taskB)) {
    for (let s = 0; s < run.options.watchers; s++) {
      const entry = newLog(replica);
      logs.push(entry);
      const client = tasksAt(run, port, token);
      watchers.push(openWatcher(run, replica, client, (change, at) => onChange(entry, change, at)));
    }
  }
  return { logs, watchers };
}
