/**
 * The Dapr benchmark's options (`bench/dapr.ts` parses them from flags and environment variables; its
 * TSDoc lists them), and what every phase of a run is handed.
 */
import { waitForQuiet } from "../lib/quiet";
import { type Log, machineBusyCores } from "../lib/system";

/** The phases `--phases` can choose, in the order they run. */
export const DAPR_PHASES = ["invocation", "pubsub"] as const;
export type DaprPhase = (typeof DAPR_PHASES)[number];

/** Every option of a run, parsed and checked. */
export interface DaprOptions {
  readonly phases: ReadonlySet<DaprPhase>;
  /** Sequential calls per invocation path. */
  readonly calls: number;
  /** Calls per invocation path in the concurrent run. */
  readonly concurrentCalls: number;
  /** Calls in flight in the concurrent run. */
  readonly concurrency: number;
  /** Calls of one path before the next path's turn. */
  readonly block: number;
  /** Unmeasured calls per path (and per load) first. */
  readonly warmup: number;
  /** UpdateTask calls per second in the pubsub phase. */
  readonly rate: number;
  /** Seconds of measured updates per system. */
  readonly duration: number;
  /** Seconds to wait at most, before each phase, for a quieter machine … */
  readonly quietWait: number;
  /** … busy below this many cores. */
  readonly quietCores: number;
  /** Run the system without Dapr first. */
  readonly directFirst: boolean;
  /** The report file (absolute). */
  readonly out: string;
  /** Write the section into `out` (else only print it). */
  readonly write: boolean;
}

/** What every phase gets. */
export interface DaprRun {
  readonly options: DaprOptions;
  readonly log: Log;
}

/**
 * Waits (at most `--quiet-wait` seconds) until the machine is busy below `--quiet-cores`, so a phase
 * does not start in the middle of someone else's test run; returns the last reading.
 */
export function quietMachine(run: DaprRun, what: string): Promise<number> {
  return waitForQuiet({
    what,
    waitS: run.options.quietWait,
    belowCores: run.options.quietCores,
    sample: () => machineBusyCores(2000),
    unit: "cores busy",
    log: run.log,
  });
}
