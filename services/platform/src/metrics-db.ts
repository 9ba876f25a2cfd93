/**
 * Database client metrics (docs/metrics.md, "Database client"): how long each SQL statement takes,
 * and how much of the connection pool is in use.
 *
 * postgres.js (3.4) has no hook around a query. Every statement is a `Query` object (a Promise
 * subclass) that runs when first awaited (`handle()`) and settles through its own `resolve` and
 * `reject` fields, which the connection calls with the result (always as methods). `instrumentPostgres`
 * wraps `Query.prototype.handle` once per process: on a query's first run it notes the time and puts
 * two shared functions in front of that query's `resolve`/`reject`, which record the duration when
 * it settles. Nothing else changes — same result, same error, same timing of execution — and it is
 * installed only while metrics are on.
 *
 * The pool is not exposed either, so `observePool` counts what the process hands it: transactions
 * open (each holds a connection throughout; `sql.begin` is wrapped) and statements in flight outside
 * a transaction (recognised by the pool's own query handler). postgres.js opens a connection per
 * concurrent statement up to the pool size, so min(max, demand) is the connections in use and the
 * rest of the demand is waiting.
 */
import type { Attributes } from "@opentelemetry/api";
import type { Sql } from "./db";
import { MetricAttributes } from "./metric-names";
import type { BoundHistogram, FastHistogram } from "./metrics-bound";
import { instrumentsFor, PLATFORM_METER, platformInstruments } from "./metrics-instruments";
import { LEADING_VERBS, STATEMENT_VERBS } from "./sql-verbs";

/** The parts of a postgres.js `Query` this module (and tracing-db.ts) touches. */
export interface QueryLike {
  executed: boolean;
  strings: readonly string[];
  handler: unknown;
  options: { onexecute?: unknown };
  cursorRows?: number;
  resolve: (value: unknown) => unknown;
  reject: (err: unknown) => unknown;
  handle(): Promise<void>;
}

/** A statement's operation is the first of these in its text (sql-verbs.ts, shared with its span). */
const VERBS = new Set([...STATEMENT_VERBS, ...LEADING_VERBS]);
const WORD = /[A-Za-z]+/g;

/**
 * `db.operation.name` for a statement: its first SQL verb in upper case (`WITH …` gives the first
 * verb inside it), `_OTHER` when none is found in its first 400 characters.
 */
export function operationName(text: string): string {
  const head = text.slice(0, 400);
  WORD.lastIndex = 0;
  for (let m = WORD.exec(head); m; m = WORD.exec(head)) {
    const word = m[0].toUpperCase();
    if (VERBS.has(word)) return word;
  }
  return "_OTHER";
}

const STARTED = Symbol("todo.metrics.started");
const POOL = Symbol("todo.metrics.pool");
const RESOLVE = Symbol("todo.metrics.resolve");
const REJECT = Symbol("todo.metrics.reject");

/** A query being timed: when it was issued, its pool, and its own resolve and reject. */
interface TimedQuery extends QueryLike {
  [STARTED]?: number | undefined;
  [POOL]?: PoolState | undefined;
  [RESOLVE]?: (value: unknown) => unknown;
  [REJECT]?: (err: unknown) => unknown;
}

/** One pool's demand, counted by the hooks. */
interface PoolState {
  readonly max: number;
  readonly attributes: Attributes;
  readonly usedAttributes: Attributes;
  transactions: number;
  statements: number;
}

const pools = new Map<unknown, PoolState>();
let uninstall: (() => void) | undefined;

/** Bound duration series: by tagged-template call site and by verb for successes, by verb and code for failures. */
const okByTemplate = new WeakMap<readonly string[], BoundHistogram>();
const okByOperation = new Map<string, BoundHistogram>();
const failedBy = new Map<string, BoundHistogram>();
const operationByText = new Map<string, string>();

function operationOf(query: QueryLike): string {
  const text = query.strings[0] ?? "";
  let op = operationByText.get(text);
  if (!op) {
    op = operationName(text);
    if (operationByText.size < 2000) operationByText.set(text, op);
  }
  return op;
}

const baseAttributes = (op: string): Attributes => ({
  [MetricAttributes.dbSystemName]: "postgresql",
  [MetricAttributes.dbOperationName]: op,
});

/** The series a successful statement records into (one lookup for a tagged template). */
function okSeries(histogram: FastHistogram, query: QueryLike): BoundHistogram {
  // Tagged templates reuse one frozen strings array per call site; `unsafe` makes a new one each time.
  const template = Object.isFrozen(query.strings) ? query.strings : undefined;
  let series = template && okByTemplate.get(template);
  if (series) return series;
  const op = operationOf(query);
  series = okByOperation.get(op);
  if (!series) {
    series = histogram.bind(baseAttributes(op));
    okByOperation.set(op, series);
  }
  if (template) okByTemplate.set(template, series);
  return series;
}

