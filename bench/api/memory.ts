/**
 * The API benchmark's `memory` phase: the server's (`bun start`) resident memory (VmRSS) once the
 * benchmark's tasks are loaded, then with `--streams` WatchTasks streams open (spread over the
 * client users' connections, each stream live: it got its first message), then over a soak of
 * `--soak` seconds at a fixed rate of `--soak-rate` calls/s (creates, updates, completions and
 * lists; every change goes out on the open streams) with the resident memory sampled every
 * {@link SAMPLE_S} seconds. A leak shows as a rising floor — the lowest reading of each minute, where
 * the heap is after a collection — over the soak's second half, when caches, pools and the JIT have
 * settled; the first half is the warm-up of a long-running process.
 */
import postgres from "postgres";
import { processRssBytes } from "../lib/system";
import type { CpuProbe } from "./cpu";
import { measure, type PhaseResult } from "./measure";
import type { ApiRun } from "./options";
import { type BenchUser, createTaskOp, type Server } from "./server";

/** Seconds between two readings of the server's resident memory during the soak. */
const SAMPLE_S = 10;
/** The soak's verdict: resident memory is flat when its trend over the second half is below this. */
const FLAT_MIB_PER_MIN = 1;

const mib = (bytes: number) => bytes / 1024 / 1024;

/** One reading of the server's resident memory. */
interface RssSample {
  readonly atS: number;
  readonly bytes: number;
}

