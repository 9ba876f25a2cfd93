/**
 * One run of the fault suite against one target: sign users up, start the load, let it run a
 * baseline phase, inject each fault in turn (holding the load for a while after each recovery so
 * that reminders come due across it), send a poison message, stop the load, wait until every
 * reminder is due and the watchers have caught up, then count (scripts/lib/chaos-verify.ts).
 */

import { type Evidence, evidenceSummary } from "./chaos-evidence.ts";
import { DEFAULT_LOAD, Ledger, type LoadOptions, type LoadUser, startLoad } from "./chaos-load.ts";
import type { ChaosTarget, Fault, PoisonOutcome } from "./chaos-targets.ts";
import { type FailureGroup, type PhaseMark, phasePassed, type Verification, verify } from "./chaos-verify.ts";

/** How a run is paced. */
export interface RunOptions {
  readonly users: number;
  /** The load's phase before the first fault, ms. */
  readonly baselineMs: number;
  /** The load after each recovery, before the next fault, ms. */
  readonly holdMs: number;
  readonly load: LoadOptions;
  /** Only the faults whose name contains one of these (none matches `none`: the baseline alone). */
  readonly only?: readonly string[];
  /** Injects each chosen fault this many times in a row (default 1). */
  readonly repeat?: number;
  readonly log: (message: string) => void;
}

/** The faults of `target` a run injects, in order: filtered by `only`, each `repeat` times. */
export function chosenFaults(target: ChaosTarget, options: Pick<RunOptions, "only" | "repeat">): Fault[] {
  const only = options.only;
  const picked = only ? target.faults.filter((f) => only.some((o) => f.name.includes(o))) : target.faults;
  return picked.flatMap((f) => Array.from({ length: Math.max(1, options.repeat ?? 1) }, () => f));
}

/** Default pacing: 4 users, 15 s baseline, 20 s after each fault. */
export const DEFAULT_RUN: Omit<RunOptions, "log"> = {
  users: 4,
  baselineMs: 15_000,
  holdMs: 20_000,
  load: DEFAULT_LOAD,
};

/** What one run measured. */
export interface ModeReport {
  readonly mode: ChaosTarget["mode"];
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly verification: Verification;
  readonly poison: PoisonOutcome;
  readonly totalCalls: number;
  readonly totalAcked: number;
  /** What was kept about missing reminders (scripts/lib/chaos-evidence.ts), when any were missing. */
  readonly evidence?: Evidence;
  /** Whether every count is what the targets ask for. */
  readonly passed: boolean;
}

/**
 * `fn`, tried again every 5 s for a minute while it throws (reading back through the edge fails while
 * a service is still coming back); the last error is thrown.
 */
async function retrying<T>(fn: () => Promise<T>, log: (message: string) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 12) throw err;
      log(`counting failed (${String(err instanceof Error ? err.message : err)}); again in 5 s`);
      await Bun.sleep(5000);
    }
  }
}

/** Runs the faults of `target` under load and counts. */
export async function runFaults(target: ChaosTarget, options: RunOptions): Promise<ModeReport> {
  const startedAt = new Date();
  const users: LoadUser[] = [];
  for (let i = 0; i < options.users; i++) users.push(await target.signUp());
  const ledger = new Ledger();
  const marks: PhaseMark[] = [{ name: "no fault (baseline)", startedAt: Date.now() }];
  const load = startLoad(target.edgeUrl, users, ledger, options.load);
  let poison: PoisonOutcome;
  try {
    await Bun.sleep(options.baselineMs);
    for (const fault of chosenFaults(target, options)) {
      const mark: PhaseMark = { name: fault.name, startedAt: Date.now() };
      marks.push(mark);
      ledger.phase = marks.length - 1;
      options.log(`${target.mode}: ${fault.name}`);
      try {
        await fault.inject();
      } catch (err) {
        // The system did not come back: say so in the table, count what there is, inject no more.
        mark.error = String(err instanceof Error ? err.message : err).split("\n")[0];
        options.log(`${target.mode}: ${fault.name}: did not recover: ${mark.error}`);
        break;
      }
      mark.restoredAt = Date.now();
      options.log(`${target.mode}: ${fault.name}: back after ${mark.restoredAt - mark.startedAt} ms`);
      await Bun.sleep(options.holdMs);
      // A fault must not take anything else down with it (a process that died stays dead here).
      const crashed = target.crashed();
      if (crashed.length > 0) {
        mark.error = `${crashed.join(", ")} after the fault`;
        options.log(`${target.mode}: ${fault.name}: ${mark.error}; starting it again to count`);
        await target.revive();
        break;
      }
    }
    marks.push({ name: "poison message on reminders", startedAt: Date.now() });
    ledger.phase = marks.length - 1;
    poison = await target.poison(users[0] as LoadUser);
    options.log(`${target.mode}: poison: ${JSON.stringify(poison)}`);
  } finally {
    // Let the reminders of the last calls come due with the load still watching, then stop it.
    await Bun.sleep(options.load.reminderLeadMs[1]);
    await load.stop();
  }
  const stoppedAt = Date.now();
  const lastReminder = Math.max(0, ...ledger.ops.map((o) => o.reminderAt ?? 0));
  await Bun.sleep(Math.max(0, lastReminder + 15_000 - Date.now()));
  const count = () =>
    verify(target.edgeUrl, users, ledger, load.watchers, marks, stoppedAt, target.taskUpdates);
  let verification = await retrying(count, options.log);
  // A slow consumer may still be catching up on the last changes; give it a few more seconds.
  for (let i = 0; i < 6 && !verification.phases.every(phasePassed); i++) {
    await Bun.sleep(5000);
    verification = await retrying(count, options.log);
  }
  let evidence: Evidence | undefined;
  if (verification.missing.length > 0) {
    evidence = await target.evidence(verification.missing);
    for (const line of evidenceSummary(evidence)) options.log(`${target.mode}: ${line}`);
  }
  const passed =
    marks.every((m) => m.error === undefined) &&
    verification.phases.every(phasePassed) &&
    poison.deadLettered &&
    poison.flowed &&
    verification.watchDiverged === 0;
  return {
    mode: target.mode,
    startedAt,
    durationMs: Date.now() - startedAt.getTime(),
    verification,
    poison,
    totalCalls: ledger.ops.length,
    totalAcked: ledger.ops.filter((o) => o.ok).length,
    ...(evidence ? { evidence } : {}),
    passed,
  };
}

