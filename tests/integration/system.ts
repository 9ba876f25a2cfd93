/**
 * The system under test as real processes: each service is started with `bun services/<svc>/src/main.ts`
 * (exactly what `bun run start:services` runs) against a fresh PostgreSQL database of its own and the
 * Kafka broker in `KAFKA_BROKERS`, on free loopback ports. A test can SIGKILL a service and start it
 * again on the same ports and database, as after a crash.
 *
 * Isolation: every `TestSystem` gets its own database and its own Kafka namespace
 * (`KAFKA_TOPIC_PREFIX=it-<random>.`), so test files, repeated runs and anything else on the broker
 * never share records or consumer groups. When the services do not honour `KAFKA_TOPIC_PREFIX`, the
 * system notices (the prefixed topics do not appear), says so, and falls back to the shared topics
 * (see `KafkaProbe.detectNamespace`). `KAFKA_SESSION_TIMEOUT_MS=6000` lets a restarted consumer take
 * over a SIGKILLed one's partitions after 6 s instead of 30 s, where the services support it.
 * Each process's output goes to `<tmpdir>/todo-integration-<namespace>/<service>-<n>.log`, removed at
 * `close()` unless `INTEGRATION_KEEP_LOGS=1` (a service that fails to start shows its tail anyway).
 *
 * Needs `DATABASE_URL` (an admin URL: it creates and drops databases) and `KAFKA_BROKERS`; throws,
 * saying how to get them, when either is missing — these tests are never skipped.
 */
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { eventually } from "@todo/testkit/eventually";
import type { Subprocess } from "bun";
import postgres from "postgres";
import { KafkaProbe } from "./kafka-probe";

/** The one wait of the suites (the test kit's), re-exported for the suites that use this kit. */
export { eventually };

/** The repository root (services are started from here). */
export const ROOT = join(import.meta.dir, "..", "..");

/** The services this harness can start, each `services/<name>/src/main.ts`. */
export type ServiceName = "identity" | "task" | "tag" | "scheduler" | "notification";

/** The Connect service names each process serves (the edge routes them). */
const APIS: Record<ServiceName, string> = {
  identity: "todo.identity.v1.AuthService",
  task: "todo.task.v1.TaskService",
  tag: "todo.tag.v1.TagService",
  scheduler: "todo.scheduler.v1.SchedulerService",
  notification: "todo.notification.v1.NotificationService",
};

/** `DATABASE_URL` and `KAFKA_BROKERS`, or an error saying how to get them. */
export function requireInfrastructure(): { databaseUrl: string; kafkaBrokers: string[] } {
  const databaseUrl = process.env.DATABASE_URL;
  const kafkaBrokers = (process.env.KAFKA_BROKERS ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
  if (!databaseUrl || kafkaBrokers.length === 0) {
    throw new Error(
      "the integration tests need PostgreSQL and Kafka: run `bun scripts/infra.ts up` and export the " +
        "DATABASE_URL and KAFKA_BROKERS it prints (or run them through `bun run test`)",
    );
  }
  return { databaseUrl, kafkaBrokers };
}

/** Creates the database `name` on the server of `adminUrl`; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops the database `name` (disconnecting whoever is still connected). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

const allocated = new Set<number>();

/**
 * A free TCP port on loopback, below Linux's ephemeral range (32768+) so that no outgoing connection
 * can take it between this check and the service binding it; never the same twice in this process.
 */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (allocated.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) {
      allocated.add(port);
      return port;
    }
  }
  throw new Error("no free port found between 20000 and 32000");
}

/** Adds `authorization: Bearer <token>` to every call. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/** One incarnation of a service process. */
export interface RunningService {
  readonly name: ServiceName;
  /** HTTP/1.1 port (Connect, gRPC-web). */
  readonly httpPort: number;
  /** h2c port (gRPC, Connect). */
  readonly grpcPort: number;
  readonly proc: Subprocess;
  /** The file its stdout and stderr go to. */
  readonly logFile: string;
}

/** How a `TestSystem` is set up. */
export interface TestSystemOptions {
  /** Names the system in its database, Kafka prefix and log folder. */
  readonly label: string;
  /** Environment given to every service (e.g. `BUS_MAX_ATTEMPTS`). */
  readonly env?: Readonly<Record<string, string>>;
}

