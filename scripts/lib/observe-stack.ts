/**
 * What `bun run observe` puts beside a local run of Todo (docs/observability.md): a real
 * Prometheus scraping every process of the run mode, with Todo's recording and alerting rules and
 * a local Alertmanager to alert to; Jaeger (in-memory) for traces; and the OpenTelemetry collector
 * of `observability/otel-collector/config.yaml` between the services and Jaeger. All on loopback,
 * on fixed, documented ports ({@link OBSERVE_PORTS}) moved together by an offset, so a second copy
 * can run beside the first.
 *
 * The servers are `observability-servers.ts`'s (binaries from `bun run obs:tools`); the run mode's
 * ports are `run-ports.ts`'s, the same the start scripts listen on, and the run mode itself is
 * started by its own script ({@link runModeCommand}) with {@link runModeEnvironment}.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { alertsFile, recordingFile } from "../../observability/prometheus/rule-files.ts";
import {
  type RunningAlertmanager,
  type RunningCollector,
  type RunningJaeger,
  type RunningPrometheus,
  startAlertmanager,
  startCollector,
  startJaeger,
  startPrometheus,
} from "./observability-servers.ts";
import { ensureObservabilityTools, type ObservabilityTools } from "./observability-tools.ts";
import {
  DEFAULT_EDGE_PORT,
  daprRunPorts,
  daprSchedulerPorts,
  EMBEDDED_PORTS,
  edgeMetricsPort,
  servicePorts,
  servicesRunPorts,
  sidecarPorts,
} from "./run-ports.ts";
import { SERVICES } from "./services.ts";
import type { Log } from "./tool-cache.ts";

const root = join(import.meta.dir, "..", "..");

/** The run modes `observe` knows: `start:services`, `start:dapr`, `bun start`. */
export const RUN_MODES = ["services", "dapr", "embedded"] as const;
/** One of {@link RUN_MODES}. */
export type RunMode = (typeof RUN_MODES)[number];

/** The ports of the observability servers. */
export interface ObservePorts {
  readonly prometheus: number;
  readonly alertmanager: number;
  /** Jaeger's query API (and UI, when it has one). */
  readonly jaegerQuery: number;
  readonly jaegerQueryGrpc: number;
  /** Jaeger's own OTLP receivers: the collector sends it traces over gRPC. */
  readonly jaegerOtlpGrpc: number;
  readonly jaegerOtlpHttp: number;
  readonly jaegerHealth: number;
  /** The collector's OTLP receivers: where the services and sidecars send. */
  readonly collectorOtlpGrpc: number;
  readonly collectorOtlpHttp: number;
  readonly collectorHealth: number;
}

/**
 * The default ports: the conventional ones where they are free of the run modes' own (Prometheus
 * 9090, Jaeger 16686/16685, OTLP 4317/4318, the collector's health check 13133, and Jaeger's OTLP
 * on 14317/14318, where config.yaml sends traces by default); Alertmanager's 9093 is the tag
 * sidecar's metrics port under `start:dapr`, so it is 9193 here.
 */
export const OBSERVE_PORTS: ObservePorts = {
  prometheus: 9090,
  alertmanager: 9193,
  jaegerQuery: 16686,
  jaegerQueryGrpc: 16685,
  jaegerOtlpGrpc: 14317,
  jaegerOtlpHttp: 14318,
  jaegerHealth: 14269,
  collectorOtlpGrpc: 4317,
  collectorOtlpHttp: 4318,
  collectorHealth: 13133,
};

/**
 * An offset with which a second copy (observability servers and run mode) collides with none of
 * the first copy's ports, in any run mode; twice it for a third.
 */
export const SECOND_COPY_OFFSET = 20;

/** {@link OBSERVE_PORTS}, each moved by `offset`. */
export function observePorts(offset = 0): ObservePorts {
  return Object.fromEntries(
    Object.entries(OBSERVE_PORTS).map(([name, port]) => [name, port + offset]),
  ) as unknown as ObservePorts;
}

