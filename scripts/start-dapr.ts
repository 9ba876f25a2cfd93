/**
 * `bun run start:dapr`: run mode 3 on one machine — the Dapr scheduler, every service beside its own
 * `daprd` sidecar, and the same edge on `PORT` as `start:services`, all on loopback. Reads
 * `DATABASE_URL` and `KAFKA_BROKERS` (from the environment, or `.infra/env` written by
 * `bun run infra:up`); builds daprd and the scheduler from the Go module proxy on first use
 * (scripts/lib/dapr-binaries.ts, cached).
 *
 * What goes through Dapr: service invocation (the scheduler and the assistant call TaskService and
 * TagService via their sidecar, gRPC proxying), events (Dapr pub/sub on Kafka, declarative
 * subscriptions with dead-letter topics), reminders (Dapr Jobs), the services' JWT key and database
 * URL (the local secret store), the daily digest (a cron input binding) and its bookkeeping (the
 * PostgreSQL state store). docs/dapr.md has the whole picture.
 *
 * Each app serves its metrics on 9101+n, the edge on 9100 (docs/metrics.md); the sidecars keep
 * theirs on 9091+n and the Dapr scheduler on 9190.
 *
 * Settings: `PORT` (edge, default 8080), `DAPR_PORT_OFFSET` (shifts every port, default 0),
 * `DAPR_RUN_DIR` (default `.infra/dapr`), `JWT_SECRET` (default: a fresh one per run),
 * `KAFKA_TOPIC_PREFIX`, `DIGEST_SCHEDULE` (default `@every 15m`), `DIGEST_HOUR`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (the sidecars then sample every request). Stops everything on
 * SIGINT/SIGTERM, and everything when one process dies. Logs go to `<run dir>/logs/`.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureDaprBinaries } from "./lib/dapr-binaries.ts";
import {
  appEnvironment,
  ensureTopics,
  prepareRunDirectory,
  schedulerCommand,
  sidecarCommand,
  sidecarEnvironment,
  waitForHttp,
} from "./lib/dapr-run.ts";
import {
  daprSchedulerPorts,
  edgeMetricsPort as edgeMetricsPortAt,
  servicePorts,
  sidecarPorts,
} from "./lib/run-ports.ts";
import { infraEnvironment, SERVICES, waitHealthy } from "./lib/services.ts";

const root = join(import.meta.dir, "..");
const fromFile = infraEnvironment();
const DATABASE_URL = process.env.DATABASE_URL || fromFile.DATABASE_URL;
const KAFKA_BROKERS = process.env.KAFKA_BROKERS || fromFile.KAFKA_BROKERS;
if (!DATABASE_URL || !KAFKA_BROKERS) {
  console.error("start:dapr needs DATABASE_URL and KAFKA_BROKERS: run `bun run infra:up` first");
  process.exit(2);
}
const offset = Number(process.env.DAPR_PORT_OFFSET ?? 0);
const edgePort = Number(process.env.PORT ?? 8080);
const runDir = process.env.DAPR_RUN_DIR || join(root, ".infra", "dapr");
const logDir = join(runDir, "logs");
mkdirSync(logDir, { recursive: true });
const random = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
const tokens = { app: random(), dapr: random() };
const otlp = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();

const binaries = await ensureDaprBinaries((m) => console.error(m));
await ensureTopics(
  KAFKA_BROKERS.split(",").map((b) => b.trim()),
  process.env.KAFKA_TOPIC_PREFIX ?? "",
  Number(process.env.KAFKA_PARTITIONS ?? 3),
);
const run = prepareRunDirectory(
  runDir,
  {
    KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: process.env.KAFKA_TOPIC_PREFIX ?? "",
    OTEL_EXPORTER_OTLP_HOST: otlp ? new URL(otlp).host : "127.0.0.1:4318",
    DAPR_TRACE_SAMPLING_RATE: otlp ? "1" : "0",
    DIGEST_SCHEDULE: process.env.DIGEST_SCHEDULE || "@every 15m",
  },
  { "jwt-secret": process.env.JWT_SECRET || random(), "database-url": DATABASE_URL },
);

/** The ports of the scheduler, and of service `i`, its sidecar and app. */
const schedulerPorts = daprSchedulerPorts(offset);
const ports = (i: number) => {
  const app = servicePorts(i, offset);
  return { appHttp: app.http, appGrpc: app.grpc, appMetrics: app.metrics, sidecar: sidecarPorts(i, offset) };
};

