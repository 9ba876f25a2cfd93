/**
 * Gauges whose value needs a query (outbox backlog, jobs pending, consumer lag, deliveries pending)
 * read it through a refreshing source: the query runs at most once per `METRICS_REFRESH_SECONDS`
 * (default 15) however often — and by however many readers — the process is collected, and a
 * collection waits at most `waitMs` for a slow query, answering with the previous value meanwhile.
 * So scraping often, or a database under stress, never turns into a stream of queries.
 */
import type { BatchObservableResult, Meter, Observable } from "@opentelemetry/api";
import { envInt } from "./config";
import type { Logger } from "./logger";

/** How a refreshing source behaves. */
export interface RefreshOptions {
  /** The longest a value is reused; default `METRICS_REFRESH_SECONDS` × 1000. */
  readonly maxAgeMs?: number;
  /** The longest a collection waits for a query in progress; default 1000 ms. */
  readonly waitMs?: number;
  /** Where failures are reported (one warning per minute at most). */
  readonly logger?: Logger;
  /** Names the source in that warning. */
  readonly name?: string;
}

/** The default reuse period of query-backed gauges, from `METRICS_REFRESH_SECONDS`. */
export function metricsRefreshMs(): number {
  return envInt("METRICS_REFRESH_SECONDS", 15, 0, 3600) * 1000;
}

/**
 * Wraps `load` so that calling the result returns a value at most `maxAgeMs` old when one can be had
 * within `waitMs`, the previous value when the query is still running, and undefined when nothing
 * was ever loaded or the last load failed.
 */
export function refreshing<T>(
  load: () => Promise<T>,
  options: RefreshOptions = {},
): () => Promise<T | undefined> {
  const maxAge = options.maxAgeMs ?? metricsRefreshMs();
  const waitMs = options.waitMs ?? 1000;
  let value: T | undefined;
  let loadedAt = Number.NEGATIVE_INFINITY;
  let failed = false;
  let inFlight: Promise<void> | undefined;
  let warnedAt = Number.NEGATIVE_INFINITY;

  const start = () => {
    inFlight ??= load().then(
      (v) => {
        value = v;
        failed = false;
        loadedAt = performance.now();
        inFlight = undefined;
      },
      (err: unknown) => {
        failed = true;
        loadedAt = performance.now();
        inFlight = undefined;
        if (performance.now() - warnedAt > 60_000) {
          warnedAt = performance.now();
          options.logger?.warn("a metrics query failed; its gauge is left out", {
            source: options.name,
            err,
          });
        }
      },
    );
    return inFlight;
  };

  return async () => {
    if (performance.now() - loadedAt >= maxAge) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([start(), new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
    return failed ? undefined : value;
  };
}

/**
 * Reports `observables` from `load` (wrapped in {@link refreshing}) each time metrics are collected:
 * `emit` turns the loaded value into observations; nothing is reported while no value is known.
 * Returns how to stop (call it before whatever `load` reads from is closed).
 */
export function observeRefreshing<T>(
  meter: Meter,
  observables: Observable[],
  load: () => Promise<T>,
  emit: (result: BatchObservableResult, value: T) => void,
  options: RefreshOptions = {},
): () => void {
  const read = refreshing(load, options);
  const callback = async (result: BatchObservableResult) => {
    const value = await read();
    if (value !== undefined) emit(result, value);
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}