/** One Prometheus scrape job of a run mode: one process's `/metrics`. */
export interface ScrapeTarget {
  /** The job name: `todo-<service>`, `todo-edge`, `todo` (`bun start`), `dapr-<app>`, `dapr-scheduler`. */
  readonly job: string;
  readonly port: number;
}

/** Every process of the run mode that serves metrics, named as docs/metrics.md asks. */
export function scrapeTargets(mode: RunMode, offset = 0): ScrapeTarget[] {
  if (mode === "embedded") return [{ job: "todo", port: EMBEDDED_PORTS.metrics + offset }];
  const services = [
    ...SERVICES.map((s, i) => ({ job: `todo-${s.name}`, port: servicePorts(i, offset).metrics })),
    { job: "todo-edge", port: edgeMetricsPort(offset) },
  ];
  if (mode === "services") return services;
  return [
    ...services,
    ...SERVICES.map((s, i) => ({ job: `dapr-${s.name}`, port: sidecarPorts(i, offset).metrics })),
    { job: "dapr-scheduler", port: daprSchedulerPorts(offset).metrics },
  ];
}

/** Every port the run mode itself listens on (with `observe`'s choice of the edge's `PORT`). */
export function runModePorts(mode: RunMode, offset = 0): number[] {
  if (mode === "embedded") return Object.values(EMBEDDED_PORTS).map((p) => p + offset);
  return mode === "services" ? servicesRunPorts(offset) : daprRunPorts(offset);
}

/** Milliseconds of a Prometheus duration such as `500ms`, `5s`, `1m`. */
function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`not a duration (like 5s or 500ms): ${JSON.stringify(text)}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as "ms" | "s" | "m"];
}

/**
 * prometheus.yml for a run mode: one static job per process, the scrape and evaluation interval,
 * and the Alertmanager on `alertmanagerPort`.
 */
export function prometheusConfig(
  mode: RunMode,
  offset: number,
  opts: { readonly interval: string; readonly alertmanagerPort: number },
): Record<string, unknown> {
  const timeout = durationMs(opts.interval) < 10_000 ? opts.interval : "10s";
  return {
    global: { scrape_interval: opts.interval, scrape_timeout: timeout, evaluation_interval: opts.interval },
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${opts.alertmanagerPort}`] }] }] },
    scrape_configs: scrapeTargets(mode, offset).map((t) => ({
      job_name: t.job,
      static_configs: [{ targets: [`127.0.0.1:${t.port}`] }],
    })),
  };
}

/** The repository's Alertmanager configuration. */
export const alertmanagerFile: string = join(root, "observability", "alertmanager", "alertmanager.yaml");

/**
 * The repository's Alertmanager configuration as a laptop can run it: its routes (grouping,
 * timings) and inhibitions exactly as written, its receivers kept by name but with no e-mail,
 * Slack or Discord integration (those need secrets and the internet), so alerts are grouped,
 * inhibited and shown in Alertmanager's UI and API, and sent nowhere.
 */
export function localAlertmanagerConfig(file: string = alertmanagerFile): Record<string, unknown> {
  const parsed = Bun.YAML.parse(readFileSync(file, "utf8")) as {
    route?: unknown;
    inhibit_rules?: unknown;
    receivers?: { name: string }[];
  };
  if (!parsed?.route || !Array.isArray(parsed.receivers))
    throw new Error(`${file} has no route or receivers`);
  return {
    route: parsed.route,
    inhibit_rules: parsed.inhibit_rules ?? [],
    receivers: parsed.receivers.map((r) => ({ name: r.name })),
  };
}

/**
 * The environment a run of `mode` needs to be observed: traces over OTLP/HTTP to the collector;
 * metrics only scraped (`OTEL_METRICS_EXPORTER=none`: pushing them too would store every series
 * twice, under the same job, through the collector's remote write); the ports at the offset
 * (`SERVICES_PORT_OFFSET` / `DAPR_PORT_OFFSET` / the embedded server's own, and the edge's `PORT`).
 */
