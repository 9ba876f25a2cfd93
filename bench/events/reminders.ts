import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import postgres from "postgres";
import { pooled, waitUntil } from "../lib/load";
import { summarize } from "../lib/stats";
import type { BenchDatabase, CpuMeter, CpuReport } from "../lib/system";
import { signUpAt, type Tasks, tasksAt } from "./clients";
import type { EventsRun } from "./options";
import { type ReminderSeen, startReminderConsumer } from "./reminder-consumer";
import { scheduledOrFired, setupDiagnostics } from "./reminder-diagnostics";
import type { EventServices } from "./services";
import type { LatencyRow } from "./streams";

/** What the reminders phase measured. */
export interface ReminderResult {
  readonly reminders: number;
  readonly tasks: number;
  readonly createRate: number;
  readonly createSeconds: number;
  readonly setupSeconds: number;
  readonly slackSeconds: number;
  readonly scheduledAtWindow: number;
  readonly windowS: number;
  readonly duplicates: number;
  /** What went wrong on the way (jobs missing at the window, reminders that never fired). */
  readonly notes: readonly string[];
  readonly rows: readonly LatencyRow[];
  readonly cpu: CpuReport;
}

/**
 * Creates the reminders' tasks, waits for their window and times each reminder through the stages;
 * what went wrong on the way is in the result's notes.
 */
