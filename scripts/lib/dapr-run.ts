/**
 * The pieces of a local Dapr run (run mode 3 on one machine), shared by `bun run start:dapr` and the
 * Dapr integration tests: the run directory with the resources and secrets, and the command lines
 * of the Dapr scheduler and of one `daprd` sidecar beside one service, all on loopback.
 *
 * Run directory layout (`prepareRunDirectory`):
 *   resources/     the chart's shared Dapr files (deploy/helm/todo/files/dapr) and dapr/local/*.yaml,
 *                  with their `${NAME}` values filled in
 *   config.yaml    the sidecars' Configuration (tracing, name resolution), from dapr/local
 *   secrets.json   what the local secret store serves (mode 0600)
 *   scheduler/     the Dapr scheduler's embedded etcd (jobs survive restarts of the run)
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deadLetterTopic, Topics } from "@todo/platform/events";
import { Kafka, logLevel } from "kafkajs";
import type { DaprBinaries } from "./dapr-binaries.ts";

const root = join(import.meta.dir, "..", "..");
const CONFIGURATION = "configuration.yaml";
/**
 * Where the resources come from: the ones the Helm chart deploys as they are (resiliency,
 * subscriptions: one file for both, so the local run and the cluster cannot differ), then the local
 * run's own (components on loopback Kafka and PostgreSQL, the file secret store, the configuration).
 */
export const RESOURCE_DIRS = ["deploy/helm/todo/files/dapr", "dapr/local"] as const;

/** The values the local resources ask for with `${NAME}`. */
export interface RunValues {
  readonly KAFKA_BROKERS: string;
  /** Prepended to Kafka topics and consumer groups (isolation of test runs); may be empty. */
  readonly KAFKA_TOPIC_PREFIX: string;
  /** `host:port` of an OTLP/HTTP receiver for the sidecars' spans. */
  readonly OTEL_EXPORTER_OTLP_HOST: string;
  /** "0" turns the sidecars' tracing off, "1" samples everything. */
  readonly DAPR_TRACE_SAMPLING_RATE: string;
  /** The cron schedule of the daily-digest binding (`@every 15m`). */
  readonly DIGEST_SCHEDULE: string;
}

/** Fills `${NAME}` in `text`; a name with no value is an error, not an empty string. */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>, file: string): string {
  return text.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${file}: no value for \${${name}}`);
    return value;
  });
}

/**
 * Writes the run directory: resources, configuration and secrets. The scheduler's data is kept;
 * everything else is written afresh.
 */
export function prepareRunDirectory(
  runDir: string,
  values: RunValues,
  secrets: Readonly<Record<string, string>>,
): { resources: string; config: string; schedulerData: string } {
  const resources = join(runDir, "resources");
  rmSync(resources, { recursive: true, force: true });
  mkdirSync(resources, { recursive: true });
  const all = { ...values, RUN_DIR: runDir };
  let config = "";
  for (const dir of RESOURCE_DIRS) {
    const from = join(root, dir);
    for (const name of readdirSync(from)
      .filter((n) => n.endsWith(".yaml"))
      .sort()) {
      const text = fillTemplate(readFileSync(join(from, name), "utf8"), all, `${dir}/${name}`);
      if (name === CONFIGURATION) {
        config = join(runDir, "config.yaml");
        writeFileSync(config, text);
      } else {
        writeFileSync(join(resources, name), text);
      }
    }
  }
  if (!config) throw new Error(`dapr/local/${CONFIGURATION} is missing`);
  const secretsFile = join(runDir, "secrets.json");
  writeFileSync(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(secretsFile, 0o600);
  const schedulerData = join(runDir, "scheduler");
  mkdirSync(schedulerData, { recursive: true });
  rmSync(join(runDir, "name-resolution.db"), { force: true });
  return { resources, config, schedulerData };
}

/** The Dapr scheduler's ports. */
export interface SchedulerPorts {
  readonly grpc: number;
  readonly healthz: number;
  readonly metrics: number;
  readonly etcdClient: number;
  readonly etcdPeer: number;
}

/** The command line of the Dapr scheduler (standalone, embedded etcd in `dataDir`). */
export function schedulerCommand(binaries: DaprBinaries, ports: SchedulerPorts, dataDir: string): string[] {
  return [
    binaries.scheduler,
    "--mode=standalone",
    "--listen-address=127.0.0.1",
    `--port=${ports.grpc}`,
    "--healthz-listen-address=127.0.0.1",
    `--healthz-port=${ports.healthz}`,
    "--metrics-listen-address=127.0.0.1",
    `--metrics-port=${ports.metrics}`,
    "--etcd-embed=true",
    `--etcd-data-dir=${dataDir}`,
    "--etcd-client-listen-address=127.0.0.1",
    `--etcd-client-port=${ports.etcdClient}`,
    `--etcd-initial-cluster=dapr-scheduler-server-0=http://127.0.0.1:${ports.etcdPeer}`,
    `--override-broadcast-host-port=127.0.0.1:${ports.grpc}`,
    "--log-level=warn",
  ];
}