export function runModeEnvironment(mode: RunMode, offset = 0): Record<string, string> {
  const ports = observePorts(offset);
  const common = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.collectorOtlpHttp}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_TRACES_EXPORTER: "otlp",
    OTEL_METRICS_EXPORTER: "none",
    OTEL_LOGS_EXPORTER: "none",
  };
  if (mode === "embedded")
    return {
      ...common,
      PORT: String(EMBEDDED_PORTS.http + offset),
      GRPC_PORT: String(EMBEDDED_PORTS.grpc + offset),
      METRICS_PORT: String(EMBEDDED_PORTS.metrics + offset),
    };
  const edge = { PORT: String(DEFAULT_EDGE_PORT + offset) };
  return mode === "services"
    ? { ...common, ...edge, SERVICES_PORT_OFFSET: String(offset) }
    : { ...common, ...edge, DAPR_PORT_OFFSET: String(offset) };
}

/** The script that starts `mode` (run with `bun`), and its `bun run` name. */
export function runModeCommand(mode: RunMode): { script: string; name: string } {
  const scripts: Record<RunMode, { script: string; name: string }> = {
    services: { script: join(root, "scripts", "start-services.ts"), name: "start:services" },
    dapr: { script: join(root, "scripts", "start-dapr.ts"), name: "start:dapr" },
    embedded: { script: join(root, "scripts", "start.ts"), name: "start" },
  };
  return scripts[mode];
}

/** The ports of `ports` something already listens on (on loopback). */
export async function portsInUse(ports: readonly number[]): Promise<number[]> {
  const busy = await Promise.all(
    ports.map(
      (port) =>
        new Promise<boolean>((resolve) => {
          const server = createServer();
          server.once("error", () => resolve(true));
          server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
        }),
    ),
  );
  return ports.filter((_, i) => busy[i]);
}

/** Options of {@link startObserveStack}. */
export interface ObserveOptions {
  readonly mode: RunMode;
  /** Added to every port, the run mode's too (default 0). */
  readonly offset?: number;
  readonly tools?: ObservabilityTools;
  /** Prometheus's scrape and rule evaluation interval (default `5s`). */
  readonly interval?: string;
  /** The alerting rules file (default alerts.yaml; a test passes a `writeAlertRulesWith` copy). */
  readonly alertRules?: string;
  /** A built Jaeger UI to serve on the query port (`JaegerOptions.uiAssets`). */
  readonly jaegerUi?: string;
  readonly log?: Log;
}

/** Where to look. */
export interface ObserveUrls {
  readonly prometheus: string;
  readonly alerts: string;
  readonly targets: string;
  readonly alertmanager: string;
  /** Jaeger's query API (`/api/traces`, `/api/services`). */
  readonly jaegerApi: string;
  /** Jaeger's UI, when `jaegerUi` gave one. */
  readonly jaegerUi: string | undefined;
  /** The collector's OTLP/HTTP receiver (`OTEL_EXPORTER_OTLP_ENDPOINT`). */
  readonly otlpHttp: string;
  readonly otlpGrpc: string;
}

/** The running servers. */
export interface ObserveStack {
  readonly mode: RunMode;
  readonly offset: number;
  readonly ports: ObservePorts;
  readonly targets: readonly ScrapeTarget[];
  readonly prometheus: RunningPrometheus;
  readonly alertmanager: RunningAlertmanager;
  readonly jaeger: RunningJaeger;
  readonly collector: RunningCollector;
  readonly urls: ObserveUrls;
  /** {@link runModeEnvironment} for this stack. */
  readonly env: Readonly<Record<string, string>>;
  /** Resolves once Prometheus has scraped every target successfully; throws after `timeoutMs`. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  /** Stops every server (the collector first, so it hands on what it holds). */
  stop(): Promise<void>;
}

