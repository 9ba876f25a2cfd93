/**
 * The systems under test of the benchmarks: a fresh PostgreSQL database, optionally a private Apache
 * Kafka broker, the services as separate processes, a CPU meter that says which process used the
 * machine while a phase ran (and the /proc readings it is made of), and the machine's facts.
 * Everything started here is stopped by the handle that started it, by process id.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import postgres from "postgres";
import type { InfraContext } from "../../scripts/lib/infra-component.ts";
import { KAFKA_VERSION, kafka } from "../../scripts/lib/kafka.ts";
import { createDatabase, dropDatabase } from "../../tests/integration/system.ts";

/** Progress for humans, on stderr. */
export type Log = (message: string) => void;

/** A free TCP port on loopback (asked from the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A database made for one run; `drop` removes it. */
export interface BenchDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database on the server of `adminUrl` (whose role must be allowed to create
 * databases) and returns its URL. The services migrate their own schemas into it when they start.
 */
export async function createFreshDatabase(adminUrl: string, prefix: string): Promise<BenchDatabase> {
  const name = `${prefix}_${new Date().toISOString().replace(/\D/g, "").slice(0, 14)}_${process.pid}`;
  const url = await createDatabase(adminUrl, name);
  return { url, name, drop: () => dropDatabase(adminUrl, name) };
}