const SERVICE_READY_MS = 90_000;

/**
 * Every process the harness started and has not seen exit. If the test run itself is stopped
 * (SIGINT, SIGTERM — e.g. by a CI timeout), they are killed too, instead of living on and consuming
 * from the test's topics.
 */
const live = new Set<Subprocess>();
let exitHooked = false;

function track(proc: Subprocess): Subprocess {
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  if (!exitHooked) {
    exitHooked = true;
    const killAll = () => {
      for (const p of live) p.kill("SIGKILL");
    };
    process.once("exit", killAll);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        killAll();
        process.exit(signal === "SIGINT" ? 130 : 143);
      });
    }
  }
  return proc;
}

/**
 * A fresh database, a Kafka namespace and the service processes started in them. Create one per test
 * file (`TestSystem.create`) and `close()` it in `afterAll`.
 */
export class TestSystem {
  /** A pool on the system's own database, for looking at (and, in crash tests, arranging) rows. */
  readonly sql: postgres.Sql;
  /** Kafka as the tests see it: the namespaced topics, a producer and collectors. */
  readonly kafka: KafkaProbe;
  readonly jwtSecret = Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
  readonly logDir: string;
  private readonly ports = new Map<ServiceName, { http: number; grpc: number }>();
  private readonly running = new Map<ServiceName, RunningService>();
  private readonly incarnations = new Map<ServiceName, number>();
  /** Services that were SERVING at least once (their ports are known to others). */
  private readonly started = new Set<ServiceName>();
  private edgeProc: Subprocess | undefined;
  private edgePort: number | undefined;
  private edgeIncarnation = 0;
  private closed = false;

  private constructor(
    readonly label: string,
    readonly databaseUrl: string,
    private readonly adminUrl: string,
    private readonly databaseName: string,
    readonly kafkaBrokers: readonly string[],
    /** The prefix asked for with `KAFKA_TOPIC_PREFIX`. */
    readonly requestedPrefix: string,
    private readonly extraEnv: Readonly<Record<string, string>>,
  ) {
    this.sql = postgres(databaseUrl, { max: 4, onnotice: () => {} });
    this.kafka = new KafkaProbe(kafkaBrokers, requestedPrefix);
    this.logDir = join(tmpdir(), `todo-integration-${requestedPrefix.replace(/\.$/, "")}`);
    mkdirSync(this.logDir, { recursive: true });
  }

