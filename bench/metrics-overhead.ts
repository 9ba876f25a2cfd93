/**
 * The metrics-overhead phase of `bun run bench` (`--phases metrics`): CreateTask throughput of the
 * one-process server with metrics off and with metrics on — `METRICS_PORT` serving `/metrics` and a
 * scraper reading it every `--scrape-interval` seconds, as a Prometheus would — in one run.
 *
 * Method: the two servers run **side by side**, each on a fresh database with clients of its own,
 * loaded at the same time (closed loop, saturating the machine). Whatever else the machine is doing
 * then weighs on both alike — on a shared 2-core machine that load moves throughput by tens of
 * percent from one minute to the next, far more than metrics cost, so runs one after another cannot
 * resolve a few percent — and the kernel shares the CPU between the two servers evenly, so each
 * one's throughput goes with its CPU time per call. Each round starts a new pair (which of the two
 * starts first alternates); the report gives both servers' throughput and CPU time per call per
 * round, and the overhead of the means. docs/benchmarks.md keeps it under "Metrics overhead".
 */
import { parsePrometheusText, sumOf } from "@todo/platform/testing";

/** One server's result in a round. */
export interface LoadResult {
  readonly calls: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  /** Server CPU in % of one core during the window, when known. */
  readonly serverCpu: number | undefined;
}

/** One round: the two servers, measured at the same time. */
export interface OverheadRound {
  readonly off: LoadResult;
  readonly on: LoadResult;
  /** Scrapes of the "on" server during the round and their median duration. */
  readonly scrapes: number;
  readonly scrapeMedianMs: number | undefined;
  /** Series in its last scrape. */
  readonly series: number;
  /** Measurements it recorded per CreateTask: histogram observations and counter increments. */
  readonly recordingsPerCall: number;
}

/** A started server of a round. */
export interface OverheadServer {
  readonly metricsUrl: string | undefined;
  /** Runs CreateTask closed loop (warm-up + window) and returns its result. */
  measure(): Promise<LoadResult>;
  stop(): Promise<void>;
}

/** What a round is made of, supplied by bench/api.ts. */
export interface OverheadDeps {
  readonly rounds: number;
  readonly scrapeIntervalMs: number;
  /** Starts a fresh server (on a fresh database) with metrics on or off and signs its clients up. */
  start(metrics: boolean): Promise<OverheadServer>;
  log(message: string): void;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? undefined : (s[Math.floor((s.length - 1) / 2)] as number);
};

/** Scrapes `url` every `intervalMs` until stopped; returns each scrape's duration. */
function startScraper(url: string, intervalMs: number) {
  const durations: number[] = [];
  let stopped = false;
  let failure: unknown;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      try {
        const res = await fetch(url);
        await res.text();
        if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
        durations.push(performance.now() - t0);
      } catch (err) {
        failure ??= err;
      }
      const wait = intervalMs - (performance.now() - t0);
      if (wait > 0 && !stopped) await Bun.sleep(wait);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      if (failure) throw failure;
      return durations;
    },
  };
}

/** Reads the "on" server's metrics after a round: proves they were recorded, and counts them. */
async function recorded(url: string, calls: number): Promise<{ series: number; recordingsPerCall: number }> {
  const final = parsePrometheusText(await (await fetch(url)).text());
  const counted = sumOf(final, "rpc_server_call_duration_seconds_count", {
    rpc_method: "todo.task.v1.TaskService/CreateTask",
  });
  if (counted < calls)
    throw new Error(`metrics on, but /metrics counted ${counted} CreateTask calls of ${calls}`);
  let recordings = 0;
  for (const [family, type] of final.types) {
    if (type === "histogram") recordings += sumOf(final, `${family}_count`);
    else if (type === "counter" && !family.startsWith("process_")) recordings += sumOf(final, family);
  }
  return { series: final.samples.length, recordingsPerCall: recordings / counted };
}