/** PostgreSQL's `server_version` at `url` ("unknown" when it cannot be asked), for the reports. */
export async function postgresVersion(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ server_version: string }[]>`show server_version`;
    return row?.server_version ?? "unknown";
  } catch {
    return "unknown";
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A Kafka broker to run against. */
export interface BenchKafka {
  readonly brokers: string;
  /** The broker's process id when this run started it (for the CPU meter). */
  readonly pid: number | undefined;
  /** Whether this run started the broker (and `stop` deletes it). */
  readonly private: boolean;
  stop(): Promise<void>;
}

/**
 * Starts a private single-node Kafka (the same component as `bun run infra:up`, so the same jars and
 * settings) on free ports with its state in a temporary directory. A private broker keeps the run
 * apart from other work on the machine: the services' consumer groups (`scheduler`, `notification`,
 * `task`) have fixed names, so services of another checkout on a shared broker would take partitions
 * of this run's topics, and their backlog would be replayed into this run's database.
 */
export async function startPrivateKafka(log: Log): Promise<BenchKafka> {
  const stateDir = mkdtempSync(join(os.tmpdir(), "todo-bench-kafka-"));
  const ctx: InfraContext = {
    repoRoot: join(import.meta.dir, "..", ".."),
    stateDir,
    log: (m) => log(m.replace(/^kafka: /, "private kafka: ")),
  };
  const saved = { port: process.env.KAFKA_PORT, controller: process.env.KAFKA_CONTROLLER_PORT };
  process.env.KAFKA_PORT = String(await freePort());
  process.env.KAFKA_CONTROLLER_PORT = String(await freePort());
  let env: Record<string, string>;
  try {
    env = await kafka.up(ctx);
  } catch (err) {
    await kafka.down(ctx, { purge: true }).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  } finally {
    for (const [key, value] of [
      ["KAFKA_PORT", saved.port],
      ["KAFKA_CONTROLLER_PORT", saved.controller],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const pidFile = join(stateDir, "kafka", "kafka.pid");
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : undefined;
  return {
    brokers: env.KAFKA_BROKERS as string,
    pid,
    private: true,
    async stop() {
      await kafka.down({ ...ctx, log: () => {} }, { purge: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The broker at `brokers`, not started by this run (its `stop` does nothing). */
export function sharedKafka(brokers: string): BenchKafka {
  return { brokers, pid: undefined, private: false, stop: async () => {} };
}

/** A service running as its own process. */
export interface ServiceProcess {
  readonly label: string;
  readonly pid: number;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * Runs `bun services/<service>/src/main.ts` with `env` on kernel-chosen ports (PORT=0, GRPC_PORT=0),
 * its stdout in `<logDir>/<label>.log` and its (JSON) logs in `<logDir>/<label>.stderr.log`, and resolves once it printed the ports it listens on — by
 * then `runService` has migrated, subscribed (joined its consumer groups) and started serving.
 */
export async function startService(
  root: string,
  service: string,
  label: string,
  env: Record<string, string>,
  logDir: string,
): Promise<ServiceProcess> {
  const logFile = join(logDir, `${label}.log`);
  const proc: Subprocess = Bun.spawn(["bun", `services/${service}/src/main.ts`], {
    cwd: root,
    env: { ...env, PORT: "0", GRPC_PORT: "0", OTEL_SERVICE_NAME: `todo-${label}` },
    stdout: Bun.file(logFile),
    // The services' JSON logs (stderr) go beside the stdout file, not into the benchmark's output.
    stderr: Bun.file(join(logDir, `${label}.stderr.log`)),
  });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
    if (!exited) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
  };
  const ready = new RegExp(
    `^${service}: http://127\\.0\\.0\\.1:(\\d+) \\(HTTP/1\\.1\\), http://127\\.0\\.0\\.1:(\\d+) \\(h2c\\)`,
    "m",
  );
  const deadline = Date.now() + 90_000;
  for (;;) {
    const text = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
    const match = ready.exec(text);
    if (match) {
      return {
        label,
        pid: proc.pid,
        httpPort: Number(match[1]),
        grpcPort: Number(match[2]),
        logFile,
        stop,
      };
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `${label} did not start (${proc.exitCode !== null ? `exit ${proc.exitCode}` : "timed out"}); ` +
          `last output:\n${text.split("\n").slice(-20).join("\n")}\n(logs in ${logDir})`,
      );
    }
    await Bun.sleep(100);
  }
}

/** Clock ticks per second of /proc (USER_HZ, 100 on Linux). */
export const TICKS_PER_SECOND = 100;

/** CPU ticks (user + system, USER_HZ) that process `pid` has used so far; 0 once it has ended. */
export function processTicks(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0;
  }
}

/** Resident memory of process `pid` in bytes (VmRSS of /proc/<pid>/status); 0 once it has ended. */
export function processRssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Ticks of the PostgreSQL backends serving database `dbName` (any other database's are not ours);
 * with `withBackground`, also the server's own background processes (postmaster, checkpointer, WAL
 * writer …), which work for every database at once.
 */
export function postgresTicks(dbName: string, withBackground = false): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== "postgres") continue;
      const title = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      const ours = title.startsWith("postgres: ") && title.includes(` ${dbName} `);
      // A client backend's title names its client's address and port: "… 127.0.0.1(41234) idle".
      const background = !/\(\d+\)/.test(title);
      if (ours || (withBackground && background)) total += processTicks(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** The whole machine's busy and total ticks (all CPUs) so far, from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((s, x) => s + x, 0);
  return { busy: total - idle, total };
}

/** The whole machine's busy cores over the next `ms` milliseconds (2.0 = two cores fully busy). */
export async function machineBusyCores(ms = 2000): Promise<number> {
  const a = { ...machineTicks(), at: performance.now() };
  await Bun.sleep(ms);
  const b = { ...machineTicks(), at: performance.now() };
  return (b.busy - a.busy) / TICKS_PER_SECOND / ((b.at - a.at) / 1000);
}

/** CPU seconds per component over an interval, and how busy the whole machine was. */
export interface CpuReport {
  readonly seconds: number;
  /** CPU seconds by label (the services, `postgres` (this run's backends), `kafka`, `bench`). */
  readonly byLabel: Readonly<Record<string, number>>;
  /** CPU seconds used by everything else on the machine (other people's work). */
  readonly other: number;
  /** The machine's busy share over the interval, in cores (2.0 = both cores fully busy). */
  readonly busyCores: number;
}

/** Samples per-process CPU time from /proc (Linux only; elsewhere it reports zeros). */
export class CpuMeter {
  private readonly pids = new Map<string, number>();

  constructor(private readonly dbName: string) {}

  /** Counts process `pid`'s CPU time under `label` (several pids may share a label). */
  track(label: string, pid: number | undefined): void {
    if (pid !== undefined && pid > 0) this.pids.set(`${label}#${pid}`, pid);
  }

  untrack(pid: number): void {
    for (const [key, value] of this.pids) if (value === pid) this.pids.delete(key);
  }

  /** The cores used by everything but this run (other people's work) over the next `ms` milliseconds. */
  async otherCores(ms = 3000): Promise<number> {
    const stop = this.start();
    await Bun.sleep(ms);
    const r = stop();
    return r.seconds > 0 ? r.other / r.seconds : 0;
  }

  /** Starts an interval; the returned function ends it and reports. */
  start(): () => CpuReport {
    if (!existsSync("/proc/stat")) {
      return () => ({ seconds: 0, byLabel: {}, other: 0, busyCores: 0 });
    }
    const t0 = performance.now();
    const before = this.sample();
    return () => {
      const after = this.sample();
      const seconds = (performance.now() - t0) / 1000;
      const byLabel: Record<string, number> = {};
      let ours = 0;
      for (const [label, ticks] of Object.entries(after.byLabel)) {
        const used = Math.max(0, ticks - (before.byLabel[label] ?? 0)) / TICKS_PER_SECOND;
        byLabel[label] = used;
        ours += used;
      }
      const busy = (after.machine.busy - before.machine.busy) / TICKS_PER_SECOND;
      return {
        seconds,
        byLabel,
        other: Math.max(0, busy - ours),
        busyCores: seconds > 0 ? busy / seconds : 0,
      };
    };
  }

  private sample(): { byLabel: Record<string, number>; machine: { busy: number; total: number } } {
    const byLabel: Record<string, number> = {};
    for (const [key, pid] of this.pids) {
      const label = key.slice(0, key.lastIndexOf("#"));
      byLabel[label] = (byLabel[label] ?? 0) + processTicks(pid);
    }
    byLabel.postgres = postgresTicks(this.dbName);
    const usage = process.cpuUsage();
    byLabel.bench = ((usage.user + usage.system) / 1e6) * TICKS_PER_SECOND;
    return { byLabel, machine: machineTicks() };
  }
}

/** What the report says about the machine and the software. */
export interface MachineInfo {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly os: string;
  readonly bun: string;
  readonly postgres: string;
  readonly kafka: string;
  readonly kafkajs: string;
  readonly loadAverage: string;
}

/** The reports' "Machine and versions" table: `m`, and the `command` that ran. */
export function machineTable(m: MachineInfo, command: string): string {
  return `| | |
|---|---|
| date | ${m.date} |
| CPU | ${m.cpu} |
| cores (\`nproc\`) | ${m.cores} |
| memory | ${m.memory} |
| OS | ${m.os} |
| Bun | ${m.bun} |
| PostgreSQL | ${m.postgres} |
| Kafka | ${m.kafka} |
| kafkajs | ${m.kafkajs} |
| load average at the start (1/5/15 min) | ${m.loadAverage} |
| command | \`${command}\` |`;
}

/** Facts about this machine, for the report's header. */
export function machineInfo(sqlVersion: string, root: string): MachineInfo {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const cpu = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  let cores = os.cpus().length;
  try {
    cores = Number(execFileSync("nproc", { encoding: "utf8" }).trim()) || cores;
  } catch {
    // nproc missing: keep the count from os.cpus()
  }
  let osName = `${os.type()} ${os.release()}`;
  if (existsSync("/etc/os-release")) {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1];
    if (pretty) osName = `${pretty} (kernel ${os.release()})`;
  }
  let kafkajsVersion = "unknown";
  try {
    const pkg = JSON.parse(readFileSync(join(root, "node_modules", "kafkajs", "package.json"), "utf8"));
    kafkajsVersion = String(pkg.version);
  } catch {
    // not resolvable from the root: leave it unknown
  }
  return {
    date: `${new Date().toISOString().replace("T", " ").slice(0, 16)} UTC`,
    cpu,
    cores,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: osName,
    bun: Bun.version,
    postgres: sqlVersion,
    kafka: `Apache Kafka ${KAFKA_VERSION} (KRaft, single node)`,
    kafkajs: kafkajsVersion,
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" / "),
  };
}