  /** Creates the database and connects the Kafka probe; starts no service yet. */
  static async create(options: TestSystemOptions): Promise<TestSystem> {
    const { databaseUrl: adminUrl, kafkaBrokers } = requireInfrastructure();
    const tag = `${options.label.replace(/[^a-z0-9]/g, "")}${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const databaseName = `todo_it_${tag}`;
    const url = await createDatabase(adminUrl, databaseName);
    const system = new TestSystem(
      options.label,
      url,
      adminUrl,
      databaseName,
      kafkaBrokers,
      `it-${tag}.`,
      options.env ?? {},
    );
    await system.kafka.connect();
    return system;
  }

  /** The ports of `name` (allocated on first use and kept across restarts). */
  async portsOf(name: ServiceName): Promise<{ http: number; grpc: number }> {
    let ports = this.ports.get(name);
    if (!ports) {
      ports = { http: await freePort(), grpc: await freePort() };
      this.ports.set(name, ports);
    }
    return ports;
  }

  /** The running incarnation of `name`; throws when it is not running. */
  service(name: ServiceName): RunningService {
    const s = this.running.get(name);
    if (!s) throw new Error(`${name} is not running`);
    return s;
  }

  /**
   * Starts `name` and waits until its health check says SERVING. `env` is added to (and may override)
   * the common settings. Rejects, with the tail of its log, if the process exits or never gets ready.
   */
  async start(name: ServiceName, env: Readonly<Record<string, string>> = {}): Promise<RunningService> {
    if (this.closed) throw new Error("system closed");
    if (this.running.has(name)) throw new Error(`${name} is already running`);
    for (let attempt = 1; ; attempt++) {
      try {
        const service = await this.launch(name, env);
        this.started.add(name);
        return service;
      } catch (err) {
        // Someone else took a port in the meantime: new ports if nobody knows these yet, else wait.
        if (attempt >= 3 || !String(err).includes("EADDRINUSE")) throw err;
        const known = this.started.has(name) || (name === "task" && this.ports.has("scheduler"));
        if (known) await Bun.sleep(1000);
        else this.ports.delete(name);
      }
    }
  }

  private async launch(name: ServiceName, env: Readonly<Record<string, string>>): Promise<RunningService> {
    const ports = await this.portsOf(name);
    const taskPorts = name === "scheduler" ? await this.portsOf("task") : undefined;
    // Every other service checks tokens' sessions with identity (docs/identity.md).
    const identityPorts = name === "identity" ? undefined : await this.portsOf("identity");
    const n = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, n);
    const logFile = join(this.logDir, `${name}-${n}.log`);
    const proc = track(
      Bun.spawn([process.execPath, `services/${name}/src/main.ts`], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: process.env.HOME ?? "/root",
          ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
          DATABASE_URL: this.databaseUrl,
          DATABASE_POOL_SIZE: "6",
          KAFKA_BROKERS: this.kafkaBrokers.join(","),
          KAFKA_TOPIC_PREFIX: this.requestedPrefix,
          KAFKA_PARTITIONS: "2",
          KAFKA_SESSION_TIMEOUT_MS: "6000",
          JWT_SECRET: this.jwtSecret,
          HOST: "127.0.0.1",
          PORT: String(ports.http),
          GRPC_PORT: String(ports.grpc),
          LOG_LEVEL: "warn",
          OTEL_SERVICE_NAME: `todo-${name}`,
          ...(taskPorts ? { TASK_SERVICE_URL: `http://127.0.0.1:${taskPorts.grpc}` } : {}),
          ...(identityPorts ? { IDENTITY_SERVICE_URL: `http://127.0.0.1:${identityPorts.grpc}` } : {}),
          ...this.extraEnv,
          ...env,
        },
        stdin: "ignore",
        stdout: Bun.file(logFile),
        stderr: Bun.file(`${logFile}.err`),
      }),
    );
    const service: RunningService = { name, httpPort: ports.http, grpcPort: ports.grpc, proc, logFile };
    this.running.set(name, service);
    try {
      await this.waitServing(service);
    } catch (err) {
      proc.kill("SIGKILL");
      await proc.exited;
      this.running.delete(name);
      throw err;
    }
    return service;
  }

  /** The last lines a service wrote (stdout and stderr of its latest incarnation). */
  async logTail(name: ServiceName, lines = 40): Promise<string> {
    const n = this.incarnations.get(name) ?? 0;
    if (n === 0) return "";
    const file = join(this.logDir, `${name}-${n}.log`);
    const out = await Bun.file(file)
      .text()
      .catch(() => "");
    const err = await Bun.file(`${file}.err`)
      .text()
      .catch(() => "");
    return `${out}${err}`.trimEnd().split("\n").slice(-lines).join("\n");
  }

  private async waitServing(service: RunningService): Promise<void> {
    const deadline = Date.now() + SERVICE_READY_MS;
    let exitCode: number | null = null;
    void service.proc.exited.then((code) => {
      exitCode = code;
    });
    while (Date.now() < deadline) {
      if (exitCode !== null) {
        throw new Error(
          `${service.name} exited with ${exitCode} while starting:\n${await this.logTail(service.name)}`,
        );
      }
      try {
        const res = await fetch(`http://127.0.0.1:${service.httpPort}/grpc.health.v1.Health/Check`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
          signal: AbortSignal.timeout(2000),
        });
        if (res.ok && ((await res.json()) as { status?: string }).status === "SERVING") return;
      } catch {
        // not listening yet
      }
      await Bun.sleep(100);
    }
    throw new Error(
      `${service.name} was not SERVING after ${SERVICE_READY_MS} ms:\n${await this.logTail(service.name)}`,
    );
  }

  /** `kill -9` of `name`; resolves once the process is gone. */
  async kill(name: ServiceName): Promise<void> {
    const s = this.running.get(name);
    if (!s) return;
    this.running.delete(name);
    s.proc.kill("SIGKILL");
    await s.proc.exited;
  }

  /**
   * Starts the edge (HTTP/1.1, Connect and gRPC-web) in front of the running services; returns its URL.
   * After `killEdge()` it starts again on the same port, as a restarted process would.
   */
  async startEdge(): Promise<string> {
    if (this.edgeProc) throw new Error("the edge is already running");
    this.edgePort ??= await freePort();
    const routes = [...this.running.values()].map((s) => `${APIS[s.name]}=http://127.0.0.1:${s.httpPort}`);
    this.edgeIncarnation++;
    const log = join(this.logDir, `edge-${this.edgeIncarnation}.log`);
    const { proc, url } = await launchEdge(this.edgePort, routes, log);
    this.edgeProc = proc;
    return url;
  }

  /** `kill -9` of the edge; resolves once the process is gone. */
  async killEdge(): Promise<void> {
    const proc = this.edgeProc;
    this.edgeProc = undefined;
    await sigkill(proc);
  }

  /** gRPC over h2c to the running `name`, acting with `token` when given. */
  grpcTransport(name: ServiceName, token?: string): Transport {
    const { grpcPort } = this.service(name);
    return createGrpcTransport({
      baseUrl: `http://127.0.0.1:${grpcPort}`,
      interceptors: token ? [bearer(token)] : [],
    });
  }

  /** A typed client of `service` on process `name` (gRPC over h2c). */
  client<S extends DescService>(name: ServiceName, service: S, token?: string): Client<S> {
    return createClient(service, this.grpcTransport(name, token));
  }

  /** Signs a new user up through the identity process; returns the user id and access token. */
  async signUp(): Promise<{ userId: string; token: string }> {
    const auth = this.client("identity", AuthService);
    const res = await auth.signUp({
      email: `it-${crypto.randomUUID()}@example.test`,
      password: "correct horse battery staple",
      displayName: "Integration",
      timeZone: "Europe/Berlin",
    });
    const userId = res.user?.id;
    if (!userId) throw new Error("SignUp returned no user");
    return { userId, token: res.accessToken };
  }

  /**
   * Stops everything: SIGTERM to each service (SIGKILL after 5 s), drops the database, deletes the
   * namespace's topics and consumer groups. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const procs = [...this.running.values()].map((s) => s.proc);
    if (this.edgeProc) procs.push(this.edgeProc);
    this.running.clear();
    for (const p of procs) p.kill("SIGTERM");
    await Promise.race([Promise.all(procs.map((p) => p.exited)), Bun.sleep(5000)]);
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    await this.kafka.close();
    await this.sql.end({ timeout: 5 });
    await dropDatabase(this.adminUrl, this.databaseName);
    if (process.env.INTEGRATION_KEEP_LOGS !== "1") rmSync(this.logDir, { recursive: true, force: true });
    else console.log(`integration logs kept in ${this.logDir}`);
  }
}

/** `kill -9` of `proc` (when there is one); resolves once it is gone. */
export async function sigkill(proc: Subprocess | undefined): Promise<void> {
  proc?.kill("SIGKILL");
  await proc?.exited;
}

