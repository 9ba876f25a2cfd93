/**
 * The transactional outbox. A service writes its change and the events describing it in one
 * transaction (`enqueueEvent` inserts into `<schema>.outbox`); a relay (`startOutboxRelay`) later
 * publishes the rows on the `EventBus` and deletes them only once the bus accepted them. A crash
 * between commit and publish therefore loses nothing: the rows are still there when a relay next
 * looks, and the worst case is a duplicate that idempotent consumers ignore.
 *
 * Ordering: rows are published in `seq` (insertion) order per key. Producers keep that order equal
 * to commit order by locking the entity a key stands for (the task or tag row) before enqueueing,
 * which every write path does anyway.
 *
 * Several relays may run on one schema (replicas): each claims a batch with `FOR UPDATE SKIP LOCKED`
 * and a time-limited lease, skipping any row whose key has an earlier row held by someone else, so
 * one key is never published by two relays at once. The relay holds no transaction while it
 * publishes — PGlite runs one transaction at a time, so doing so would stall every other query.
 */

import type { Sql, TxSql } from "./db";
import type { CloudEvent, EventBus, PublishEntry } from "./events";
import { createLeaseWorker, type HandleOutcome, type Lease } from "./lease-worker";
import { createLogger, type Logger } from "./logger";
import { MetricAttributes } from "./metric-names";
import { platformInstruments } from "./metrics-instruments";
import { observeRefreshing } from "./metrics-refresh";
import { checkSchema, withSchemaLock } from "./migrate";
import { claimMetrics, claimOutboxRows, settleOutboxClaim } from "./outbox-claim";
import { queueTableSettings } from "./queue-tables";

/** The relay's queries are fixed per schema: prepare them once per connection and reuse them. */
const PREPARED = { prepare: true } as const;

/** The LISTEN/NOTIFY channel `enqueueEvent` notifies and relays listen on: `<schema>_outbox`. */
export function outboxChannel(schema: string): string {
  return `${checkSchema(schema)}_outbox`;
}

/**
 * Creates `<schema>.outbox` when missing. Call it right after the service's own `migrate`; it is
 * idempotent and takes the same advisory lock as `migrate`, so replicas starting together are safe.
 * The primary key serves the claim's `order by seq` and every lookup by `seq`, `(key, seq)` its head
 * check; the table gets the queue-table autovacuum settings (queue-tables.ts), at every start.
 */
export async function ensureOutbox(sql: Sql, schema: string): Promise<void> {
  await withSchemaLock(sql, schema, async (tx) => {
    await tx
      .unsafe(
        `create table if not exists ${schema}.outbox (
           seq bigint generated always as identity primary key,
           topic text not null,
           key text not null,
           event_id text not null,
           source text not null,
           type text not null,
           subject text not null,
           event_time timestamptz not null,
           traceparent text,
           data_schema text not null,
           data bytea not null,
           extensions jsonb,
           create_time timestamptz not null default now(),
           claim uuid,
           claimed_until timestamptz,
           attempts integer not null default 0,
           last_error text
         );
         create index if not exists outbox_key_seq on ${schema}.outbox (key, seq);
         ${queueTableSettings(`${schema}.outbox`)};`,
      )
      .simple();
  });
}

/** The columns `enqueueEvents` writes, in order. */
const OUTBOX_COLUMNS = [
  "topic",
  "key",
  "event_id",
  "source",
  "type",
  "subject",
  "event_time",
  "traceparent",
  "data_schema",
  "data",
  "extensions",
] as const;

/**
 * Adds `entries` to `<schema>.outbox` inside the caller's transaction `tx`, in the order given (their
 * `seq`s follow it, so events of one key keep it), and notifies `<schema>_outbox` so relays on a real
 * PostgreSQL wake when the transaction commits. In-process relays (the embedded mode, where NOTIFY
 * does not reach listeners) need `relay.wake()` after commit. One statement, whatever the count.
 */
export async function enqueueEvents(
  tx: TxSql,
  schema: string,
  entries: readonly PublishEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map(({ topic, key, event }) => ({
    topic,
    key,
    event_id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    event_time: event.time,
    traceparent: event.traceparent ?? null,
    data_schema: event.dataSchema,
    data: Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength),
    extensions: event.extensions ? tx.json(event.extensions) : null,
  }));
  // One round trip: the insert, and one notification (delivered at commit, repeats collapsed).
  await tx`
    with added as (
      insert into ${tx(`${checkSchema(schema)}.outbox`)} ${tx(rows as never, ...OUTBOX_COLUMNS)}
      returning 1)
    select pg_notify(${outboxChannel(schema)}, '') where exists (select from added)`;
}

