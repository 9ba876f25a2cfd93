/**
 * Idempotent consumers. Every bus delivers at least once, so a consumer records the id of each event
 * it processed in `<schema>.processed_events`, in the same transaction as the event's effects: a
 * redelivered event finds its id there and changes nothing, and a failed attempt leaves no trace, so
 * its retry starts clean.
 */
import type { Sql, TxSql } from "./db";
import type { CloudEvent, EventHandler } from "./events";
import { checkSchema, withSchemaLock } from "./migrate";

/**
 * Creates `<schema>.processed_events` when missing. Call it right after the service's own `migrate`;
 * it is idempotent and takes the same advisory lock as `migrate`.
 */
export async function ensureProcessedEvents(sql: Sql, schema: string): Promise<void> {
  await withSchemaLock(sql, schema, async (tx) => {
    await tx.unsafe(
      `create table if not exists ${schema}.processed_events (
         consumer text not null,
         event_id text not null,
         process_time timestamptz not null default now(),
         primary key (consumer, event_id))`,
    );
  });
}

/**
 * The effects of one event, written through `tx` (the transaction that also records the event id).
 * `afterCommit` registers work that must wait until that transaction has committed (waking a
 * worker, pushing to live streams); it runs, in the order registered, once it has, and never when it
 * rolled back.
 */
export type TransactionalHandler = (
  tx: TxSql,
  event: CloudEvent,
  afterCommit: (run: () => void) => void,
) => Promise<void>;

/**
 * Wraps `handle` so that each event id is processed at most once by `consumer` (a stable name such as
 * `tag.task-events`): `handle` runs in a transaction that first records (consumer, event id) in
 * `<schema>.processed_events`; when the id is already there the event is skipped. Two concurrent
 * deliveries of one event serialise on that row, and the second one finds it.
 *
 * The handler has a `batch` too (see `EventHandler`): many events in one transaction — one insert
 * records every id, then `handle` runs for each fresh one in order — so a burst costs one commit per
 * batch instead of one per event, while each event is still recorded, and skipped, on its own. With
 * `chainOf`, events of different chains (the task, the user: whatever the consumer's state is kept
 * by) are handled concurrently inside that transaction, so their statements travel together
 * (postgres.js pipelines them); the events of one chain still run one after another, in order.
 */
export function idempotentHandler(
  sql: Sql,
  schema: string,
  consumer: string,
  handle: TransactionalHandler,
  options: { readonly chainOf?: (event: CloudEvent) => string } = {},
): EventHandler {
  checkSchema(schema);
  const table = `${schema}.processed_events`;
  const handleAll = async (events: readonly CloudEvent[]) => {
    const after: (() => void)[] = [];
    const register = (run: () => void) => void after.push(run);
    await sql.begin(async (tx) => {
      const rows = await tx<{ event_id: string }[]>`
        insert into ${tx(table)} (consumer, event_id)
        select ${consumer}, id from unnest(${events.map((e) => e.id)}::text[]) as id
        on conflict do nothing
        returning event_id`;
      const fresh = new Set(rows.map((r) => r.event_id));
      // `delete`: an id given twice is handled once.
      const todo = events.filter((event) => fresh.delete(event.id));
      const chains = new Map<string, CloudEvent[]>();
      for (const event of todo) {
        const chain = options.chainOf ? options.chainOf(event) : "";
        const list = chains.get(chain);
        if (list) list.push(event);
        else chains.set(chain, [event]);
      }
      // Every chain settles before the transaction ends: with Promise.all, a failing chain would
      // end it (ROLLBACK) while the others were still sending statements on its connection.
      const settled = await Promise.allSettled(
        [...chains.values()].map(async (chain) => {
          for (const event of chain) await handle(tx, event, register);
        }),
      );
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
      if (failed) throw failed.reason;
    });
    for (const run of after) run();
  };
  return Object.assign((event: CloudEvent) => handleAll([event]), { batch: handleAll });
}

/** Forgets processed event ids older than `olderThan` (far beyond any redelivery window); returns how many. */
export async function pruneProcessedEvents(sql: Sql, schema: string, olderThan: Date): Promise<number> {
  checkSchema(schema);
  const result =
    await sql`delete from ${sql(`${schema}.processed_events`)} where process_time < ${olderThan}`;
  return result.count;
}