/** A sidecar's ports. */
export interface SidecarPorts {
  readonly http: number;
  readonly grpc: number;
  readonly internalGrpc: number;
  readonly metrics: number;
}

/** What one sidecar serves. */
export interface SidecarSpec {
  readonly appId: string;
  /** The app's h2c port (gRPC): invocation is proxied to it and callbacks arrive on it. */
  readonly appPort: number;
  readonly ports: SidecarPorts;
  readonly resources: string;
  readonly config: string;
  readonly schedulerGrpcPort: number;
  readonly logLevel?: string;
}

/** The command line of one `daprd` beside its app. */
export function sidecarCommand(binaries: DaprBinaries, spec: SidecarSpec): string[] {
  return [
    binaries.daprd,
    "--mode=standalone",
    `--app-id=${spec.appId}`,
    `--app-port=${spec.appPort}`,
    "--app-protocol=grpc",
    // While the app is down (crashed, restarting) the sidecar stops delivering events instead of
    // spending their retries, and resumes when the app answers its health check again.
    "--enable-app-health-check",
    "--app-health-probe-interval=1",
    "--app-health-threshold=2",
    "--app-channel-address=127.0.0.1",
    "--dapr-listen-addresses=127.0.0.1",
    `--dapr-http-port=${spec.ports.http}`,
    `--dapr-grpc-port=${spec.ports.grpc}`,
    `--dapr-internal-grpc-port=${spec.ports.internalGrpc}`,
    "--metrics-listen-address=127.0.0.1",
    `--metrics-port=${spec.ports.metrics}`,
    `--resources-path=${spec.resources}`,
    `--config=${spec.config}`,
    `--scheduler-host-address=127.0.0.1:${spec.schedulerGrpcPort}`,
    "--placement-host-address=",
    `--log-level=${spec.logLevel ?? "warn"}`,
  ];
}

/** The environment a service needs to find its sidecar (what `dapr run` would set). */
export function appEnvironment(
  ports: SidecarPorts,
  tokens: { app: string; dapr: string },
): Record<string, string> {
  return {
    DAPR_HTTP_PORT: String(ports.http),
    DAPR_GRPC_PORT: String(ports.grpc),
    APP_API_TOKEN: tokens.app,
    DAPR_API_TOKEN: tokens.dapr,
    DAPR_SECRET_STORE: "secretstore",
  };
}

/** The environment of a sidecar: the tokens it enforces (`DAPR_API_TOKEN`) and sends (`APP_API_TOKEN`). */
export function sidecarEnvironment(tokens: { app: string; dapr: string }): Record<string, string> {
  return { APP_API_TOKEN: tokens.app, DAPR_API_TOKEN: tokens.dapr };
}

/** Polls `url` until it answers 2xx, or throws after `timeoutMs`. */
export async function waitForHttp(url: string, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await Bun.sleep(200);
  }
  throw new Error(`${what} was not ready at ${url} after ${timeoutMs} ms (${last})`);
}

/**
 * Creates the system's topics and their dead-letter twins (with `prefix`) when missing. The direct
 * Kafka adapter creates them itself; Dapr's Kafka component does not, and a broker should not
 * auto-create them (a typo would make a topic), so a Dapr run provisions them first — on Kubernetes
 * the Strimzi KafkaTopic resources in deploy/ do.
 */
export async function ensureTopics(
  brokers: readonly string[],
  prefix: string,
  partitions = 3,
): Promise<string[]> {
  const names = Object.values(Topics).flatMap((t) => [prefix + t, deadLetterTopic(prefix + t)]);
  const admin = new Kafka({
    clientId: "todo-dapr-run",
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
