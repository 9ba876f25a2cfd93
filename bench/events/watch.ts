/**
 * The event-path benchmark's `watch` phase: a task change reaching WatchTasks subscribers through
 * Kafka. `--watchers` streams on each of two task-service processes (A and B, same database and
 * Kafka); UpdateTask calls go to A from another connection at `--watch-rate`/s; latency = update RPC
 * start → the change arrives on a stream. B's streams prove cross-replica delivery.
 */
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { paced, waitUntil } from "../lib/load";
import { type Summary, summarize } from "../lib/stats";
import type { CpuMeter, CpuReport } from "../lib/system";
import { type Arrival, signUpAt, tasksAt } from "./clients";
import type { EventsRun } from "./options";
import type { EventServices } from "./services";
import { type LatencyRow, openStreams, type StreamLog, stampOf, streamRows } from "./streams";

/** What the watch phase measured. */
export interface WatchResult {
  readonly streams: number;
  readonly updates: number;
  readonly rate: number;
  readonly rows: readonly LatencyRow[];
  readonly rpc: Summary;
  readonly cpu: CpuReport;
}

const WATCH_TITLE = /^bench watch (\d+)$/;

/** Updates tasks on replica A at `--watch-rate`/s and times the changes on every stream. */
export async function watchPhase(
  run: EventsRun,
  services: EventServices,
  meter: CpuMeter,
): Promise<WatchResult> {
  const { options, log } = run;
  const { taskA, taskB } = services;
  const user = await signUpAt(run, services.identity.grpcPort, "watch");
  const writer = tasksAt(run, taskA.grpcPort, user.token);
  const taskCount = Math.min(20, options.watchUpdates);
  const ids: string[] = [];
  for (let i = 0; i < taskCount; i++) {
    const res = await writer.createTask({ task: { title: `bench watch target ${i}`, timeZone: "UTC" } });
    ids.push(res.task?.id as string);
  }

  const { logs, watchers } = openStreams(
    run,
    taskA.grpcPort,
    taskB.grpcPort,
    user.token,
    (replica): StreamLog<number> => ({ replica, seen: new Map() }),
    (entry, change, at) => {
      const seq = WATCH_TITLE.exec(change.task?.title ?? "")?.[1];
      if (change.type === ChangeType.UPDATED && seq !== undefined && !entry.seen.has(Number(seq))) {
        entry.seen.set(Number(seq), { at, stampedMs: stampOf(change.changeTime) });
      }
    },
  );
  const update = (seq: number) =>
    writer.updateTask({
      task: { id: ids[seq % ids.length] as string, title: `bench watch ${seq}` },
      updateMask: { paths: ["title"] },
    });

  // Warm-up (not measured): until every stream has seen a change, so each is registered on its server.
  let seq = 0;
  const live = await waitUntil(
    async () => {
      await update(seq++);
      await Bun.sleep(200);
      return logs.every((l) => l.seen.size > 0);
    },
    30_000,
    0,
  );
  if (!live) throw new Error("WatchTasks streams saw no change within 30 s of warm-up updates");
  for (let i = 0; i < 10; i++) await update(seq++);
  await Bun.sleep(1000);
  const first = seq;
  const sent = new Map<number, Arrival>();
  const rpc: number[] = [];
  log(
    `watch: ${watchers.length} streams; ${options.watchUpdates} updates at ${options.watchRate}/s through task A`,
  );
  const stopCpu = meter.start();
  await paced(options.watchUpdates, options.watchRate, async (i) => {
    const t0 = { mono: performance.now(), wall: Date.now() };
    sent.set(first + i, t0);
    await update(first + i);
    rpc.push(performance.now() - t0.mono);
  });
  await waitUntil(() => logs.every((l) => [...sent.keys()].every((s) => l.seen.has(s))), 10_000);
  const cpu = stopCpu();
  for (const w of watchers) w.close();
  return {
    streams: watchers.length,
    updates: options.watchUpdates,
    rate: options.watchRate,
    rows: streamRows(logs, sent, options.watchers, "change stamped (change_time)"),
    rpc: summarize(rpc),
    cpu,
  };
}
