/**
 * The API benchmark's report: the table of every measured phase (latency percentiles, the target
 * and whether it was met, CPU shares), the ratios to the raw INSERT rate, the notes and the search
 * breakdowns, and the metrics-overhead section — markdown, printed and written into the report file.
 */
import { percentile } from "../lib/stats";
import { type OverheadRound, overheadReport } from "../metrics-overhead";
import { rateOf } from "./measure";
import type { ApiRun } from "./options";

/** Milliseconds for the report's cells: two decimals under 10 ms, one above; `–` for NaN. */
export const fmt = (ms: number) => (Number.isNaN(ms) ? "–" : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

/** The "Latest results" body: the settings, the table, the ratios and notes, the breakdowns. */
export function resultsMarkdown(run: ApiRun, started: Date): string {
  const { options, results, targets, notes, breakdowns } = run;
  const rawRate = results.find((r) => r.name === "raw INSERT (postgres.js)");

  const lines: string[] = [];
  lines.push(
    "| operation | load | calls | throughput (/s) | p50 ms | p95 ms | p99 ms | max ms | errors | target | met | CPU % of a core: server / postgres / bench / other |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
  );
  for (const r of results) {
    const t = targets.get(r.name);
    const got = t ? percentile(r.latenciesMs, t.pct) : Number.NaN;
    const met = t ? (got <= t.ms && r.errors === 0 ? "yes" : "**no**") : "";
    const cpu = r.cpu
      ? `${r.cpu.server.toFixed(0)} / ${r.cpu.postgres.toFixed(0)} / ${r.cpu.bench.toFixed(0)} / ${r.cpu.other.toFixed(0)}`
      : "";
    lines.push(
      `| ${r.name} | ${r.load} | ${r.calls.toLocaleString("en")} | ${Math.round(rateOf(r)).toLocaleString("en")} | ${fmt(percentile(r.latenciesMs, 50))} | ` +
        `${fmt(percentile(r.latenciesMs, 95))} | ${fmt(percentile(r.latenciesMs, 99))} | ${fmt(r.latenciesMs.at(-1) ?? Number.NaN)} | ` +
        `${r.errors} | ${t ? `p${t.pct} ≤ ${t.ms} ms` : ""} | ${met} | ${cpu} |`,
    );
  }
  const create = results.find((r) => r.name === "CreateTask" && r.load === "closed loop");
  const ratios: string[] = [];
  if (rawRate && create) {
    ratios.push(
      `CreateTask throughput is **${((100 * rateOf(create)) / rateOf(rawRate)).toFixed(1)}%** of the raw single-row INSERT rate ` +
        `(${Math.round(rateOf(create)).toLocaleString("en")}/s vs ${Math.round(rateOf(rawRate)).toLocaleString("en")}/s; ` +
        `1 : ${(rateOf(rawRate) / rateOf(create)).toFixed(1)}), and its p50 is ${(percentile(create.latenciesMs, 50) / percentile(rawRate.latenciesMs, 50)).toFixed(1)}× the raw INSERT's p50.`,
    );
  }
  const pgb = results.find((r) => r.name === "raw INSERT (pgbench)");
  if (pgb && create) {
    ratios.push(`Against pgbench's rate: ${((100 * rateOf(create)) / rateOf(pgb)).toFixed(1)}%.`);
  }
  for (const r of results) {
    if (r.errors > 0) ratios.push(`${r.name}: ${r.errors} errors, the first: \`${r.firstError}\`.`);
  }

  const table = lines.join("\n");
  const settings =
    `${options.concurrency} concurrent clients (${options.connections === "separate" ? `${options.concurrency} separate HTTP/2 connections` : "streams multiplexed on one HTTP/2 connection"}), ` +
    `gRPC over h2c (connect-node \`createGrpcTransport\`), responses ${options.compression === "gzip" ? "gzip-compressed when over 1 KiB (clients accept gzip, as connect-node's and grpc-js's do by default)" : "uncompressed"}; ` +
    `${options.warmup} s warm-up + ${options.duration} s measured per phase; bulk load by ${options.load}.`;
  return [
    `Run on ${started.toISOString().slice(0, 16).replace("T", " ")} UTC: ${settings}`,
    "",
    // A run of only the cost phase has no timed results.
    ...(results.length > 0 ? [table, ""] : []),
    ...ratios.map((r) => `- ${r}`),
    ...notes.map((n) => `- ${n}`),
    ...breakdowns.flatMap((b) => ["", b]),
  ].join("\n");
}

/** The "Metrics overhead" section (with its leading newline) for the metrics phase's rounds. */
export function overheadMarkdown(run: ApiRun, overheadRuns: readonly OverheadRound[], started: Date): string {
  const { options } = run;
  return (
    `\n## Metrics overhead\n\n${overheadReport(
      overheadRuns,
      `${options.concurrency} concurrent clients, ${options.warmup} s warm-up + ${options.duration} s measured per run,`,
      options.scrapeIntervalS * 1000,
    )}\n\nRun on ${started.toISOString().slice(0, 16).replace("T", " ")} UTC (\`bun run bench --phases metrics\`; ` +
    `\`--metrics-rounds\` and \`--scrape-interval\` change the runs). docs/metrics.md lists what is recorded.\n`
  );
}