const edgeMetricsPort = edgeMetricsPortAt(offset);

const children: { name: string; proc: Subprocess }[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  for (const { proc } of [...children].reverse()) proc.kill("SIGTERM");
  await Promise.race([Promise.all(children.map((c) => c.proc.exited)), Bun.sleep(10_000)]);
  for (const { proc } of children) proc.kill("SIGKILL");
  process.exit(code);
}

/** Starts a process whose output goes to `<run dir>/logs/<name>.log`; its death stops the run. */
function spawn(name: string, cmd: string[], env: Record<string, string>): Subprocess {
  const log = openSync(join(logDir, `${name}.log`), "a");
  const proc = Bun.spawn(cmd, { cwd: runDir, env, stdin: "ignore", stdout: log, stderr: log });
  closeSync(log);
  children.push({ name, proc });
  proc.exited.then((code) => {
    if (!stopping) {
      console.error(`${name} exited with ${code} (see ${join(logDir, `${name}.log`)}); stopping the others`);
      void stopAll(1);
    }
  });
  return proc;
}

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
try {
  spawn("dapr-scheduler", schedulerCommand(binaries, schedulerPorts, run.schedulerData), base);
  await waitForHttp(`http://127.0.0.1:${schedulerPorts.healthz}/healthz`, "the Dapr scheduler");
  for (const [i, s] of SERVICES.entries()) {
    const p = ports(i);
    spawn(
      `${s.name}-daprd`,
      sidecarCommand(binaries, {
        appId: s.name,
        appPort: p.appGrpc,
        ports: p.sidecar,
        resources: run.resources,
        config: run.config,
        schedulerGrpcPort: schedulerPorts.grpc,
      }),
      { ...base, ...sidecarEnvironment(tokens) },
    );
    spawn(s.name, [process.execPath, join(root, `services/${s.name}/src/main.ts`)], {
      ...(process.env as Record<string, string>),
      DATABASE_URL: "",
      JWT_SECRET: "",
      KAFKA_BROKERS: "",
      HOST: "127.0.0.1",
      PORT: String(p.appHttp),
      GRPC_PORT: String(p.appGrpc),
      METRICS_PORT: String(p.appMetrics),
      OTEL_SERVICE_NAME: `todo-${s.name}`,
      // The edge in front appends the client's address to X-Forwarded-For (docs/identity.md).
      TRUSTED_PROXY_HOPS: "1",
      ...appEnvironment(p.sidecar, tokens),
    });
  }
  await Promise.all(SERVICES.map((s, i) => waitHealthy(s.name, ports(i).appHttp)));
  await Promise.all(
    SERVICES.map((s, i) =>
      waitForHttp(`http://127.0.0.1:${ports(i).sidecar.http}/v1.0/healthz`, `${s.name}'s sidecar`),
    ),
  );
  const routes = SERVICES.flatMap((s, i) =>
    [...s.apis, ...s.paths].map((key) => `${key}=http://127.0.0.1:${ports(i).appHttp}`),
  );
  spawn("edge", [process.execPath, join(root, "services/edge/src/main.ts")], {
    ...(process.env as Record<string, string>),
    OTEL_SERVICE_NAME: "todo-edge",
    PORT: String(edgePort),
    HOST: "127.0.0.1",
    METRICS_PORT: String(edgeMetricsPort),
    EDGE_ROUTES: routes.join(","),
  });
  await waitForHttp(`http://127.0.0.1:${edgePort}/`, "the edge", 30_000);
} catch (err) {
  console.error(String(err instanceof Error ? err.message : err));
  await stopAll(1);
}

console.log(`Todo runs under Dapr ${binaries.version}; the edge is at http://127.0.0.1:${edgePort}`);
console.log(`  dapr scheduler  127.0.0.1:${schedulerPorts.grpc}   logs: ${logDir}`);
for (const [i, s] of SERVICES.entries()) {
  const p = ports(i);
  console.log(
    `  ${s.name.padEnd(13)} app h2c :${p.appGrpc} http :${p.appHttp} metrics :${p.appMetrics}   ` +
      `sidecar http :${p.sidecar.http} grpc :${p.sidecar.grpc} metrics :${p.sidecar.metrics}`,
  );
}
console.log(`  ${"edge".padEnd(13)} metrics :${edgeMetricsPort}   (every metrics port serves /metrics)`);