/**
 * Starts the edge (`services/edge/src/main.ts`) on `port` with `routes` (`<api>=<url>` entries of
 * `EDGE_ROUTES`), its output in `logFile` (and `.err`), and waits until it answers; the process is
 * SIGKILLed if the test run is stopped.
 */
export async function launchEdge(
  port: number,
  routes: readonly string[],
  logFile: string,
): Promise<{ proc: Subprocess; url: string }> {
  const proc = track(
    Bun.spawn([process.execPath, "services/edge/src/main.ts"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: process.env.HOME ?? "/root",
        HOST: "127.0.0.1",
        PORT: String(port),
        EDGE_ROUTES: routes.join(","),
        LOG_LEVEL: "warn",
      },
      stdin: "ignore",
      stdout: Bun.file(logFile),
      stderr: Bun.file(`${logFile}.err`),
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    "the edge to answer",
    async () => {
      const res = await fetch(`${url}/todo.identity.v1.AuthService/SignIn`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return res.status !== 502 && res.status !== 503;
    },
    30_000,
  );
  return { proc, url };
}

/** Connect over HTTP/1.1 to `baseUrl` (the edge, as a browser would), acting with `token` when given. */
export function connectTransport(baseUrl: string, token?: string): Transport {
  return createConnectTransport({
    baseUrl,
    httpVersion: "1.1",
    interceptors: token ? [bearer(token)] : [],
  });
}
