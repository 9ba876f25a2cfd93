/**
 * Where recording code gets its instruments. The OpenTelemetry API hands out no-op meters until a
 * meter provider is registered, and an instrument made from a no-op meter stays a no-op forever;
 * so instruments are made on first use *after* the provider is in place (`startTelemetry` runs
 * before anything is built) and memoised per meter. While no provider is installed every accessor
 * here returns `undefined`, and recording code skips its measurements entirely: metrics off costs
 * one check when a component is built, nothing per call.
 */
import {
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableGauge,
  type ObservableUpDownCounter,
} from "@opentelemetry/api";
import {
  DB_DURATION_BUCKETS,
  JOB_LATENESS_BUCKETS,
  MetricNames,
  RPC_DURATION_BUCKETS,
  STREAM_DURATION_BUCKETS,
} from "./metric-names";
import {
  createFastCounter,
  createFastHistogram,
  type FastCounter,
  type FastHistogram,
} from "./metrics-bound";

/** The instrumentation scope of everything the platform records. */
export const PLATFORM_METER = "todo.platform";

let installed: MeterProvider | undefined;

/**
 * Registers `provider` as the process's meter provider (once per process; the API allows no
 * second one). Returns false when one was registered already.
 */
export function installMeterProvider(provider: MeterProvider): boolean {
  if (installed) return false;
  if (!metrics.setGlobalMeterProvider(provider)) return false;
  installed = provider;
  return true;
}

/** Whether metrics are being recorded in this process. */
export function metricsEnabled(): boolean {
  return installed !== undefined;
}

const memo = new WeakMap<Meter, Map<string, unknown>>();

/**
 * The instruments `build` makes from the meter of scope `scope`, made once per meter, or undefined
 * while metrics are off. Services use it for their own instruments (`todo.notification.*`).
 */
export function instrumentsFor<T>(scope: string, key: string, build: (meter: Meter) => T): T | undefined {
  if (!installed) return undefined;
  const meter = metrics.getMeter(scope);
  let byKey = memo.get(meter);
  if (!byKey) {
    byKey = new Map();
    memo.set(meter, byKey);
  }
  if (!byKey.has(key)) byKey.set(key, build(meter));
  return byKey.get(key) as T;
}

/** Every instrument the platform itself records into. */
export interface PlatformInstruments {
  readonly meter: Meter;
  readonly rpcDuration: FastHistogram;
  readonly rpcStreamDuration: Histogram;
  readonly rpcActive: ObservableUpDownCounter;
  readonly rpcOpenStreams: ObservableUpDownCounter;
  readonly dbDuration: FastHistogram;
  readonly dbConnections: ObservableUpDownCounter;
  readonly dbConnectionsMax: ObservableUpDownCounter;
  readonly dbPending: ObservableUpDownCounter;
  readonly messagingSent: FastCounter;
  readonly messagingConsumed: FastCounter;
  readonly messagingProcessDuration: FastHistogram;
  readonly messagingLag: ObservableGauge;
  readonly messagingDeadLettered: Counter;
  readonly outboxRows: ObservableUpDownCounter;
  readonly outboxOldestAge: ObservableGauge;
  readonly outboxClaimDuration: Histogram;
  readonly jobLateness: Histogram;
  readonly jobPending: ObservableUpDownCounter;
  readonly jobDue: ObservableUpDownCounter;
  readonly jobFailures: Counter;
}