export async function remindersPhase(
  run: EventsRun,
  services: EventServices,
  db: BenchDatabase,
  brokers: string,
  meter: CpuMeter,
): Promise<ReminderResult> {
  const { options, log } = run;
  const user = await signUpAt(run, services.identity.grpcPort, "reminders");
  const taskPorts = [services.taskA.grpcPort, services.taskB.grpcPort];
  const notes: string[] = [];
  const clients = Array.from({ length: Math.max(2, Math.ceil(options.createConcurrency / 4)) }, (_, i) =>
    tasksAt(run, taskPorts[i % taskPorts.length] as number, user.token),
  );
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });

  // Our own consumer of `reminders`, joined before anything can fire.
  const { seen, duplicates, kafka, stop } = await startReminderConsumer(run, brokers, user.id);

  try {
    // Pilot: plain tasks (no reminder) to learn the creation rate, which sets the window's start. The
    // first 100 only warm the services up; the next 300 are timed.
    const plain = (from: number, count: number) =>
      pooled(count, options.createConcurrency, async (i, w) => {
        await (clients[w % clients.length] as Tasks).createTask({
          task: { title: `bench pilot ${from + i}`, timeZone: "UTC" },
        });
      });
    await plain(0, 100);
    const tPilot = performance.now();
    await plain(100, 300);
    const pilotRate = 300 / ((performance.now() - tPilot) / 1000);
    const taskCount = Math.ceil(options.reminders / options.remindersPerTask);
    // The scheduler stores the jobs a little behind the creation; budget 1.5 times the pilot's pace.
    const estimateS = (taskCount / pilotRate) * 1.5;
    const leadS = options.leadS ?? Math.ceil(estimateS + options.slackS);
    const createStart = Date.now();
    const windowStart = createStart + leadS * 1000;
    const windowMs = options.windowS * 1000;
    const windowEnd = windowStart + windowMs;
    log(
      `reminders: pilot ${pilotRate.toFixed(0)} CreateTask/s; creating ${taskCount} tasks with ` +
        `${options.reminders} reminders due from +${leadS} s over ${options.windowS} s`,
    );
    let made = 0;
    await pooled(taskCount, options.createConcurrency, async (t, w) => {
      const reminders = [];
      for (let r = 0; r < options.remindersPerTask; r++) {
        // Spread each task's reminders over the window: reminder r of task t is the k-th to fall due.
        const k = r * taskCount + t;
        if (k >= options.reminders) break;
        const at = new Date(windowStart + Math.floor((k * windowMs) / options.reminders));
        reminders.push({ trigger: { case: "at" as const, value: timestampFromDate(at) } });
      }
      await (clients[w % clients.length] as Tasks).createTask({
        task: { title: `bench reminder task ${t}`, timeZone: "UTC", reminders },
      });
      if (++made % 2000 === 0) log(`reminders: ${made} tasks created`);
    });
    const createSeconds = (Date.now() - createStart) / 1000;
    const scheduled = async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from scheduler.jobs where name like 'reminder/%'`;
      return row?.n ?? 0;
    };
    await waitUntil(
      async () => (await scheduled()) >= options.reminders,
      Math.max(0, windowStart - Date.now()),
      200,
    );
    const setupEnd = Date.now();
    const scheduledAtSetup = await scheduled();
    if (scheduledAtSetup < options.reminders) {
      const why = await setupDiagnostics(run, sql, kafka, user.id);
      log(`reminders: only ${scheduledAtSetup} of ${options.reminders} jobs stored at the window; ${why}`);
      notes.push(
        `At the window's start only ${scheduledAtSetup} of ${options.reminders} reminder jobs were stored: ${why}`,
      );
    }
    const slackSeconds = (windowStart - setupEnd) / 1000;
    log(
      `reminders: created in ${createSeconds.toFixed(1)} s (${(taskCount / createSeconds).toFixed(0)}/s); ` +
        `${scheduledAtSetup} jobs scheduled ${slackSeconds.toFixed(1)} s before the window`,
    );
    if (slackSeconds < 5)
      log("reminders: WARNING the set-up ran into the window; raise --lead or lower --reminders");
    await Bun.sleep(Math.max(0, windowStart - Date.now() - 2000));
    const scheduledAtWindow = await scheduled();
    const stopCpu = meter.start();
    const notified = async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from notification.notifications where user_id = ${user.id}::uuid`;
      return row?.n ?? 0;
    };
    let lastLog = Date.now();
    await waitUntil(
      async () => {
        const n = await notified();
        if (Date.now() - lastLog > 5000) {
          lastLog = Date.now();
          log(`reminders: ${seen.size} on Kafka, ${n} notifications`);
        }
        return seen.size >= options.reminders && n >= options.reminders;
      },
      windowEnd + 60_000 - Date.now(),
      200,
    );
    const cpu = stopCpu();
    const firedTotal = await scheduledOrFired(sql, user.id);
    if (seen.size < options.reminders) {
      const why = await setupDiagnostics(run, sql, kafka, user.id);
      log(`reminders: only ${seen.size} of ${options.reminders} fired; ${why}`);
      notes.push(
        `Only ${seen.size} of ${options.reminders} reminders reached Kafka by the deadline ` +
          `(${firedTotal} occurrences marked fired by the scheduler): ${why}`,
      );
    }

    const notifications = await sql<{ fire_ms: number; create_ms: number }[]>`
      select extract(epoch from fire_time)::float8 * 1000 as fire_ms,
             extract(epoch from create_time)::float8 * 1000 as create_ms
      from notification.notifications where user_id = ${user.id}::uuid`;
    return {
      reminders: options.reminders,
      tasks: taskCount,
      createRate: taskCount / createSeconds,
      createSeconds,
      setupSeconds: (setupEnd - createStart) / 1000,
      slackSeconds,
      scheduledAtWindow,
      windowS: options.windowS,
      duplicates: duplicates(),
      notes,
      rows: latenessRows(options.reminders, [...seen.values()], notifications),
      cpu,
    };
  } finally {
    await stop();
    await sql.end({ timeout: 5 });
  }
}

/**
 * The lateness rows of the stages: the due time itself, the job firing (ce_time), the record on
 * Kafka, our consumer's receipt (all from `seen`), and the notification's inbox entry.
 */
function latenessRows(
  expected: number,
  seen: readonly ReminderSeen[],
  notifications: readonly { fire_ms: number; create_ms: number }[],
): LatencyRow[] {
  /** A stage's row from (due, happened) pairs in epoch ms. */
  const row = (label: string, pairs: readonly (readonly [number, number])[]): LatencyRow => {
    const lateness = pairs.map(([due, at]) => at - due);
    const times = pairs.map(([, at]) => at);
    const span = times.length > 1 ? Math.max(...times) - Math.min(...times) : Number.NaN;
    return {
      label,
      expected,
      summary: summarize(lateness),
      early: lateness.filter((v) => v < 0).length,
      rate: ((times.length - 1) / span) * 1000,
    };
  };
  return [
    row(
      "due (fire_time)",
      seen.map((v) => [v.fireMs, v.fireMs]),
    ),
    row(
      "job fired (ce_time)",
      seen.map((v) => [v.fireMs, v.ceMs]),
    ),
    row(
      "**ReminderDue on Kafka** (record timestamp)",
      seen.map((v) => [v.fireMs, v.recordMs]),
    ),
    row(
      "received by a consumer (the benchmark's own)",
      seen.map((v) => [v.fireMs, v.receivedMs]),
    ),
    row(
      "**notification written** (create_time)",
      notifications.map((n) => [n.fire_ms, n.create_ms]),
    ),
  ];
}
