/**
 * Data: the PostgreSQL/PGlite connection, migrations, the key-value state interface, private data
 * directories, time zones.
 */
export * from "../db";
export * from "../db-unavailable";
export * from "../migrate";
export * from "../private-dir";
export * from "../sql-verbs";
export * from "../state";
export * from "../time-zone";
