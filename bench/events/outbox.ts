/**
 * The event-path benchmark's `outbox` phase: the relay's throughput. `--outbox-events` valid
 * CloudEvents rows are inserted with `enqueueEvent` (in transactions of 5 000) into a schema of their
 * own while no relay runs; then one relay (`startOutboxRelay` on `createKafkaBus`) starts and the
 * time until the outbox is empty gives events/s. Every publish call is timed, to say where the time
 * goes. A second run can use `outbox.ts`/`bus-kafka.ts` from another directory (`--outbox-compare`).
 */
import { join } from "node:path";
import type { EventBus } from "@todo/platform";
import { Kafka, logLevel } from "kafkajs";
import postgres from "postgres";
import { benchChange } from "../lib/bench-change";
import type { BenchDatabase, CpuMeter, CpuReport } from "../lib/system";
import type { EventsRun } from "./options";

/** One relay run. */
export interface OutboxResult {
  readonly label: string;
  readonly events: number;
  readonly keys: number;
  readonly batchSize: number | undefined;
  readonly insertSeconds: number;
  readonly drainSeconds: number;
  readonly drained: number;
  readonly remaining: number;
  readonly onKafka: number;
  readonly publishCalls: number;
  readonly publishMeanMs: number;
  readonly publishBusyShare: number;
  readonly cpu: CpuReport;
}

type OutboxModule = typeof import("@todo/platform/events");
type BusKafkaModule = typeof import("@todo/platform/adapters");

/** Wraps every `publish*` method of `bus`, timing the calls and the time any of them is in flight. */
function timedBus(bus: EventBus) {
  const stats = { calls: 0, messages: 0, latencyMs: 0, busyMs: 0, inFlight: 0, busySince: 0 };
  const wrapped: Record<string, unknown> = {};
  const source = bus as unknown as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (typeof value !== "function") continue;
    if (!key.startsWith("publish")) {
      wrapped[key] = value.bind(bus);
      continue;
    }
    wrapped[key] = async (...args: unknown[]) => {
      const t0 = performance.now();
      if (stats.inFlight++ === 0) stats.busySince = t0;
      stats.calls++;
      const list = args.find(Array.isArray);
      stats.messages += key === "publish" ? 1 : Array.isArray(list) ? list.length : 1;
      try {
        return await (value as (...a: unknown[]) => Promise<unknown>).apply(bus, args);
      } finally {
        const t1 = performance.now();
        stats.latencyMs += t1 - t0;
        if (--stats.inFlight === 0) stats.busyMs += t1 - stats.busySince;
      }
    };
  }
  return { bus: wrapped as unknown as EventBus, stats };
}

/**
 * One relay run (`round` names its schema and topic) with the outbox code of `platformDir`, or the
 * current `@todo/platform` when undefined.
 */
