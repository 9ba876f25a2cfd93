/**
 * An idempotent kafkajs producer that is replaced when the broker stops accepting its sequence
 * numbers. After a broker restart the broker may answer every produce request of a producer with
 * OUT_OF_ORDER_SEQUENCE_NUMBER (the sequence kafkajs holds for a partition is ahead of what the
 * broker has for that producer id); kafkajs treats it as final but neither bumps the producer's epoch
 * nor asks for a new producer id, as the Java client does since KIP-360, so every send fails from then
 * on. `bun run chaos` found it: after a Kafka restart the task service's outbox relay failed every
 * batch for minutes, and no task event reached any consumer (docs/reliability.md).
 *
 * On that error the producer is replaced by a new one (a new producer id, sequences from 0) and the
 * error is passed on: the records of the failed send were not acknowledged, so their publisher (the
 * outbox relay, a consumer dead-lettering) sends them again — at least once, as before, with the
 * idempotent consumers absorbing a repeat.
 */
import type { Producer } from "kafkajs";
import type { Logger } from "./logger";

const OUT_OF_ORDER = "OUT_OF_ORDER_SEQUENCE_NUMBER";

/** Whether `err` (or an error it wraps, as kafkajs's retrier does) is OUT_OF_ORDER_SEQUENCE_NUMBER. */
export function isOutOfOrderSequence(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    if ((e as { type?: unknown }).type === OUT_OF_ORDER) return true;
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/** The producer in use, replaced after OUT_OF_ORDER_SEQUENCE_NUMBER. */
export interface RenewingProducer {
  /** Runs `fn` with the current producer; replaces it when `fn` fails with OUT_OF_ORDER_SEQUENCE_NUMBER. */
  use<T>(fn: (producer: Producer) => Promise<T>): Promise<T>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** How many times the producer was replaced. */
  readonly renewals: number;
}

/** A producer made by `create`, renewed as described above; `log` says when. */
export function renewingProducer(create: () => Producer, log: Logger): RenewingProducer {
  let producer = create();
  let renewing: Promise<void> | undefined;
  let closed = false;
  let renewals = 0;
  const renew = (failed: Producer) => {
    // Concurrent sends of the failed producer share one renewal; a later failure of the new one renews again.
    if (closed || failed !== producer) return renewing;
    log.warn("the broker refused the Kafka producer's sequence numbers; starting a new producer");
    renewals++;
    producer = create();
    const next = producer;
    renewing = (async () => {
      await failed.disconnect().catch(() => {});
      // A broker still away: kafkajs connects on the next send.
      await next.connect().catch(() => {});
    })().finally(() => {
      renewing = undefined;
    });
    return renewing;
  };
  return {
    async use(fn) {
      if (renewing) await renewing;
      const current = producer;
      try {
        return await fn(current);
      } catch (err) {
        if (isOutOfOrderSequence(err)) await renew(current);
        throw err;
      }
    },
    connect: () => producer.connect(),
    async disconnect() {
      closed = true;
      if (renewing) await renewing;
      await producer.disconnect();
    },
    get renewals() {
      return renewals;
    },
  };
}
