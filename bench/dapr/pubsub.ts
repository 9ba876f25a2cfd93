/**
 * The Dapr benchmark's `pubsub` phase: publish → deliver, a committed task change reaching an open
 * WatchTasks stream — through Dapr pub/sub (the relay publishes through the sidecar, the sidecar's
 * `pubsub-broadcast` subscription delivers to the app) or through kafkajs straight to the broker.
 * Paced `UpdateTask` calls; latencies to the change's arrival on the stream from its `change_time`,
 * the call's answer and its start; our own consumers of `task-updates` and `task-events` split the
 * path at the records' broker timestamps.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { TaskUpdatedSchema } from "@todo/gen/todo/events/v1/task_events_pb";
import { TaskChangedSchema } from "@todo/gen/todo/events/v1/task_updates_pb";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { fromCloudEvent, isEventOf, Topics } from "@todo/platform";
import { fromKafkaRecord } from "@todo/platform/adapters";
import type { CollectedRecord, KafkaProbe } from "../../tests/integration/kafka-probe";
import { paced, waitUntil } from "../lib/load";
import { ms, type Summary, summarize } from "../lib/stats";
import type { CpuMeter, CpuReport } from "../lib/system";
import type { Tasks } from "./invocation";
import { type DaprRun, quietMachine } from "./options";

/** Milliseconds since the epoch with sub-millisecond resolution (this process's clock). */
const wallNow = () => performance.timeOrigin + performance.now();

const stampMs = (t: Timestamp | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : Number.NaN);

/** One measured interval, summarised. */
export interface IntervalRow {
  readonly label: string;
  readonly summary: Summary;
}

/** What one system's publish → deliver run measured. */
export interface PubsubResult {
  readonly system: string;
  readonly sent: number;
  readonly delivered: number;
  readonly rows: readonly IntervalRow[];
  readonly cpu: CpuReport;
  /** The machine's busy cores just before the measured updates. */
  readonly busyBefore: number;
}

const TITLE = /^bench dapr (\d+)$/;
/** The two systems' labels. */
export const DAPR = "Dapr pub/sub";
export const DIRECT = "direct Kafka";

/** Sent and answered times of one update, and its arrival on the stream. */
interface UpdateTimes {
  sentMono: number;
  answeredMono?: number;
  arrivedMono?: number;
  arrivedWall?: number;
  stampedWall?: number;
}

/**
 * The broker timestamp (the producer's send time) of the first record of `records` per update number,
 * read from the title that `titleOf` finds in an event of `schema`; other records are skipped.
 */
function recordTimes<Desc extends DescMessage>(
  records: readonly CollectedRecord[],
  schema: Desc,
  titleOf: (message: MessageShape<Desc>) => string | undefined,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of records) {
    try {
      const event = fromKafkaRecord(r.headers, r.value);
      if (!isEventOf(schema, event)) continue;
      const seq = Number(TITLE.exec(titleOf(fromCloudEvent(schema, event)) ?? "")?.[1] ?? Number.NaN);
      if (!Number.isNaN(seq) && !out.has(seq)) out.set(seq, r.timestamp);
    } catch {
      // not an event this benchmark wrote
    }
  }
  return out;
}

/**
 * Paced updates of `ids` through `writer` and their arrival on a WatchTasks stream of `watcher`
 * (both direct to the task app, each on its own connection).
 */