/** Adds one event to `<schema>.outbox` in `tx` (`enqueueEvents` of one). */
export function enqueueEvent(tx: TxSql, schema: string, entry: PublishEntry): Promise<void> {
  return enqueueEvents(tx, schema, [entry]);
}

/** How a relay runs. */
export interface OutboxRelayOptions {
  readonly sql: Sql;
  readonly schema: string;
  readonly bus: EventBus;
  /** How often to look for rows without being woken; default 1000 ms (use ~250 ms in embedded mode). */
  readonly pollIntervalMs?: number;
  /** LISTEN on `<schema>_outbox` (real PostgreSQL only; default true). Pass false for PGlite. */
  readonly listen?: boolean;
  /** Rows claimed per round; default 100. */
  readonly batchSize?: number;
  /**
   * How long a claim lasts before another relay may take the rows over (rows a crashed relay had
   * claimed wait this long); default 30 s.
   */
  readonly leaseMs?: number;
  /** First and longest wait after a failure (doubling in between); default 100 ms and 10 s. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * The longest any relay statement may run (`statement_timeout`): a claim stuck behind a lock or a
   * bad plan fails and is retried with backoff instead of holding the relay; default 10 s.
   */
  readonly claimTimeoutMs?: number;
  /** A claim taking this long is logged (warn) with its duration; default 1000 ms. */
  readonly slowClaimMs?: number;
  readonly logger?: Logger;
}

/** A running relay. */
export interface OutboxRelay {
  /** Looks for new rows now (call after committing a transaction that enqueued events). */
  wake(): void;
  /**
   * Stops the relay after the round in progress, cancelling a claim still running in PostgreSQL;
   * unpublished rows stay for the next start.
   */
  stop(): Promise<void>;
}

interface OutboxRow {
  seq: string;
  topic: string;
  key: string;
  event_id: string;
  source: string;
  type: string;
  subject: string;
  event_time: Date;
  traceparent: string | null;
  data_schema: string;
  data: Uint8Array;
  extensions: Record<string, string> | null;
}

