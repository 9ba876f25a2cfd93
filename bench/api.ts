/**
 * The API benchmark (`bun run bench`): the whole server against a real PostgreSQL, driven by many
 * concurrent gRPC clients, beside the machine's raw single-row INSERT rate measured in the same run
 * so the API's overhead is a visible ratio. Results are printed as markdown and written into
 * `docs/benchmarks.md` (see that file for the method).
 *
 * Phases, each timed after a warm-up:
 *   1. raw INSERT: `--concurrency` connections doing single-row INSERTs (postgres.js, and pgbench
 *      when installed);
 *   2. the server starts as a subprocess (`bun services/embedded/src/main.ts` on a fresh database),
 *      one user per client signs up;
 *   3. CreateTask: each client creates varied tasks as its own user;
 *   4. each client's user gets `--list-tasks` more tasks, and one search user `--search-tasks`
 *      tasks, bulk-loaded straight into `task.tasks` (or through the API with `--load api`);
 *   5. ListTasks with a filter, a sort and a first page of 50, per user;
 *   6. the same on the search user's 100 000 tasks;
 *   7. search (`query`) over the search user's tasks: words, prefixes, two-word queries and typos;
 *   8. metrics overhead (bench/metrics-overhead.ts): CreateTask with metrics off and on (`/metrics`
 *      served and scraped) on two fresh servers side by side, after the phases above.
 *
 * Options (flag or environment variable, default):
 *   --duration / BENCH_DURATION (15)        seconds measured per phase
 *   --warmup / BENCH_WARMUP (3)             seconds run before measuring each phase
 *   --concurrency / BENCH_CONCURRENCY (50)  concurrent clients
 *   --connections / BENCH_CONNECTIONS       `separate` (one HTTP/2 connection per client, default)
 *                                           or `shared` (all clients multiplex one connection)
 *   --search-tasks / BENCH_SEARCH_TASKS (100000)  tasks of the search user
 *   --list-tasks / BENCH_LIST_TASKS (1000)  extra tasks per client user before the ListTasks phase
 *   --load / BENCH_LOAD (sql)               bulk load by `sql` (multi-row INSERT) or `api` (CreateTask)
 *   --compression / BENCH_COMPRESSION (gzip)  what clients accept: `gzip` (connect-node's default) or `none`
 *   --paced-fraction / BENCH_PACED_FRACTION (0.5)  each API phase runs twice: closed loop (saturation),
 *                                           then paced (open loop) at this fraction of the saturation
 *                                           throughput …
 *   --paced-rate / BENCH_PACED_RATE         … or at this fixed total rate (calls/s)
 *   --profile                               run the server with `--cpu-prof-md` and print where the
 *                                           profile went
 *   --phases / BENCH_PHASES (all)           a comma-separated subset of raw, create, list, list-big,
 *                                           search, metrics
 *   --metrics-rounds / BENCH_METRICS_ROUNDS (3)  metrics phase: rounds of an off and an on server
 *   --scrape-interval / BENCH_SCRAPE_INTERVAL (5)  metrics phase: seconds between scrapes of /metrics
 *   --database-url / DATABASE_URL           the PostgreSQL server (a fresh database is created on it)
 *   --keep-db                               keep the benchmark database afterwards
 *   --out (docs/benchmarks.md)              where to write the report; `--no-write` only prints it
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import type { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { searchTerms, searchTsQueries } from "@todo/task";
import postgres from "postgres";
import { intOption, printHelpAndExit } from "./lib/options";
import { createFreshDatabase, processTicks } from "./lib/system";
import { measureMetricsOverhead, type OverheadRound, overheadReport } from "./metrics-overhead";

const root = resolve(import.meta.dir, "..");

// ---------------------------------------------------------------------------------------------
// Options

const { values: flags } = parseArgs({
  options: {
    duration: { type: "string" },
    warmup: { type: "string" },
    concurrency: { type: "string" },
    connections: { type: "string" },
    "search-tasks": { type: "string" },
    "list-tasks": { type: "string" },
    load: { type: "string" },
    compression: { type: "string" },
    "paced-fraction": { type: "string" },
    "paced-rate": { type: "string" },
    profile: { type: "boolean", default: false },
    phases: { type: "string" },
    "database-url": { type: "string" },
    "keep-db": { type: "boolean", default: false },
    out: { type: "string" },
    "no-write": { type: "boolean", default: false },
    "metrics-rounds": { type: "string" },
    "scrape-interval": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) printHelpAndExit(import.meta.path);

function fractionOption(flag: string | undefined, env: string, fallback: number): number {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!(n > 0 && n <= 1)) throw new Error(`${env} must be a number in (0, 1] (got ${raw})`);
  return n;
}

const PHASES = ["raw", "create", "list", "list-big", "search", "metrics"] as const;
type Phase = (typeof PHASES)[number];

function phaseList(raw: string | undefined): ReadonlySet<Phase> {
  if (!raw) return new Set(PHASES);
  const names = raw.split(",").map((x) => x.trim());
  const unknown = names.filter((n) => !(PHASES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown phases ${unknown.join(", ")}; use ${PHASES.join(", ")}`);
  return new Set(names as Phase[]);
}

function choice<T extends string>(flag: string | undefined, env: string, allowed: readonly T[]): T {
  const raw = flag ?? process.env[env] ?? allowed[0];
  if (!(allowed as readonly string[]).includes(raw as string)) {
    throw new Error(`${env} must be one of ${allowed.join(", ")} (got ${raw})`);
  }
  return raw as T;
}

const options = {
  duration: intOption(flags.duration, "BENCH_DURATION", 15, 1),
  warmup: intOption(flags.warmup, "BENCH_WARMUP", 3, 0),
  concurrency: intOption(flags.concurrency, "BENCH_CONCURRENCY", 50, 1),
  connections: choice(flags.connections, "BENCH_CONNECTIONS", ["separate", "shared"] as const),
  searchTasks: intOption(flags["search-tasks"], "BENCH_SEARCH_TASKS", 100_000, 1),
  listTasks: intOption(flags["list-tasks"], "BENCH_LIST_TASKS", 1000, 0),
  load: choice(flags.load, "BENCH_LOAD", ["sql", "api"] as const),
  compression: choice(flags.compression, "BENCH_COMPRESSION", ["gzip", "none"] as const),
  pacedFraction: fractionOption(flags["paced-fraction"], "BENCH_PACED_FRACTION", 0.5),
  pacedRate:
    (flags["paced-rate"] ?? process.env.BENCH_PACED_RATE)
      ? intOption(flags["paced-rate"], "BENCH_PACED_RATE", 0, 1)
      : undefined,
  profile: flags.profile ?? false,
  phases: phaseList(flags.phases ?? process.env.BENCH_PHASES),
  databaseUrl: flags["database-url"] ?? process.env.DATABASE_URL,
  keepDb: flags["keep-db"] ?? false,
  out: resolve(root, flags.out ?? "docs/benchmarks.md"),
  write: !flags["no-write"],
  metricsRounds: intOption(flags["metrics-rounds"], "BENCH_METRICS_ROUNDS", 3, 1),
  scrapeIntervalS: intOption(flags["scrape-interval"], "BENCH_SCRAPE_INTERVAL", 5, 1),
};

if (!options.databaseUrl) {
  console.error(
    "DATABASE_URL is not set. Start PostgreSQL with `bun scripts/infra.ts up` and export the DATABASE_URL it prints.",
  );
  process.exit(2);
}

const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Realistic task text: a small vocabulary of everyday work and home tasks, combined at random
// (seeded, so every run loads the same text).

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERBS = (
  "call email review write prepare send book schedule fix clean buy plan update check order pay renew " +
  "cancel finish draft organise submit discuss research test deploy refactor document backup install " +
  "replace repair collect return pick water read print sign file archive migrate benchmark publish"
).split(" ");
const NOUNS = (
  "report budget invoice meeting dentist plumber passport insurance presentation proposal contract " +
  "newsletter database server laptop printer garden groceries birthday present tickets flight hotel " +
  "taxes receipts slides roadmap release changelog dashboard calendar agenda minutes interview " +
  "candidate feedback survey website blog article podcast video camera kitchen bathroom garage car " +
  "bicycle tyres battery charger keyboard monitor router firewall certificate license subscription " +
  "library book recipe dinner lunch breakfast vitamins prescription pharmacy doctor appointment school " +
  "homework teacher parents neighbours package delivery warranty refund mortgage rent landlord " +
  "electricity heating boiler windows curtains furniture sofa mattress paint wallpaper lamp plants " +
  "fertiliser lawn hedge fence roof gutter chimney quarterly annual weekly monthly sprint backlog " +
  "ticket incident outage postmortem onboarding offboarding payroll expenses travel conference workshop"
).split(" ");
const CONTEXT = (
  "for the team|with Anna|with the landlord|before Friday|after lunch|for next week|with the accountant|" +
  "for the client|at the office|at home|on the weekend|for mum|for the kids|with the designer|for Q3|" +
  "before the holidays|with support|for the audit|with marketing|after the standup"
).split("|");
const FILLER = (
  "the and with about before after because needs should might please remember also first then check " +
  "again quickly carefully together new old final draft urgent small large shared private online"
).split(" ");
const NAMES = (
  "Anna Ben Chloe David Emma Felix Grace Hannah Ivan Julia Karim Lena Marco Nina Oscar Priya Quentin Rosa " +
  "Samir Tara Umar Vera Walter Xenia Yusuf Zoe Amelie Bruno Carla Dmitri Elif Farid Greta Hugo Ingrid Jonas " +
  "Kenji Lucia Mateo Noor Olga Pablo Rania Stefan Tobias Ursula Viktor Wiebke Yara Zeynep"
).split(" ");
const PROJECTS = (
  "Falcon Orion Atlas Nimbus Aurora Cobalt Juniper Kestrel Lumen Mistral Nova Onyx Pegasus Quartz Raven " +
  "Sequoia Tundra Umbra Vortex Willow Zephyr Apollo Borealis Cascade Delta Ember Fjord Glacier Helix Iris"
).split(" ");
const PLACES = (
  "Berlin Hamburg Munich Vienna Zurich Paris Lyon Madrid Lisbon Rome Milan Amsterdam Brussels Copenhagen " +
  "Stockholm Oslo Helsinki Warsaw Prague Budapest Dublin London Edinburgh Boston Toronto Chicago Seattle Tokyo " +
  "Osaka Sydney"
).split(" ");
const TAGS = ["work", "home", "errand", "finance", "health", "family", "urgent", "someday", "reading", "ops"];
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"];

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;

/**
 * Picks from `list` with Zipf-like weights (the k-th item ∝ 1/k), so a few words are common and most
 * are rare, as in real text.
 */
