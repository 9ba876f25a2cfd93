/**
 * Spans of jobs (docs/tracing.md, "Jobs"). Scheduling a job stores the W3C `traceparent` of the
 * active span with it (`<schema>.jobs.traceparent`); when the job fires, its `fire <kind>` span
 * (`fire reminder`, `fire next`) is a **child** of that span, and the trigger — the Dapr job's
 * callback, when there is one — is a link.
 *
 * Why parent-child rather than a link to the scheduling span: a reminder's firing is the delayed
 * second half of the change that asked for it, and what comes of it (the `reminders` event, the
 * inbox entry, the webhook) belongs to that change's trace — one trace from the CreateTask to the
 * delivery is what an operator asking "why did (or didn't) this reminder reach me?" wants to open.
 * The trace grows long in time (the span starts when the job fires, maybe days later), which trace
 * stores handle: each span has its own timestamps. The poll or callback that happened to fire the
 * job is incidental, so it is the link. A job scheduled outside any trace gets a root span.
 */
import { type Context, context, type Span, trace } from "@opentelemetry/api";
import type { Job } from "./jobs";
import { jobKind } from "./metric-names";
import { contextFromTraceparent, linksTo, platformTracer, recordFailure, tracingEnabled } from "./tracing";

/** Job span attribute keys (`todo.*`: there is no convention for deferred jobs). */
export const JobSpanAttributes = {
  name: "todo.job.name",
  kind: "todo.job.kind",
  dueTime: "todo.job.due_time",
  lateness: "todo.job.lateness_ms",
  attempt: "todo.job.attempt",
} as const;

const A = JobSpanAttributes;

/** The `fire` spans of one round of jobs. */
export interface JobSpans {
  /** Runs `fn` with `job`'s span active (so its statements and events join the job's trace). */
  run<T>(job: Job, fn: () => T): T;
  /** Marks `job`'s span failed. */
  fail(job: Job, err: unknown): void;
  /** Marks every span of the round failed (the round itself failed). */
  failAll(err: unknown): void;
  /** Ends every span of the round. */
  end(): void;
}

/**
 * Starts a `fire <kind>` span for each of `jobs` (claimed in one round), the child of the span that
 * scheduled it and linked to the active context (the trigger); undefined while tracing is off.
 */
export function startJobSpans(jobs: readonly Job[]): JobSpans | undefined {
  if (!tracingEnabled() || jobs.length === 0) return undefined;
  const trigger = context.active();
  const now = Date.now();
  const spans = new Map<string, { span: Span; ctx: Context }>();
  for (const job of jobs) {
    const kind = jobKind(job.name);
    const parent = job.traceparent ? contextFromTraceparent(job.traceparent) : trigger;
    const span = platformTracer().startSpan(
      `fire ${kind}`,
      {
        attributes: {
          [A.name]: job.name,
          [A.kind]: kind,
          [A.dueTime]: job.dueTime.toISOString(),
          [A.lateness]: Math.max(0, now - job.dueTime.getTime()),
          [A.attempt]: job.attempts + 1,
        },
        links: job.traceparent ? linksTo(trigger) : [],
      },
      parent,
    );
    spans.set(job.name, { span, ctx: trace.setSpan(parent, span) });
  }
  return {
    run(job, fn) {
      const entry = spans.get(job.name);
      return entry ? context.with(entry.ctx, fn) : fn();
    },
    fail(job, err) {
      const entry = spans.get(job.name);
      if (entry) recordFailure(entry.span, err);
    },
    failAll(err) {
      for (const { span } of spans.values()) recordFailure(span, err);
    },
    end() {
      for (const { span } of spans.values()) span.end();
      spans.clear();
    },
  };
}
