/**
 * How an outbox relay claims and settles a batch, bounded so that it cannot stall (issue 13 §5).
 *
 * The stall it prevents: the claim used to be one statement whose head check was a correlated
 * `count(*)` per batch row, joined back to the outbox for the `UPDATE`. The relay prepares its
 * statements, and PostgreSQL switches a prepared statement to a cached *generic* plan after five
 * executions. When that plan was made while the outbox was empty right after a VACUUM (`reltuples`
 * 0, no pages: every estimate one row), it was a nested loop over a sequential scan of the outbox
 * that re-ran the head check — itself a sequential scan — for every outbox row: `rows² × batch`
 * tuples per claim (8 s at 1 000 rows, 77 s at 3 000; at 53 000 it would have run for days), and the
 * plan stayed cached until the next ANALYZE invalidated it. docs/reliability.md ("The outbox relay
 * under load") has the plans and the numbers.
 *
 * What holds now, whatever the plan:
 * - the statement has no correlated subquery and no join the planner can turn quadratic: the head
 *   check reads the rows of the batch's keys once (`key = any(…)`, through `(key, seq)`), the
 *   `UPDATE` finds its rows by `seq = any(…)` — at worst each is one sequential scan;
 * - `plan_cache_mode = force_custom_plan` for the relay's transactions, so each claim is planned for
 *   the table's current size (a plan costs well under a millisecond);
 * - `statement_timeout` on every relay statement (`SET LOCAL`), so a claim stuck behind a lock or a
 *   bad plan fails, is logged and retried instead of holding the relay;
 * - the claim runs through the caller's `cancellable`, to be cancelled when the relay stops, so nothing is
 *   left running in PostgreSQL after the process goes.
 */

import type { Row } from "postgres";
import type { Sql, TxSql } from "./db";
import type { Lease } from "./lease-worker";
import { MetricAttributes } from "./metric-names";
import { platformInstruments } from "./metrics-instruments";

/** The relay's queries are fixed per schema: prepare them once per connection and reuse them. */
const PREPARED = { prepare: true } as const;

/**
 * The claim: up to `$1` rows that are the head of their key among the unclaimed rows, leased to
 * claim `$2` for `$3` ms. `table` is `<schema>.outbox` (already checked).
 *
 * A row is a head when every earlier row of its key is in the batch too: its rank among its key's
 * rows in the table (`earlier`, counted over the rows of the batch's keys up to the batch's last
 * `seq`) equals its rank among its key's rows in the batch (`ranked`).
 */
export function outboxClaimStatement(table: string): string {
  return `with batch as materialized (
       select seq, key from ${table}
       where claimed_until is null or claimed_until < now()
       order by seq
       limit $1
       for update skip locked
     ), ranked as materialized (
       select seq, row_number() over (partition by key order by seq) as n from batch
     ), earlier as materialized (
       select p.seq, row_number() over (partition by p.key order by p.seq) as n
       from ${table} p
       where p.key = any (array(select distinct key from batch))
         and p.seq <= (select max(seq) from batch)
     )
     update ${table} o
     set claim = $2, claimed_until = now() + $3 * interval '1 millisecond'
     where o.seq = any (array(select r.seq from ranked r join earlier e using (seq) where e.n = r.n))
     returning o.seq::text as seq, o.topic, o.key, o.event_id, o.source, o.type, o.subject, o.event_time,
       o.traceparent, o.data_schema, o.data, o.extensions`;
}

/** Bounds `tx`'s statements: `statement_timeout` and per-execution (custom) plans, until it ends. */
async function boundTransaction(tx: TxSql, timeoutMs: number): Promise<void> {
  await tx.unsafe(
    `select set_config('statement_timeout', $1, true), set_config('plan_cache_mode', 'force_custom_plan', true)`,
    [`${Math.max(1, Math.round(timeoutMs))}ms`],
    PREPARED,
  );
}

/** One claim's parameters. */
export interface ClaimRequest {
  readonly table: string;
  readonly batchSize: number;
  readonly token: string;
  readonly leaseMs: number;
  /** The longest each statement may run (`statement_timeout`). */
  readonly timeoutMs: number;
  /** Awaits the claim statement so the relay's `stop()` may cancel it (lease-worker.ts). */
  readonly cancellable?: Lease["cancellable"];
}

/** Claims a batch (see `outboxClaimStatement`) in a bounded transaction; the lease outlives it. */
export async function claimOutboxRows<T extends Row>(sql: Sql, request: ClaimRequest): Promise<T[]> {
  const { table, batchSize, token, leaseMs, timeoutMs, cancellable } = request;
  const rows: T[] = [];
  // In the transaction, so its connection stays ours until a cancel sent for the claim was taken.
  await sql.begin(async (tx) => {
    await boundTransaction(tx, timeoutMs);
    const query = tx.unsafe<T[]>(outboxClaimStatement(table), [batchSize, token, leaseMs], PREPARED);
    rows.push(...(await (cancellable ? cancellable(query) : query)));
  });
  return rows;
}

/** What a round did with its claimed rows. */
export interface ClaimSettlement {
  readonly table: string;
  readonly token: string;
  /** Every row the round claimed. */
  readonly claimed: readonly string[];
  /** The rows the bus accepted: deleted. */
  readonly published: readonly string[];
  /** The rows it refused: their attempt is counted and the error kept. */
  readonly failures: readonly { seq: string; error: string }[];
  readonly timeoutMs: number;
}

/**
 * Deletes the published rows and releases the rest of the claim (failed rows and those queued behind
 * them), in one bounded transaction. Every statement finds its rows by `seq` through the primary key.
 */
export async function settleOutboxClaim(sql: Sql, s: ClaimSettlement): Promise<void> {
  const { table, token } = s;
  await sql.begin(async (tx) => {
    await boundTransaction(tx, s.timeoutMs);
    if (s.published.length > 0) {
      await tx.unsafe(
        `delete from ${table} where seq = any($1::bigint[]) and claim = $2`,
        [s.published, token],
        PREPARED,
      );
    }
    for (const f of s.failures) {
      await tx.unsafe(
        `update ${table} set attempts = attempts + 1, last_error = $2 where seq = $1::bigint and claim = $3`,
        [f.seq, f.error, token],
        PREPARED,
      );
    }
    if (s.published.length < s.claimed.length) {
      await tx.unsafe(
        `update ${table} set claim = null, claimed_until = null where seq = any($1::bigint[]) and claim = $2`,
        [s.claimed, token],
        PREPARED,
      );
    }
  });
}

/**
 * Records each claim's duration in `todo.outbox.claim.duration` (docs/metrics.md), with
 * `error.type` (the SQLSTATE, `57014` for a timeout) when it failed. A no-op while metrics are off.
 */
export function claimMetrics(schema: string): (ms: number, err: unknown) => void {
  const inst = platformInstruments();
  if (!inst) return () => {};
  const ok = { [MetricAttributes.outboxSchema]: schema };
  return (ms, err) => {
    const attributes = err === undefined ? ok : { ...ok, [MetricAttributes.errorType]: errorType(err) };
    inst.outboxClaimDuration.record(ms / 1000, attributes);
  };
}

/** A bounded `error.type`: the SQLSTATE of a database error, else the error's class name. */
function errorType(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  return err instanceof Error ? err.name : "Error";
}