/** The series a failed statement records into: `error.type` is the SQLSTATE, else the error's name. */
function failedSeries(histogram: FastHistogram, query: QueryLike, err: unknown): BoundHistogram {
  const op = operationOf(query);
  const code =
    typeof (err as { code?: unknown }).code === "string"
      ? (err as { code: string }).code
      : err instanceof Error
        ? err.name
        : "_OTHER";
  const key = `${op}|${code}`;
  let series = failedBy.get(key);
  if (!series) {
    const isSqlState = /^[0-9A-Z]{5}$/.test(code) && (err as Error).name === "PostgresError";
    series = histogram.bind({
      ...baseAttributes(op),
      [MetricAttributes.errorType]: code,
      ...(isSqlState ? { [MetricAttributes.dbResponseStatusCode]: code } : {}),
    });
    if (failedBy.size < 5000) failedBy.set(key, series);
  }
  return series;
}

/** Finds `Query.prototype` through a query object that is never run. */
export function queryPrototype(sql: Sql): QueryLike {
  return Object.getPrototypeOf(sql`select 1`) as QueryLike;
}

/**
 * Records `db.client.operation.duration` for every statement postgres.js runs in this process (see
 * the file comment). Idempotent; a no-op while metrics are off. Returns how to remove the hook.
 */
export function instrumentPostgres(sql: Sql): () => void {
  if (uninstall) return uninstall;
  const inst = platformInstruments();
  if (!inst) return () => {};
  const histogram = inst.dbDuration;
  const proto = queryPrototype(sql);
  const original = proto.handle;
  /** Records a settled statement once (postgres.js may settle a query more than once). */
  const finish = (q: TimedQuery, err: unknown) => {
    const started = q[STARTED];
    if (started === undefined) return;
    q[STARTED] = undefined;
    const pool = q[POOL];
    if (pool) pool.statements--;
    const seconds = (performance.now() - started) / 1000;
    (err === undefined ? okSeries(histogram, q) : failedSeries(histogram, q, err)).record(seconds);
  };
  // One pair of functions for every query (postgres.js always calls `query.resolve(…)` as a
  // method), so timing a statement allocates no closure.
  function resolve(this: TimedQuery, value: unknown) {
    finish(this, undefined);
    return this[RESOLVE]?.(value);
  }
  function reject(this: TimedQuery, err: unknown) {
    finish(this, err ?? new Error("query failed"));
    return this[REJECT]?.(err);
  }
  proto.handle = function handle(this: TimedQuery) {
    // Cursors re-arm resolve/reject on every batch; they are left alone.
    if (!this.executed && this.cursorRows === undefined && this[STARTED] === undefined) {
      this[STARTED] = performance.now();
      const pool = this.options.onexecute ? undefined : pools.get(this.handler);
      this[POOL] = pool;
      if (pool) pool.statements++;
      this[RESOLVE] = this.resolve;
      this[REJECT] = this.reject;
      this.resolve = resolve;
      this.reject = reject;
    }
    return original.call(this);
  };
  uninstall = () => {
    proto.handle = original;
    uninstall = undefined;
  };
  return uninstall;
}

/** Registers, once per meter, the callback reporting every observed pool. */
function observePools(): void {
  const inst = platformInstruments();
  if (!inst) return;
  instrumentsFor(PLATFORM_METER, "db-pools", (meter) => {
    meter.addBatchObservableCallback(
      (result) => {
        for (const pool of pools.values()) {
          const demand = pool.transactions + pool.statements;
          result.observe(inst.dbConnections, Math.min(pool.max, demand), pool.usedAttributes);
          result.observe(inst.dbConnectionsMax, pool.max, pool.attributes);
          result.observe(inst.dbPending, Math.max(0, demand - pool.max), pool.attributes);
        }
      },
      [inst.dbConnections, inst.dbConnectionsMax, inst.dbPending],
    );
    return true;
  });
}

/**
 * Reports the use of `sql`'s pool of `max` connections as `name`, and times its statements. Wraps
 * `sql.begin` to count open transactions. Returns how to stop (before the pool is closed). A no-op
 * while metrics are off.
 */
export function observePool(sql: Sql, name: string, max: number): () => void {
  if (!platformInstruments()) return () => {};
  instrumentPostgres(sql);
  observePools();
  const handler = (sql`select 1` as unknown as QueryLike).handler;
  const attributes = { [MetricAttributes.dbPoolName]: name };
  const state: PoolState = {
    max,
    attributes,
    usedAttributes: { ...attributes, [MetricAttributes.dbConnectionState]: "used" },
    transactions: 0,
    statements: 0,
  };
  pools.set(handler, state);
  const target = sql as unknown as { begin: (...args: unknown[]) => Promise<unknown> };
  const begin = target.begin;
  target.begin = (...args: unknown[]) => {
    state.transactions++;
    return begin(...args).finally(() => {
      state.transactions--;
    });
  };
  return () => {
    pools.delete(handler);
    target.begin = begin;
  };
}
