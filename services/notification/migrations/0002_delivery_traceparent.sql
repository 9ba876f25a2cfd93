-- The W3C `traceparent` of the operation that queued a delivery (the `reminders` consumer's
-- `process` span), so every attempt's span continues that trace (docs/tracing.md, "Deliveries").
-- Null when the delivery was queued while tracing was off, and for rows older than this column.
alter table notification.deliveries add column traceparent text;
