/**
 * A private PostgreSQL cluster and a private Kafka broker for the fault suite, so that restarting
 * them disturbs nobody else: the shared ones of `bun run infra:up` (127.0.0.1:54329 and :19092)
 * stay untouched. Both are the very components `scripts/infra.ts` runs (scripts/lib/postgres.ts and
 * scripts/lib/kafka.ts), driven with a context of their own — a state directory under the system
 * temp dir and ports chosen here — so the chaos run starts, restarts and purges them with the same
 * code a developer uses.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgresClient from "postgres";
import { freePort } from "../../tests/integration/system.ts";
import type { InfraComponent, InfraContext } from "./infra-component.ts";
import { kafka } from "./kafka.ts";
import { postgres } from "./postgres.ts";

/** The private infrastructure of one chaos run. */
export interface PrivateInfra {
  /** An admin URL of the private cluster (the harness creates a database per system in it). */
  readonly databaseUrl: string;
  /** `host:port` of the private broker. */
  readonly kafkaBrokers: string;
  /** Stops the broker cleanly and starts it again on the same port and data; resolves when it answers. */
  restartKafka(): Promise<void>;
  /** `pg_ctl stop --mode=fast` (every connection is cut) and start again; resolves when it accepts queries. */
  restartPostgres(): Promise<void>;
  /** Stops both and deletes their data. */
  close(): Promise<void>;
  /**
   * Kills both at once without waiting (for a run that is being interrupted: no await is possible
   * in an exit handler); the data stays in the temp dir.
   */
  killNow(): void;
}

/**
 * Runs `fn` with `vars` set in `process.env` (the components read their ports from it) and restores
 * the previous values afterwards.
 */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * Starts a private PostgreSQL and Kafka on free loopback ports, with state under
 * `<tmpdir>/todo-chaos-<id>`; `log` gets the components' progress lines.
 */
export async function startPrivateInfra(log: (message: string) => void): Promise<PrivateInfra> {
  const dir = join(tmpdir(), `todo-chaos-${crypto.randomUUID().slice(0, 8)}`);
  mkdirSync(dir, { recursive: true });
  // repoRoot names the PostgreSQL cluster when run as root (/var/tmp/todo-postgres-<hash of it>).
  const ctx: InfraContext = { repoRoot: dir, stateDir: dir, log: (m) => log(`[private] ${m}`) };
  const env = {
    PG_PORT: String(await freePort()),
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
  };
  const up = (c: InfraComponent) => withEnv(env, () => c.up(ctx));
  const started: InfraComponent[] = [];
  try {
    const pg = await up(postgres);
    started.push(postgres);
    const kf = await up(kafka);
    started.push(kafka);
    const databaseUrl = pg.DATABASE_URL;
    const kafkaBrokers = kf.KAFKA_BROKERS;
    if (!databaseUrl || !kafkaBrokers) throw new Error("the private infrastructure reported no URLs");
    const admin = postgresClient(databaseUrl, { max: 1, onnotice: () => {} });
    const [row] = await admin<{ data_directory: string }[]>`show data_directory`;
    await admin.end({ timeout: 5 });
    const pidFiles = [join(dir, "kafka", "kafka.pid"), join(row?.data_directory ?? dir, "postmaster.pid")];
    return {
      databaseUrl,
      kafkaBrokers,
      async restartKafka() {
        await withEnv(env, () => kafka.down(ctx, { purge: false }));
        await up(kafka);
      },
      async restartPostgres() {
        await withEnv(env, () => postgres.down(ctx, { purge: false }));
        await up(postgres);
      },
      async close() {
        await purge(started, ctx, env);
        rmSync(dir, { recursive: true, force: true });
      },
      killNow() {
        for (const file of pidFiles) {
          const pid = Number((existsSync(file) ? readFileSync(file, "utf8") : "").split("\n")[0]);
          if (Number.isInteger(pid) && pid > 0) {
            try {
              // The broker's JVM and the postmaster; PostgreSQL's children exit when it is gone.
              process.kill(pid, "SIGKILL");
            } catch {
              // already gone
            }
          }
        }
      },
    };
  } catch (error) {
    await purge(started, ctx, env).catch(() => {});
    throw error;
  }
}

async function purge(started: InfraComponent[], ctx: InfraContext, env: Record<string, string>) {
  for (const c of [...started].reverse()) await withEnv(env, () => c.down(ctx, { purge: true }));
}
