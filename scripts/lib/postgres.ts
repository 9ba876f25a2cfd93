/**
 * A private PostgreSQL cluster for development and tests: its own data directory, its own port on
 * 127.0.0.1 (54329 unless `PG_PORT` says otherwise) and its own Unix-socket directory, so it never
 * touches a system cluster. Data survives `down`; only `down --purge` deletes it.
 *
 * Where it lives:
 * - as a normal user (laptops, GitHub runners): `<repo>/.infra/postgres/`;
 * - as root (PostgreSQL refuses to run as root): the server runs as the `postgres` OS user, with
 *   its files in `/var/tmp/todo-postgres-<hash of the repo path>/` (a checkout under /root is not
 *   reachable by that user, and the hash keeps two clones apart).
 *
 * The cluster's bootstrap superuser is `todo` (password `todo`); tests need a superuser because
 * they create a database per test file and extensions such as `pg_trgm`. Durability settings are
 * left at PostgreSQL's defaults because benchmarks run against this cluster.
 */
import { createHash } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ComponentStatus, DownOptions, InfraComponent, InfraContext } from "./infra-component.ts";
import { type Captured, capture, runToStderr } from "./proc.ts";

const ROLE = "todo";
const PASSWORD = "todo";
const DATABASE = "todo";
const HOST = "127.0.0.1";
const DEFAULT_PORT = 54329;
/** The OS user that runs the server when the scripts run as root. */
const SERVER_OS_USER = "postgres";
/**
 * Server settings beyond PostgreSQL's defaults (durability defaults are kept on purpose).
 * `pg_stat_statements` is loaded so the benchmarks can count the statements a call costs
 * (`bench/api/statements.ts`); it records nothing until a database runs `create extension`.
 */
const SETTINGS: Readonly<Record<string, string>> = {
  max_connections: "300",
  shared_buffers: "'256MB'",
  shared_preload_libraries: "'pg_stat_statements'",
  "pg_stat_statements.track": "top",
};
/** The file (inside the data directory) holding our settings; rewritten on every start. */
const SETTINGS_FILE = "todo.conf";

/** An OS account, by name and ids. */
interface OsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Where this checkout's cluster keeps its files. */
interface Layout {
  /** Directory holding everything below; deleted by `down --purge`. */
  readonly base: string;
  readonly data: string;
  readonly socketDir: string;
  readonly logFile: string;
  /** The account that runs the server when we are root; null when we run it ourselves. */
  readonly owner: OsUser | null;
}

/** A PostgreSQL installation's server binaries. */
export interface PgBin {
  readonly dir: string;
  readonly major: number;
  readonly version: string;
}

/** The connection URL of the cluster on `port`. */
export function databaseUrl(port: number): string {
  return `postgres://${ROLE}:${PASSWORD}@${HOST}:${port}/${DATABASE}`;
}

/** The port to use for a new start: `PG_PORT` if set (validated), else 54329. */
export function configuredPort(env: Record<string, string | undefined> = process.env): number {
  const raw = env.PG_PORT?.trim();
  if (!raw) return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`PG_PORT must be a TCP port number (1-65535), got "${raw}"`);
  }
  return port;
}

function repoHash(repoRoot: string): string {
  return createHash("sha256").update(realpathSync(repoRoot)).digest("hex").slice(0, 12);
}

