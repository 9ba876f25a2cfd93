/**
 * Waiting for a quieter machine before a phase: the benchmarks run on a machine shared with other
 * people's builds and tests, and a phase started in the middle of someone's test run measures them
 * as much as us. The wait is bounded; the reports still say how busy the machine was.
 */
import type { Log } from "./system";

/** How {@link waitForQuiet} reads the machine and how long it waits. */
export interface QuietWait {
  /** What is about to be measured (for the log). */
  readonly what: string;
  /** Seconds to wait at the most; after that the phase is measured anyway. */
  readonly waitS: number;
  /** The machine counts as quiet when a reading is below this many cores. */
  readonly belowCores: number;
  /** One reading of the busy cores; it takes the time it measures over. */
  readonly sample: () => Promise<number>;
  /** What a reading is, for the log: "cores busy", "cores used by others". */
  readonly unit: string;
  readonly log: Log;
}

/**
 * Reads the machine until a reading is below `belowCores` or `waitS` seconds have passed (at least
 * one reading), and returns the last reading.
 */
export async function waitForQuiet(wait: QuietWait): Promise<number> {
  const deadline = Date.now() + wait.waitS * 1000;
  for (;;) {
    const busy = await wait.sample();
    if (busy < wait.belowCores) return busy;
    if (Date.now() > deadline) {
      wait.log(`${wait.what}: the machine is still busy (${busy.toFixed(2)} ${wait.unit}); measuring anyway`);
      return busy;
    }
    wait.log(`${wait.what}: waiting for a quieter machine (${busy.toFixed(2)} ${wait.unit})`);
  }
}