function zipfPicker<T>(list: readonly T[]): (r: () => number) => T {
  const cumulative: number[] = [];
  let total = 0;
  for (let k = 1; k <= list.length; k++) {
    total += 1 / k;
    cumulative.push(total);
  }
  return (r) => {
    const x = r() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return list[lo] as T;
  };
}
/** Description words: everything, in a fixed shuffled order, with Zipf weights. */
const descriptionWord = (() => {
  const all = [...FILLER, ...NOUNS, ...VERBS, ...NAMES, ...PLACES, ...PROJECTS];
  const r = rng(11);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j] as string, all[i] as string];
  }
  return zipfPicker(all);
})();
const titleNoun = zipfPicker(NOUNS);
const titleVerb = zipfPicker(VERBS);

interface TaskText {
  title: string;
  description: string;
  tags: string[];
  priority: number;
  dueMs: number | null;
  timeZone: string;
}

function taskText(r: () => number, now: number): TaskText {
  const parts = [titleVerb(r), titleNoun(r)];
  if (r() < 0.4) parts.push(titleNoun(r));
  const extra = r();
  if (extra < 0.25) parts.push(`with ${pick(r, NAMES)}`);
  else if (extra < 0.4) parts.push(`for project ${pick(r, PROJECTS)}`);
  else if (extra < 0.5) parts.push(`in ${pick(r, PLACES)}`);
  else if (extra < 0.6) parts.push(`#${1000 + Math.floor(r() * 9000)}`);
  else if (extra < 0.8) parts.push(pick(r, CONTEXT));
  const title = parts.join(" ").replace(/^./, (c) => c.toUpperCase());
  const words: string[] = [];
  const n = Math.floor(r() * 30);
  for (let i = 0; i < n; i++) words.push(descriptionWord(r));
  const tags = new Set<string>();
  const tagCount = Math.floor(r() * 3);
  for (let i = 0; i < tagCount; i++) tags.add(pick(r, TAGS));
  return {
    title,
    description: words.join(" "),
    tags: [...tags],
    priority: Math.floor(r() * 5),
    dueMs: r() < 0.7 ? now + Math.floor((r() * 90 - 15) * 86_400_000) : null,
    timeZone: pick(r, ZONES),
  };
}

/**
 * Search queries of four kinds, in rotation: a word, a prefix, two words, a word with a typo. Words
 * are drawn uniformly from the vocabulary (people search for the specific, not for "the").
 */
