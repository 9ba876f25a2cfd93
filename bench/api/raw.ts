/**
 * The API benchmark's `raw` phase: the database's own ceiling, single-row INSERTs from as many
 * connections as the API phases have clients — with postgres.js (the client the server uses) and
 * with pgbench (C, libpq) when it is installed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { random } from "../../tests/e2e/lib/seed.ts";
import { cpuProbe } from "./cpu";
import { measure, type PhaseResult } from "./measure";
import type { ApiRun } from "./options";
import { NOUNS, pick, VERBS } from "./task-text";

/** Runs the raw INSERT measurements on the database `url` (named `dbName`) into `run.results`. */
export async function rawPhase(run: ApiRun, url: string, dbName: string): Promise<void> {
  run.results.push(await rawInserts(run, url, dbName));
  const pg = pgbenchInserts(run, url);
  if (pg) run.results.push(pg);
}

async function rawInserts(run: ApiRun, url: string, dbName: string): Promise<PhaseResult> {
  const { options } = run;
  const sql = postgres(url, { max: options.concurrency, onnotice: () => {} });
  try {
    await sql`create table bench_raw (id bigserial primary key, user_id uuid not null, title text not null,
                created_at timestamptz not null default now())`;
    // Open every connection before measuring.
    await Promise.all(Array.from({ length: options.concurrency }, () => sql`select 1`));
    const r = random(1);
    const users = Array.from({ length: options.concurrency }, () => crypto.randomUUID());
    return await measure(
      run,
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
function pgbenchInserts(run: ApiRun, url: string): PhaseResult | undefined {
  const { options, log } = run;
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

/** The `name` binary of each PostgreSQL installed under /usr/lib/postgresql, newest first. */
function globPgBin(name: string): string[] {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort()
    .reverse()
    .map((v) => join(base, v, "bin", name));
}
