/**
 * `bun run chaos`: the fault suite (docs/reliability.md). Starts a private PostgreSQL and Kafka
 * (never the shared ones of `infra:up`, which other runs may be using), then for each mode — the
 * `start:services` topology and the `start:dapr` one — runs a steady create/complete/reminder load
 * with WatchTasks clients through the edge while it kills and restarts each service, the edge, the
 * broker, PostgreSQL and (Dapr) sidecars, and counts what the clients were acknowledged against
 * what the system holds. Prints the faults × outcome table of each mode and writes it into
 * docs/reliability.md (between that mode's `chaos:<mode>:begin` / `chaos:<mode>:end` markers).
 *
 *   bun run chaos                       both modes, every fault (about 10 minutes a mode)
 *   bun run chaos --mode services       one mode (`services` or `dapr`)
 *   bun run chaos --quick               the reduced set the test runs (scripts/chaos.test.ts)
 *   bun run chaos --no-write            do not touch docs/reliability.md
 *   bun run chaos --only notification --repeat 5
 *                                       only the faults whose name contains a word given (`none`: the
 *                                       baseline alone), each 5 times; never writes the doc
 *
 * Exits 0 when every count is what docs/reliability.md promises, 1 otherwise, 2 on a usage error.
 * Needs PostgreSQL server binaries, Java 17 and the cached Kafka jars (as `infra:up` does), and for
 * the Dapr mode the cached daprd (scripts/lib/dapr-binaries.ts).
 */
import { parseArgs } from "node:util";
import { startPrivateInfra } from "./lib/chaos-infra.ts";
import { writeReliabilityDoc } from "./lib/chaos-report.ts";
import { DEFAULT_RUN, formatTable, type ModeReport, type RunOptions, runFaults } from "./lib/chaos-run.ts";
import { type ChaosTarget, daprTarget, servicesTarget } from "./lib/chaos-targets.ts";

/** The quick variant's pacing: shorter phases (the test and `--quick`). */
export const QUICK_RUN = { ...DEFAULT_RUN, users: 3, baselineMs: 8000, holdMs: 10_000 };

/** Runs `modes` (quick or full) on fresh private infrastructure; returns one report per mode. */
export async function runChaos(
  modes: readonly ChaosTarget["mode"][],
  quick: boolean,
  log: (message: string) => void = (m) => console.error(`[chaos] ${m}`),
  pick: Pick<RunOptions, "only" | "repeat"> = {},
): Promise<ModeReport[]> {
  const infra = await startPrivateInfra(log);
  const onSignal = () => infra.killNow();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const saved = { DATABASE_URL: process.env.DATABASE_URL, KAFKA_BROKERS: process.env.KAFKA_BROKERS };
  // The harnesses read these: point them at the private servers.
  process.env.DATABASE_URL = infra.databaseUrl;
  process.env.KAFKA_BROKERS = infra.kafkaBrokers;
  const reports: ModeReport[] = [];
  try {
    for (const mode of modes) {
      const targetOptions = { quick, downMs: 2000, log };
      log(`${mode}: starting the system`);
      const target =
        mode === "services"
          ? await servicesTarget(infra, targetOptions)
          : await daprTarget(infra, targetOptions);
      try {
        const report = await runFaults(target, { ...(quick ? QUICK_RUN : DEFAULT_RUN), ...pick, log });
        reports.push(report);
        console.log(`\n## ${mode}\n\n${formatTable(report)}\n`);
      } finally {
        await target.close();
      }
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await infra.close();
  }
  return reports;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      mode: { type: "string" },
      quick: { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      repeat: { type: "string" },
    },
  });
  const repeat = Number(values.repeat ?? "1");
  const mode = values.mode ?? "all";
  if (!["all", "services", "dapr"].includes(mode) || !Number.isInteger(repeat) || repeat < 1) {
    console.error(
      "usage: bun run chaos [--mode services|dapr] [--quick] [--no-write] [--only <fault word>]... [--repeat <n>]",
    );
    process.exit(2);
  }
  const modes: ChaosTarget["mode"][] = mode === "all" ? ["services", "dapr"] : [mode as ChaosTarget["mode"]];
  const partial = values.only !== undefined || repeat > 1;
  const reports = await runChaos(modes, values.quick, undefined, {
    ...(values.only ? { only: values.only } : {}),
    repeat,
  });
  if (!values["no-write"] && !partial) {
    const command = `bun run chaos${values.quick ? " --quick" : ""}${mode === "all" ? "" : ` --mode ${mode}`}`;
    const file = await writeReliabilityDoc(reports, command);
    console.error(`[chaos] wrote the tables into ${file}`);
  }
  process.exit(reports.every((r) => r.passed) ? 0 : 1);
}
