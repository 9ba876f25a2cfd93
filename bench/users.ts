/**
 * The users benchmark (`bun run bench:users`): steps of virtual users from the load generator
 * (`services/loadgen`) against `bun start`'s server and against the services as processes on
 * PostgreSQL + Kafka, checked against issue 15 §3's targets at 1 000 users: p95 ≤ 50 ms for every
 * unary call, 0 errors, change → other window p99 ≤ 250 ms. Prints markdown and rewrites
 * `docs/benchmarks-users.md` (its analysis section, between the `analysis` markers, is kept).
 *
 * Per step: per call p50/p95/p99/max and errors, the change → other-window delay, reminder lateness,
 * the servers' CPU per user (/proc) and their resident memory per open stream.
 *
 * Options (flag / environment variable, default):
 *   --users LIST / BENCH_USERS_STEPS (100,300,1000)   virtual users per step, ascending
 *   --duration S / BENCH_USERS_DURATION (60)          measured seconds per step
 *   --modes LIST / BENCH_USERS_MODES (embedded,services)
 *   --kafka / BENCH_KAFKA (private)                   services mode: `private`, a broker of this run;
 *                                                     `shared`, KAFKA_BROKERS with a topic prefix of the run
 *   --sign-up-concurrency N / LOADGEN_SIGN_UP_CONCURRENCY (8)
 *   --think, --connect-share, --mix, --recurring-share, --reminder-share, --reminder-delay,
 *   --seed-tasks, --time-zone                         the load generator's (services/loadgen/src/main.ts)
 *   --database-url URL                                PostgreSQL (default DATABASE_URL or .infra/env)
 *   --out FILE (docs/benchmarks-users.md), --no-write print only
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { behaviourOptions } from "@todo/loadgen";
import { readEnvFile } from "../scripts/lib/env-file.ts";
import { choiceOption, intOption, numberOption, phasesOption, printHelpAndExit } from "./lib/options";
import { machineInfo, postgresVersion } from "./lib/system";
import { renderDoc, targetsMarkdown, verdicts } from "./users/doc";
import { USER_MODES, type UsersOptions } from "./users/options";
import { runMode, type StepResult } from "./users/run";

const root = join(import.meta.dir, "..");
const text = { type: "string" } as const;
const { values: flags } = parseArgs({
  options: {
    users: text,
    duration: text,
    modes: text,
    kafka: text,
    "sign-up-concurrency": text,
    think: text,
    "connect-share": text,
    mix: text,
    "recurring-share": text,
    "reminder-share": text,
    "reminder-delay": text,
    "seed-tasks": text,
    "time-zone": text,
    "database-url": text,
    out: text,
    "no-write": { type: "boolean" },
    help: { type: "boolean" },
  },
  strict: true,
});
if (flags.help) printHelpAndExit(import.meta.path);

/** `--users 100,300,1000`: positive integers, ascending. */
function stepsOption(raw: string | undefined): number[] {
  const steps = (raw ?? process.env.BENCH_USERS_STEPS ?? "100,300,1000")
    .split(",")
    .filter((s) => s.trim() !== "")
    .map((s) => intOption(s.trim(), "BENCH_USERS_STEPS", 0, 1, 100_000));
  if (steps.length === 0 || steps.some((n, i) => i > 0 && n <= (steps[i - 1] as number))) {
    throw new Error(`BENCH_USERS_STEPS must be ascending user counts (got ${raw})`);
  }
  return steps;
}

const fromInfra = readEnvFile(join(root, ".infra", "env"));
const options: UsersOptions = {
  steps: stepsOption(flags.users),
  durationS: numberOption(flags.duration, "BENCH_USERS_DURATION", 60, 1, 3600),
  modes: phasesOption(flags.modes ?? process.env.BENCH_USERS_MODES, USER_MODES),
  behaviour: behaviourOptions(flags as Record<string, string | undefined>),
  signUpConcurrency: intOption(flags["sign-up-concurrency"], "LOADGEN_SIGN_UP_CONCURRENCY", 8, 1, 1000),
  kafka: choiceOption(flags.kafka, "BENCH_KAFKA", ["private", "shared"] as const),
  sharedBrokers: process.env.KAFKA_BROKERS ?? fromInfra.KAFKA_BROKERS,
  databaseUrl: flags["database-url"] ?? process.env.DATABASE_URL ?? fromInfra.DATABASE_URL ?? "",
  out: resolve(root, flags.out ?? "docs/benchmarks-users.md"),
  write: !flags["no-write"],
  command: ["bun", "run", "bench:users", ...Bun.argv.slice(2)].join(" "),
};
if (!options.databaseUrl) {
  console.error("DATABASE_URL is not set (nor in .infra/env): run `bun run infra:up` first.");
  process.exit(2);
}
if (options.modes.has("services") && options.kafka === "shared" && !options.sharedBrokers) {
  console.error("--kafka shared needs KAFKA_BROKERS (or .infra/env): run `bun run infra:up` first.");
  process.exit(2);
}

const started = Date.now();
const log = (msg: string) =>
  process.stderr.write(`[bench:users ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const machine = machineInfo(`PostgreSQL ${await postgresVersion(options.databaseUrl)}`, root);
const results: StepResult[] = [];
let failed = false;
for (const mode of USER_MODES.filter((m) => options.modes.has(m))) {
  try {
    await runMode(mode, options, log, (r) => {
      results.push(r);
      for (const v of verdicts(r))
        log(`${mode} ${r.users} users: ${v.target}: ${v.value} — ${v.met ? "met" : "not met"}`);
    });
  } catch (err) {
    failed = true;
    log(`${mode} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}
if (results.length === 0) process.exit(1);
const doc = renderDoc(options, results, machine);
console.log(doc);
if (options.write) {
  await Bun.write(options.out, doc);
  log(`wrote ${options.out}`);
}
console.error(targetsMarkdown(results));
process.exit(failed ? 1 : 0);
