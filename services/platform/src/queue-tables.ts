/**
 * Storage settings for the platform's queue tables — `<schema>.outbox`, `<schema>.jobs` — whose rows
 * are inserted, claimed and deleted within seconds, so the table is often nearly empty while its
 * dead tuples pile up. PostgreSQL's defaults (vacuum after 20 % of the table changed, analyze after
 * 10 %) are made for tables that grow: a queue of 50 live rows would be vacuumed after 60 deletes, a
 * backlog of 50 000 only after 10 000, with its statistics stale all the while. Fixed thresholds
 * instead: vacuum and analyze every ~1 000 changed rows, unthrottled (the table is small), and no
 * truncation at the end of a vacuum — truncating needs an ACCESS EXCLUSIVE lock that queues every
 * insert and claim behind it on a busy queue.
 */

/** The settings, as `alter table … set (…)` takes them. */
export const QUEUE_TABLE_SETTINGS = [
  "autovacuum_vacuum_scale_factor = 0",
  "autovacuum_vacuum_threshold = 1000",
  "autovacuum_vacuum_insert_scale_factor = 0",
  "autovacuum_vacuum_insert_threshold = 1000",
  "autovacuum_analyze_scale_factor = 0",
  "autovacuum_analyze_threshold = 1000",
  "autovacuum_vacuum_cost_delay = 0",
  "vacuum_truncate = false",
].join(", ");

/**
 * The statement that applies `QUEUE_TABLE_SETTINGS` to `table` (a checked, schema-qualified name).
 * Idempotent and cheap (SHARE UPDATE EXCLUSIVE: inserts and claims go on), so `ensureOutbox` and
 * `ensureJobs` run it at every start and tables made before it get the settings too.
 */
export function queueTableSettings(table: string): string {
  return `alter table ${table} set (${QUEUE_TABLE_SETTINGS})`;
}