/** The platform's instruments, or undefined while metrics are off. */
export function platformInstruments(): PlatformInstruments | undefined {
  return instrumentsFor(PLATFORM_METER, "platform", (meter) => ({
    meter,
    // The hot paths (every RPC, statement and event) use bound series (metrics-bound.ts).
    rpcDuration: createFastHistogram(
      {
        name: MetricNames.rpcServerCallDuration,
        unit: "s",
        description: "Duration of unary RPCs served, by method, protocol and status code.",
      },
      RPC_DURATION_BUCKETS,
    ),
    rpcStreamDuration: meter.createHistogram(MetricNames.rpcServerStreamDuration, {
      unit: "s",
      description: "Lifetime of server-streaming RPCs, recorded when the stream ends.",
      advice: { explicitBucketBoundaries: STREAM_DURATION_BUCKETS },
    }),
    rpcActive: meter.createObservableUpDownCounter(MetricNames.rpcServerActiveRequests, {
      unit: "{request}",
      description: "Unary RPCs in flight.",
    }),
    rpcOpenStreams: meter.createObservableUpDownCounter(MetricNames.rpcServerOpenStreams, {
      unit: "{stream}",
      description: "Server-streaming RPCs open (WatchTasks, WatchNotifications).",
    }),
    dbDuration: createFastHistogram(
      {
        name: MetricNames.dbOperationDuration,
        unit: "s",
        description: "Duration of SQL statements, from issue to result.",
      },
      DB_DURATION_BUCKETS,
    ),
    dbConnections: meter.createObservableUpDownCounter(MetricNames.dbConnectionCount, {
      unit: "{connection}",
      description: "Pool connections in use (transactions open plus statements in flight).",
    }),
    dbConnectionsMax: meter.createObservableUpDownCounter(MetricNames.dbConnectionMax, {
      unit: "{connection}",
      description: "The most connections the pool opens.",
    }),
    dbPending: meter.createObservableUpDownCounter(MetricNames.dbConnectionPendingRequests, {
      unit: "{request}",
      description: "Statements and transactions beyond the pool size, waiting for a connection.",
    }),
    messagingSent: createFastCounter({
      name: MetricNames.messagingSent,
      unit: "{message}",
      description: "Events published on the bus (error.type when the bus refused them).",
    }),
    messagingConsumed: createFastCounter({
      name: MetricNames.messagingConsumed,
      unit: "{message}",
      description: "Events delivered to a consumer (once per event, not per attempt).",
    }),
    messagingProcessDuration: createFastHistogram(
      {
        name: MetricNames.messagingProcessDuration,
        unit: "s",
        description: "Duration of each handler attempt on an event.",
      },
      RPC_DURATION_BUCKETS,
    ),
    messagingLag: meter.createObservableGauge(MetricNames.messagingConsumerLag, {
      unit: "{message}",
      description: "Records of a partition the consumer group has not committed yet.",
    }),
    messagingDeadLettered: meter.createCounter(MetricNames.messagingDeadLettered, {
      unit: "{message}",
      description: "Events given up on and copied to <topic>.dlq.",
    }),
    outboxRows: meter.createObservableUpDownCounter(MetricNames.outboxRows, {
      unit: "{row}",
      description: "Outbox rows not yet published.",
    }),
    outboxOldestAge: meter.createObservableGauge(MetricNames.outboxOldestAge, {
      unit: "s",
      description: "Age of the oldest unpublished outbox row (0 when empty).",
    }),
    outboxClaimDuration: meter.createHistogram(MetricNames.outboxClaimDuration, {
      unit: "s",
      description: "Duration of each outbox relay claim (error.type when it failed or timed out).",
      advice: { explicitBucketBoundaries: DB_DURATION_BUCKETS },
    }),
    jobLateness: meter.createHistogram(MetricNames.jobLateness, {
      unit: "s",
      description: "Time from a job's due time to the commit of the transaction that fired it.",
      advice: { explicitBucketBoundaries: JOB_LATENESS_BUCKETS },
    }),
    jobPending: meter.createObservableUpDownCounter(MetricNames.jobPending, {
      unit: "{job}",
      description: "Jobs scheduled and not fired yet.",
    }),
    jobDue: meter.createObservableUpDownCounter(MetricNames.jobDue, {
      unit: "{job}",
      description: "Pending jobs whose run time has passed (waiting to fire now).",
    }),
    jobFailures: meter.createCounter(MetricNames.jobFailures, {
      unit: "{failure}",
      description: "Failed attempts to fire a job (it is retried with backoff).",
    }),
  }));
}
