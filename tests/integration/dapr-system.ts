/**
 * The system under Dapr as real processes, the way `bun run start:dapr` runs it: the Dapr scheduler,
 * and every service (`bun services/<svc>/src/main.ts`) beside its own `daprd` (built from the Go
 * module proxy by scripts/lib/dapr-binaries.ts, cached), against a fresh PostgreSQL database and a
 * Kafka namespace of its own (`KAFKA_TOPIC_PREFIX`), on free loopback ports. The services get no
 * `DATABASE_URL`, `JWT_SECRET`, `KAFKA_BROKERS` or service URLs: they read secrets from the Dapr
 * secret store and reach each other, Kafka and the timers only through their sidecars.
 *
 * A test can SIGKILL a service (its sidecar stays, as when a container restarts in a pod) and start
 * it again. Logs go to `<tmpdir>/todo-dapr-<namespace>/logs/`, removed at `close()` unless
 * `INTEGRATION_KEEP_LOGS=1`. Needs `DATABASE_URL` and `KAFKA_BROKERS` (throws otherwise; never skips).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import type { Subprocess } from "bun";
import postgres from "postgres";
import { type DaprBinaries, ensureDaprBinaries } from "../../scripts/lib/dapr-binaries.ts";
import {
  appEnvironment,
  ensureTopics,
  prepareRunDirectory,
  type SchedulerPorts,
  type SidecarPorts,
  schedulerCommand,
  sidecarCommand,
  sidecarEnvironment,
  waitForHttp,
} from "../../scripts/lib/dapr-run.ts";
import { SERVICES, waitHealthy } from "../../scripts/lib/services.ts";
import { KafkaProbe } from "./kafka-probe";
import {
  bearer,
  createDatabase,
  dropDatabase,
  freePort,
  launchEdge,
  ROOT,
  requireInfrastructure,
  sigkill,
} from "./system";

/** A service of the system. */
export type DaprServiceName = "identity" | "task" | "tag" | "scheduler" | "notification" | "assistant";

interface ServicePorts {
  readonly http: number;
  readonly grpc: number;
  readonly sidecar: SidecarPorts;
}

/** How a `DaprTestSystem` is set up. */
export interface DaprTestSystemOptions {
  readonly label: string;
  /** The daily digest's cron schedule (default `@every 1h`, i.e. not during a test). */
  readonly digestSchedule?: string;
  /** Environment for every service. */
  readonly env?: Readonly<Record<string, string>>;
  /** `host:port` of an OTLP/HTTP receiver: the sidecars then sample and export every request. */
  readonly otlpHost?: string;
}