async function lookupOsUser(name: string): Promise<OsUser> {
  const uid = await capture(["id", "-u", name]);
  const gid = await capture(["id", "-g", name]);
  if (uid.code !== 0 || gid.code !== 0) {
    throw new Error(
      `running as root, but there is no "${name}" OS user to run PostgreSQL as (PostgreSQL refuses ` +
        `to run as root). Create it (e.g. \`useradd --system ${name}\`) or run as a normal user.`,
    );
  }
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function layoutFor(ctx: InfraContext): Promise<Layout> {
  const hash = repoHash(ctx.repoRoot);
  if (process.getuid?.() === 0) {
    const base = join("/var/tmp", `todo-postgres-${hash}`);
    return {
      base,
      data: join(base, "data"),
      socketDir: join(base, "run"),
      logFile: join(base, "postgres.log"),
      owner: await lookupOsUser(SERVER_OS_USER),
    };
  }
  const base = join(ctx.stateDir, "postgres");
  // A Unix socket path must fit in ~107 bytes; a deep checkout falls back to a private temp dir.
  let socketDir = join(base, "run");
  if (Buffer.byteLength(`${socketDir}/.s.PGSQL.65535.lock`) > 100) {
    socketDir = join(tmpdir(), `todo-postgres-${hash}`);
  }
  return { base, data: join(base, "data"), socketDir, logFile: join(base, "postgres.log"), owner: null };
}

/** Wraps `cmd` so it runs as the server's OS user when we are root. */
function asOwner(layout: Layout, cmd: readonly string[]): string[] {
  return layout.owner ? ["runuser", "-u", layout.owner.name, "--", ...cmd] : [...cmd];
}

/** Creates a private (0700) directory owned by the server's OS user. */
function privateDir(layout: Layout, dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const owner = layout.owner;
  if (owner) {
    const uid = statSync(dir).uid;
    if (uid !== owner.uid && uid !== 0) {
      throw new Error(`${dir} belongs to uid ${uid}, not to ${owner.name}; refusing to use it`);
    }
    chownSync(dir, owner.uid, owner.gid);
  }
  chmodSync(dir, 0o700);
}

/** Writes a file as the server's OS user would own it. */
function writeOwned(layout: Layout, path: string, text: string, mode = 0o600): void {
  writeFileSync(path, text, { mode });
  if (layout.owner) chownSync(path, layout.owner.uid, layout.owner.gid);
}

/** Size of a file in bytes (0 when missing), to show later only what was appended after it. */
function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** The last `lines` lines of `path` written after byte offset `from`. */
function logSince(path: string, from: number, lines = 20): string {
  if (!existsSync(path)) return "(no log file)";
  const text = readFileSync(path).subarray(from).toString("utf8").trimEnd();
  return text ? text.split("\n").slice(-lines).join("\n") : "(nothing logged)";
}

function describeFailure(what: string, result: Captured): string {
  const output = `${result.stdout}${result.stderr}`.trim();
  return `${what} failed (exit ${result.code})${output ? `:\n${output}` : ""}`;
}

async function probeBinDir(dir: string): Promise<PgBin | null> {
  for (const tool of ["pg_ctl", "initdb", "postgres", "psql"]) {
    if (!existsSync(join(dir, tool))) return null;
  }
  const result = await capture([join(dir, "pg_ctl"), "--version"]);
  const match = /\(PostgreSQL\)\s+(\d+)(\S*)/.exec(result.stdout);
  if (result.code !== 0 || !match?.[1]) return null;
  return { dir, major: Number(match[1]), version: `${match[1]}${match[2] ?? ""}` };
}

/**
 * Finds PostgreSQL server binaries: `PG_BINDIR` if set, else /usr/lib/postgresql/<version>/bin,
 * `pg_config --bindir`, and `pg_ctl` on PATH. With `major`, only that major version is accepted
 * (a data directory can only be run by the major version that created it); otherwise the highest.
 */
export async function findBin(major?: number): Promise<PgBin> {
  const dirs: string[] = [];
  const override = process.env.PG_BINDIR?.trim();
  if (override) {
    dirs.push(override);
  } else {
    const debianRoot = "/usr/lib/postgresql";
    if (existsSync(debianRoot)) {
      for (const version of readdirSync(debianRoot)) dirs.push(join(debianRoot, version, "bin"));
    }
    const pgConfig = await capture(["pg_config", "--bindir"]);
    if (pgConfig.code === 0 && pgConfig.stdout.trim()) dirs.push(pgConfig.stdout.trim());
    const onPath = Bun.which("pg_ctl");
    if (onPath) dirs.push(dirname(realpathSync(onPath)));
  }
  const found: PgBin[] = [];
  for (const dir of new Set(dirs)) {
    const bin = await probeBinDir(dir);
    if (bin && !found.some((other) => realpathSync(other.dir) === realpathSync(bin.dir))) found.push(bin);
  }
  found.sort((a, b) => b.major - a.major);
  if (found.length === 0) {
    throw new Error(
      override
        ? `PG_BINDIR=${override} does not hold PostgreSQL server binaries (pg_ctl, initdb, postgres, psql)`
        : "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin, `pg_config --bindir` " +
            "and PATH). Install the server (Debian/Ubuntu: `apt-get install postgresql`; macOS: " +
            "`brew install postgresql@16`) or point PG_BINDIR at its bin directory.",
    );
  }
  if (major === undefined) return found[0] as PgBin;
  const match = found.find((bin) => bin.major === major);
  if (!match) {
    throw new Error(
      `the data directory was created by PostgreSQL ${major}, but only ${found
        .map((bin) => bin.version)
        .join(", ")} is installed. Delete the old cluster with \`bun scripts/infra.ts down --purge\`.`,
    );
  }
  return match;
}

/** The major version that created the cluster, or undefined when there is no cluster yet. */
function clusterMajor(layout: Layout): number | undefined {
  const file = join(layout.data, "PG_VERSION");
  return existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : undefined;
}

async function isRunning(layout: Layout, bin: PgBin): Promise<boolean> {
  const result = await capture(asOwner(layout, [join(bin.dir, "pg_ctl"), "status", "-D", layout.data]), {
    cwd: layout.base,
  });
  return result.code === 0;
}

/** Port and pid of the running postmaster, from its postmaster.pid file. */
function runningInfo(layout: Layout): { pid: number; port: number } | undefined {
  const file = join(layout.data, "postmaster.pid");
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8").split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && Number.isInteger(port) ? { pid, port } : undefined;
}

async function initCluster(ctx: InfraContext, layout: Layout, bin: PgBin): Promise<void> {
  ctx.log(`postgres: creating a new cluster (PostgreSQL ${bin.version}) in ${layout.data}`);
  const pwfile = join(layout.base, "initdb-password");
  writeOwned(layout, pwfile, `${PASSWORD}\n`);
  // Byte-order collation (identical on every OS, so sort orders are reproducible) with UTF-8
  // character classes, so full-text search and pg_trgm treat non-ASCII letters as letters. Fall
  // back to plain C where the C.UTF-8 locale is missing.
  const localeChoices = [["--locale=C.UTF-8", "--lc-collate=C"], ["--no-locale"]];
  let failure: Captured | undefined;
  try {
    for (const locale of localeChoices) {
      rmSync(layout.data, { recursive: true, force: true });
      const result = await capture(
        asOwner(layout, [
          join(bin.dir, "initdb"),
          "--pgdata",
          layout.data,
          "--username",
          ROLE,
          `--pwfile=${pwfile}`,
          "--auth=scram-sha-256",
          "--encoding=UTF8",
          ...locale,
        ]),
        { cwd: layout.base },
      );
      if (result.code === 0) {
        failure = undefined;
        break;
      }
      failure = result;
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
  if (failure) {
    rmSync(layout.data, { recursive: true, force: true });
    throw new Error(describeFailure("initdb", failure));
  }
  appendFileSync(
    join(layout.data, "postgresql.conf"),
    `\n# Added by scripts/infra.ts: port, sockets and sizes, rewritten on every start.\ninclude_if_exists = '${SETTINGS_FILE}'\n`,
  );
}

function writeSettings(layout: Layout, port: number): void {
  const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;
  const lines = [
    "# Written by scripts/infra.ts on every start: change it there, not here.",
    `listen_addresses = ${quote(HOST)}`,
    `port = ${port}`,
    `unix_socket_directories = ${quote(layout.socketDir)}`,
    "unix_socket_permissions = 0700",
    ...Object.entries(SETTINGS).map(([key, value]) => `${key} = ${value}`),
  ];
  writeOwned(layout, join(layout.data, SETTINGS_FILE), `${lines.join("\n")}\n`);
}

/** Runs one SQL statement through psql over TCP as the `todo` superuser; never prompts. */
function psql(bin: PgBin, port: number, database: string, sql: string): Promise<Captured> {
  const conninfo = `host=${HOST} port=${port} user=${ROLE} password=${PASSWORD} dbname=${database} connect_timeout=5 sslmode=disable`;
  return capture([
    join(bin.dir, "psql"),
    "-X",
    "-w",
    "-q",
    "-A",
    "-t",
    "-v",
    "ON_ERROR_STOP=1",
    "-d",
    conninfo,
    "-c",
    sql,
  ]);
}

/** Waits until the server answers a query over TCP (not merely until its process exists). */
async function waitForConnections(bin: PgBin, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await psql(bin, port, "postgres", "SELECT 1");
    if (result.code === 0) return;
    if (Date.now() > deadline) throw new Error(describeFailure(`connecting to ${HOST}:${port}`, result));
    await Bun.sleep(250);
  }
}

async function ensureDatabase(ctx: InfraContext, bin: PgBin, port: number): Promise<void> {
  const exists = await psql(bin, port, "postgres", `SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`);
  if (exists.code !== 0) throw new Error(describeFailure("looking up the database", exists));
  if (exists.stdout.trim() === "1") return;
  ctx.log(`postgres: creating database ${DATABASE}`);
  const created = await psql(bin, port, "postgres", `CREATE DATABASE ${DATABASE}`);
  if (created.code !== 0) throw new Error(describeFailure(`CREATE DATABASE ${DATABASE}`, created));
}

async function up(ctx: InfraContext): Promise<Record<string, string>> {
  const layout = await layoutFor(ctx);
  privateDir(layout, layout.base);
  const major = clusterMajor(layout);
  const bin = await findBin(major);
  if (major === undefined) await initCluster(ctx, layout, bin);

  if (await isRunning(layout, bin)) {
    const port = runningInfo(layout)?.port ?? configuredPort();
    if (process.env.PG_PORT && configuredPort() !== port) {
      ctx.log(
        `postgres: already running on port ${port}; PG_PORT=${process.env.PG_PORT} applies after a down`,
      );
    } else {
      ctx.log(`postgres: already running on ${HOST}:${port}`);
    }
    await waitForConnections(bin, port);
    await ensureDatabase(ctx, bin, port);
    return { DATABASE_URL: databaseUrl(port) };
  }

  const port = configuredPort();
  privateDir(layout, layout.socketDir);
  writeSettings(layout, port);
  ctx.log(`postgres: starting PostgreSQL ${bin.version} on ${HOST}:${port} (data ${layout.data})`);
  const logOffset = fileSize(layout.logFile);
  const code = await runToStderr(
    asOwner(layout, [
      join(bin.dir, "pg_ctl"),
      "start",
      "--pgdata",
      layout.data,
      "--log",
      layout.logFile,
      "--wait",
      "--timeout=120",
      "--silent",
    ]),
    { cwd: layout.base },
  );
  // A concurrent `up` may have won the race to start it; that is fine.
  if (code !== 0 && !(await isRunning(layout, bin))) {
    throw new Error(
      `PostgreSQL did not start (is port ${port} taken? then set PG_PORT). From ${layout.logFile}:\n` +
        logSince(layout.logFile, logOffset),
    );
  }
  await waitForConnections(bin, port);
  await ensureDatabase(ctx, bin, port);
  ctx.log(`postgres: ready at ${databaseUrl(port)}`);
  return { DATABASE_URL: databaseUrl(port) };
}

async function down(ctx: InfraContext, options: DownOptions): Promise<void> {
  const layout = await layoutFor(ctx);
  const major = clusterMajor(layout);
  if (major === undefined) {
    ctx.log("postgres: no cluster here, nothing to stop");
  } else {
    // Without matching binaries nothing can be running from this data dir; a purge may proceed.
    const bin = await findBin(major).catch((error: unknown) => {
      if (options.purge) return undefined;
      throw error;
    });
    if (bin && (await isRunning(layout, bin))) {
      ctx.log("postgres: stopping");
      const code = await runToStderr(
        asOwner(layout, [
          join(bin.dir, "pg_ctl"),
          "stop",
          "--pgdata",
          layout.data,
          "--mode=fast",
          "--wait",
          "--silent",
        ]),
        { cwd: layout.base },
      );
      if (code !== 0) throw new Error(`pg_ctl stop failed (exit ${code}); see ${layout.logFile}`);
      ctx.log("postgres: stopped");
    } else {
      ctx.log("postgres: not running");
    }
  }
  if (options.purge) {
    rmSync(layout.base, { recursive: true, force: true });
    if (!layout.socketDir.startsWith(`${layout.base}/`))
      rmSync(layout.socketDir, { recursive: true, force: true });
    ctx.log(`postgres: deleted ${layout.base}`);
  } else if (major !== undefined) {
    ctx.log(`postgres: data kept in ${layout.data} (\`down --purge\` deletes it)`);
  }
}

async function status(ctx: InfraContext): Promise<ComponentStatus> {
  const layout = await layoutFor(ctx);
  const major = clusterMajor(layout);
  if (major === undefined)
    return { running: false, detail: "not created yet (`bun run infra:up` creates it)" };
  const bin = await findBin(major);
  if (!(await isRunning(layout, bin))) return { running: false, detail: `stopped (data in ${layout.data})` };
  const info = runningInfo(layout);
  const where = info ? `${databaseUrl(info.port)}, pid ${info.pid}` : "unknown port";
  return { running: true, detail: `running: ${where}, PostgreSQL ${bin.version}, data in ${layout.data}` };
}

/** The PostgreSQL component: `up` yields `DATABASE_URL=postgres://todo:todo@127.0.0.1:<port>/todo`. */
export const postgres: InfraComponent = {
  name: "postgres",
  envKeys: ["DATABASE_URL"],
  up,
  down,
  status,
};
