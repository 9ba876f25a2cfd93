/**
 * The API benchmark's options (`bench/api.ts` parses them from flags and environment variables; its
 * TSDoc lists them), passed to every phase.
 */
import type { Log } from "../lib/system";
import type { PhaseResult } from "./measure";

/** The phases `--phases` can choose, in the order they run. */
export const API_PHASES = [
  "raw",
  "create",
  "cost",
  "list",
  "list-big",
  "search",
  "memory",
  "metrics",
] as const;
export type ApiPhase = (typeof API_PHASES)[number];

/** Every option of a run, parsed and checked. */
export interface ApiOptions {
  /** Seconds measured per phase. */
  readonly duration: number;
  /** Seconds run before measuring each phase. */
  readonly warmup: number;
  /** Concurrent clients (and raw INSERT connections). */
  readonly concurrency: number;
  /** `separate`: one HTTP/2 connection per client; `shared`: all clients multiplex one. */
  readonly connections: "separate" | "shared";
  /** Tasks of the search user. */
  readonly searchTasks: number;
  /** Extra tasks per client user before the ListTasks phases. */
  readonly listTasks: number;
  /** Bulk load by multi-row INSERTs (`sql`) or through CreateTask (`api`). */
  readonly load: "sql" | "api";
  /** What the clients accept: `gzip` (connect-node's default) or `none`. */
  readonly compression: "gzip" | "none";
  /** The paced run's rate as a fraction of the closed loop's throughput … */
  readonly pacedFraction: number;
  /** … or this fixed total rate (calls/s). */
  readonly pacedRate: number | undefined;
  /** Run the server with `--cpu-prof-md`. */
  readonly profile: boolean;
  readonly phases: ReadonlySet<ApiPhase>;
  /** The PostgreSQL server on which fresh databases are created. */
  readonly databaseUrl: string;
  /** Keep the benchmark database afterwards. */
  readonly keepDb: boolean;
  /** The report file (absolute). */
  readonly out: string;
  /** Write the report into `out` (else only print it). */
  readonly write: boolean;
  /** Memory phase: WatchTasks streams held open. */
  readonly streams: number;
  /** Memory phase: seconds of the soak at a fixed rate. */
  readonly soakSeconds: number;
  /** Memory phase: the soak's rate (calls/s over all clients). */
  readonly soakRate: number;
  /** Metrics phase: rounds of an off and an on server. */
  readonly metricsRounds: number;
  /** Metrics phase: seconds between scrapes of `/metrics`. */
  readonly scrapeIntervalS: number;
}

/** What every phase of a run gets: the options, the log, and where its results go. */
export interface ApiRun {
  readonly options: ApiOptions;
  readonly log: Log;
  /** The measured phases, in the order of the report's table. */
  readonly results: PhaseResult[];
  /** The bullet points under the table. */
  readonly notes: string[];
  /** Extra markdown tables (the search latency by kind of query and by number of matches). */
  readonly breakdowns: string[];
  /** The targets, by phase name. */
  readonly targets: Map<string, Target>;
}

/** A latency target: percentile `pct` at most `ms` milliseconds. */
export interface Target {
  readonly pct: 95 | 99;
  readonly ms: number;
}
