/**
 * The Postgres job scheduler's metrics (docs/metrics.md, "Jobs"): how late each job fired
 * (`todo.job.lateness`), failed attempts (`todo.job.failures`), and the table's pending and due jobs
 * (`todo.job.pending`, `todo.job.due`), all by `todo.job.kind` — the part of the job name before its
 * first `/` (`reminder/…` → `reminder`), so the label stays bounded whatever the names are.
 */
import type { Sql } from "./db";
import type { Job } from "./jobs";
import type { Logger } from "./logger";
import { jobKind, MetricAttributes } from "./metric-names";
import { platformInstruments } from "./metrics-instruments";
import { observeRefreshing } from "./metrics-refresh";

/** One scheduler's job metrics; every method is a no-op while metrics are off. */
export interface JobMetrics {
  /** Records fired − due for jobs whose firing transaction has just committed. */
  fired(jobs: readonly Job[]): void;
  /** Counts one failed attempt of the job named `name`. */
  failed(name: string): void;
  /** Starts reporting pending and due jobs of `table` (one grouped query per refresh); returns how to stop. */
  observePending(sql: Sql, table: string, log: Logger): () => void;
}

/** Creates the metrics of one scheduler. */
export function jobMetrics(): JobMetrics {
  const inst = platformInstruments();
  const kindAttributes = new Map<string, { [MetricAttributes.jobKind]: string }>();
  const kindOf = (name: string) => {
    const kind = jobKind(name);
    let attrs = kindAttributes.get(kind);
    if (!attrs) {
      attrs = { [MetricAttributes.jobKind]: kind };
      kindAttributes.set(kind, attrs);
    }
    return attrs;
  };

  return {
    fired(jobs) {
      if (!inst || jobs.length === 0) return;
      const now = Date.now();
      for (const job of jobs) {
        inst.jobLateness.record(Math.max(0, now - job.dueTime.getTime()) / 1000, kindOf(job.name));
      }
    },

    failed(name) {
      inst?.jobFailures.add(1, kindOf(name));
    },

    observePending(sql, table, log) {
      if (!inst) return () => {};
      return observeRefreshing(
        inst.meter,
        [inst.jobPending, inst.jobDue],
        () =>
          sql.unsafe<{ kind: string; pending: number; due: number }[]>(
            `select case when strpos(name, '/') > 1 then split_part(name, '/', 1) else 'other' end as kind,
               count(*)::int as pending,
               (count(*) filter (where run_time <= now()))::int as due
             from ${table} group by 1`,
            [],
            { prepare: true },
          ),
        (result, rows) => {
          for (const row of rows) kindOf(`${row.kind}/`);
          // Every kind seen so far is reported, at 0 once none are pending.
          const byKind = new Map(rows.map((r) => [r.kind, r]));
          for (const [kind, attrs] of kindAttributes) {
            const row = byKind.get(kind);
            result.observe(inst.jobPending, row?.pending ?? 0, attrs);
            result.observe(inst.jobDue, row?.due ?? 0, attrs);
          }
        },
        { logger: log, name: `${table} pending` },
      );
    },
  };
}
