/**
 * How the API benchmark measures an operation: many clients, each with at most one call in flight,
 * in a closed loop (saturation) and paced (open loop), latencies recorded in the client.
 */
import { percentile } from "../lib/stats";
import type { CpuProbe, CpuSample, CpuShare } from "./cpu";
import type { ApiRun } from "./options";

/** One measured phase: one operation under one load. */
export interface PhaseResult {
  readonly name: string;
  /** `closed loop` (saturation) or `paced at N/s`. */
  readonly load: string;
  readonly calls: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  readonly latenciesMs: Float64Array;
  readonly cpu: CpuShare | undefined;
  /** Latencies by the label the operation resolved to (when it resolved to a string). */
  readonly byLabel: Map<string, number[]>;
}

/**
 * Runs `op` from `concurrency` clients for `warmup + duration` seconds, each client with at most one
 * call in flight.
 *
 * - Without `rate` (closed loop, saturation): each client calls again as soon as it has an answer;
 *   calls that start after the warm-up and finish before the end are recorded.
 * - With `rate` (open loop, paced): the clients together start `rate` calls per second on a fixed
 *   schedule (client `w` at offsets `w / rate`, then every `concurrency / rate` seconds). A call's
 *   latency is measured from when it was *scheduled*, so a call delayed behind a slow one counts
 *   its wait (no coordinated omission). Calls scheduled inside the measured window are recorded.
 */
export async function measure(
  run: Pick<ApiRun, "options" | "log">,
  name: string,
  concurrency: number,
  op: (worker: number, i: number) => Promise<unknown>,
  cpu?: CpuProbe,
  rate?: number,
): Promise<PhaseResult> {
  const { options, log } = run;
  const begin = performance.now() + 20;
  const warmEnd = begin + options.warmup * 1000;
  const end = warmEnd + options.duration * 1000;
  const latencies: number[] = [];
  const byLabel = new Map<string, number[]>();
  const record = (label: unknown, ms: number) => {
    latencies.push(ms);
    if (typeof label === "string") byLabel.set(label, [...(byLabel.get(label) ?? []), ms]);
  };
  let errors = 0;
  let firstError: string | undefined;
  let cpuStart: CpuSample | undefined;
  const startCpu = setTimeout(() => {
    cpuStart = cpu?.sample();
  }, warmEnd - performance.now());
  const load = rate ? `paced at ${Math.round(rate).toLocaleString("en")}/s` : "closed loop";
  log(`${name}, ${load}: ${concurrency} clients, ${options.warmup}s warm-up + ${options.duration}s`);
  const fail = (err: unknown, counted: boolean) => {
    if (counted) errors++;
    firstError ??= err instanceof Error ? err.message : String(err);
  };
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      if (rate) {
        const everyMs = (1000 * concurrency) / rate;
        for (let k = 0; ; k++) {
          const scheduled = begin + (worker / concurrency + k) * everyMs;
          if (scheduled >= end) return;
          const wait = scheduled - performance.now();
          if (wait > 0) await Bun.sleep(wait);
          const counted = scheduled >= warmEnd;
          let label: unknown;
          try {
            label = await op(worker, k);
          } catch (err) {
            fail(err, counted);
            continue;
          }
          if (counted) record(label, performance.now() - scheduled);
        }
      }
      const wait = begin - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      for (let i = 0; ; i++) {
        const t0 = performance.now();
        if (t0 >= end) return;
        let label: unknown;
        try {
          label = await op(worker, i);
        } catch (err) {
          fail(err, t0 >= warmEnd);
          continue;
        }
        const t1 = performance.now();
        if (t0 >= warmEnd && t1 <= end) record(label, t1 - t0);
      }
    }),
  );
  clearTimeout(startCpu);
  const cpuShare = cpu && cpuStart ? cpu.since(cpuStart) : undefined;
  const sorted = Float64Array.from(latencies).sort();
  return {
    name,
    load,
    calls: sorted.length,
    errors,
    firstError,
    seconds: options.duration,
    latenciesMs: sorted,
    cpu: cpuShare,
    byLabel,
  };
}

/**
 * Measures `op` at saturation, then paced at `--paced` (a fraction of the saturation throughput, or
 * a fixed rate), and records both in `run.results`.
 */
export async function measureBoth(
  run: ApiRun,
  name: string,
  op: (worker: number, i: number) => Promise<unknown>,
  cpu?: CpuProbe,
): Promise<void> {
  const { options, results } = run;
  const closed = await measure(run, name, options.concurrency, op, cpu);
  results.push(closed);
  const rate = options.pacedRate ?? Math.max(1, (options.pacedFraction * closed.calls) / closed.seconds);
  results.push(await measure(run, name, options.concurrency, op, cpu, rate));
}

/** Calls per second of a phase. */
export const rateOf = (r: PhaseResult) => r.calls / r.seconds;

/** Percentile `p` of a phase's latencies (ms). */
export const latencyAt = (r: PhaseResult, p: number) => percentile(r.latenciesMs, p);
