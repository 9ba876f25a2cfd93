/**
 * kafkajs's logging, routed into the platform's JSON logger (used by bus-kafka.ts), and the error a
 * subscription raises on purpose to stop mid-retry, which that routing keeps out of the logs.
 */
import { logLevel as KafkaLogLevel, type LogEntry } from "kafkajs";
import type { Logger } from "./logger";

/** Raised inside a handler loop when the bus or the subscription is shutting down. */
export class StoppingError extends Error {
  override readonly name = "StoppingError";
}

/** kafkajs errors it retries by itself (stale metadata, rebalances, coordinator moves): not ours to alarm on. */
const ROUTINE_KAFKAJS_ERROR = /^Response |rebalanc|coordinator|leader|retry/i;

/**
 * Routes kafkajs's own logging into our JSON logger: warnings and errors only. kafkajs logs every
 * error response at ERROR even when it retries and succeeds; those become warnings. The failure a
 * subscription raises on purpose to stop mid-retry is not logged at all.
 */
export function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const {
        message,
        timestamp: _t,
        logger: _l,
        ...fields
      } = entry as typeof entry & Record<string, unknown>;
      if (fields.error instanceof StoppingError) return;
      const text = `kafkajs: ${message}`;
      if (level === KafkaLogLevel.ERROR && !ROUTINE_KAFKAJS_ERROR.test(message)) log.error(text, fields);
      else if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) log.warn(text, fields);
    };
}
