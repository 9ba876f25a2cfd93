/**
 * The measurements as markdown: one table of the unary calls (count, p50/p95/p99/max, errors, and
 * p95 per protocol) and one of the streams (change → other window, reminder lateness, stream
 * failures). The command prints them; `bench/users.ts` puts them in docs/benchmarks-users.md.
 */
import type { Measurements } from "./recorder";
import { ms, table } from "./stats";

/** Failed calls and stream failures, by code, e.g. `3 aborted, 1 unavailable` (`0` for none). */
export function errorText(errors: Readonly<Record<string, number>>): string {
  const parts = Object.entries(errors)
    .sort((a, b) => b[1] - a[1])
    .map(([code, n]) => `${n} ${code}`);
  return parts.length > 0 ? parts.join(", ") : "0";
}

/** All failed unary calls and stream failures of a run. */
export function errorCount(m: Measurements): number {
  const sum = (r: Readonly<Record<string, number>>) => Object.values(r).reduce((s, n) => s + n, 0);
  return (
    m.operations.reduce((s, o) => s + sum(o.errors), 0) +
    sum(m.streamErrors.watchTasks) +
    sum(m.streamErrors.watchNotifications)
  );
}

/** The unary calls: one row per operation. */
export function operationsTable(m: Measurements): string {
  return table(
    ["call", "calls", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "p95 gRPC", "p95 Connect"],
    m.operations.map((o) => [
      o.operation,
      String(o.latency.count),
      m.seconds > 0 ? (o.latency.count / m.seconds).toFixed(1) : "–",
      ms(o.latency.p50),
      ms(o.latency.p95),
      ms(o.latency.p99),
      ms(o.latency.max),
      errorText(o.errors),
      ms(o.byProtocol.grpc.p95),
      ms(o.byProtocol.connect.p95),
    ]),
  );
}

/** The streams: the change → other-window delay, reminder lateness and stream failures. */
export function streamsTable(m: Measurements): string {
  const w = m.watchDelay;
  const r = m.reminderLateness;
  return table(
    ["measure", "samples", "p50 ms", "p95 ms", "p99 ms", "max ms", "notes"],
    [
      [
        "change → other window (call start → own WatchTasks)",
        String(w.count),
        ms(w.p50),
        ms(w.p95),
        ms(w.p99),
        ms(w.max),
        `${m.watchMissed} never arrived; stream failures: ${errorText(m.streamErrors.watchTasks)}`,
      ],
      [
        "reminder lateness (fire_time → WatchNotifications)",
        String(r.count),
        ms(r.p50),
        ms(r.p95),
        ms(r.p99),
        ms(r.max),
        `${m.remindersDue} due soon were set; stream failures: ${errorText(m.streamErrors.watchNotifications)}`,
      ],
    ],
  );
}

/** Both tables under a heading line with the rate and the sign-up set-up time. */
export function measurementsMarkdown(m: Measurements): string {
  return [
    `${m.callsPerSecond.toFixed(1)} calls/s over ${m.seconds.toFixed(1)} s; ` +
      `sign-up (set-up) p50 ${ms(m.signUp.p50)} ms, p95 ${ms(m.signUp.p95)} ms over ${m.signUp.count} users` +
      (m.backlogAtStart > 0
        ? `; **${m.backlogAtStart} changes of the set-up were still on their way** when measuring started.`
        : "; the set-up's changes had all reached the streams when measuring started.") +
      ` The load generator's own event-loop lag: p99 ${ms(m.loopLag.p99)} ms, max ${ms(m.loopLag.max)} ms.`,
    "",
    operationsTable(m),
    "",
    streamsTable(m),
  ].join("\n");
}
