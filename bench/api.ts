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
 *   7. search (`query`) over the search user's tasks: words, prefixes, two-word queries and typos.
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
import postgres from "postgres";

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
    "database-url": { type: "string" },
    "keep-db": { type: "boolean", default: false },
    out: { type: "string" },
    "no-write": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (flags.help) {
  const source = readFileSync(import.meta.path, "utf8");
  console.log(/\/\*\*([\s\S]*?)\*\//.exec(source)?.[1]?.replace(/^ \* ?/gm, "") ?? "");
  process.exit(0);
}

function intOption(flag: string | undefined, env: string, fallback: number, min: number): number {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${env} must be an integer ≥ ${min} (got ${raw})`);
  return n;
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
  databaseUrl: flags["database-url"] ?? process.env.DATABASE_URL,
  keepDb: flags["keep-db"] ?? false,
  out: resolve(root, flags.out ?? "docs/benchmarks.md"),
  write: !flags["no-write"],
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
const TAGS = ["work", "home", "errand", "finance", "health", "family", "urgent", "someday", "reading", "ops"];
const ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"];

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;

interface TaskText {
  title: string;
  description: string;
  tags: string[];
  priority: number;
  dueMs: number | null;
  timeZone: string;
}

function taskText(r: () => number, now: number): TaskText {
  const parts = [pick(r, VERBS), pick(r, NOUNS)];
  if (r() < 0.5) parts.push(pick(r, NOUNS));
  if (r() < 0.5) parts.push(pick(r, CONTEXT));
  const title = parts.join(" ").replace(/^./, (c) => c.toUpperCase());
  const words: string[] = [];
  const n = Math.floor(r() * 30);
  for (let i = 0; i < n; i++)
    words.push(r() < 0.4 ? pick(r, NOUNS) : r() < 0.5 ? pick(r, VERBS) : pick(r, FILLER));
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

/** Search queries of four kinds, in rotation: a word, a prefix, two words, a word with a typo. */
function searchQueries(count: number): string[] {
  const r = rng(7);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const word = pick(r, NOUNS);
    switch (i % 4) {
      case 0:
        out.push(word);
        break;
      case 1:
        out.push(word.slice(0, Math.max(3, Math.ceil(word.length / 2))));
        break;
      case 2:
        out.push(`${pick(r, VERBS)} ${word}`);
        break;
      default: {
        // Swap two neighbouring letters in the middle: "meeting" → "meetnig".
        if (word.length < 5) out.push(word);
        else {
          const k = 2 + Math.floor(r() * (word.length - 3));
          out.push(word.slice(0, k) + word.charAt(k + 1) + word.charAt(k) + word.slice(k + 2));
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
  readonly calls: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  readonly latenciesMs: Float64Array;
  readonly cpu: CpuShare | undefined;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

/**
 * Runs `op` in `concurrency` closed loops for `warmup + duration` seconds; latencies of calls that
 * start after the warm-up and finish before the end are recorded.
 */
async function measure(
  name: string,
  concurrency: number,
  op: (worker: number, i: number) => Promise<unknown>,
  cpu?: CpuProbe,
): Promise<PhaseResult> {
  const warmEnd = performance.now() + options.warmup * 1000;
  const end = warmEnd + options.duration * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let cpuStart: CpuSample | undefined;
  const startCpu = setTimeout(() => {
    cpuStart = cpu?.sample();
  }, options.warmup * 1000);
  log(`${name}: ${concurrency} clients, ${options.warmup}s warm-up + ${options.duration}s`);
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; ; i++) {
        const t0 = performance.now();
        if (t0 >= end) return;
        try {
          await op(worker, i);
        } catch (err) {
          if (t0 >= warmEnd) errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
          continue;
        }
        const t1 = performance.now();
        if (t0 >= warmEnd && t1 <= end) latencies.push(t1 - t0);
      }
    }),
  );
  clearTimeout(startCpu);
  const cpuShare = cpu && cpuStart ? cpu.since(cpuStart) : undefined;
  const sorted = Float64Array.from(latencies).sort();
  return {
    name,
    calls: sorted.length,
    errors,
    firstError,
    seconds: options.duration,
    latenciesMs: sorted,
    cpu: cpuShare,
  };
}

// ---------------------------------------------------------------------------------------------
// CPU shares from /proc (Linux): the server process, PostgreSQL's processes and this load generator,
// so a missed target can be pinned on whoever used the cores.

interface CpuSample {
  readonly at: number;
  readonly server: number;
  readonly postgres: number;
  readonly bench: number;
}
/** Percent of one core used during a phase. */
interface CpuShare {
  readonly server: number;
  readonly postgres: number;
  readonly bench: number;
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

function procTicks(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

function postgresTicks(): number {
  let total = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres") total += procTicks(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

function cpuProbe(serverPid: number): CpuProbe | undefined {
  if (!existsSync("/proc/self/stat")) return undefined;
  const sample = (): CpuSample => ({
    at: performance.now(),
    server: procTicks(serverPid),
    postgres: postgresTicks(),
    bench: procTicks(process.pid),
  });
  return {
    sample,
    since(start) {
      const now = sample();
      const secs = (now.at - start.at) / 1000;
      const pct = (ticks: number) => (100 * ticks) / TICKS_PER_SECOND / secs;
      return {
        server: pct(now.server - start.server),
        postgres: pct(now.postgres - start.postgres),
        bench: pct(now.bench - start.bench),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The database

async function createBenchDatabase(
  adminUrl: string,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `todo_bench_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

async function rawInserts(url: string): Promise<PhaseResult> {
  const sql = postgres(url, { max: options.concurrency, onnotice: () => {} });
  try {
    await sql`create table bench_raw (id bigserial primary key, user_id uuid not null, title text not null,
                created_at timestamptz not null default now())`;
    // Open every connection before measuring.
    await Promise.all(Array.from({ length: options.concurrency }, () => sql`select 1`));
    const r = rng(1);
    const users = Array.from({ length: options.concurrency }, () => crypto.randomUUID());
    return await measure("raw INSERT (postgres.js)", options.concurrency, (w) => {
      const title = `${pick(r, VERBS)} ${pick(r, NOUNS)}`;
      return sql`insert into bench_raw (user_id, title) values (${users[w] as string}, ${title})`;
    });
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
      calls: sorted.length,
      errors: 0,
      firstError: undefined,
      seconds: options.duration,
      latenciesMs: sorted,
      cpu: undefined,
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
  stop(): Promise<number>;
}

async function startServer(databaseUrl: string, dataDir: string): Promise<Server> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OTEL_")) env[k] = v;
  Object.assign(env, {
    DATABASE_URL: databaseUrl,
    PORT: "0",
    GRPC_PORT: "0",
    HOST: "127.0.0.1",
    TODO_DATA_DIR: dataDir,
    JWT_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url"),
    LOG_LEVEL: "warn",
  });
  const child = Bun.spawn([process.execPath, join(root, "services", "embedded", "src", "main.ts")], {
    cwd: root,
    env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
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
    if (httpUrl && grpcUrl) {
      return {
        pid: child.pid,
        grpcUrl,
        httpUrl,
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

// ---------------------------------------------------------------------------------------------
// Main

const started = new Date();
const machine = machineInfo();
log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}`);
const db = await createBenchDatabase(options.databaseUrl);
log(`database ${db.name}`);
const dataDir = mkdtempSync(join(os.tmpdir(), "todo-bench-"));
const results: PhaseResult[] = [];
const notes: string[] = [];
let server: Server | undefined;
const sessions: Http2SessionManager[] = [];
let failure: unknown;
try {
  results.push(await rawInserts(db.url));
  const pg = pgbenchInserts(db.url);
  if (pg) results.push(pg);

  server = await startServer(db.url, dataDir);
  log(`server pid ${server.pid} on ${server.grpcUrl}`);
  const cpu = cpuProbe(server.pid);
  const grpcUrl = server.grpcUrl;
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
  log(`signing up ${options.concurrency + 1} users`);
  const users: BenchUser[] = [];
  for (let i = 0; i < options.concurrency; i += 5) {
    users.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(5, options.concurrency - i) }, (_, k) => signUp(`client${i + k}`)),
      )),
    );
  }
  const searcher = await signUp("search");
  // Warm every connection before measuring.
  await Promise.all(users.map((u) => u.tasks.listTasks({ pageSize: 1 })));

  // CreateTask.
  const createRng = rng(2);
  const now = Date.now();
  results.push(
    await measure(
      "CreateTask",
      options.concurrency,
      (w) => {
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
      },
      cpu,
    ),
  );

  // Bulk load.
  const admin = postgres(db.url, { max: 4, onnotice: () => {} });
  try {
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
  results.push(
    await measure(
      `ListTasks (filter + sort + page of 50; ~${(options.listTasks / 1000).toFixed(0)}k tasks per user)`,
      options.concurrency,
      (w) => (users[w] as BenchUser).tasks.listTasks(listRequest),
      cpu,
    ),
  );
  const big = await searcher.tasks.listTasks(listRequest);
  notes.push(`The same request on the search user matched ${big.totalSize.toLocaleString("en")} tasks.`);
  results.push(
    await measure(
      `ListTasks (filter + sort + page of 50; one user with ${options.searchTasks.toLocaleString("en")} tasks)`,
      options.concurrency,
      () => searcher.tasks.listTasks(listRequest),
      cpu,
    ),
  );

  // Search.
  const queries = searchQueries(400);
  const sampleCounts: string[] = [];
  for (const q of queries.slice(0, 4)) {
    const res = await searcher.tasks.listTasks({ query: q });
    sampleCounts.push(`\`${q}\` → ${res.totalSize.toLocaleString("en")}`);
  }
  notes.push(
    `Search queries rotate through a word, a prefix, two words and a typo (${queries.length} distinct); ` +
      `matches for the first four: ${sampleCounts.join(", ")}. Default page size (50), ranked by relevance.`,
  );
  let q = 0;
  results.push(
    await measure(
      `search (\`query\`) over ${options.searchTasks.toLocaleString("en")} tasks of one user`,
      options.concurrency,
      () => searcher.tasks.listTasks({ query: queries[q++ % queries.length] as string }),
      cpu,
    ),
  );
} catch (err) {
  failure = err;
} finally {
  for (const s of sessions) s.abort();
  if (server) await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (options.keepDb) log(`kept database ${db.name}`);
  else await db.drop();
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

const TARGETS: Record<string, { pct: 95 | 99; ms: number }> = {
  CreateTask: { pct: 99, ms: 15 },
  "ListTasks (filter + sort + page of 50; ~": { pct: 99, ms: 20 },
  "search (": { pct: 95, ms: 50 },
};
function targetOf(name: string): { pct: 95 | 99; ms: number } | undefined {
  for (const [prefix, t] of Object.entries(TARGETS)) if (name.startsWith(prefix)) return t;
  return undefined;
}

const fmt = (ms: number) => (Number.isNaN(ms) ? "–" : ms < 10 ? ms.toFixed(2) : ms.toFixed(1));
const rate = (r: PhaseResult) => r.calls / r.seconds;
const rawRate = results.find((r) => r.name === "raw INSERT (postgres.js)");

const lines: string[] = [];
lines.push(
  "| operation | calls | throughput (/s) | p50 ms | p95 ms | p99 ms | max ms | errors | target | met | CPU: server / postgres / bench |",
  "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
);
for (const r of results) {
  const t = targetOf(r.name);
  const got = t ? percentile(r.latenciesMs, t.pct) : Number.NaN;
  const met = t ? (got <= t.ms && r.errors === 0 ? "yes" : "**no**") : "";
  const cpu = r.cpu
    ? `${r.cpu.server.toFixed(0)}% / ${r.cpu.postgres.toFixed(0)}% / ${r.cpu.bench.toFixed(0)}%`
    : "";
  lines.push(
    `| ${r.name} | ${r.calls.toLocaleString("en")} | ${Math.round(rate(r)).toLocaleString("en")} | ${fmt(percentile(r.latenciesMs, 50))} | ` +
      `${fmt(percentile(r.latenciesMs, 95))} | ${fmt(percentile(r.latenciesMs, 99))} | ${fmt(r.latenciesMs.at(-1) ?? Number.NaN)} | ` +
      `${r.errors} | ${t ? `p${t.pct} ≤ ${t.ms} ms` : ""} | ${met} | ${cpu} |`,
  );
}
const create = results.find((r) => r.name === "CreateTask");
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
].join("\n");

console.log(`\n${results_md}\n`);

if (options.write) {
  const previous = existsSync(options.out) ? readFileSync(options.out, "utf8") : "";
  const analysis =
    /<!-- analysis:start -->\n([\s\S]*?)<!-- analysis:end -->/.exec(previous)?.[1] ??
    "_No analysis written yet for this run._\n";
  writeFileSync(options.out, renderDoc(results_md, machine, analysis));
  log(`wrote ${options.out}`);
}

function machineInfo(): {
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
- **Clients**: gRPC over h2c with connect-node's \`createGrpcTransport\`, one Bun process; each
  client signs up as its own user and runs a closed loop (next call as soon as the last answered).
  Latency is measured in the client around each call, so it includes the client's own time.
  Calls started during the warm-up are not counted; throughput is calls completed in the measured
  window divided by its length.
- **CreateTask**: varied titles and descriptions from a fixed vocabulary, 0–2 tags, random
  priority, 70 % with a due time and a time zone, some with a relative reminder. Every call is a
  transaction that inserts the task and its outbox event; the relay then publishes it to the tag
  service, whose consumer updates the tag counts — that work runs in the same server process while
  the phase is measured.
- **Bulk load**: before the read phases, each client user gets \`--list-tasks\` tasks and one search
  user \`--search-tasks\` tasks, inserted straight into \`task.tasks\` with multi-row INSERTs (the
  trigger fills \`task.search_words\` as it would for API writes; no events are produced), then
  \`ANALYZE\`. \`--load api\` loads through \`CreateTask\` instead.
- **ListTasks**: each client lists its own user's tasks with the filter
  \`status = OPEN AND priority >= MEDIUM AND due_time < today+30d\`, \`order_by: "due_time, priority
  desc"\` and \`page_size: 50\` (the response includes \`total_size\`, so every call also counts all
  matches). The same request is also measured on the search user's 100 000 tasks.
- **Search**: all clients search the search user's tasks with \`query\`, rotating through 400
  queries of four kinds — a word, a prefix (\`budg\`), two words, a word with two letters swapped
  (typo tolerance goes through \`task.search_words\`) — default page size, ranked by relevance.
- **CPU** columns: the share of one core used during the measured window by the server process, by
  all \`postgres\` processes and by the load generator, from \`/proc/<pid>/stat\` (200 % = both cores
  of this machine).

Run it with \`bun run bench\` (PostgreSQL from \`bun scripts/infra.ts up\`, whose \`DATABASE_URL\`
it reads); \`bun bench/api.ts --help\` lists the options (duration, concurrency, sizes, connection
sharing, compression, load method).
`;
}
