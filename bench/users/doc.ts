/**
 * The users benchmark's report (`docs/benchmarks-users.md` by default): the targets of issue 15 §3
 * checked at the largest step, a summary row per step, each step's tables from the load generator,
 * the machine and the method. Rewritten by each run, except the analysis between the `analysis`
 * markers (kept, as in docs/benchmarks-events.md).
 */
import { errorCount, type Measurements, measurementsMarkdown } from "@todo/loadgen";
import { keptAnalysis } from "../events/doc";
import { ms, table } from "../lib/stats";
import { type MachineInfo, machineTable } from "../lib/system";
import type { UsersOptions } from "./options";
import type { StepResult } from "./run";

/** The targets (issue 15 §3), at 1 000 users. */
export const TARGETS = { users: 1000, unaryP95Ms: 50, errors: 0, watchP99Ms: 250 } as const;

/** The slowest unary call's p95 and its name. */
export function worstP95(m: Measurements): { operation: string; p95: number } {
  let worst = { operation: "–", p95: Number.NaN };
  for (const o of m.operations) {
    if (!(o.latency.p95 <= worst.p95)) worst = { operation: o.operation, p95: o.latency.p95 };
  }
  return worst;
}

/** Each target's verdict for one step: `met` / `not met`, with the number. */
export function verdicts(r: StepResult): { target: string; value: string; met: boolean }[] {
  const m = r.measurements;
  const worst = worstP95(m);
  const errors = errorCount(m);
  return [
    {
      target: `p95 ≤ ${TARGETS.unaryP95Ms} ms for every unary call`,
      value: `worst ${worst.operation} ${ms(worst.p95)} ms`,
      met: worst.p95 <= TARGETS.unaryP95Ms,
    },
    { target: "0 errors", value: String(errors), met: errors === TARGETS.errors },
    {
      target: `change → other window p99 ≤ ${TARGETS.watchP99Ms} ms`,
      value: `${ms(m.watchDelay.p99)} ms (${m.watchMissed} never arrived)`,
      met: m.watchDelay.p99 <= TARGETS.watchP99Ms && m.watchMissed === 0,
    },
  ];
}

/** Server CPU seconds (the system's own processes) over a step. */
function serverCpu(r: StepResult): number {
  return r.serverLabels.reduce((s, l) => s + (r.cpu.byLabel[l] ?? 0), 0);
}

/** One summary row per step. */
export function summaryTable(results: readonly StepResult[]): string {
  return table(
    [
      "system",
      "users",
      "streams",
      "calls/s",
      "worst p95",
      "errors",
      "change → window p99",
      "reminder p99",
      "server CPU (cores)",
      "CPU per user",
      "PostgreSQL CPU",
      "load generator CPU",
      "generator lag p99",
      "machine busy",
      "RSS per new stream",
      "server RSS at end",
    ],
    results.map((r) => {
      const m = r.measurements;
      const s = r.cpu.seconds || 1;
      const worst = worstP95(m);
      const perStream = r.newStreams > 0 ? (r.rssAfter - r.rssBefore) / r.newStreams : Number.NaN;
      return [
        r.mode,
        String(r.users),
        String(r.streams),
        m.callsPerSecond.toFixed(1),
        `${worst.operation} ${ms(worst.p95)} ms`,
        String(errorCount(m)),
        `${ms(m.watchDelay.p99)} ms`,
        `${ms(m.reminderLateness.p99)} ms (${m.reminderLateness.count})`,
        (serverCpu(r) / s).toFixed(2),
        `${((1000 * serverCpu(r)) / s / r.users).toFixed(2)} ms/s`,
        ((r.cpu.byLabel.postgres ?? 0) / s).toFixed(2),
        ((r.cpu.byLabel.bench ?? 0) / s).toFixed(2),
        `${ms(m.loopLag.p99)} ms`,
        r.cpu.busyCores.toFixed(2),
        Number.isNaN(perStream) ? "–" : `${(perStream / 1024).toFixed(1)} KiB`,
        `${(r.rssEnd / 2 ** 20).toFixed(0)} MiB`,
      ];
    }),
  );
}

/** The verdicts at 1 000 users (or the largest step measured, said so), per system. */
export function targetsMarkdown(results: readonly StepResult[]): string {
  const rows: string[][] = [];
  for (const mode of new Set(results.map((r) => r.mode))) {
    const of = results.filter((r) => r.mode === mode);
    const top = of.reduce((a, b) => (b.users > a.users ? b : a));
    const note = top.users >= TARGETS.users ? "" : ` (${top.users} users: 1 000 not measured)`;
    for (const v of verdicts(top)) {
      rows.push([`${mode}${note}`, v.target, v.value, v.met ? "met" : "**not met**"]);
    }
  }
  return table(["system", "target (at 1 000 users)", "measured", "verdict"], rows);
}

