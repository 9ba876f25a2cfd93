/**
 * One run of the Dapr benchmark (`bench/dapr.ts` is its command line): the Dapr system and the direct
 * system one after the other (never at the same time), the selected phases in each, then the
 * section — printed, and written into the report file.
 */
import { resolve } from "node:path";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { daprVersion } from "../../scripts/lib/dapr-binaries.ts";
import { DaprTestSystem } from "../../tests/integration/dapr-system";
import { TestSystem } from "../../tests/integration/system";
import { CpuMeter, type MachineInfo, machineInfo } from "../lib/system";
import { methodSection, writeSection } from "./doc";
import { type InvocationResult, invocationPhase } from "./invocation";
import type { DaprRun } from "./options";
import { trackDaprProcesses } from "./processes";
import { DAPR, DIRECT, type PubsubResult, publishDeliver } from "./pubsub";
import { invocationSection, invocationSummary, machineSection, pubsubSection, pubsubSummary } from "./report";

const root = resolve(import.meta.dir, "..", "..");

/** What the systems measured, gathered for the report. */
interface RunState {
  /** The date and load of the run's start, whichever system runs first. */
  readonly startInfo: Pick<MachineInfo, "date" | "loadAverage">;
  machine?: MachineInfo;
  invocation?: InvocationResult;
  readonly pubsub: PubsubResult[];
}

const databaseName = (url: string) => new URL(url).pathname.slice(1);

/** Runs the benchmark; throws when a system failed (after closing it). */
export async function runDaprBench(run: DaprRun): Promise<void> {
  const { options, log } = run;
  const started = performance.now();
  const { date, loadAverage } = machineInfo("", root);
  const state: RunState = { startInfo: { date, loadAverage }, pubsub: [] };
  const order =
    options.directFirst && options.phases.has("pubsub")
      ? [runDirectSystem, runDaprSystem]
      : [runDaprSystem, ...(options.phases.has("pubsub") ? [runDirectSystem] : [])];
  for (const system of order) await system(run, state);

  const sections: string[] = [];
  if (state.machine) sections.push(machineSection(state.machine, daprVersion()));
  if (state.invocation || state.pubsub.length === 2) {
    const headline = [
      ...(state.invocation ? invocationSummary(state.invocation) : []),
      ...(state.pubsub.length === 2 ? [pubsubSummary(state.pubsub)] : []),
    ].filter(Boolean);
    sections.push(headline.join("\n"));
  }
  if (state.invocation) sections.push(invocationSection(state.invocation));
  if (state.pubsub.length > 0) sections.push(pubsubSection(run, state.pubsub));
  sections.push(methodSection(options));
  const report = `### Latest results\n\n${sections.join("\n\n")}`;

  console.log(`\n${report}\n`);
  if (options.write) {
    writeSection(options.out, report);
    log(`wrote ${options.out}`);
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

/** The Dapr system: the invocation phase, and the Dapr half of the pubsub phase. */
async function runDaprSystem(run: DaprRun, state: RunState): Promise<void> {
  const { options, log } = run;
  log("starting the Dapr system (the Dapr scheduler, every service and its sidecar)");
  const dapr = await DaprTestSystem.create({ label: "bench" });
  try {
    await dapr.startAll();
    const [version] = await dapr.sql<{ server_version: string }[]>`show server_version`;
    // The date and load of the run's start, whichever system runs first.
    state.machine = { ...machineInfo(version?.server_version ?? "unknown", root), ...state.startInfo };
    const meter = new CpuMeter(databaseName(dapr.databaseUrl));
    await trackDaprProcesses(run, dapr, meter);
    if (options.phases.has("invocation")) state.invocation = await invocationPhase(run, dapr, meter);
    if (options.phases.has("pubsub")) {
      const { token } = await dapr.signUp("UTC");
      state.pubsub.push(
        await publishDeliver(
          run,
          DAPR,
          dapr.client("task", TaskService, token),
          dapr.client("task", TaskService, token),
          dapr.kafka,
          meter,
        ),
      );
    }
  } catch (err) {
    log(
      `the Dapr system failed; task log:\n${dapr.logTail("task")}\ntask sidecar:\n${dapr.logTail("task-daprd")}`,
    );
    throw err;
  } finally {
    await dapr.close();
  }
}

/** The system without Dapr (kafkajs straight to the broker): the direct half of the pubsub phase. */
async function runDirectSystem(run: DaprRun, state: RunState): Promise<void> {
  const { log } = run;
  log("starting the direct system (every service but the assistant, kafkajs)");
  const direct = await TestSystem.create({ label: "benchdapr" });
  try {
    // The same consumers as under Dapr (tag and scheduler read task-events), so both systems do the
    // same work per change; the assistant has no place in TestSystem and is idle in this benchmark.
    for (const name of ["identity", "task", "tag", "scheduler", "notification"] as const) {
      await direct.start(name);
    }
    await direct.kafka.detectNamespace();
    const meter = new CpuMeter(databaseName(direct.databaseUrl));
    meter.track("task app", direct.service("task").proc.pid);
    const { token } = await direct.signUp();
    state.pubsub.push(
      await publishDeliver(
        run,
        DIRECT,
        direct.client("task", TaskService, token),
        direct.client("task", TaskService, token),
        direct.kafka,
        meter,
      ),
    );
  } catch (err) {
    log(`the direct system failed; task log:\n${await direct.logTail("task")}`);
    throw err;
  } finally {
    await direct.close();
  }
}
