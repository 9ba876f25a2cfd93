-- `deliveries` is a queue as well as a history: every delivery is inserted pending, then updated once
-- per attempt, and the workers claim through the partial index `deliveries_due` (pending rows only),
-- which keeps an entry for every superseded row version until a vacuum. PostgreSQL's default waits
-- until 20 % of the table changed — 200 000 updates for a million deliveries, all of them dead
-- entries at the head of the index each claim walks. Vacuum and analyze every 1 000 changes plus
-- 1 % instead (the outbox and jobs tables get fixed thresholds: services/platform/src/queue-tables.ts).
alter table notification.deliveries set (
  autovacuum_vacuum_scale_factor = 0.01,
  autovacuum_vacuum_threshold = 1000,
  autovacuum_analyze_scale_factor = 0.01,
  autovacuum_analyze_threshold = 1000
);