const live = new Set<Subprocess>();
process.once("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

/** A fresh database, a Kafka namespace, the Dapr scheduler and the services with their sidecars. */
export class DaprTestSystem {
  readonly sql: postgres.Sql;
  readonly kafka: KafkaProbe;
  private readonly ports = new Map<DaprServiceName, ServicePorts>();
  private readonly apps = new Map<DaprServiceName, Subprocess>();
  private readonly sidecars = new Map<DaprServiceName, Subprocess>();
  private readonly incarnations = new Map<string, number>();
  private schedulerProc: Subprocess | undefined;
  private edgeProc: Subprocess | undefined;
  private edgePort: number | undefined;
  private closed = false;
  private readonly tokens = {
    app: crypto.randomUUID(),
    dapr: crypto.randomUUID(),
  };

  private constructor(
    readonly label: string,
    readonly prefix: string,
    private readonly adminUrl: string,
    private readonly databaseName: string,
    readonly databaseUrl: string,
    readonly runDir: string,
    private readonly binaries: DaprBinaries,
    private readonly run: ReturnType<typeof prepareRunDirectory>,
    readonly schedulerPorts: SchedulerPorts,
    private readonly extraEnv: Readonly<Record<string, string>>,
    kafkaBrokers: readonly string[],
  ) {
    this.sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
    this.kafka = new KafkaProbe(kafkaBrokers, prefix);
  }

  /** Creates the database, builds or finds the Dapr binaries and writes the run directory. */
  static async create(options: DaprTestSystemOptions): Promise<DaprTestSystem> {
    const { databaseUrl: adminUrl, kafkaBrokers } = requireInfrastructure();
    const binaries = await ensureDaprBinaries((m) => console.error(m));
    const tag = `${options.label.replace(/[^a-z0-9]/g, "")}${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
    const databaseName = `todo_dapr_${tag}`;
    const databaseUrl = await createDatabase(adminUrl, databaseName);
    const prefix = `dapr-${tag}.`;
    await ensureTopics(kafkaBrokers, prefix, 2);
    const runDir = join(tmpdir(), `todo-dapr-${tag}`);
    mkdirSync(join(runDir, "logs"), { recursive: true });
    const run = prepareRunDirectory(
      runDir,
      {
        KAFKA_BROKERS: kafkaBrokers.join(","),
        KAFKA_TOPIC_PREFIX: prefix,
        OTEL_EXPORTER_OTLP_HOST: options.otlpHost ?? "127.0.0.1:4318",
        DAPR_TRACE_SAMPLING_RATE: options.otlpHost ? "1" : "0",
        DIGEST_SCHEDULE: options.digestSchedule ?? "@every 1h",
      },
      {
        "jwt-secret": Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url"),
        "database-url": databaseUrl,
      },
    );
    const schedulerPorts: SchedulerPorts = {
      grpc: await freePort(),
      healthz: await freePort(),
      metrics: await freePort(),
      etcdClient: await freePort(),
      etcdPeer: await freePort(),
    };
    const system = new DaprTestSystem(
      options.label,
      prefix,
      adminUrl,
      databaseName,
      databaseUrl,
      runDir,
      binaries,
      run,
      schedulerPorts,
      options.env ?? {},
      kafkaBrokers,
    );
    await system.kafka.connect();
    await system.kafka.detectNamespace();
    return system;
  }

  private spawn(name: string, cmd: string[], env: Record<string, string>): Subprocess {
    const n = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, n);
    const log = openSync(join(this.runDir, "logs", `${name}-${n}.log`), "a");
    const proc = Bun.spawn(cmd, { cwd: this.runDir, env, stdin: "ignore", stdout: log, stderr: log });
    closeSync(log);
    live.add(proc);
    void proc.exited.then(() => live.delete(proc));
    return proc;
  }

  /** The last lines of the newest log of `name`. */
  logTail(name: string, lines = 40): string {
    const n = this.incarnations.get(name) ?? 1;
    try {
      return readFileSync(join(this.runDir, "logs", `${name}-${n}.log`), "utf8")
        .split("\n")
        .slice(-lines)
        .join("\n");
    } catch {
      return "(no log)";
    }
  }

  /** The ports of `name` (allocated once, kept across restarts). */
  async portsOf(name: DaprServiceName): Promise<ServicePorts> {
    let p = this.ports.get(name);
    if (!p) {
      p = {
        http: await freePort(),
        grpc: await freePort(),
        sidecar: {
          http: await freePort(),
          grpc: await freePort(),
          internalGrpc: await freePort(),
          metrics: await freePort(),
        },
      };
      this.ports.set(name, p);
    }
    return p;
  }

  private base(): Record<string, string> {
    return {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/root",
      ...(process.env.TZ ? { TZ: process.env.TZ } : {}),
    };
  }

  /** Starts the Dapr scheduler and every service with its sidecar; resolves when all are ready. */
  async startAll(): Promise<void> {
    this.schedulerProc = this.spawn(
      "dapr-scheduler",
      schedulerCommand(this.binaries, this.schedulerPorts, this.run.schedulerData),
      this.base(),
    );
    await waitForHttp(`http://127.0.0.1:${this.schedulerPorts.healthz}/healthz`, "the Dapr scheduler");
    for (const s of SERVICES) await this.spawnSidecar(s.name as DaprServiceName);
    await Promise.all(SERVICES.map((s) => this.startApp(s.name as DaprServiceName)));
    await Promise.all(
      SERVICES.map(async (s) => {
        const p = await this.portsOf(s.name as DaprServiceName);
        await waitForHttp(`http://127.0.0.1:${p.sidecar.http}/v1.0/healthz`, `${s.name}'s sidecar`, 90_000);
      }),
    );
  }

  private async spawnSidecar(name: DaprServiceName): Promise<void> {
    if (this.sidecars.has(name)) throw new Error(`${name}'s sidecar is already running`);
    const p = await this.portsOf(name);
    this.sidecars.set(
      name,
      this.spawn(
        `${name}-daprd`,
        sidecarCommand(this.binaries, {
          appId: name,
          appPort: p.grpc,
          ports: p.sidecar,
          resources: this.run.resources,
          config: this.run.config,
          schedulerGrpcPort: this.schedulerPorts.grpc,
          logLevel: "info",
        }),
        { ...this.base(), ...sidecarEnvironment(this.tokens) },
      ),
    );
  }

  /** `kill -9` of `name`'s daprd (its app keeps running); resolves once the process is gone. */
  async killSidecar(name: DaprServiceName): Promise<void> {
    const proc = this.sidecars.get(name);
    if (!proc) throw new Error(`${name}'s sidecar is not running`);
    this.sidecars.delete(name);
    proc.kill("SIGKILL");
    await proc.exited;
  }

  /** Starts `name`'s daprd again on the same ports and waits until it reports healthy. */
  async startSidecar(name: DaprServiceName): Promise<void> {
    await this.spawnSidecar(name);
    const p = await this.portsOf(name);
    await waitForHttp(`http://127.0.0.1:${p.sidecar.http}/v1.0/healthz`, `${name}'s sidecar`, 90_000);
  }

  /**
   * Starts the edge in front of the apps, as `start:dapr` does (on the same port again after
   * `killEdge()`); returns its URL.
   */
  async startEdge(): Promise<string> {
    if (this.edgeProc) throw new Error("the edge is already running");
    this.edgePort ??= await freePort();
    const routes: string[] = [];
    for (const s of SERVICES) {
      const p = await this.portsOf(s.name as DaprServiceName);
      for (const key of [...s.apis, ...s.paths]) routes.push(`${key}=http://127.0.0.1:${p.http}`);
    }
    const n = (this.incarnations.get("edge") ?? 0) + 1;
    this.incarnations.set("edge", n);
    const { proc, url } = await launchEdge(this.edgePort, routes, join(this.runDir, "logs", `edge-${n}.log`));
    this.edgeProc = proc;
    return url;
  }

  /** `kill -9` of the edge; resolves once the process is gone. */
  async killEdge(): Promise<void> {
    const proc = this.edgeProc;
    this.edgeProc = undefined;
    await sigkill(proc);
  }

  /** Starts the app `name` (its sidecar keeps running) and waits until it is SERVING. */
  async startApp(name: DaprServiceName): Promise<void> {
    if (this.apps.has(name)) throw new Error(`${name} is already running`);
    const p = await this.portsOf(name);
    const proc = this.spawn(name, [process.execPath, join(ROOT, `services/${name}/src/main.ts`)], {
      ...this.base(),
      HOST: "127.0.0.1",
      PORT: String(p.http),
      GRPC_PORT: String(p.grpc),
      LOG_LEVEL: "warn",
      KAFKA_TOPIC_PREFIX: this.prefix,
      DATABASE_POOL_SIZE: "4",
      OTEL_SERVICE_NAME: `todo-${name}`,
      ...appEnvironment(p.sidecar, this.tokens),
      ...this.extraEnv,
    });
    this.apps.set(name, proc);
    try {
      await Promise.race([
        waitHealthy(name, p.http, 90_000),
        proc.exited.then((code) => {
          throw new Error(`${name} exited with ${code} while starting:\n${this.logTail(name)}`);
        }),
      ]);
    } catch (err) {
      throw new Error(`${String(err)}\n${this.logTail(name)}`);
    }
  }

  /** Whether the app `name` was started and has not exited (a dead sidecar may take its app down). */
  appRunning(name: DaprServiceName): boolean {
    const proc = this.apps.get(name);
    return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  }

  /** Forgets an app that exited by itself, so that `startApp` may start it again. */
  forgetExitedApp(name: DaprServiceName): void {
    if (!this.appRunning(name)) this.apps.delete(name);
  }

  /** SIGKILLs the app `name` (not its sidecar) and waits until it is gone. */
  async killApp(name: DaprServiceName): Promise<void> {
    const proc = this.apps.get(name);
    if (!proc) throw new Error(`${name} is not running`);
    this.apps.delete(name);
    proc.kill("SIGKILL");
    await proc.exited;
  }

  /** A typed gRPC client of `service` on the app `name`, acting with `token`. */
  client<S extends DescService>(name: DaprServiceName, service: S, token?: string): Client<S> {
    const p = this.ports.get(name);
    if (!p) throw new Error(`${name} has no ports yet`);
    return createClient(
      service,
      createGrpcTransport({
        baseUrl: `http://127.0.0.1:${p.grpc}`,
        interceptors: token ? [bearer(token)] : [],
      }),
    );
  }

  /**
   * The `dapr-api-token` every sidecar of this system requires on its APIs, for a caller that talks
   * to a sidecar's gRPC API itself, as the services do (service invocation with `dapr-app-id`).
   */
  get daprApiToken(): string {
    return this.tokens.dapr;
  }

  /**
   * A typed client of `service` on the app `to`, called the way the services call each other: gRPC
   * to the sidecar of `from` with `dapr-app-id: <to>`, which proxies it to `to`'s sidecar and app.
   */
  clientViaDapr<S extends DescService>(
    from: DaprServiceName,
    to: DaprServiceName,
    service: S,
    token?: string,
  ): Client<S> {
    const p = this.ports.get(from);
    if (!p) throw new Error(`${from} has no ports yet`);
    const headers: Interceptor = (next) => (req) => {
      req.header.set("dapr-app-id", to);
      req.header.set("dapr-api-token", this.tokens.dapr);
      return next(req);
    };
    return createClient(
      service,
      createGrpcTransport({
        baseUrl: `http://127.0.0.1:${p.sidecar.grpc}`,
        interceptors: [headers, ...(token ? [bearer(token)] : [])],
      }),
    );
  }

  /** `fetch` to the HTTP API of `name`'s sidecar, with the API token. */
  async sidecarFetch(name: DaprServiceName, path: string, init: RequestInit = {}): Promise<Response> {
    const p = await this.portsOf(name);
    const headers = new Headers(init.headers);
    headers.set("dapr-api-token", this.tokens.dapr);
    return await fetch(`http://127.0.0.1:${p.sidecar.http}${path}`, { ...init, headers });
  }

  /** Signs a user up (through the identity service) in `timeZone`. */
  async signUp(timeZone = "Europe/Berlin"): Promise<{ userId: string; token: string }> {
    const res = await this.client("identity", AuthService).signUp({
      email: `dapr-${crypto.randomUUID()}@example.test`,
      password: "correct horse battery staple",
      timeZone,
    });
    if (!res.user?.id) throw new Error("SignUp returned no user");
    return { userId: res.user.id, token: res.accessToken };
  }

  /** Stops everything, drops the database, deletes the run directory (unless logs are kept). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const procs = [...this.apps.values(), ...this.sidecars.values()];
    if (this.schedulerProc) procs.push(this.schedulerProc);
    if (this.edgeProc) procs.push(this.edgeProc);
    for (const p of procs) p.kill("SIGTERM");
    await Promise.race([Promise.all(procs.map((p) => p.exited)), Bun.sleep(8000)]);
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
    await this.kafka.close();
    await this.sql.end({ timeout: 5 });
    await dropDatabase(this.adminUrl, this.databaseName);
    if (process.env.INTEGRATION_KEEP_LOGS !== "1") rmSync(this.runDir, { recursive: true, force: true });
    else console.log(`Dapr test logs kept in ${join(this.runDir, "logs")}`);
  }
}
