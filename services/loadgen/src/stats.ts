/**
 * Small statistics helpers of the load generator and the benchmarks (`bench/lib/stats.ts` re-exports
 * them): nearest-rank percentiles over latency samples and their markdown formatting. Kept apart so
 * the benchmarks' phases read as what they measure.
 */

/** The distribution of one set of samples, in the samples' unit (milliseconds here). */
export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Nearest-rank percentile `p` (0–100) of `sorted` (ascending): the smallest sample that at least
 * `p` % of the samples do not exceed. Nearest-rank never interpolates, so a reported p99 is a latency
 * some event really had. NaN for no samples.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** Summarises `values` (any order); every field is NaN when there are none. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Milliseconds for a table cell: one decimal under 100 ms, whole above; `–` for NaN. */
export function ms(value: number): string {
  if (Number.isNaN(value)) return "–";
  return Math.abs(value) < 100 ? value.toFixed(1) : value.toFixed(0);
}

/** A markdown table from a header row and body rows. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
