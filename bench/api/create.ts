/**
 * The API benchmark's `create` phase: CreateTask with varied text, each client as its own user. Each
 * create writes the task, its history and its outbox events in one transaction (concurrent creates
 * share one: create-batch.ts); the relay then publishes the events to the tag service and the
 * scheduler, whose consumers apply them in transactions of their own — all in the server process
 * while the phase is measured, so the outbox's backlog is sampled throughout: a rate is sustained
 * only if the backlog stayed small. After each load the outboxes are drained, so what follows does
 * not pay for this one's backlog, and how big it was is noted.
 */
import postgres from "postgres";
import type { CpuProbe } from "./cpu";
import { measure, type PhaseResult, rateOf } from "./measure";
import type { ApiRun } from "./options";
import { type BenchUser, createTaskOp } from "./server";

/** The outbox backlog may stay under this many rows … */
const BOUNDED_ROWS = 1000;
/** … and its oldest row under this age (s) for a rate to count as sustained (issue 15 §2). */
const BOUNDED_AGE_S = 1;

/**
 * Measures CreateTask as `users` on the server whose database is `url`: at saturation, then paced,
 * each with the task outbox's backlog sampled throughout — a rate whose backlog stayed under
 * 1 000 rows, the oldest under 1 s, is sustained (the events of its creates were relayed and
 * consumed as fast as they came); a rate that only grew the backlog is a burst rate.
 */
export async function createPhase(
  run: ApiRun,
  url: string,
  users: readonly BenchUser[],
  cpu: CpuProbe | undefined,
): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const op = createTaskOp(users, 2);
    const closed = await withBacklog(sql, () => measure(run, "CreateTask", run.options.concurrency, op, cpu));
    run.results.push(closed.result);
    // The paced run starts from an empty outbox, so its backlog is its own.
    run.notes.push(await drainNote(sql, "closed loop"));
    run.log(run.notes.at(-1) as string);
    const rate =
      run.options.pacedRate ??
      Math.max(1, (run.options.pacedFraction * closed.result.calls) / closed.result.seconds);
    const paced = await withBacklog(sql, () =>
      measure(run, "CreateTask", run.options.concurrency, op, cpu, rate),
    );
    run.results.push(paced.result);
    for (const { result, backlog } of [closed, paced]) {
      const bounded = backlog.rows < BOUNDED_ROWS && backlog.ageS < BOUNDED_AGE_S;
      run.notes.push(
        `CreateTask ${result.load === "closed loop" ? `closed loop at ${Math.round(rateOf(result)).toLocaleString("en")}/s` : result.load}: the task outbox held at most ` +
          `${backlog.rows.toLocaleString("en")} rows, the oldest ${backlog.ageS.toFixed(2)} s old — ` +
          (bounded
            ? "**sustained** (under 1 000 rows and 1 s)"
            : "a **burst** rate (the backlog grew past 1 000 rows or 1 s)") +
          ".",
      );
    }
    run.notes.push(await drainNote(sql, "paced"));
    run.log(run.notes.at(-1) as string);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The largest backlog seen while `measured` ran, sampled every 250 ms. */
async function withBacklog(
  sql: postgres.Sql,
  measured: () => Promise<PhaseResult>,
): Promise<{ result: PhaseResult; backlog: { rows: number; ageS: number } }> {
  const backlog = { rows: 0, ageS: 0 };
  let running = true;
  const sampling = (async () => {
    while (running) {
      const [row] = await sql<{ rows: number; age: number }[]>`
        select count(*)::int as rows,
          coalesce(extract(epoch from now() - min(create_time)), 0)::float8 as age
        from task.outbox`;
      backlog.rows = Math.max(backlog.rows, row?.rows ?? 0);
      backlog.ageS = Math.max(backlog.ageS, row?.age ?? 0);
      await Bun.sleep(250);
    }
  })();
  try {
    return { result: await measured(), backlog };
  } finally {
    running = false;
    await sampling;
  }
}

/** Events left in the task and tag outboxes. */
export interface OutboxCounts {
  readonly task: number;
  readonly tag: number;
}

/**
 * Waits (polling on `sql`) until `task.outbox` and `tag.outbox` are empty, at most `timeoutMs`; returns
 * what they held at first and at the end, and how long it took. The cost phase leaves this statement
 * out of its counts by its text (cost.ts).
 */
export async function drainOutboxes(
  sql: postgres.Sql,
  timeoutMs: number,
): Promise<{ first: OutboxCounts; last: OutboxCounts; seconds: number }> {
  const t0 = performance.now();
  const count = async () => {
    const [row] = await sql<OutboxCounts[]>`
      select (select count(*) from task.outbox)::int as task, (select count(*) from tag.outbox)::int as tag`;
    return row as OutboxCounts;
  };
  const first = await count();
  let last = first;
  while ((last.task > 0 || last.tag > 0) && performance.now() - t0 < timeoutMs) {
    await Bun.sleep(50);
    last = await count();
  }
  return { first, last, seconds: (performance.now() - t0) / 1000 };
}

/** Drains the outboxes after CreateTask's `load` and says how big the backlog was and how long it took. */
async function drainNote(sql: postgres.Sql, load: string): Promise<string> {
  const { first, last, seconds } = await drainOutboxes(sql, 300_000);
  const secs = seconds.toFixed(1);
  return last.task > 0 || last.tag > 0
    ? `After CreateTask ${load} the outboxes still held ${last.task} task and ${last.tag} tag events after ${secs} s.`
    : `Event backlog when CreateTask ${load} ended: ${first.task} task and ${first.tag} tag events in the ` +
        `outboxes, relayed and consumed within ${secs} s.`;
}