function rowToEvent(row: OutboxRow): CloudEvent {
  return {
    id: row.event_id,
    source: row.source,
    type: row.type,
    subject: row.subject,
    time: row.event_time,
    ...(row.traceparent ? { traceparent: row.traceparent } : {}),
    dataContentType: "application/protobuf",
    dataSchema: row.data_schema,
    data: new Uint8Array(row.data),
    ...(row.extensions ? { extensions: row.extensions } : {}),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Starts publishing `<schema>.outbox` on `bus`: a lease worker (lease-worker.ts) woken by NOTIFY
 * (real PostgreSQL), by `wake()`, and every `pollIntervalMs` as a fallback; it backs off
 * exponentially while publishing or the database fails, and a wake does not cut that short. A row
 * is deleted only after `bus.publish` resolved for it.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { sql, bus } = options;
  const schema = checkSchema(options.schema);
  const table = `${schema}.outbox`;
  const batchSize = options.batchSize ?? 100;
  const log = options.logger ?? createLogger(`outbox-relay.${schema}`);
  const claimTimeoutMs = options.claimTimeoutMs ?? 10_000;
  const slowClaimMs = options.slowClaimMs ?? 1000;
  const claimTimer = claimMetrics(schema);

  /** Claims up to `batchSize` heads of their keys (outbox-claim.ts), timing it and logging it when slow. */
  const claim = async (lease: Lease): Promise<OutboxRow[]> => {
    const started = performance.now();
    let rows: OutboxRow[] | undefined;
    let failure: unknown;
    try {
      rows = await claimOutboxRows<OutboxRow>(sql, {
        table,
        batchSize,
        token: lease.token,
        leaseMs: lease.leaseMs,
        timeoutMs: claimTimeoutMs,
        cancellable: lease.cancellable,
      });
      return rows;
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      const ms = performance.now() - started;
      claimTimer(ms, failure);
      if (ms >= slowClaimMs && !lease.stopping) {
        log.warn("outbox claim was slow", {
          schema,
          duration_ms: Math.round(ms),
          rows: rows?.length ?? 0,
          ...(failure ? { err: failure } : {}),
        });
      }
    }
  };

  /** Publishes one claimed batch and settles it; `failed` when any publish failed. */
  const publish = async (claimed: readonly OutboxRow[], lease: Lease): Promise<HandleOutcome> => {
    const rows = [...claimed].sort((a, b) => (BigInt(a.seq) < BigInt(b.seq) ? -1 : 1));
    const published: string[] = [];
    const failures: { seq: string; error: string }[] = [];
    if (bus.publishBatch) {
      // The whole batch in one call, in seq order, so each key's order holds. A failure may have
      // published part of it: every row stays and is published again (consumers are idempotent).
      try {
        await bus.publishBatch(
          rows.map((row) => ({ topic: row.topic, key: row.key, event: rowToEvent(row) })),
        );
        published.push(...rows.map((row) => row.seq));
      } catch (err) {
        const error = errorText(err);
        failures.push(...rows.map((row) => ({ seq: row.seq, error })));
        log.warn("publishing a batch of outbox events failed", { count: rows.length, err });
      }
    } else {
      const byKey = new Map<string, OutboxRow[]>();
      for (const row of rows) {
        const list = byKey.get(row.key);
        if (list) list.push(row);
        else byKey.set(row.key, [row]);
      }
      // Keys are independent: publish them concurrently, each key's rows strictly one after another,
      // stopping at a key's first failure so nothing overtakes it.
      await Promise.all(
        [...byKey.values()].map(async (list) => {
          for (const row of list) {
            try {
              await bus.publish(row.topic, row.key, rowToEvent(row));
              published.push(row.seq);
            } catch (err) {
              failures.push({ seq: row.seq, error: errorText(err) });
              log.warn("publishing an outbox event failed", {
                event_id: row.event_id,
                topic: row.topic,
                err,
              });
              return;
            }
          }
        }),
      );
    }
    await settleOutboxClaim(sql, {
      table,
      token: lease.token,
      claimed: rows.map((row) => row.seq),
      published,
      failures,
      timeoutMs: claimTimeoutMs,
    });
    return { failed: failures.length > 0 };
  };

  const worker = createLeaseWorker<OutboxRow>({
    claim,
    handle: publish,
    batchSize,
    leaseMs: options.leaseMs ?? 30_000,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    backoff: { minMs: options.minBackoffMs ?? 100, maxMs: options.maxBackoffMs ?? 10_000 },
    // Every commit wakes an in-process relay: a failing bus would be retried per write otherwise.
    wakeDuringBackoff: false,
    ...((options.listen ?? true) ? { listen: { sql, channel: outboxChannel(schema) } } : {}),
    logger: log,
    roundFailedMessage: "outbox relay round failed",
  });
  const unobserve = observeBacklog(sql, schema, log);
  worker.start();

  return {
    wake: () => worker.wake(),
    async stop() {
      if (!worker.stopped) unobserve();
      await worker.stop();
    },
  };
}

/**
 * Reports `todo.outbox.rows` and `todo.outbox.oldest_age` for `<schema>.outbox` (docs/metrics.md):
 * one query — the count, and the oldest row found through the primary key — at most once per
 * METRICS_REFRESH_SECONDS. Returns how to stop; a no-op while metrics are off.
 */
function observeBacklog(sql: Sql, schema: string, log: Logger): () => void {
  const inst = platformInstruments();
  if (!inst) return () => {};
  const attributes = { [MetricAttributes.outboxSchema]: schema };
  const table = `${schema}.outbox`;
  return observeRefreshing(
    inst.meter,
    [inst.outboxRows, inst.outboxOldestAge],
    async () => {
      const [row] = await sql.unsafe<{ rows: number; age: number }[]>(
        `select (select count(*) from ${table})::int as rows,
           coalesce(extract(epoch from now() - (select create_time from ${table} order by seq limit 1)), 0)::float8 as age`,
        [],
        PREPARED,
      );
      return row ?? { rows: 0, age: 0 };
    },
    (result, { rows, age }) => {
      result.observe(inst.outboxRows, rows, attributes);
      result.observe(inst.outboxOldestAge, Math.max(0, age), attributes);
    },
    { logger: log, name: `${table} backlog` },
  );
}