function searchQueries(count: number): { text: string; kind: string }[] {
  const r = rng(7);
  const vocabulary = [...NOUNS, ...NAMES, ...PROJECTS, ...PLACES].map((w) => w.toLowerCase());
  const out: { text: string; kind: string }[] = [];
  for (let i = 0; i < count; i++) {
    const word = pick(r, vocabulary);
    switch (i % 4) {
      case 0:
        out.push({ text: word, kind: "word" });
        break;
      case 1:
        out.push({ text: word.slice(0, Math.max(3, Math.ceil(word.length / 2))), kind: "prefix" });
        break;
      case 2:
        out.push({ text: `${pick(r, VERBS)} ${word}`, kind: "two words" });
        break;
      default: {
        // Swap two neighbouring letters inside the word: "meeting" → "meetnig".
        if (word.length < 5) out.push({ text: word, kind: "typo" });
        else {
          const k = 2 + Math.floor(r() * (word.length - 3));
          out.push({
            text: word.slice(0, k) + word.charAt(k + 1) + word.charAt(k) + word.slice(k + 2),
            kind: "typo",
          });
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface PhaseResult {
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

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
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
async function measure(
  name: string,
  concurrency: number,
  op: (worker: number, i: number) => Promise<unknown>,
  cpu?: CpuProbe,
  rate?: number,
): Promise<PhaseResult> {
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
 * a fixed rate), and records both.
 */
async function measureBoth(
  results: PhaseResult[],
  name: string,
  op: (worker: number, i: number) => Promise<unknown>,
  cpu?: CpuProbe,
): Promise<void> {
  const closed = await measure(name, options.concurrency, op, cpu);
  results.push(closed);
  const rate = options.pacedRate ?? Math.max(1, (options.pacedFraction * closed.calls) / closed.seconds);
  results.push(await measure(name, options.concurrency, op, cpu, rate));
}

// ---------------------------------------------------------------------------------------------
// CPU shares from /proc (Linux): the server process, PostgreSQL's processes and this load generator,
// so a missed target can be pinned on whoever used the cores.

interface CpuSample {
  readonly at: number;
  readonly server: number;
  readonly postgres: number;
  readonly bench: number;
  readonly total: number;
}
/** Percent of one core used during a phase (200 % = both cores of a 2-core machine). */
interface CpuShare {
  readonly server: number;
  readonly postgres: number;
  readonly bench: number;
  /** Everything else on the machine (other processes, other databases' backends). */
  readonly other: number;
}
interface CpuProbe {
  sample(): CpuSample;
  since(start: CpuSample): CpuShare;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Busy ticks of the whole machine (all CPUs), from /proc/stat. */
function machineTicks(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce((a: number, b) => a + (b ?? 0), 0);
}

/**
 * Ticks of the PostgreSQL processes serving this benchmark: backends connected to `dbName` plus the
 * server's background processes. Backends of other databases (other people's tests on a shared
 * cluster) count as "other".
 */
function postgresTicks(dbName: string): number {
  let total = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "postgres") continue;
      const title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      const clientBackend = /\(\d+\)/.test(title);
      if (!clientBackend || title.includes(dbName)) total += processTicks(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

function cpuProbe(serverPid: number, dbName: string): CpuProbe | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  const sample = (): CpuSample => ({
    at: performance.now(),
    server: processTicks(serverPid),
    postgres: postgresTicks(dbName),
    bench: processTicks(process.pid),
    total: machineTicks(),
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

// ---------------------------------------------------------------------------------------------
// Phase: raw INSERTs (the database's own ceiling)

async function rawInserts(url: string, dbName: string): Promise<PhaseResult> {
  const sql = postgres(url, { max: options.concurrency, onnotice: () => {} });
  try {
    await sql`create table bench_raw (id bigserial primary key, user_id uuid not null, title text not null,
                created_at timestamptz not null default now())`;
    // Open every connection before measuring.
    await Promise.all(Array.from({ length: options.concurrency }, () => sql`select 1`));
    const r = rng(1);
    const users = Array.from({ length: options.concurrency }, () => crypto.randomUUID());
    return await measure(
      "raw INSERT (postgres.js)",
      options.concurrency,
      (w) => {
        const title = `${pick(r, VERBS)} ${pick(r, NOUNS)}`;
        return sql`insert into bench_raw (user_id, title) values (${users[w] as string}, ${title})`;
      },
      cpuProbe(-1, dbName),
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The same single-row INSERT through pgbench (C, libpq), with per-transaction latencies from its log. */
function pgbenchInserts(url: string): PhaseResult | undefined {
  const bin = ["/usr/bin/pgbench", ...globPgBin("pgbench")].find((p) => existsSync(p));
  if (!bin) {
    log("pgbench not found; skipping it");
    return undefined;
  }
  const dir = mkdtempSync(join(os.tmpdir(), "todo-pgbench-"));
  try {
    const script = join(dir, "insert.sql");
    writeFileSync(
      script,
      "insert into bench_raw (user_id, title) values (gen_random_uuid(), 'pgbench task ' || :client_id);\n",
    );
    const total = options.warmup + options.duration;
    log(`raw INSERT (pgbench): ${options.concurrency} clients, ${total}s (first ${options.warmup}s dropped)`);
    execFileSync(
      bin,
      [
        "-n",
        "-M",
        "prepared",
        "-c",
        String(options.concurrency),
        "-j",
        String(Math.max(1, os.cpus().length)),
        "-T",
        String(total),
        "-f",
        script,
        "-l",
        "--log-prefix",
        join(dir, "log"),
        url,
      ],
      { stdio: ["ignore", "pipe", "pipe"], cwd: dir },
    );
    // Log lines: client_id transaction_no time_us script_no epoch_s epoch_us.
    const rows: { end: number; us: number }[] = [];
    for (const f of readdirSync(dir).filter((n) => n.startsWith("log"))) {
      for (const line of readFileSync(join(dir, f), "utf8").split("\n")) {
        const p = line.split(" ");
        if (p.length < 6) continue;
        rows.push({ end: Number(p[4]) + Number(p[5]) / 1e6, us: Number(p[2]) });
      }
    }
    const first = Math.min(...rows.map((x) => x.end - x.us / 1e6));
    const from = first + options.warmup;
    const kept = rows.filter((x) => x.end - x.us / 1e6 >= from && x.end <= first + total);
    const sorted = Float64Array.from(kept.map((x) => x.us / 1000)).sort();
    return {
      name: "raw INSERT (pgbench)",
      load: "closed loop",
      calls: sorted.length,
      errors: 0,
      firstError: undefined,
      seconds: options.duration,
      latenciesMs: sorted,
      cpu: undefined,
      byLabel: new Map(),
    };
  } catch (err) {
    log(`pgbench failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function globPgBin(name: string): string[] {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort()
    .reverse()
    .map((v) => join(base, v, "bin", name));
}

/** Bulk-loads `count` tasks of `userId` straight into task.tasks with multi-row INSERTs. */
async function bulkLoadSql(sql: postgres.Sql, userId: string, count: number, seed: number): Promise<void> {
  const r = rng(seed);
  const now = Date.now();
  const batch = 2000;
  for (let done = 0; done < count; done += batch) {
    const rows: Record<string, unknown>[] = [];
    for (let i = Math.min(batch, count - done); i > 0; i--) {
      const t = taskText(r, now);
      const created = new Date(now - Math.floor(r() * 180 * 86_400_000)).toISOString();
      const status = r() < 0.3 ? 2 : 1;
      rows.push({
        id: Bun.randomUUIDv7(),
        title: t.title,
        description: t.description,
        status,
        priority: t.priority,
        tags: t.tags,
        tag_keys: t.tags.map((x) => x.toLowerCase()),
        due_time: t.dueMs === null ? null : new Date(t.dueMs).toISOString(),
        time_zone: t.timeZone,
        create_time: created,
        complete_time: status === 2 ? created : null,
      });
    }
    // One JSON text parameter (cast through text so postgres.js does not encode it a second time).
    await sql`
      insert into task.tasks (id, user_id, title, description, status, priority, tags, tag_keys, due_time,
                              time_zone, create_time, update_time, complete_time)
      select id, ${userId}::uuid, title, description, status, priority, tags, tag_keys, due_time,
             time_zone, create_time, create_time, complete_time
      from json_to_recordset(${JSON.stringify(rows)}::text::json)
        as t(id uuid, title text, description text, status smallint, priority smallint, tags text[],
             tag_keys text[], due_time timestamptz, time_zone text, create_time timestamptz,
             complete_time timestamptz)`;
  }
}

// ---------------------------------------------------------------------------------------------
// The server

interface Server {
  readonly pid: number;
  readonly grpcUrl: string;
  readonly httpUrl: string;
  /** `/metrics`, when started with `METRICS_PORT`. */
  readonly metricsUrl: string | undefined;
  stop(): Promise<number>;
}

/** Starts the server on `databaseUrl`; telemetry off unless `extraEnv` turns it on (`METRICS_PORT`). */
async function startServer(
  databaseUrl: string,
  dataDir: string,
  profileDir?: string,
  extraEnv: Record<string, string> = {},
): Promise<Server> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("OTEL_") && !k.startsWith("METRICS_")) env[k] = v;
  }
  Object.assign(env, {
    DATABASE_URL: databaseUrl,
    PORT: "0",
    GRPC_PORT: "0",
    HOST: "127.0.0.1",
    TODO_DATA_DIR: dataDir,
    JWT_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"),
    LOG_LEVEL: "warn",
    ...extraEnv,
  });
  const profileArgs = profileDir ? ["--cpu-prof-md", `--cpu-prof-dir=${profileDir}`] : [];
  const child = Bun.spawn(
    [process.execPath, ...profileArgs, join(root, "services", "embedded", "src", "main.ts")],
    {
      cwd: root,
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text = (text + decoder.decode(value, { stream: true })).slice(-20_000);
    }
  };
  void pump(child.stdout);
  void pump(child.stderr);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const httpUrl = /HTTP\/1\.1\):\s+(http:\/\/\S+)/.exec(text)?.[1];
    const grpcUrl = /\(h2c\):\s+(http:\/\/\S+)/.exec(text)?.[1];
    const metricsUrl = /metrics \(Prometheus\):\s+(http:\/\/\S+)/.exec(text)?.[1];
    if (httpUrl && grpcUrl && (metricsUrl || !extraEnv.METRICS_PORT)) {
      return {
        pid: child.pid,
        grpcUrl,
        httpUrl,
        metricsUrl,
        async stop() {
          child.kill("SIGTERM");
          const code = await Promise.race([child.exited, Bun.sleep(15_000).then(() => -1)]);
          if (code === -1) child.kill("SIGKILL");
          if (code !== 0) log(`server exited with ${code}; its last output:\n${text}`);
          return code;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not start (exit ${child.exitCode}):\n${text}`);
    }
    await Bun.sleep(50);
  }
}

interface BenchUser {
  readonly id: string;
  readonly tasks: Client<typeof TaskService>;
}

/** Thrown to skip the rest of a block when its phases were not selected. */
class Skip extends Error {}

/** Waits until `task.outbox` and `tag.outbox` are empty; says how big the backlog was and how long it took. */
async function drainOutboxes(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const t0 = performance.now();
    const count = async () => {
      const [row] = await sql<{ task: number; tag: number }[]>`
        select (select count(*) from task.outbox)::int as task, (select count(*) from tag.outbox)::int as tag`;
      return row as { task: number; tag: number };
    };
    const first = await count();
    let last = first;
    while ((last.task > 0 || last.tag > 0) && performance.now() - t0 < 300_000) {
      await Bun.sleep(100);
      last = await count();
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    return last.task > 0 || last.tag > 0
      ? `After the CreateTask phases the outboxes still held ${last.task} task and ${last.tag} tag events after ${secs} s.`
      : `Event backlog when the CreateTask phases ended: ${first.task} task and ${first.tag} tag events in the ` +
          `outboxes, relayed and consumed within ${secs} s.`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Tables of the search phases' latencies by kind of query, by how many tasks matched, and by both
 * (a common word is one with more than 1 000 matches, the size of the search's ranking window).
 */
function searchBreakdown(phases: readonly PhaseResult[]): string[] {
  const out: string[] = [];
  for (const [title, part] of [
    ["kind of query", 0],
    ["tasks matched", 1],
    ["kind of query and how common its words are", 2],
  ] as const) {
    const rows: string[] = [];
    for (const phase of phases) {
      const groups = new Map<string, number[]>();
      for (const [label, values] of phase.byLabel) {
        const key = label.split("|")[part] as string;
        groups.set(key, [...(groups.get(key) ?? []), ...values]);
      }
      const order = [
        "word",
        "prefix",
        "two words",
        "typo",
        "0",
        "1–100",
        "101–1,000",
        "1,001–5,000",
        "> 5,000",
      ];
      // "word, common (…)" sorts with "word", then by the rest of the label.
      const rank = (key: string) => order.indexOf(key.split(", ")[0] as string);
      const sorted = [...groups].sort((x, y) => rank(x[0]) - rank(y[0]) || x[0].localeCompare(y[0]));
      for (const [key, values] of sorted) {
        const v = Float64Array.from(values).sort();
        rows.push(
          `| ${phase.load} | ${key} | ${v.length.toLocaleString("en")} | ${fmt(percentile(v, 50))} | ` +
            `${fmt(percentile(v, 95))} | ${fmt(percentile(v, 99))} |`,
        );
      }
    }
    out.push(
      [
        `Search latency by ${title}:`,
        "",
        `| load | ${title} | calls | p50 ms | p95 ms | p99 ms |`,
        "|---|---|---:|---:|---:|---:|",
        ...rows,
      ].join("\n"),
    );
  }
  return out;
}

const fmt = (ms: number) => (Number.isNaN(ms) ? "–" : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

/** gRPC clients of the server at `grpcUrl` (their HTTP/2 sessions go into `sessions`, to abort at the end). */
function clientsOf(grpcUrl: string, sessions: Http2SessionManager[]) {
  const shared = options.connections === "shared" ? new Http2SessionManager(grpcUrl) : undefined;
  if (shared) sessions.push(shared);
  const transport = (token?: string): Transport => {
    const sessionManager = shared ?? new Http2SessionManager(grpcUrl);
    if (!shared) sessions.push(sessionManager);
    return createGrpcTransport({
      baseUrl: grpcUrl,
      sessionManager,
      ...(options.compression === "none" ? { acceptCompression: [] } : {}),
      interceptors: token
        ? [
            (next) => (req) => {
              req.header.set("authorization", `Bearer ${token}`);
              return next(req);
            },
          ]
        : [],
    });
  };
  const signUp = async (label: string): Promise<BenchUser> => {
    const res = await createClient(AuthService, transport()).signUp({
      email: `${label}-${crypto.randomUUID().slice(0, 8)}@bench.example`,
      password: "benchmark password",
      timeZone: "Europe/Berlin",
    });
    return { id: res.user?.id as string, tasks: createClient(TaskService, transport(res.accessToken)) };
  };
  return { transport, signUp };
}

/** Signs up `count` client users, five at a time. */
async function signUpUsers(
  signUp: (label: string) => Promise<BenchUser>,
  count: number,
): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i += 5) {
    users.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(5, count - i) }, (_, k) => signUp(`client${i + k}`)),
      )),
    );
  }
  return users;
}

/** CreateTask with varied text (seeded by `seed`) as client `w`'s user. */
function createTaskOp(users: readonly BenchUser[], seed: number): (w: number) => Promise<unknown> {
  const createRng = rng(seed);
  const now = Date.now();
  return (w) => {
    const t = taskText(createRng, now);
    return (users[w] as BenchUser).tasks.createTask({
      task: {
        title: t.title,
        description: t.description,
        priority: t.priority as Priority,
        tags: t.tags,
        timeZone: t.timeZone,
        ...(t.dueMs === null
          ? {}
          : {
              dueTime: { seconds: BigInt(Math.floor(t.dueMs / 1000)), nanos: 0 },
              reminders:
                createRng() < 0.3 ? [{ trigger: { case: "beforeDue", value: { seconds: 3600n } } }] : [],
            }),
      },
    });
  };
}

/**
 * The metrics-overhead phase's rounds (bench/metrics-overhead.ts): two fresh servers on fresh
 * databases, metrics off and on (`METRICS_PORT=0`), each loaded with CreateTask by clients of its own.
 */
async function runMetricsOverhead(): Promise<OverheadRound[]> {
  return measureMetricsOverhead({
    rounds: options.metricsRounds,
    scrapeIntervalMs: options.scrapeIntervalS * 1000,
    log,
    async start(metrics) {
      const runDb = await createFreshDatabase(options.databaseUrl as string, "todo_bench");
      const runDir = mkdtempSync(join(os.tmpdir(), "todo-bench-metrics-"));
      const runSessions: Http2SessionManager[] = [];
      let runServer: Server | undefined;
      const stop = async () => {
        for (const s of runSessions) s.abort();
        if (runServer) await runServer.stop();
        rmSync(runDir, { recursive: true, force: true });
        await runDb.drop();
      };
      try {
        runServer = await startServer(runDb.url, runDir, undefined, metrics ? { METRICS_PORT: "0" } : {});
        const started = runServer;
        const { signUp } = clientsOf(started.grpcUrl, runSessions);
        const users = await signUpUsers(signUp, options.concurrency);
        await Promise.all(users.map((u) => u.tasks.listTasks({ pageSize: 1 })));
        return {
          metricsUrl: started.metricsUrl,
          async measure() {
            const r = await measure(
              `CreateTask, metrics ${metrics ? "on" : "off"}`,
              options.concurrency,
              createTaskOp(users, 2),
              cpuProbe(started.pid, runDb.name),
            );
            if (r.errors > 0)
              throw new Error(`${r.errors} CreateTask calls failed, the first: ${r.firstError}`);
            return {
              calls: r.calls,
              seconds: r.seconds,
              p50: percentile(r.latenciesMs, 50),
              p99: percentile(r.latenciesMs, 99),
              serverCpu: r.cpu?.server,
            };
          },
          stop,
        };
      } catch (err) {
        await stop();
        throw err;
      }
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Main

const started = new Date();
const machine = machineInfo();
log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}`);
const db = await createFreshDatabase(options.databaseUrl, "todo_bench");
log(`database ${db.name}`);
const dataDir = mkdtempSync(join(os.tmpdir(), "todo-bench-"));
const profileDir = options.profile ? mkdtempSync(join(os.tmpdir(), "todo-bench-profile-")) : undefined;
const results: PhaseResult[] = [];
const notes: string[] = [];
/** Extra markdown tables (the search latency by kind of query and by number of matches). */
const breakdowns: string[] = [];
/** The issue's targets, by phase name. */
const targets = new Map<string, { pct: 95 | 99; ms: number }>();
let server: Server | undefined;
const sessions: Http2SessionManager[] = [];
let failure: unknown;
try {
  if (options.phases.has("raw")) {
    results.push(await rawInserts(db.url, db.name));
    const pg = pgbenchInserts(db.url);
    if (pg) results.push(pg);
  }

  if (!(["create", "list", "list-big", "search"] as const).some((p) => options.phases.has(p)))
    throw new Skip();
  server = await startServer(db.url, dataDir, profileDir);
  log(`server pid ${server.pid} on ${server.grpcUrl}`);
  const cpu = cpuProbe(server.pid, db.name);
  const { signUp } = clientsOf(server.grpcUrl, sessions);
  log(`signing up ${options.concurrency + 1} users`);
  const users = await signUpUsers(signUp, options.concurrency);
  const searcher = await signUp("search");
  // Warm every connection before measuring.
  await Promise.all(users.map((u) => u.tasks.listTasks({ pageSize: 1 })));

  // CreateTask.
  const now = Date.now();
  targets.set("CreateTask", { pct: 99, ms: 15 });
  if (options.phases.has("create")) await measureBoth(results, "CreateTask", createTaskOp(users, 2), cpu);

  // The events of those tasks flow on (outbox relay → tag service → its outbox): wait until both
  // outboxes are empty, so the next phases do not pay for this one's backlog.
  if (options.phases.has("create")) {
    notes.push(await drainOutboxes(db.url));
    log(notes.at(-1) as string);
  }

  // Bulk load.
  const reads = ["list", "list-big", "search"].some((x) => options.phases.has(x as Phase));
  const admin = postgres(db.url, { max: 4, onnotice: () => {} });
  try {
    if (!reads) throw new Skip();
    const t0 = performance.now();
    const total = options.listTasks * users.length + options.searchTasks;
    log(`bulk-loading ${total} tasks (${options.load})`);
    if (options.load === "sql") {
      await bulkLoadSql(admin, searcher.id, options.searchTasks, 3);
      for (const [i, u] of users.entries()) await bulkLoadSql(admin, u.id, options.listTasks, 100 + i);
    } else {
      const loads: { user: BenchUser; count: number; seed: number }[] = [
        { user: searcher, count: options.searchTasks, seed: 3 },
        ...users.map((user, i) => ({ user, count: options.listTasks, seed: 100 + i })),
      ];
      for (const { user, count, seed } of loads) {
        const r = rng(seed);
        let next = 0;
        await Promise.all(
          Array.from({ length: options.concurrency }, async () => {
            while (next < count) {
              next++;
              const t = taskText(r, now);
              await user.tasks.createTask({
                task: {
                  title: t.title,
                  description: t.description,
                  priority: t.priority as Priority,
                  tags: t.tags,
                  timeZone: t.timeZone,
                  ...(t.dueMs === null
                    ? {}
                    : { dueTime: { seconds: BigInt(Math.floor(t.dueMs / 1000)), nanos: 0 } }),
                },
              });
            }
          }),
        );
      }
    }
    await admin`analyze task.tasks`;
    await admin`analyze task.search_words`;
    const secs = (performance.now() - t0) / 1000;
    const [{ n, words }] = (await admin`
      select (select count(*) from task.tasks)::int as n, (select count(*) from task.search_words)::int as words`) as unknown as [
      { n: number; words: number },
    ];
    notes.push(
      `Bulk load (${options.load}): ${total.toLocaleString("en")} tasks in ${secs.toFixed(1)} s ` +
        `(${Math.round(total / secs).toLocaleString("en")} rows/s); the table then held ${n.toLocaleString("en")} tasks ` +
        `and \`task.search_words\` ${words.toLocaleString("en")} distinct words.`,
    );
    log(notes.at(-1) as string);
  } catch (err) {
    if (!(err instanceof Skip)) throw err;
  } finally {
    await admin.end({ timeout: 5 });
  }

  // ListTasks: a filter, a sort, a first page of 50.
  const listRequest = {
    filter: "status = OPEN AND priority >= MEDIUM AND due_time < today+30d",
    orderBy: "due_time, priority desc",
    pageSize: 50,
  };
  const perUser = await (users[0] as BenchUser).tasks.listTasks(listRequest);
  notes.push(
    `ListTasks request: \`filter: "${listRequest.filter}"\`, \`order_by: "${listRequest.orderBy}"\`, ` +
      `\`page_size: 50\`; for a client user it matched ${perUser.totalSize} of about ${options.listTasks} tasks.`,
  );
  const listName = `ListTasks (filter + sort + page of 50; ${options.listTasks.toLocaleString("en")}+ tasks per user)`;
  targets.set(listName, { pct: 99, ms: 20 });
  if (options.phases.has("list")) {
    await measureBoth(results, listName, (w) => (users[w] as BenchUser).tasks.listTasks(listRequest), cpu);
  }
  const big = await searcher.tasks.listTasks(listRequest);
  notes.push(`The same request on the search user matched ${big.totalSize.toLocaleString("en")} tasks.`);
  if (options.phases.has("list-big"))
    await measureBoth(
      results,
      `ListTasks (filter + sort + page of 50; one user with ${options.searchTasks.toLocaleString("en")} tasks)`,
      () => searcher.tasks.listTasks(listRequest),
      cpu,
    );

  // Search.
  if (!options.phases.has("search")) throw new Skip();
  const queries = searchQueries(400);
  // How many tasks each query matches, to break latencies down by it: counted in SQL with the
  // service's own search (typo widening included), since a search's total_size stops at 1 000.
  const matches: number[] = [];
  const counter = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    for (const x of queries) {
      const { widened } = await searchTsQueries(counter, searcher.id, searchTerms(x.text));
      const [row] = await counter<{ n: number }[]>`
        select count(*)::int as n from task.tasks
        where user_id = ${searcher.id} and search @@ to_tsquery('simple', ${widened})`;
      matches.push(row?.n ?? 0);
    }
  } finally {
    await counter.end({ timeout: 5 });
  }
  // Warm the server's caches and connections with every query once.
  for (let i = 0; i < queries.length; i += 4) {
    await Promise.all(queries.slice(i, i + 4).map((x) => searcher.tasks.listTasks({ query: x.text })));
  }
  const bucketOf = (n: number) =>
    n === 0 ? "0" : n <= 100 ? "1–100" : n <= 1000 ? "101–1,000" : n <= 5000 ? "1,001–5,000" : "> 5,000";
  const sorted = [...matches].sort((a, b) => a - b);
  notes.push(
    `Search queries rotate through a word, a prefix, two words and a typo (${queries.length} queries, e.g. ` +
      `${queries
        .slice(0, 4)
        .map((x, i) => `\`${x.text}\` → ${(matches[i] as number).toLocaleString("en")}`)
        .join(", ")}); ` +
      `matches per query: median ${sorted[sorted.length >> 1]?.toLocaleString("en")}, ` +
      `max ${sorted.at(-1)?.toLocaleString("en")}. Default page size (50), ranked by relevance.`,
  );
  let q = 0;
  const searchName = `search (\`query\`) over ${options.searchTasks.toLocaleString("en")} tasks of one user`;
  targets.set(searchName, { pct: 95, ms: 50 });
  await measureBoth(
    results,
    searchName,
    async () => {
      const i = q++ % queries.length;
      const query = queries[i] as { text: string; kind: string };
      await searcher.tasks.listTasks({ query: query.text });
      const n = matches[i] as number;
      return `${query.kind}|${bucketOf(n)}|${query.kind}, ${n > 1000 ? "common (> 1,000 matches)" : "rare (≤ 1,000 matches)"}`;
    },
    cpu,
  );
  breakdowns.push(...searchBreakdown(results.slice(-2)));
} catch (err) {
  if (!(err instanceof Skip)) failure = err;
} finally {
  for (const s of sessions) s.abort();
  if (server) await server.stop();
  if (profileDir)
    log(`server CPU profile (markdown) in ${profileDir}: ${readdirSync(profileDir).join(", ")}`);
  rmSync(dataDir, { recursive: true, force: true });
  if (options.keepDb) log(`kept database ${db.name}`);
  else await db.drop();
}

// Metrics overhead: after the other phases, on servers of its own.
let overheadRuns: OverheadRound[] | undefined;
if (failure === undefined && options.phases.has("metrics")) {
  try {
    overheadRuns = await runMetricsOverhead();
  } catch (err) {
    failure = err;
  }
}

if (failure !== undefined) {
  const text =
    failure instanceof Error
      ? `${failure.name}: ${failure.message}\n${failure.stack ?? ""}`
      : String(failure);
  console.error(`benchmark failed: ${text.length > 3000 ? `${text.slice(0, 3000)}…` : text}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// Report

const targetOf = (name: string) => targets.get(name);

const rate = (r: PhaseResult) => r.calls / r.seconds;
const rawRate = results.find((r) => r.name === "raw INSERT (postgres.js)");

const lines: string[] = [];
lines.push(
  "| operation | load | calls | throughput (/s) | p50 ms | p95 ms | p99 ms | max ms | errors | target | met | CPU % of a core: server / postgres / bench / other |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
);
for (const r of results) {
  const t = targetOf(r.name);
  const got = t ? percentile(r.latenciesMs, t.pct) : Number.NaN;
  const met = t ? (got <= t.ms && r.errors === 0 ? "yes" : "**no**") : "";
  const cpu = r.cpu
    ? `${r.cpu.server.toFixed(0)} / ${r.cpu.postgres.toFixed(0)} / ${r.cpu.bench.toFixed(0)} / ${r.cpu.other.toFixed(0)}`
    : "";
  lines.push(
    `| ${r.name} | ${r.load} | ${r.calls.toLocaleString("en")} | ${Math.round(rate(r)).toLocaleString("en")} | ${fmt(percentile(r.latenciesMs, 50))} | ` +
      `${fmt(percentile(r.latenciesMs, 95))} | ${fmt(percentile(r.latenciesMs, 99))} | ${fmt(r.latenciesMs.at(-1) ?? Number.NaN)} | ` +
      `${r.errors} | ${t ? `p${t.pct} ≤ ${t.ms} ms` : ""} | ${met} | ${cpu} |`,
  );
}
const create = results.find((r) => r.name === "CreateTask" && r.load === "closed loop");
const ratios: string[] = [];
if (rawRate && create) {
  ratios.push(
    `CreateTask throughput is **${((100 * rate(create)) / rate(rawRate)).toFixed(1)}%** of the raw single-row INSERT rate ` +
      `(${Math.round(rate(create)).toLocaleString("en")}/s vs ${Math.round(rate(rawRate)).toLocaleString("en")}/s; ` +
      `1 : ${(rate(rawRate) / rate(create)).toFixed(1)}), and its p50 is ${(percentile(create.latenciesMs, 50) / percentile(rawRate.latenciesMs, 50)).toFixed(1)}× the raw INSERT's p50.`,
  );
}
const pgb = results.find((r) => r.name === "raw INSERT (pgbench)");
if (pgb && create) {
  ratios.push(`Against pgbench's rate: ${((100 * rate(create)) / rate(pgb)).toFixed(1)}%.`);
}
for (const r of results) {
  if (r.errors > 0) ratios.push(`${r.name}: ${r.errors} errors, the first: \`${r.firstError}\`.`);
}

const table = lines.join("\n");
const settings =
  `${options.concurrency} concurrent clients (${options.connections === "separate" ? `${options.concurrency} separate HTTP/2 connections` : "streams multiplexed on one HTTP/2 connection"}), ` +
  `gRPC over h2c (connect-node \`createGrpcTransport\`), responses ${options.compression === "gzip" ? "gzip-compressed when over 1 KiB (clients accept gzip, as connect-node's and grpc-js's do by default)" : "uncompressed"}; ` +
  `${options.warmup} s warm-up + ${options.duration} s measured per phase; bulk load by ${options.load}.`;
const results_md = [
  `Run on ${started.toISOString().slice(0, 16).replace("T", " ")} UTC: ${settings}`,
  "",
  table,
  "",
  ...ratios.map((r) => `- ${r}`),
  ...notes.map((n) => `- ${n}`),
  ...breakdowns.flatMap((b) => ["", b]),
].join("\n");

const overhead_md = overheadRuns
  ? `\n## Metrics overhead\n\n${overheadReport(
      overheadRuns,
      `${options.concurrency} concurrent clients, ${options.warmup} s warm-up + ${options.duration} s measured per run,`,
      options.scrapeIntervalS * 1000,
    )}\n\nRun on ${started.toISOString().slice(0, 16).replace("T", " ")} UTC (\`bun run bench --phases metrics\`; ` +
    `\`--metrics-rounds\` and \`--scrape-interval\` change the runs). docs/metrics.md lists what is recorded.\n`
  : undefined;

if (results.length > 0) console.log(`\n${results_md}\n`);
if (overhead_md) console.log(overhead_md);

/** This file's "Metrics overhead" section: from the first `## Metrics overhead` to the next section. */
const OVERHEAD_SECTION = /\n## Metrics overhead\n[\s\S]*?(?=\n## |$)/;

if (options.write) {
  const previous = existsSync(options.out) ? readFileSync(options.out, "utf8") : "";
  if (results.length === 0 && overhead_md) {
    // Only the metrics phase ran: replace that section, keep the rest of the file as it is.
    const kept = previous.replace(OVERHEAD_SECTION, "");
    const at = kept.indexOf("\n## Dapr sidecar overhead\n");
    writeFileSync(
      options.out,
      at < 0 ? kept + overhead_md : kept.slice(0, at) + overhead_md + kept.slice(at),
    );
  } else {
    const analysis =
      /<!-- analysis:start -->\n([\s\S]*?)<!-- analysis:end -->/.exec(previous)?.[1] ??
      "_No analysis written yet for this run._\n";
    // Sections other benchmarks keep in this file (bench/dapr.ts: "## Dapr sidecar overhead") start
    // after this one's own; they are carried over as they are, and so is the last metrics overhead
    // measured when this run did not measure it.
    const others = /\n## Dapr sidecar overhead\n[\s\S]*$/.exec(previous)?.[0] ?? "";
    const overhead = overhead_md ?? OVERHEAD_SECTION.exec(previous)?.[0] ?? "";
    writeFileSync(options.out, renderDoc(results_md, machine, analysis) + overhead + others);
  }
  log(`wrote ${options.out}`);
}

function machineInfo(): {
  load: string;
  cpu: string;
  cores: number;
  memory: string;
  kernel: string;
  bun: string;
  postgres: string;
} {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const cpu = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  let cores = os.availableParallelism();
  try {
    cores = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || cores;
  } catch {}
  let pgVersion = "unknown";
  try {
    const bin = ["/usr/bin/psql", ...globPgBin("psql")].find((p) => existsSync(p));
    if (bin) {
      pgVersion = execFileSync(bin, ["-XAtc", "show server_version", options.databaseUrl as string], {
        encoding: "utf8",
      }).trim();
    }
  } catch {}
  return {
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(", "),
    cpu,
    cores,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    bun: Bun.version,
    postgres: pgVersion,
  };
}

function renderDoc(body: string, m: ReturnType<typeof machineInfo>, analysis: string): string {
  return `# Benchmarks

The API's performance targets (issue 2 §7), measured by \`bun run bench\` (\`bench/api.ts\`) on a
real PostgreSQL with 50 concurrent gRPC clients, beside the machine's raw single-row INSERT rate
measured in the same run so the API's overhead is a visible ratio. This file is rewritten by the
benchmark; the section between the \`analysis\` markers is kept.

| target | percentile | goal |
|---|---|---|
| \`CreateTask\` | p99 | ≤ 15 ms |
| \`ListTasks\` with a filter, a sort and a first page of 50 | p99 | ≤ 20 ms |
| search (\`ListTasks.query\`) over 100 000 tasks of one user | p95 | ≤ 50 ms |

## Latest results

${body}

## Machine

| | |
|---|---|
| CPU | ${m.cpu} |
| cores (\`nproc\`) | ${m.cores} |
| memory | ${m.memory} |
| kernel | ${m.kernel} |
| Bun | ${m.bun} |
| load average at the start (1, 5, 15 min) | ${m.load} |
| PostgreSQL | ${m.postgres} (the dev cluster of \`scripts/infra.ts\`: default durability, \`shared_buffers\` 256 MB) |

Everything runs on this one machine: the load generator, the server and PostgreSQL share its cores.

## Analysis

<!-- analysis:start -->
${analysis}<!-- analysis:end -->

## Method

- **Database**: a fresh database (\`todo_bench_<time>\`) on the server named by \`DATABASE_URL\`,
  dropped afterwards (\`--keep-db\` keeps it).
- **Raw INSERT baseline**: a table \`bench_raw (id bigserial primary key, user_id uuid, title text,
  created_at timestamptz default now())\`; the same number of clients as the API phases, each with
  its own connection, each doing one single-row \`INSERT\` after another (autocommit, so one commit
  and WAL flush per row, like \`CreateTask\`). Measured twice: with postgres.js from Bun (the client
  the server uses) and with \`pgbench -M prepared\` (C/libpq), whose per-transaction log gives the
  percentiles.
- **Server**: \`bun services/embedded/src/main.ts\` as a subprocess (so the load generator does not
  share the server's event loop) with \`DATABASE_URL\` set, \`LOG_LEVEL=warn\`, telemetry off: the
  same single process \`bun start\` runs — identity, task and tag services, the outbox relays and the
  in-process event bus — here on PostgreSQL.
- **Clients**: gRPC over h2c with connect-node's \`createGrpcTransport\`, all in one Bun process
  (the load generator); by default each client has its own HTTP/2 connection
  (\`--connections shared\` multiplexes them on one) and signs up as its own user. Latency is
  measured in the client, so it includes the client's own time.
- **Two loads per API operation**, because with a fixed number of clients the two answer different
  questions:
  - *closed loop* (saturation): each of the 50 clients sends its next call as soon as the last one
    answered. This finds the throughput limit; latency is then mostly queueing (by Little's law,
    mean latency = 50 / throughput), so it says little about how fast one call is.
  - *paced* (open loop): the 50 clients together start calls at a fixed rate — by default half the
    saturation throughput just measured — each client with at most one call in flight. Latency
    counts from when a call was *scheduled*, so time spent waiting behind a slow call is included
    (no coordinated omission). This is the latency users see on a server with headroom.
  Calls are counted if they start after the warm-up (closed loop: and finish inside the window);
  throughput is counted calls divided by the window.
- **CreateTask**: varied titles and descriptions (below), 0–2 tags, random priority, 70 % with a due
  time and a time zone, some of those with a relative reminder. Every call is a transaction that
  inserts the task and its outbox event; the relay then publishes it to the tag service, whose
  consumer updates the tag counts in its own transaction — all in the server process while the
  phase is measured. Afterwards the benchmark waits until both outboxes are empty and reports the
  backlog.
- **Task text**: titles are a verb and one or two nouns from a vocabulary of everyday work and home
  tasks (Zipf-weighted, so a few words are common and most are rare), often with a person, a project
  code name, a city, a ticket number or a phrase like "before Friday"; descriptions are 0–30
  Zipf-weighted words from the whole vocabulary (about 1 200 distinct words end up in
  \`task.search_words\`).
- **Bulk load**: before the read phases, each client user gets \`--list-tasks\` more tasks and one
  search user \`--search-tasks\` tasks, inserted straight into \`task.tasks\` with multi-row INSERTs
  (the trigger fills \`task.search_words\` as for API writes; no events are produced), then
  \`ANALYZE\`. \`--load api\` loads through \`CreateTask\` instead.
- **ListTasks**: each client lists its own user's tasks with the filter
  \`status = OPEN AND priority >= MEDIUM AND due_time < today+30d\`, \`order_by: "due_time, priority
  desc"\` and \`page_size: 50\` (the response includes \`total_size\`, so every call also counts all
  matches). The same request is also measured on the search user's 100 000 tasks.
- **Search**: all clients search the search user's tasks with \`query\`, rotating through 400
  queries of four kinds — a word, a prefix (\`insur\`), a verb and a word, a word with two
  neighbouring letters swapped (typo tolerance goes through \`task.search_words\`) — default page
  size, ranked by relevance. The latencies are also broken down by kind, by how many tasks the
  query matches, and by both (a query is *common* above 1 000 matches, the size of the search's
  ranking window). Matches are counted once before the phase, in SQL with the service's own typo
  widening, because a search's \`total_size\` stops at 1 000.
- **CPU** columns: the share of one core used during the measured window, from \`/proc\`: the
  server process; PostgreSQL (the backends connected to the benchmark database plus the cluster's
  background processes); the load generator; and everything else on the machine (*other*: other
  processes and other databases' backends — the dev cluster and the machine may be shared). 200 =
  both cores of a 2-core machine.

Run it with \`bun run bench\` (PostgreSQL from \`bun scripts/infra.ts up\`, whose \`DATABASE_URL\`
it reads); \`bun bench/api.ts --help\` lists the options (duration, concurrency, sizes, connection
sharing, compression, pacing, load method, a subset of phases, \`--profile\` for a server CPU profile). Defaults take
about six minutes.
`;
}
