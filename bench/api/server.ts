/**
 * The API benchmark's system under test: the whole server (`bun services/embedded/src/main.ts`, the
 * single process `bun start` runs) as a subprocess on a database of the run, and its users — one per
 * client, each with a TaskService client of its own.
 */
import { join, resolve } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { collectOutput } from "@todo/testkit";
import { random } from "../../tests/e2e/lib/seed.ts";
import { GrpcClients } from "../lib/clients";
import type { Log } from "../lib/system";
import type { ApiOptions } from "./options";
import { taskInit, taskText } from "./task-text";

const root = resolve(import.meta.dir, "..", "..");

/** A running server. */
export interface Server {
  readonly pid: number;
  readonly grpcUrl: string;
  readonly httpUrl: string;
  /** `/metrics`, when started with `METRICS_PORT`. */
  readonly metricsUrl: string | undefined;
  stop(): Promise<number>;
}

/**
 * Starts the server on `databaseUrl` with its files in `dataDir` (and a CPU profile, `.cpuprofile` and
 * markdown, in `profileDir`);
 * telemetry off unless `extraEnv` turns it on (`METRICS_PORT`).
 */
export async function startServer(
  log: Log,
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
  const profileArgs = profileDir ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${profileDir}`] : [];
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
  const output = collectOutput(child, 20_000);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const httpUrl = /HTTP\/1\.1\):\s+(http:\/\/\S+)/.exec(output())?.[1];
    const grpcUrl = /\(h2c\):\s+(http:\/\/\S+)/.exec(output())?.[1];
    const metricsUrl = /metrics \(Prometheus\):\s+(http:\/\/\S+)/.exec(output())?.[1];
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
          if (code !== 0) log(`server exited with ${code}; its last output:\n${output()}`);
          return code;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not start (exit ${child.exitCode}):\n${output()}`);
    }
    await Bun.sleep(50);
  }
}

/** The clients' transports as `--connections` and `--compression` say. */
export function clientsFor(options: Pick<ApiOptions, "connections" | "compression">): GrpcClients {
  return new GrpcClients({ shared: options.connections === "shared", compression: options.compression });
}

/** A client's user. */
export interface BenchUser {
  readonly id: string;
  readonly tasks: Client<typeof TaskService>;
}

/** Signs up a user `label` at the server on `grpcUrl`, with a TaskService client of its own. */
export async function signUpUser(clients: GrpcClients, grpcUrl: string, label: string): Promise<BenchUser> {
  const { id, token } = await clients.signUp(grpcUrl, label, "Europe/Berlin");
  return { id, tasks: createClient(TaskService, clients.transport(grpcUrl, token)) };
}

/** Signs up `count` client users (`client0` …), five at a time. */
export async function signUpUsers(
  clients: GrpcClients,
  grpcUrl: string,
  count: number,
): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i += 5) {
    users.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(5, count - i) }, (_, k) =>
          signUpUser(clients, grpcUrl, `client${i + k}`),
        ),
      )),
    );
  }
  return users;
}

/** CreateTask with varied text (seeded by `seed`) as client `w`'s user; 30 % of due tasks get a reminder. */
export function createTaskOp(users: readonly BenchUser[], seed: number): (w: number) => Promise<unknown> {
  const createRng = random(seed);
  const now = Date.now();
  return (w) => {
    const t = taskText(createRng, now);
    const reminders =
      t.dueMs !== null && createRng() < 0.3
        ? [{ trigger: { case: "beforeDue" as const, value: { seconds: 3600n } } }]
        : [];
    return (users[w] as BenchUser).tasks.createTask({ task: taskInit(t, { reminders }) });
  };
}
