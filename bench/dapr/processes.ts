/**
 * The processes of a `DaprTestSystem` whose CPU the Dapr benchmark reports — the task app and the
 * sidecars — found in /proc by their command lines and environments.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { DaprTestSystem } from "../../tests/integration/dapr-system";
import type { CpuMeter } from "../lib/system";
import type { DaprRun } from "./options";

/** Process ids whose `/proc/<pid>/cmdline` (NUL-separated) and environment satisfy `match`. */
function findPids(match: (cmdline: string, environ: () => string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = () => `\0${readFileSync(`/proc/${entry}/environ`, "utf8")}`;
      if (match(cmdline, environ)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile, or is not ours to read
    }
  }
  return pids;
}

/** The `daprd` whose gRPC API listens on `grpcPort`. */
const sidecarPid = (grpcPort: number) =>
  findPids((cmd) => cmd.includes("daprd") && cmd.includes(`\0--dapr-grpc-port=${grpcPort}\0`))[0];

/** The app `services/<name>/src/main.ts` started with `GRPC_PORT=<grpcPort>`. */
const appPid = (name: string, grpcPort: number) =>
  findPids(
    (cmd, env) => cmd.includes(`services/${name}/src/main.ts`) && env().includes(`\0GRPC_PORT=${grpcPort}\0`),
  )[0];

/** Tracks the CPU of the task app and of the task's and the scheduler's sidecars of `system`. */
export async function trackDaprProcesses(
  run: DaprRun,
  system: DaprTestSystem,
  meter: CpuMeter,
): Promise<void> {
  const task = await system.portsOf("task");
  const scheduler = await system.portsOf("scheduler");
  for (const [label, pid] of [
    ["task app", appPid("task", task.grpc)],
    ["task sidecar", sidecarPid(task.sidecar.grpc)],
    ["scheduler sidecar", sidecarPid(scheduler.sidecar.grpc)],
  ] as const) {
    if (pid === undefined) run.log(`no process found for ${label}; its CPU is not reported`);
    meter.track(label, pid);
  }
}