export async function publishDeliver(
  run: DaprRun,
  systemLabel: string,
  writer: Tasks,
  watcher: Tasks,
  kafka: KafkaProbe,
  meter: CpuMeter,
): Promise<PubsubResult> {
  const { options, log } = run;
  // Our own consumers of the two topics the change's events go to: when each reached Kafka.
  const updatesTopic = await kafka.collect(Topics.taskUpdates);
  const eventsTopic = await kafka.collect(Topics.taskEvents);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await writer.createTask({ task: { title: `bench dapr target ${i}` } });
    if (!res.task?.id) throw new Error("CreateTask returned no task");
    ids.push(res.task.id);
  }
  const times = new Map<number, UpdateTimes>();
  const seen = new Set<number>();
  const abort = new AbortController();
  let streamError: unknown;
  const stream = (async () => {
    try {
      for await (const res of watcher.watchTasks({}, { signal: abort.signal })) {
        const arrivedMono = performance.now();
        const arrivedWall = wallNow();
        const change = res.change;
        const seq = Number(TITLE.exec(change?.task?.title ?? "")?.[1] ?? Number.NaN);
        if (change?.type !== ChangeType.UPDATED || Number.isNaN(seq) || seen.has(seq)) continue;
        seen.add(seq);
        const t = times.get(seq);
        if (t) Object.assign(t, { arrivedMono, arrivedWall, stampedWall: stampMs(change.changeTime) });
      }
    } catch (err) {
      if (!abort.signal.aborted) streamError = err;
    }
  })();
  const update = async (seq: number) => {
    const t: UpdateTimes = { sentMono: performance.now() };
    times.set(seq, t);
    await writer.updateTask({
      task: { id: ids[seq % ids.length] as string, title: `bench dapr ${seq}` },
      updateMask: { paths: ["title"] },
    });
    t.answeredMono = performance.now();
  };

  try {
    // Warm-up (not measured): until the stream sees changes (the consumer has joined), then a paced
    // stretch at the measured rate.
    let seq = 0;
    const deadline = Date.now() + 90_000;
    while (seen.size === 0) {
      if (streamError) throw streamError;
      if (Date.now() > deadline) throw new Error(`${systemLabel}: no change reached the stream in 90 s`);
      await update(seq++);
      await Bun.sleep(250);
    }
    const warm = Math.ceil(options.rate * 5);
    const warmFirst = seq;
    await paced(warm, options.rate, (i) => update(warmFirst + i));
    seq += warm;
    await waitUntil(() => seen.has(seq - 1), 10_000);
    await Bun.sleep(1000);

    const busyBefore = await quietMachine(run, `pubsub, ${systemLabel}`);
    const count = Math.round(options.rate * options.duration);
    const first = seq;
    log(`pubsub, ${systemLabel}: ${count} updates at ${options.rate}/s`);
    const stop = meter.start();
    await paced(count, options.rate, (i) => update(first + i));
    await waitUntil(
      () => Array.from({ length: count }, (_, i) => first + i).every((s) => seen.has(s)),
      15_000,
    );
    const cpu = stop();
    if (streamError) throw streamError;

    const arrived = Array.from({ length: count }, (_, i) => times.get(first + i) as UpdateTimes).filter(
      (t) => t.arrivedMono !== undefined,
    );
    const onKafka = recordTimes(updatesTopic.records, TaskChangedSchema, (m) => m.change?.task?.title);
    const eventOnKafka = recordTimes(eventsTopic.records, TaskUpdatedSchema, (m) => m.task?.title);
    const seqs = Array.from({ length: count }, (_, i) => first + i);
    /** `to − from` over the measured updates where both are known. */
    const between = (from: (seq: number, t: UpdateTimes) => number | undefined, to: typeof from) =>
      summarize(
        seqs
          .map((seq) => {
            const t = times.get(seq) as UpdateTimes;
            return (to(seq, t) ?? Number.NaN) - (from(seq, t) ?? Number.NaN);
          })
          .filter(Number.isFinite),
      );
    const stamped = (_: number, t: UpdateTimes) => t.stampedWall;
    const arrivedWall = (_: number, t: UpdateTimes) => t.arrivedWall;
    const arrivedMono = (_: number, t: UpdateTimes) => t.arrivedMono;
    const updateRecord = (seq: number) => onKafka.get(seq);
    const rows: IntervalRow[] = [
      {
        label: "**`change_time` (stamped in the committing transaction) → on the stream**",
        summary: between(stamped, arrivedWall),
      },
      {
        label: "↳ `change_time` → its `task-updates` record on Kafka",
        summary: between(stamped, updateRecord),
      },
      {
        label: "↳ `task-updates` record on Kafka → on the stream",
        summary: between(updateRecord, arrivedWall),
      },
      {
        label: "the change's `task-events` record → its `task-updates` record",
        summary: between((seq) => eventOnKafka.get(seq), updateRecord),
      },
      {
        label: "UpdateTask answered (after the commit) → on the stream",
        summary: between((_, t) => t.answeredMono, arrivedMono),
      },
      {
        label: "UpdateTask sent → on the stream (what a user sees)",
        summary: between((_, t) => t.sentMono, arrivedMono),
      },
      {
        label: "UpdateTask round trip (no sidecar on this path in either system)",
        summary: between(
          (_, t) => t.sentMono,
          (_, t) => t.answeredMono,
        ),
      },
    ];
    log(
      `  ${arrived.length}/${count} delivered; change_time → stream p50 ${ms(rows[0]?.summary.p50 ?? Number.NaN)} ms, p99 ${ms(rows[0]?.summary.p99 ?? Number.NaN)} ms`,
    );
    return { system: systemLabel, sent: count, delivered: arrived.length, rows, cpu, busyBefore };
  } finally {
    abort.abort();
    await stream;
  }
}