/**
 * Starts Alertmanager, Jaeger, Prometheus and the collector on {@link observePorts}. Throws, naming
 * them, when any of those ports is taken, and stops whatever it started when one server fails.
 */
export async function startObserveStack(opts: ObserveOptions): Promise<ObserveStack> {
  const offset = opts.offset ?? 0;
  const ports = observePorts(offset);
  const busy = await portsInUse(Object.values(ports));
  if (busy.length > 0)
    throw new Error(
      `ports ${busy.join(", ")} are in use: another observe running? Give this one an offset ` +
        `(--offset ${offset + SECOND_COPY_OFFSET})`,
    );
  const tools = opts.tools ?? (await ensureObservabilityTools(opts.log));
  const base = { tools, log: opts.log };
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(server: T): T => {
    started.push(server);
    return server;
  };
  const stop = async () => {
    for (const server of started.reverse()) await server.stop().catch(() => {});
  };
  try {
    // Both at once; settled, so that one failing still leaves the other tracked and stopped.
    const [am, jg] = await Promise.allSettled([
      startAlertmanager({ ...base, config: localAlertmanagerConfig(), port: ports.alertmanager }).then(track),
      startJaeger({
        ...base,
        uiAssets: opts.jaegerUi,
        ports: {
          grpc: ports.jaegerOtlpGrpc,
          http: ports.jaegerOtlpHttp,
          query: ports.jaegerQuery,
          queryGrpc: ports.jaegerQueryGrpc,
          health: ports.jaegerHealth,
        },
      }).then(track),
    ]);
    if (am.status === "rejected") throw am.reason;
    if (jg.status === "rejected") throw jg.reason;
    const [alertmanager, jaeger] = [am.value, jg.value];
    const prometheus = track(
      await startPrometheus({
        ...base,
        port: ports.prometheus,
        config: prometheusConfig(opts.mode, offset, {
          interval: opts.interval ?? "5s",
          alertmanagerPort: ports.alertmanager,
        }),
        rules: [recordingFile, opts.alertRules ?? alertsFile],
      }),
    );
    const collector = track(
      await startCollector({
        ...base,
        configFiles: [join(root, "observability", "otel-collector", "config.yaml")],
        ports: {
          grpc: ports.collectorOtlpGrpc,
          http: ports.collectorOtlpHttp,
          health: ports.collectorHealth,
        },
        env: {
          TRACES_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
          PROMETHEUS_REMOTE_WRITE_URL: `${prometheus.url}/api/v1/write`,
          TODO_ENVIRONMENT: "local",
        },
      }),
    );
    const targets = scrapeTargets(opts.mode, offset);
    return {
      mode: opts.mode,
      offset,
      ports,
      targets,
      prometheus,
      alertmanager,
      jaeger,
      collector,
      urls: {
        prometheus: prometheus.url,
        // Debian's Prometheus 2.42 serves its classic UI under /classic (its React UI is not packaged).
        alerts: `${prometheus.url}/classic/alerts`,
        targets: `${prometheus.url}/classic/targets`,
        alertmanager: alertmanager.url,
        jaegerApi: `${jaeger.queryUrl}/api/traces`,
        jaegerUi: opts.jaegerUi ? `${jaeger.queryUrl}/search` : undefined,
        otlpHttp: collector.otlpHttpUrl,
        otlpGrpc: collector.otlpGrpcEndpoint,
      },
      env: runModeEnvironment(opts.mode, offset),
      async waitForTargetsUp(timeoutMs = 120_000) {
        const deadline = Date.now() + timeoutMs;
        let up = 0;
        while (Date.now() < deadline) {
          up = (await prometheus.query("up == 1").catch(() => [])).length;
          if (up >= targets.length) return;
          await Bun.sleep(500);
        }
        throw new Error(`only ${up} of ${targets.length} scrape targets up after ${timeoutMs} ms`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
