/**
 * The daily digest of overdue tasks (docs/digest.md). A run — triggered by the Dapr cron input
 * binding `daily-digest` — finds every user with open tasks due before now and, for each user whose
 * local time (their zone from `task.user_zones`, else UTC) is at or past `digestHour` on a local date
 * they have had no digest for yet:
 *
 * 1. claims that day in the key/value state (`digest|<user id>` → `YYYY-MM-DD`, first write wins),
 *    so of several replicas or overlapping runs exactly one goes on;
 * 2. writes a `DigestDue` (the overdue count and the first 10 overdue tasks) into the task outbox,
 *    on `reminders`, keyed by user id — the notification service turns it into one inbox entry;
 * 3. if that write fails, puts the claim back as it was, so a later run tries again.
 *
 * The claim comes first and the outbox write second, in two stores: a crash between the two loses
 * that user's digest for the day (at most once, by design — a digest is a nudge; two would be spam).
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { TASK_EVENT_SOURCE } from "@todo/events";
import { type DigestDue, DigestDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import {
  canonicalTimeZone,
  createLogger,
  EventTypes,
  type Logger,
  type Sql,
  Topics,
  type TxSql,
  toCloudEvent,
} from "@todo/platform";
import type { KeyValueState } from "@todo/platform/data";
import { enqueueEvent } from "@todo/platform/events";
import { instrumentsFor } from "@todo/platform/telemetry";
import { Temporal } from "temporal-polyfill";

/** The name of the Dapr cron input binding that triggers runs. */
export const DIGEST_BINDING = "daily-digest";
/** The local hour from which a user's digest is due, unless `DIGEST_HOUR` says otherwise. */
export const DEFAULT_DIGEST_HOUR = 8;
/** How many overdue tasks a digest lists (it counts them all). */
export const DIGEST_MAX_TASKS = 10;

/** The state key of a user's digest bookkeeping; its value is the local date of their last digest. */
export function digestStateKey(userId: string): string {
  return `digest|${userId}`;
}

/** Writes one digest's event inside the run's transaction for that user. */
export type DigestEmitter = (tx: TxSql, digest: DigestDue) => Promise<void>;

/** The default emitter: the `DigestDue` CloudEvent into the task outbox, on `reminders`, keyed by user id. */
export const emitDigestDue: DigestEmitter = async (tx, digest) => {
  const event = toCloudEvent(DigestDueSchema, digest, {
    source: TASK_EVENT_SOURCE,
    type: EventTypes.digestDue,
    subject: digest.userId,
  });
  await enqueueEvent(tx, "task", { topic: Topics.reminders, key: digest.userId, event });
};

/** What a run needs. */
export interface DigestDeps {
  readonly sql: Sql;
  /** Where each user's day is claimed (the Dapr state store in production). */
  readonly state: KeyValueState;
  /** The current time; default the system clock. */
  readonly clock?: () => Date;
  /** The local hour (0–23) from which a user's digest is due; default 8. */
  readonly digestHour?: number;
  /** Writes the event; default `emitDigestDue` (the outbox). */
  readonly emit?: DigestEmitter;
  /** Called after a digest's transaction committed (wake the outbox relay). */
  readonly afterCommit?: () => void;
  /** How many users are handled at once; default 4. */
  readonly concurrency?: number;
  readonly logger?: Logger;
}

/** What a run did. */
export interface DigestOutcome {
  /** Users with open overdue tasks. */
  readonly candidates: number;
  /** The users whose digest this run wrote, in no particular order. */
  readonly sent: readonly string[];
  /** Candidates whose local time is still before the digest hour. */
  readonly notYet: number;
  /** Candidates who had today's digest already (or another run claimed it first). */
  readonly alreadyDone: number;
  /** Candidates whose tasks stopped being overdue between the search and the claim. */
  readonly nothingDue: number;
  /** Candidates whose digest failed (logged; their claim was put back, so a later run retries). */
  readonly failed: number;
}

/** The user's local date (`YYYY-MM-DD`) at `now` when their local time is at or past `hour`, else undefined. */
export function digestDayAt(now: Date, timeZone: string, hour: number): string | undefined {
  const local = Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO(timeZone);
  return local.hour >= hour ? local.toPlainDate().toString() : undefined;
}

interface Candidate {
  user_id: string;
  time_zone: string | null;
}

interface OverdueRow {
  id: string;
  title: string;
  due_time: Date;
  total: number;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/**
 * One digest run (see the file comment). Resolves with what it did; rejects only when the search
 * for candidates fails. A failure for one user is logged and counted, and the others go on.
 */
export async function runDigest(deps: DigestDeps): Promise<DigestOutcome> {
  const { sql, state } = deps;
  const now = (deps.clock ?? (() => new Date()))();
  const hour = deps.digestHour ?? DEFAULT_DIGEST_HOUR;
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) {
    throw new Error(`digestHour must be an hour 0-23, got ${hour}`);
  }
  const emit = deps.emit ?? emitDigestDue;
  const log = deps.logger ?? createLogger("task.digest");

