/**
 * CPU shares of the API benchmark's phases from /proc (Linux): the server process, PostgreSQL's
 * processes and this load generator, so a missed target can be pinned on whoever used the cores.
 */
import { existsSync } from "node:fs";
import { machineTicks, postgresTicks, processTicks, TICKS_PER_SECOND } from "../lib/system";

/** Cumulative CPU ticks at one moment. */
export interface CpuSample {
  readonly at: number;
  readonly server: number;
  readonly postgres: number;
  readonly bench: number;
  readonly total: number;
}

/** Percent of one core used during a phase (200 % = both cores of a 2-core machine). */
export interface CpuShare {
  readonly server: number;
  readonly postgres: number;
  readonly bench: number;
  /** Everything else on the machine (other processes, other databases' backends). */
  readonly other: number;
}

/** Samples the ticks, and turns two samples into shares. */
export interface CpuProbe {
  sample(): CpuSample;
  since(start: CpuSample): CpuShare;
}

/**
 * A probe of the server process `serverPid` (-1 for none) and of the PostgreSQL processes serving
 * this benchmark: backends connected to `dbName` plus the server's background processes. Backends of
 * other databases (other people's tests on a shared cluster) count as "other". Undefined where there
 * is no /proc.
 */
export function cpuProbe(serverPid: number, dbName: string): CpuProbe | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  const sample = (): CpuSample => ({
    at: performance.now(),
    server: processTicks(serverPid),
    postgres: postgresTicks(dbName, true),
    bench: processTicks(process.pid),
    total: machineTicks().busy,
  });
  return {
    sample,
    since(start) {
      const now = sample();
      const secs = (now.at - start.at) / 1000;
      const pct = (ticks: number) => (100 * ticks) / TICKS_PER_SECOND / secs;
      const server = pct(now.server - start.server);
      const postgres = pct(now.postgres - start.postgres);
      const bench = pct(now.bench - start.bench);
      return {
        server,
        postgres,
        bench,
        other: Math.max(0, pct(now.total - start.total) - server - postgres - bench),
      };
    },
  };
}