export async function outboxPhase(
  run: EventsRun,
  label: string,
  platformDir: string | undefined,
  db: BenchDatabase,
  brokers: string,
  meter: CpuMeter,
  round: number,
): Promise<OutboxResult> {
  const { options, log } = run;
  const outbox: OutboxModule = platformDir
    ? await import(join(platformDir, "outbox.ts"))
    : await import("@todo/platform/events");
  const busKafka: BusKafkaModule = platformDir
    ? await import(join(platformDir, "bus-kafka.ts"))
    : await import("@todo/platform/adapters");
  const schema = `bench_outbox_${round}`;
  const topic = `bench.outbox-relay.${process.pid}.${round}`;
  const sql = postgres(db.url, { max: 10, onnotice: () => {} });
  const kafka = new Kafka({
    clientId: "bench-events-admin",
    brokers: brokers.split(","),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const keys = Array.from({ length: options.outboxKeys }, () => crypto.randomUUID());
  const now = new Date();

  /** Inserts `count` events with `enqueueEvent`, 5 000 per transaction (pipelined). */
  const fill = async (count: number) => {
    const perTx = 5000;
    for (let start = 0; start < count; start += perTx) {
      const end = Math.min(count, start + perTx);
      await sql.begin(async (tx) => {
        const writes: Promise<void>[] = [];
        for (let i = start; i < end; i++) {
          const key = keys[i % keys.length] as string;
          writes.push(outbox.enqueueEvent(tx, schema, { topic, key, event: benchChange(key, i, now) }));
        }
        await Promise.all(writes);
      });
    }
  };
  const remaining = async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(schema)}.outbox`;
    return row?.n ?? 0;
  };

  /** Starts one relay (with a bus of its own) and waits until the outbox is empty or time is up. */
  const drain = async (count: number, progress: boolean) => {
    const bus = await busKafka.createKafkaBus({
      brokers: brokers.split(","),
      clientId: `bench-relay-${round}`,
    });
    const timed = timedBus(bus);
    const stopCpu = meter.start();
    const t0 = performance.now();
    const relay = outbox.startOutboxRelay({
      sql,
      schema,
      bus: timed.bus,
      ...(options.outboxBatch ? { batchSize: options.outboxBatch } : {}),
    });
    let left = count;
    let lastLog = t0;
    const deadline = t0 + options.outboxTimeoutS * 1000;
    while (left > 0 && performance.now() < deadline) {
      await Bun.sleep(50);
      left = await remaining();
      if (progress && performance.now() - lastLog > 5000) {
        lastLog = performance.now();
        const done = count - left;
        log(`outbox [${label}]: ${done} published, ${(done / ((lastLog - t0) / 1000)).toFixed(0)}/s so far`);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = stopCpu();
    await relay.stop();
    await bus.close();
    // The round in progress at a timeout finishes during stop(): count what it removed as published.
    if (left > 0) left = await remaining();
    return { seconds, left, cpu, stats: timed.stats };
  };

  try {
    await outbox.ensureOutbox(sql, schema);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [topic, `${topic}.dlq`].map((t) => ({ topic: run.onBroker(t), numPartitions: 3 })),
    });
    if (options.outboxWarmup > 0) {
      // Not measured: a fresh broker (and this process) run slowly until the JIT has warmed up.
      log(`outbox [${label}]: warm-up with ${options.outboxWarmup} events`);
      await fill(options.outboxWarmup);
      const warm = await drain(options.outboxWarmup, false);
      if (warm.left > 0) await sql.unsafe(`delete from ${schema}.outbox`);
    }
    log(
      `outbox [${label}]: inserting ${options.outboxEvents} events (${keys.length} keys) with enqueueEvent`,
    );
    const tInsert = performance.now();
    await fill(options.outboxEvents);
    const insertSeconds = (performance.now() - tInsert) / 1000;
    const offsetsBefore = await topicRecords(admin, run.onBroker(topic));
    const result = await drain(options.outboxEvents, true);
    const onKafka = (await topicRecords(admin, run.onBroker(topic))) - offsetsBefore;
    const drained = options.outboxEvents - result.left;
    log(
      `outbox [${label}]: ${drained} events in ${result.seconds.toFixed(2)} s = ${(drained / result.seconds).toFixed(0)}/s` +
        ` (${onKafka} records on Kafka, ${result.left} left)`,
    );
    return {
      label,
      events: options.outboxEvents,
      keys: keys.length,
      batchSize: options.outboxBatch,
      insertSeconds,
      drainSeconds: result.seconds,
      drained,
      remaining: result.left,
      onKafka,
      publishCalls: result.stats.calls,
      publishMeanMs: result.stats.calls > 0 ? result.stats.latencyMs / result.stats.calls : Number.NaN,
      publishBusyShare: result.stats.busyMs / (result.seconds * 1000),
      cpu: result.cpu,
    };
  } finally {
    await admin.deleteTopics({ topics: [run.onBroker(topic), run.onBroker(`${topic}.dlq`)] }).catch(() => {});
    await admin.disconnect();
    await sql.unsafe(`drop schema if exists ${schema} cascade`).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

/** The number of records ever written to `topic` (the sum of its partitions' high watermarks). */
export async function topicRecords(admin: ReturnType<Kafka["admin"]>, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}