const s = (msValue: number | undefined) => (msValue === undefined ? "–" : (msValue / 1000).toFixed(1));

/** `count × code "message"` for each group (the three commonest, then how many more). */
export function formatFailures(groups: readonly FailureGroup[], shown = 3): string {
  const parts = groups
    .slice(0, shown)
    .map((g) => `${g.count} × \`${g.code}\` “${g.message.slice(0, 160).replaceAll("|", "\\|")}”`);
  const rest = groups.slice(shown).reduce((n, g) => n + g.count, 0);
  return rest > 0 ? `${parts.join("; ")}; ${rest} other` : parts.join("; ");
}

/** The faults × outcome table of one run, as Markdown. */
export function formatTable(report: ModeReport): string {
  const head =
    "| fault | back after (s) | calls | failed | outage (s) | acked writes | lost | reminders due | once | missing | set in the past | twice+ | early | max late (s) | watch reconnects | watch missed | verdict |";
  const rule = `|${head
    .split("|")
    .slice(1, -1)
    .map(() => "---")
    .join("|")}|`;
  const rows = report.verification.phases.map((p) =>
    [
      p.name,
      s(p.restoreMs),
      p.calls,
      p.failedCalls,
      s(p.outageMs),
      p.ackedWrites,
      p.lost,
      p.remindersDue,
      p.remindersOnce,
      p.remindersMissing,
      p.remindersSetPast,
      p.remindersDuplicated,
      p.remindersEarly,
      s(p.maxLateMs),
      p.watchReconnects,
      p.watchMissed,
      p.error
        ? `**FAIL** did not recover: ${p.error}`
        : phasePassed(p)
          ? "ok"
          : `**FAIL** ${p.examples.join("; ")}`,
    ].join(" | "),
  );
  const { poison, verification } = report;
  const lines = [head, rule, ...rows.map((r) => `| ${r} |`)];
  const failing = report.verification.phases.filter((p) => p.failures.length > 0);
  if (failing.length > 0) {
    lines.push("", "Failed calls, by code and message:", "");
    for (const p of failing) lines.push(`- ${p.name}: ${formatFailures(p.failures)}`);
  }
  lines.push(
    "",
    `Poison message on \`reminders\`: ${poison.deadLettered ? "in `reminders.dlq`" : "**not in the DLQ**"}, ` +
      `the reminder behind it on the same partition ${poison.flowed ? "delivered" : "**not delivered**"} ` +
      `(${s(poison.ms)} s)${poison.detail ? ` — ${poison.detail}` : ""}.`,
    `WatchTasks: ${verification.watchersChecked} clients; after the run ${verification.watchDiverged} task states ` +
      "differ between what a client shows (stream + read-back at each reconnection) and the server.",
    `${report.totalCalls} calls, ${report.totalAcked} acknowledged, in ${s(report.durationMs)} s; ` +
      `verdict: ${report.passed ? "**pass**" : "**FAIL**"}.`,
  );
  if (report.evidence)
    lines.push("", "Missing reminders:", "", "```", ...evidenceSummary(report.evidence, 2), "```");
  return lines.join("\n");
}
