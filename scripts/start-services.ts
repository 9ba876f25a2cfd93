/**
 * `bun run start:services`: every service as its own process against PostgreSQL and Kafka, plus the
 * edge on `PORT`, all on loopback. Reads `DATABASE_URL` and `KAFKA_BROKERS` (from the environment, or
 * from `.infra/env` written by `bun run infra:up`). One JWT key is generated for the run unless
 * `JWT_SECRET` is set. Stops everything on SIGINT/SIGTERM, and stops everything if one process dies.
 *
 * Each service listens on HTTP/1.1 port 8101+n and h2c port 50101+n and serves its metrics on
 * 9101+n (n = its index below), the edge its own on 9100; `SERVICES_PORT_OFFSET` shifts them all.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";
import { edgeMetricsPort as edgeMetricsPortAt, servicePorts } from "./lib/run-ports.ts";
import { infraEnvironment, SERVICES, waitHealthy } from "./lib/services.ts";

const root = join(import.meta.dir, "..");

const fromFile = infraEnvironment();
const DATABASE_URL = process.env.DATABASE_URL || fromFile.DATABASE_URL;
const KAFKA_BROKERS = process.env.KAFKA_BROKERS || fromFile.KAFKA_BROKERS;
if (!DATABASE_URL || !KAFKA_BROKERS) {
  console.error("start:services needs DATABASE_URL and KAFKA_BROKERS: run `bun run infra:up` first");
  process.exit(2);
}
const offset = Number(process.env.SERVICES_PORT_OFFSET ?? 0);
const httpPort = (i: number) => servicePorts(i, offset).http;
const grpcPort = (i: number) => servicePorts(i, offset).grpc;
/** Prometheus endpoints (docs/metrics.md): the edge on 9100, service n on 9101+n. */
const metricsPort = (i: number) => servicePorts(i, offset).metrics;
const edgeMetricsPort = edgeMetricsPortAt(offset);
const JWT_SECRET =
  process.env.JWT_SECRET || Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url");
const byName = Object.fromEntries(SERVICES.map((s, i) => [s.name, i]));
const common: Record<string, string> = {
  ...(process.env as Record<string, string>),
  DATABASE_URL,
  KAFKA_BROKERS,
  JWT_SECRET,
  HOST: "127.0.0.1",
  TASK_SERVICE_URL: `http://127.0.0.1:${grpcPort(byName.task as number)}`,
  TAG_SERVICE_URL: `http://127.0.0.1:${grpcPort(byName.tag as number)}`,
  // Every service checks tokens' sessions with identity (docs/identity.md).
  IDENTITY_SERVICE_URL: `http://127.0.0.1:${grpcPort(byName.identity as number)}`,
  // The edge appends the client's address to X-Forwarded-For: identity's per-address limits read it.
  TRUSTED_PROXY_HOPS: "1",
};

const children: { name: string; proc: Subprocess }[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  for (const { proc } of children.reverse()) proc.kill("SIGTERM");
  await Promise.race([Promise.all(children.map((c) => c.proc.exited)), Bun.sleep(10_000)]);
  for (const { proc } of children) proc.kill("SIGKILL");
  process.exit(code);
}

function spawn(name: string, entry: string, env: Record<string, string>): Subprocess {
  const proc = Bun.spawn(["bun", entry], { cwd: root, env, stdout: "inherit", stderr: "inherit" });
  children.push({ name, proc });
  proc.exited.then((code) => {
    if (!stopping) {
      console.error(`${name} exited with ${code}; stopping the others`);
      void stopAll(1);
    }
  });
  return proc;
}

async function waitServing(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await Bun.sleep(100);
  }
  throw new Error(`nothing answers at ${url}`);
}

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

for (const [i, s] of SERVICES.entries()) {
  spawn(s.name, `services/${s.name}/src/main.ts`, {
    ...common,
    PORT: String(httpPort(i)),
    GRPC_PORT: String(grpcPort(i)),
    METRICS_PORT: String(metricsPort(i)),
    OTEL_SERVICE_NAME: `todo-${s.name}`,
  });
}
try {
  await Promise.all(SERVICES.map((s, i) => waitHealthy(s.name, httpPort(i))));
} catch (err) {
  console.error(String(err));
  await stopAll(1);
}
const routes = SERVICES.flatMap((s, i) =>
  [...s.apis, ...s.paths].map((key) => `${key}=http://127.0.0.1:${httpPort(i)}`),
);
spawn("edge", "services/edge/src/main.ts", {
  ...common,
  OTEL_SERVICE_NAME: "todo-edge",
  PORT: process.env.PORT ?? "8080",
  METRICS_PORT: String(edgeMetricsPort),
  EDGE_ROUTES: routes.join(","),
});
await waitServing(`http://127.0.0.1:${process.env.PORT ?? 8080}/`).catch(async (err) => {
  console.error(String(err));
  await stopAll(1);
});
console.log(`Todo services are running; the edge is at http://127.0.0.1:${process.env.PORT ?? 8080}`);
for (const [i, s] of SERVICES.entries()) {
  console.log(
    `  ${s.name.padEnd(12)} http://127.0.0.1:${httpPort(i)} (HTTP/1.1)  http://127.0.0.1:${grpcPort(i)} (h2c)  ` +
      `metrics http://127.0.0.1:${metricsPort(i)}/metrics`,
  );
}
console.log(`  ${"edge".padEnd(12)} metrics http://127.0.0.1:${edgeMetricsPort}/metrics`);