/** Runs `rounds` side-by-side rounds. */
export async function measureMetricsOverhead(deps: OverheadDeps): Promise<OverheadRound[]> {
  const rounds: OverheadRound[] = [];
  for (let r = 0; r < deps.rounds; r++) {
    deps.log(`metrics overhead: round ${r + 1}/${deps.rounds}, metrics off and on side by side`);
    const order = r % 2 === 0 ? [false, true] : [true, false];
    const started: OverheadServer[] = [];
    try {
      for (const metrics of order) started.push(await deps.start(metrics));
      const off = started[order.indexOf(false)] as OverheadServer;
      const on = started[order.indexOf(true)] as OverheadServer;
      const scraper = startScraper(on.metricsUrl as string, deps.scrapeIntervalMs);
      const [offResult, onResult] = await Promise.all([off.measure(), on.measure()]);
      const durations = await scraper.stop();
      rounds.push({
        off: offResult,
        on: onResult,
        scrapes: durations.length,
        scrapeMedianMs: median(durations),
        ...(await recorded(on.metricsUrl as string, onResult.calls)),
      });
    } finally {
      for (const s of started) await s.stop();
    }
  }
  return rounds;
}

const fmt = (n: number | undefined, digits = 1) =>
  n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits);

/** The markdown section (without its heading) describing `rounds`. */
export function overheadReport(
  rounds: readonly OverheadRound[],
  settings: string,
  scrapeIntervalMs: number,
): string {
  const rate = (r: LoadResult) => r.calls / r.seconds;
  /** Server CPU milliseconds per call. */
  const cpuPerCall = (r: LoadResult) =>
    r.serverCpu === undefined ? undefined : ((r.serverCpu / 100) * r.seconds * 1000) / r.calls;
  const mean = (xs: (number | undefined)[]) => {
    const ns = xs.filter((x): x is number => x !== undefined);
    return ns.length === 0 ? undefined : ns.reduce((a, b) => a + b, 0) / ns.length;
  };
  const change = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : (100 * (b - a)) / a;
  const signed = (x: number | undefined) =>
    x === undefined ? "–" : `${x >= 0 ? "+" : "−"}${fmt(Math.abs(x), 1)} %`;
  const offRate = mean(rounds.map((r) => rate(r.off)));
  const onRate = mean(rounds.map((r) => rate(r.on)));
  const offCpu = mean(rounds.map((r) => cpuPerCall(r.off)));
  const onCpu = mean(rounds.map((r) => cpuPerCall(r.on)));
  const perRound = rounds.map((r) => change(rate(r.off), rate(r.on)) as number);
  const lines = [
    `Run with ${settings} CreateTask closed loop on two servers side by side — metrics off and metrics on, ` +
      `each on a fresh database with clients of its own, loaded at the same time, so other load on the ` +
      `machine weighs on both alike; "on" serves \`/metrics\` (\`METRICS_PORT=0\`) and is scraped every ` +
      `${scrapeIntervalMs / 1000} s.`,
    "",
    "| round | off: calls/s | p50 ms | p99 ms | CPU ms / call | on: calls/s | p50 ms | p99 ms | CPU ms / call | throughput on vs off | scrapes (median ms) | series |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ...rounds.map(
      (r, i) =>
        `| ${i + 1} | ${Math.round(rate(r.off)).toLocaleString("en")} | ${fmt(r.off.p50, 2)} | ${fmt(r.off.p99, 2)} | ` +
        `${fmt(cpuPerCall(r.off), 3)} | ${Math.round(rate(r.on)).toLocaleString("en")} | ${fmt(r.on.p50, 2)} | ` +
        `${fmt(r.on.p99, 2)} | ${fmt(cpuPerCall(r.on), 3)} | ${signed(perRound[i])} | ` +
        `${r.scrapes} (${fmt(r.scrapeMedianMs, 1)}) | ${r.series} |`,
    ),
    "",
    `- Mean throughput: off ${Math.round(offRate ?? Number.NaN).toLocaleString("en")}/s, on ` +
      `${Math.round(onRate ?? Number.NaN).toLocaleString("en")}/s: **${signed(change(offRate, onRate))}** with metrics on ` +
      `(target: no more than 3 % lower); per round from ${signed(Math.min(...perRound))} to ${signed(Math.max(...perRound))}.`,
    `- Server CPU per CreateTask: off ${fmt(offCpu, 3)} ms, on ${fmt(onCpu, 3)} ms (${signed(change(offCpu, onCpu))}).`,
    `- Measurements recorded per CreateTask with metrics on (the RPC, every SQL statement of the call, of its ` +
      `outbox relay and of its consumers, the events sent and consumed): ${fmt(mean(rounds.map((r) => r.recordingsPerCall)), 1)}.`,
  ];
  return lines.join("\n");
}