/** The least-squares slope of `samples` in MiB per minute (0 for fewer than two). */
export function trendMibPerMinute(samples: readonly RssSample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const meanX = samples.reduce((s, p) => s + p.atS, 0) / n;
  const meanY = samples.reduce((s, p) => s + mib(p.bytes), 0) / n;
  let num = 0;
  let den = 0;
  for (const p of samples) {
    num += (p.atS - meanX) * (mib(p.bytes) - meanY);
    den += (p.atS - meanX) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

/** The lowest reading of each whole minute of `samples` (counted from the first), at its time. */
export function minuteFloors(samples: readonly RssSample[]): RssSample[] {
  const start = samples[0]?.atS ?? 0;
  const byMinute = new Map<number, RssSample>();
  for (const s of samples) {
    const minute = Math.floor((s.atS - start) / 60);
    const low = byMinute.get(minute);
    if (!low || s.bytes < low.bytes) byMinute.set(minute, s);
  }
  return [...byMinute.values()];
}

const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(2)}`;

/** Open WatchTasks streams and what they received. */
class Streams {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  /** Messages received over all streams. */
  messages = 0;
  /** Streams that ended or failed before they were closed. */
  broken = 0;
  private ready = 0;

  constructor(users: readonly BenchUser[], count: number) {
    for (let i = 0; i < count; i++) this.loops.push(this.open(users[i % users.length] as BenchUser));
  }

  private async open(user: BenchUser): Promise<void> {
    let first = true;
    try {
      for await (const _ of user.tasks.watchTasks({}, { signal: this.abort.signal })) {
        this.messages++;
        if (first) {
          first = false;
          this.ready++;
        }
      }
    } catch {
      // closing aborts the stream; anything else is a break, counted below
    }
    if (!this.abort.signal.aborted) this.broken++;
  }

  /** Resolves once every stream got its first message; throws after `timeoutMs`. */
  async live(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.ready + this.broken < this.loops.length) {
      if (Date.now() > deadline)
        throw new Error(
          `${this.ready} of ${this.loops.length} WatchTasks streams live after ${timeoutMs} ms`,
        );
      await Bun.sleep(100);
    }
    if (this.broken > 0) throw new Error(`${this.broken} WatchTasks streams failed to open`);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }
}

/** Waits `seconds`, then reads the server's resident memory. */
async function settledRss(server: Server, seconds = 3): Promise<number> {
  await Bun.sleep(seconds * 1000);
  return processRssBytes(server.pid);
}

/** Measures the server's memory as described above and adds the report to `run`. */
export async function memoryPhase(
  run: ApiRun,
  url: string,
  server: Server,
  users: readonly BenchUser[],
  cpu: CpuProbe | undefined,
): Promise<void> {
  const { options, log } = run;
  const counter = postgres(url, { max: 1, onnotice: () => {} });
  let tasks: number;
  try {
    const [row] = await counter<{ n: number }[]>`select count(*)::int as n from task.tasks`;
    tasks = row?.n ?? 0;
  } finally {
    await counter.end({ timeout: 5 });
  }
  const loaded = await settledRss(server);
  log(
    `memory: ${mib(loaded).toFixed(0)} MiB with ${tasks} tasks; opening ${options.streams} WatchTasks streams`,
  );
  const streams = new Streams(users, options.streams);
  try {
    await streams.live(60_000);
    const withStreams = await settledRss(server);
    log(`memory: ${mib(withStreams).toFixed(0)} MiB with the streams open; soak of ${options.soakSeconds} s`);

    // The soak: a fixed mix at a fixed rate, each client on its own user's tasks.
    const create = createTaskOp(users, 11);
    const mine: string[][] = users.map(() => []);
    const op = async (w: number, i: number) => {
      const user = users[w] as BenchUser;
      const own = mine[w] as string[];
      const kind = i % 10;
      if (kind < 4 || own.length === 0) {
        const res = (await create(w)) as { task?: { id: string } };
        if (res.task) own.push(res.task.id);
        return "create";
      }
      if (kind < 7) {
        const id = own[i % own.length] as string;
        await user.tasks.updateTask({ task: { id, title: `soak ${i}` }, updateMask: { paths: ["title"] } });
        return "update";
      }
      if (kind === 7) {
        await user.tasks.completeTask({ id: own.shift() as string });
        return "complete";
      }
      await user.tasks.listTasks({ pageSize: 50 });
      return "list";
    };
    const started = performance.now();
    const samples: RssSample[] = [{ atS: 0, bytes: processRssBytes(server.pid) }];
    const sampler = setInterval(() => {
      samples.push({ atS: (performance.now() - started) / 1000, bytes: processRssBytes(server.pid) });
    }, SAMPLE_S * 1000);
    const messagesBefore = streams.messages;
    let soak: PhaseResult;
    try {
      soak = await measure(
        { options: { ...options, duration: options.soakSeconds, warmup: 0 }, log },
        `soak: create 40 %, update 30 %, complete 10 %, list 20 %, ${options.streams.toLocaleString("en")} WatchTasks streams open`,
        options.concurrency,
        op,
        cpu,
        options.soakRate,
      );
    } finally {
      clearInterval(sampler);
    }
    samples.push({ atS: (performance.now() - started) / 1000, bytes: processRssBytes(server.pid) });
    run.results.push(soak);
    const delivered = streams.messages - messagesBefore;
    if (streams.broken > 0) throw new Error(`${streams.broken} WatchTasks streams broke during the soak`);

    const half = samples[samples.length - 1]?.atS ?? 0;
    const secondHalf = samples.filter((s) => s.atS >= half / 2);
    // The floor of each minute (the lowest reading in it) is where the heap is after a collection;
    // the readings between are the collector's sawtooth, which says nothing about a leak.
    const floors = minuteFloors(secondHalf);
    const trend = trendMibPerMinute(floors);
    const max = Math.max(...samples.map((s) => s.bytes));
    const end = samples[samples.length - 1]?.bytes ?? 0;
    const flat = trend < FLAT_MIB_PER_MIN;
    run.breakdowns.push(
      [
        `The server's resident memory (\`bun start\` on PostgreSQL, VmRSS; \`memory\` phase, ${tasks.toLocaleString("en")} tasks in the database):`,
        "",
        "| when | RSS MiB |",
        "|---|---:|",
        `| after the bulk load, ${tasks.toLocaleString("en")} tasks | ${mib(loaded).toFixed(1)} |`,
        `| with ${options.streams.toLocaleString("en")} WatchTasks streams open (${((withStreams - loaded) / 1024 / options.streams).toFixed(1)} KiB per stream) | ${mib(withStreams).toFixed(1)} |`,
        `| soak start | ${mib(samples[0]?.bytes ?? 0).toFixed(1)} |`,
        `| soak end (${Math.round(half)} s at ${options.soakRate}/s) | ${mib(end).toFixed(1)} |`,
        `| soak maximum | ${mib(max).toFixed(1)} |`,
        "",
        `- Trend over the soak's second half: ${signed(trend)} MiB per minute ` +
          `(least squares over the lowest reading of each of its ${floors.length} minutes, readings every ${SAMPLE_S} s; ` +
          `over all ${secondHalf.length} readings: ${signed(trendMibPerMinute(secondHalf))}) — ` +
          `${flat ? "**flat**" : "**growing**"} (flat means under ${FLAT_MIB_PER_MIN} MiB per minute).`,
        `- Lowest reading of each minute of the soak (MiB): ${minuteFloors(samples)
          .map((s) => mib(s.bytes).toFixed(0))
          .join(", ")}.`,
        `- The streams received ${delivered.toLocaleString("en")} messages during the soak; none broke.`,
      ].join("\n"),
    );
    log(`memory: soak done, trend ${trend.toFixed(2)} MiB/min, ${delivered} stream messages`);
  } finally {
    await streams.close();
  }
}
