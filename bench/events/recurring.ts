/**
 * The event-path benchmark's `recurring` phase: completing a recurring task shows the next instance.
 * CompleteTask on replica A → the CREATED change of the next instance (created by the scheduler
 * through TaskService) arrives on the streams of both replicas; `--recurring` daily tasks completed
 * at `--recurring-rate`/s.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { paced, pooled, waitUntil } from "../lib/load";
import { type Summary, summarize } from "../lib/stats";
import type { CpuMeter, CpuReport } from "../lib/system";
import { type Arrival, signUpAt, tasksAt } from "./clients";
import type { EventsRun } from "./options";
import type { EventServices } from "./services";
import { type LatencyRow, openStreams, type Receipt, stampOf, streamRows } from "./streams";

/** What the recurring phase measured. */
export interface RecurringResult {
  readonly streams: number;
  readonly completions: number;
  readonly rate: number;
  readonly rows: readonly LatencyRow[];
  readonly rpc: Summary;
  readonly cpu: CpuReport;
}

/** Completes `--recurring` daily tasks on replica A and times their next instances on every stream. */
export async function recurringPhase(
  run: EventsRun,
  services: EventServices,
  meter: CpuMeter,
): Promise<RecurringResult> {
  const { options, log } = run;
  const { taskA, taskB } = services;
  const user = await signUpAt(run, services.identity.grpcPort, "recurring");
  const writer = tasksAt(run, taskA.grpcPort, user.token);
  const { logs, watchers } = openStreams(
    run,
    taskA.grpcPort,
    taskB.grpcPort,
    user.token,
    (replica) => ({ replica, seen: new Map<string, Receipt>(), created: new Set<string>() }),
    (entry, change, at) => {
      const task = change.task;
      if (change.type !== ChangeType.CREATED || !task) return;
      if (task.id === task.seriesId) entry.created.add(task.id);
      else if (!entry.seen.has(task.seriesId)) {
        entry.seen.set(task.seriesId, { at, stampedMs: stampOf(task.createTime) });
      }
    },
  );
  await Bun.sleep(500);
  const due = new Date();
  due.setUTCDate(due.getUTCDate() + 1);
  due.setUTCHours(9, 0, 0, 0);
  const ids: string[] = [];
  await pooled(options.recurring, 8, async (i) => {
    const res = await writer.createTask({
      task: {
        title: `bench series ${i}`,
        dueTime: timestampFromDate(due),
        timeZone: "UTC",
        recurrence: { rrule: "FREQ=DAILY", anchor: RecurrenceAnchor.SCHEDULE },
      },
    });
    ids.push(res.task?.id as string);
  });
  // The first instances' CREATED changes prove every stream is registered before anything is timed.
  const live = await waitUntil(() => logs.every((e) => ids.every((id) => e.created.has(id))), 30_000);
  if (!live) throw new Error("WatchTasks streams did not see the recurring tasks being created");
  await Bun.sleep(1000);
  log(`recurring: completing ${ids.length} daily tasks at ${options.recurringRate}/s through task A`);
  const sent = new Map<string, Arrival>();
  const rpc: number[] = [];
  const stopCpu = meter.start();
  await paced(ids.length, options.recurringRate, async (i) => {
    const id = ids[i] as string;
    const t0 = { mono: performance.now(), wall: Date.now() };
    sent.set(id, t0);
    await writer.completeTask({ id });
    rpc.push(performance.now() - t0.mono);
  });
  await waitUntil(() => logs.every((e) => ids.every((id) => e.seen.has(id))), 30_000);
  const cpu = stopCpu();
  for (const w of watchers) w.close();
  return {
    streams: watchers.length,
    completions: ids.length,
    rate: options.recurringRate,
    rows: streamRows(logs, sent, options.watchers, "next instance created (its create_time)"),
    rpc: summarize(rpc),
    cpu,
  };
}
