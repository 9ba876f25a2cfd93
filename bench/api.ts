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
 *   3b. cost: CreateTask, UpdateTask, CompleteTask and ListTasks counted per call — statements,
 *      transactions, PostgreSQL time (`pg_stat_statements`) and CPU — until their events are consumed;
 *   4. each client's user gets `--list-tasks` more tasks, and one search user `--search-tasks`
 *      tasks, bulk-loaded straight into `task.tasks` (or through the API with `--load api`);
 *   5. ListTasks with a filter, a sort and a first page of 50, per user;
 *   6. the same on the search user's 100 000 tasks;
 *   7. search (`query`) over the search user's tasks: words, prefixes, two-word queries and typos;
 *   8. memory (bench/api/memory.ts): the server's RSS after the bulk load, with `--streams` WatchTasks
 *      streams open, and over a `--soak` at a fixed rate (a leak shows as a trend);
 *   9. metrics overhead (bench/metrics-overhead.ts): CreateTask with metrics off and on (`/metrics`
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
 *   --phases / BENCH_PHASES (all)           a comma-separated subset of raw, create, cost, list, list-big,
 *                                           search, memory, metrics
 *   --streams / BENCH_STREAMS (1000)        memory phase: WatchTasks streams held open
 *   --soak / BENCH_SOAK (600)               memory phase: seconds of the soak at a fixed rate …
 *   --soak-rate / BENCH_SOAK_RATE (100)     … of this many calls/s (creates, updates, completions, lists)
 *   --metrics-rounds / BENCH_METRICS_ROUNDS (3)  metrics phase: rounds of an off and an on server
 *   --scrape-interval / BENCH_SCRAPE_INTERVAL (5)  metrics phase: seconds between scrapes of /metrics
 *   --database-url / DATABASE_URL           the PostgreSQL server (a fresh database is created on it)
 *   --keep-db                               keep the benchmark database afterwards
 *   --out (docs/benchmarks.md)              where to write the report; `--no-write` only prints it
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { API_PHASES, type ApiOptions } from "./api/options";
import { runApiBench } from "./api/run";
import {
  choiceOption,
  fractionOption,
  intOption,
  optionalNumber,
  phasesOption,
  printHelpAndExit,
} from "./lib/options";

const root = resolve(import.meta.dir, "..");

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
    streams: { type: "string" },
    soak: { type: "string" },
    "soak-rate": { type: "string" },
    "metrics-rounds": { type: "string" },
    "scrape-interval": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) printHelpAndExit(import.meta.path);

const databaseUrl = flags["database-url"] ?? process.env.DATABASE_URL;
const options: ApiOptions = {
  duration: intOption(flags.duration, "BENCH_DURATION", 15, 1),
  warmup: intOption(flags.warmup, "BENCH_WARMUP", 3, 0),
  concurrency: intOption(flags.concurrency, "BENCH_CONCURRENCY", 50, 1),
  connections: choiceOption(flags.connections, "BENCH_CONNECTIONS", ["separate", "shared"] as const),
  searchTasks: intOption(flags["search-tasks"], "BENCH_SEARCH_TASKS", 100_000, 1),
  listTasks: intOption(flags["list-tasks"], "BENCH_LIST_TASKS", 1000, 0),
  load: choiceOption(flags.load, "BENCH_LOAD", ["sql", "api"] as const),
  compression: choiceOption(flags.compression, "BENCH_COMPRESSION", ["gzip", "none"] as const),
  pacedFraction: fractionOption(flags["paced-fraction"], "BENCH_PACED_FRACTION", 0.5),
  pacedRate: optionalNumber(flags["paced-rate"], "BENCH_PACED_RATE", 1, 1e9, true),
  profile: flags.profile ?? false,
  phases: phasesOption(flags.phases ?? process.env.BENCH_PHASES, API_PHASES),
  databaseUrl: databaseUrl ?? "",
  keepDb: flags["keep-db"] ?? false,
  out: resolve(root, flags.out ?? "docs/benchmarks.md"),
  write: !flags["no-write"],
  streams: intOption(flags.streams, "BENCH_STREAMS", 1000, 1),
  soakSeconds: intOption(flags.soak, "BENCH_SOAK", 600, 1),
  soakRate: intOption(flags["soak-rate"], "BENCH_SOAK_RATE", 100, 1),
  metricsRounds: intOption(flags["metrics-rounds"], "BENCH_METRICS_ROUNDS", 3, 1),
  scrapeIntervalS: intOption(flags["scrape-interval"], "BENCH_SCRAPE_INTERVAL", 5, 1),
};

if (!databaseUrl) {
  console.error(
    "DATABASE_URL is not set. Start PostgreSQL with `bun scripts/infra.ts up` and export the DATABASE_URL it prints.",
  );
  process.exit(2);
}

const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

try {
  await runApiBench(options, log);
} catch (failure) {
  const text =
    failure instanceof Error
      ? `${failure.name}: ${failure.message}\n${failure.stack ?? ""}`
      : String(failure);
  console.error(`benchmark failed: ${text.length > 3000 ? `${text.slice(0, 3000)}…` : text}`);
  process.exit(1);
}
