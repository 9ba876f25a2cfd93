/**
 * One run of the API benchmark (`bench/api.ts` is its command line): a fresh database, the raw INSERT
 * baseline, the server and its users, the selected API phases, the metrics overhead on servers of its
 * own, then the report — printed, and written into the report file.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import type { GrpcClients } from "../lib/clients";
import { profileMarkdown, summariseProfile } from "../lib/profile-summary";
import { type BenchDatabase, createFreshDatabase, type Log, postgresVersion } from "../lib/system";
import type { OverheadRound } from "../metrics-overhead";
import { bulkLoad } from "./bulk-load";
import { costMarkdown, costPhase } from "./cost";
import { cpuProbe } from "./cpu";
import { createPhase } from "./create";
import { apiMachine, writeReport } from "./doc";
import { listPhases } from "./list";
import { memoryPhase } from "./memory";
import { metricsPhase } from "./metrics";
import type { ApiOptions, ApiRun } from "./options";
import { rawPhase } from "./raw";
import { overheadMarkdown, resultsMarkdown } from "./report";
import { searchPhase } from "./search";
import { clientsFor, type Server, signUpUser, signUpUsers, startServer } from "./server";

const root = resolve(import.meta.dir, "..", "..");

/** The phases that need the server (and its users). */
const SERVER_PHASES = ["create", "cost", "list", "list-big", "search", "memory"] as const;

/** Runs the benchmark with `options`; throws what failed, after cleaning up. */
export async function runApiBench(options: ApiOptions, log: Log): Promise<void> {
  const started = new Date();
  const machine = apiMachine(await postgresVersion(options.databaseUrl), root);
  log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}`);
  const run: ApiRun = { options, log, results: [], notes: [], breakdowns: [], targets: new Map() };
  const db = await createFreshDatabase(options.databaseUrl, "todo_bench");
  log(`database ${db.name}`);
  const dataDir = mkdtempSync(join(os.tmpdir(), "todo-bench-"));
  const profileDir = options.profile ? mkdtempSync(join(os.tmpdir(), "todo-bench-profile-")) : undefined;
  const clients = clientsFor(options);
  let server: Server | undefined;
  try {
    if (options.phases.has("raw")) await rawPhase(run, db.url, db.name);
    if (SERVER_PHASES.some((p) => options.phases.has(p))) {
      server = await startServer(log, db.url, dataDir, profileDir);
      log(`server pid ${server.pid} on ${server.grpcUrl}`);
      await serverPhases(run, db, server, clients);
    }
  } finally {
    clients.close();
    if (server) await server.stop();
    if (profileDir) {
      log(`server CPU profile in ${profileDir}: ${readdirSync(profileDir).join(", ")}`);
      const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
      if (file) {
        const phases = [...options.phases].filter((p) => (SERVER_PHASES as readonly string[]).includes(p));
        run.breakdowns.push(
          `Where the server's CPU went (\`--profile\`, phases ${phases.join(", ")} and the sign-ups; each sample ` +
            "charged to the deepest frame of our own code on its stack, else to the library or runtime module it was in):\n\n" +
            profileMarkdown(summariseProfile(join(profileDir, file), root)),
        );
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
    if (options.keepDb) log(`kept database ${db.name}`);
    else await db.drop();
  }

  // Metrics overhead: after the other phases, on servers of its own.
  let overheadRuns: OverheadRound[] | undefined;
  if (options.phases.has("metrics")) overheadRuns = await metricsPhase(run);

  const results_md = resultsMarkdown(run, started);
  const overhead_md = overheadRuns ? overheadMarkdown(run, overheadRuns, started) : undefined;
  const anyResults = run.results.length > 0 || run.breakdowns.length > 0;
  if (anyResults) console.log(`\n${results_md}\n`);
  if (overhead_md) console.log(overhead_md);
  if (options.write) {
    writeReport(options, results_md, anyResults, overhead_md, machine);
    log(`wrote ${options.out}`);
  }
}

/**
 * The phases against the server: its users sign up (one per client, and the search user), then
 * CreateTask, the bulk load, ListTasks and search, as selected.
 */
async function serverPhases(run: ApiRun, db: BenchDatabase, server: Server, clients: GrpcClients) {
  const { options, log } = run;
  const cpu = cpuProbe(server.pid, db.name);
  log(`signing up ${options.concurrency + 1} users`);
  const users = await signUpUsers(clients, server.grpcUrl, options.concurrency);
  const searcher = await signUpUser(clients, server.grpcUrl, "search");
  // Warm every connection before measuring.
  await Promise.all(users.map((u) => u.tasks.listTasks({ pageSize: 1 })));

  run.targets.set("CreateTask", { pct: 99, ms: 15 });
  if (options.phases.has("create")) await createPhase(run, db.url, users, cpu);
  if (options.phases.has("cost"))
    run.breakdowns.push(...costMarkdown(await costPhase(run, db.url, db.name, users, cpu)));
  if ((["list", "list-big", "search", "memory"] as const).some((p) => options.phases.has(p))) {
    await bulkLoad(run, db.url, users, searcher);
  }
  await listPhases(run, users, searcher, cpu);
  if (options.phases.has("search")) await searchPhase(run, db.url, searcher, cpu);
  if (options.phases.has("memory")) await memoryPhase(run, db.url, server, users, cpu);
}
