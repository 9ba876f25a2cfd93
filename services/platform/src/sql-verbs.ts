/**
 * The SQL verbs a statement is named by — one list for the database metrics (`db.operation.name`,
 * metrics-db.ts) and the database spans' names (tracing-db.ts), so a statement has the same
 * operation in a dashboard and in a trace.
 */

/** Verbs that start a statement or a part of one (`INSERT … SELECT`). */
export const STATEMENT_VERBS: ReadonlySet<string> = new Set([
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "MERGE",
  "BEGIN",
  "COMMIT",
  "ROLLBACK",
  "SAVEPOINT",
  "RELEASE",
  "LISTEN",
  "UNLISTEN",
  "NOTIFY",
  "CREATE",
  "ALTER",
  "DROP",
  "TRUNCATE",
  "LOCK",
  "COPY",
  "CALL",
  "VACUUM",
  "ANALYZE",
]);

/** Verbs that name a statement only as its first word (`SET` is also part of `UPDATE … SET`). */
export const LEADING_VERBS: ReadonlySet<string> = new Set([
  "SET",
  "SHOW",
  "RESET",
  "PREPARE",
  "EXECUTE",
  "DO",
  "VALUES",
]);