/** Every step's own tables. */
export function stepsMarkdown(results: readonly StepResult[]): string {
  return results
    .map(
      (r) =>
        `### ${r.mode}, ${r.users} users (${r.streams} streams)\n\n${measurementsMarkdown(r.measurements)}\n`,
    )
    .join("\n");
}

/** The whole report file. */
export function renderDoc(options: UsersOptions, results: readonly StepResult[], m: MachineInfo): string {
  const b = options.behaviour;
  const mix = Object.entries(b.mix)
    .map(([op, w]) => `${op} ${w}`)
    .join(", ");
  return `# Benchmarks: 1 000 users, as the product is used (issue 15 §3)

Measured by \`bun run bench:users\` (\`bench/users.ts\`) with the load generator \`services/loadgen\`;
the tables below are rewritten by each run, the analysis section is kept. The API benchmark is in
[benchmarks.md](benchmarks.md), the event path in [benchmarks-events.md](benchmarks-events.md).

## Targets

${targetsMarkdown(results)}

## Summary

${summaryTable(results)}

## Machine and versions

${machineTable(m, options.command)}

The machine is shared: "machine busy" in the summary is every process's CPU over the step, in cores,
so a number measured on a crowded machine can be told apart.

## How it is measured

- **Systems**: \`embedded\` is the server \`bun start\` runs (\`services/embedded/src/main.ts\`, started as
  \`bun run bench\` starts it) on a fresh PostgreSQL database; \`services\` is every service as its own
  process (as \`start:services\` runs them, started as \`bun run bench:events\` starts them) on a fresh
  database and ${options.kafka === "private" ? "a private single-node Kafka of the run" : "the shared Kafka broker with a topic and group prefix of the run"}, with **two task-service
  replicas**: user *i* calls and watches replica *i* mod 2. Sign-up limits are off
  (\`SIGN_UP_ADDRESS_LIMIT=0\`): every user signs up from 127.0.0.1.
- **Virtual users** (\`services/loadgen\`): each signs up (timed, but set-up), opens its own HTTP/2
  connection, keeps a **WatchTasks** and a **WatchNotifications** stream open, creates ${b.seedTasks} first
  tasks, and then, after each think time — exponential with mean ${b.thinkMs} ms, cut at five means, so
  about ${(1000 / b.thinkMs).toFixed(2)} calls per user per second — makes one call and waits for it:
  ${mix} (weights). Creates are typed lines read by the quick-add parser (\`@todo/language\`, as the web
  app's box reads them): due dates, tags, priorities, ${Math.round(b.recurringShare * 100)} % recurring ("every 3 days"), and
  ${Math.round(b.reminderShare * 100)} % get a reminder due ${b.reminderDelayS}–${4 * b.reminderDelayS} s later. Updates change a title, a priority or a due time with
  an update mask and the etag last seen; completions take a recurring task half the time; a task with a
  pending reminder is neither completed nor deleted. ${Math.round(b.connectShare * 100)} % of the users speak Connect (over h2c),
  the rest gRPC (connect-node's transports).
- **Steps**: ${options.steps.join(", ")} users, ${options.durationS} s measured each; a step keeps the users (and open
  streams) of the step before and adds the rest. Measuring starts once the new users' first tasks have
  all arrived on their streams (at most 2 min; a backlog left then is said under the step), so a step
  does not start behind its own set-up.
- **Latency**: per call, from the call to its response, nearest-rank percentiles; errors by code.
- **Change → other window**: from the *start* of a user's create, update, complete or delete to the
  arrival of that change (same type, task id and etag) on the same user's WatchTasks stream — what a
  second window waits for. The start, not the response, because the event can arrive first. A change
  that has not arrived 3 s after the step counts as never arrived (an error for the target).
- **Reminder lateness**: a notification's arrival on WatchNotifications minus its \`fire_time\`, for
  reminders due within the step.
- **CPU per user**: the servers' CPU time (from /proc: the server process, or every service process),
  per measured second, divided by the users: milliseconds of CPU per second per user. PostgreSQL (this
  run's backends) and the load generator (this process) are shown apart.
- **Generator lag**: how late the load generator's own 100 ms timer fired (p99) while measuring. It
  runs every user in one Bun process; when this lag is large (the machine is saturated, or the
  generator is), it is part of every latency in the step, and the step measures the machine, not the
  servers.
- **Memory per open stream**: the servers' resident memory (VmRSS) 3 s after a step's new streams were
  opened minus just before (3 s after the sign-ups, whose Argon2id buffers are given back by then),
  divided by those streams (before their first tasks are created). The allocator keeps freed memory,
  so small steps are noise; read the largest step.

## Results

${stepsMarkdown(results)}
## Analysis

${keptAnalysis(options.out)}
`;
}