  // status 1 is TaskStatus.OPEN; deleted tasks are gone from the table. Written as literals so the
  // partial index tasks_open_due (migration 0004) serves the search.
  const candidates = await sql<Candidate[]>`
    select t.user_id::text as user_id, min(z.time_zone) as time_zone
    from task.tasks t left join task.user_zones z on z.user_id = t.user_id
    where t.status = 1 and t.due_time < ${now}
    group by t.user_id
    order by t.user_id`;

  const sent: string[] = [];
  let notYet = 0;
  let alreadyDone = 0;
  let nothingDue = 0;
  let failed = 0;

  const digestOne = async (c: Candidate) => {
    const zone = (c.time_zone && canonicalTimeZone(c.time_zone)) || "UTC";
    const day = digestDayAt(now, zone, hour);
    if (!day) {
      notYet++;
      return;
    }
    const key = digestStateKey(c.user_id);
    const before = await state.get(key);
    // Dates compare as text. A later date stored (a user who moved west) also counts as done.
    if (before && before.value >= day) {
      alreadyDone++;
      return;
    }
    if (!(await state.setIf(key, day, before?.etag))) {
      alreadyDone++;
      return;
    }
    const undo = async () => {
      const claimed = await state.get(key);
      if (claimed?.value !== day) return;
      const restored = before
        ? await state.setIf(key, before.value, claimed.etag)
        : await state.deleteIf(key, claimed.etag);
      if (!restored) log.warn("the digest claim changed before it could be put back", { user_id: c.user_id });
    };
    let written: boolean;
    try {
      written = await sql.begin(async (tx) => {
        const rows = await tx<OverdueRow[]>`
          select id::text as id, title, due_time, (count(*) over ())::int as total
          from task.tasks
          where user_id = ${c.user_id} and status = 1 and due_time < ${now}
          order by due_time, id
          limit ${DIGEST_MAX_TASKS}`;
        const first = rows[0];
        if (!first) return false;
        await emit(
          tx,
          create(DigestDueSchema, {
            userId: c.user_id,
            localDate: day,
            timeZone: zone,
            overdueCount: first.total,
            tasks: rows.map((r) => ({ id: r.id, title: r.title, dueTime: timestampFromDate(r.due_time) })),
            digestTime: timestampFromDate(now),
          }),
        );
        return true;
      });
    } catch (err) {
      await undo().catch((undoErr) =>
        log.error("putting back a digest claim failed; this user gets no digest today", {
          user_id: c.user_id,
          err: undoErr,
        }),
      );
      throw err;
    }
    if (!written) {
      nothingDue++;
      await undo();
      return;
    }
    sent.push(c.user_id);
    deps.afterCommit?.();
  };

  await forEachLimited(candidates, deps.concurrency ?? 4, async (c) => {
    try {
      await digestOne(c);
    } catch (err) {
      failed++;
      log.error("a user's daily digest failed; a later run retries", { user_id: c.user_id, err });
    }
  });

  return { candidates: candidates.length, sent, notYet, alreadyDone, nothingDue, failed };
}

/** Digest metrics (docs/metrics.md, "Daily digest"), or undefined while metrics are off. */
function digestInstruments() {
  return instrumentsFor("todo.task", "digest", (meter) => ({
    runs: meter.createCounter("todo.digest.runs", {
      unit: "{run}",
      description: "Digest runs by outcome (completed, failed, skipped).",
    }),
    duration: meter.createHistogram("todo.digest.run.duration", {
      unit: "s",
      description: "Duration of a digest run.",
      advice: { explicitBucketBoundaries: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300] },
    }),
    users: meter.createCounter("todo.digest.users", {
      unit: "{user}",
      description: "Candidate users of digest runs, by what the run did for them.",
    }),
  }));
}

/**
 * The handler of the `daily-digest` binding: one run at a time per process (a trigger arriving while
 * a run is still going is answered at once — the claims make the next trigger pick up whatever this
 * one could not), each run's outcome logged and counted.
 */
export function createDigestTrigger(deps: DigestDeps): () => Promise<void> {
  const log = deps.logger ?? createLogger("task.digest");
  const metrics = digestInstruments();
  let running = false;
  return async () => {
    if (running) {
      log.info("a digest run is still going; skipping this trigger");
      metrics?.runs.add(1, { "todo.digest.outcome": "skipped" });
      return;
    }
    running = true;
    const started = performance.now();
    try {
      const outcome = await runDigest({ ...deps, logger: log });
      log.info("digest run", { ...outcome, sent: outcome.sent.length });
      if (metrics) {
        const completed = { "todo.digest.outcome": "completed" };
        metrics.runs.add(1, completed);
        metrics.duration.record((performance.now() - started) / 1000, completed);
        for (const [result, n] of [
          ["sent", outcome.sent.length],
          ["not_yet", outcome.notYet],
          ["already_done", outcome.alreadyDone],
          ["nothing_due", outcome.nothingDue],
          ["failed", outcome.failed],
        ] as const) {
          if (n > 0) metrics.users.add(n, { "todo.digest.result": result });
        }
      }
    } catch (err) {
      if (metrics) {
        const failed = { "todo.digest.outcome": "failed" };
        metrics.runs.add(1, failed);
        metrics.duration.record((performance.now() - started) / 1000, failed);
      }
      throw err;
    } finally {
      running = false;
    }
  };
}
