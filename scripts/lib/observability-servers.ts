/**
 * Real Prometheus, Jaeger, Alertmanager and OpenTelemetry collector servers on loopback, for tests and for a developer who
 * wants to look at a live system, from the binaries of `observability-tools.ts` (a cache hit after
 * `bun run obs:tools`; a miss builds first, for minutes).
 *
 * Each server gets free loopback ports (or the fixed ones its options name: `bun run observe` uses
 * well-known ones) and a fresh directory for its configuration, data and log
 * (`todo-<server>-XXXXXX` under the temp directory, deleted by `stop()`, or on the next start if
 * its owner was killed). Starting and stopping is `server-process.ts`: a start throws, with the
 * tail of the server's log, when the binary is missing (never a skip), the process exits, or it is
 * not ready in time, and leaves nothing running then.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../tests/e2e/lib/server.ts";
import { ensureObservabilityTools, type ObservabilityTools } from "./observability-tools.ts";
import { ownedTempDir } from "./proc.ts";
import { httpReady, type LaunchSpec, launchServer } from "./server-process.ts";
import type { Log } from "./tool-cache.ts";

/** Options every start function takes. */
export interface ServerOptions {
  /** The tools (default: `ensureObservabilityTools()`). */
  readonly tools?: ObservabilityTools;
  /** How long to wait until the server is ready (default 60 s). */
  readonly readyTimeoutMs?: number;
  readonly log?: Log;
}

/** A configuration: YAML text, or an object (written as JSON, which YAML reads as is). */
export type ServerConfig = string | Readonly<Record<string, unknown>>;

const configText = (config: ServerConfig) =>
  typeof config === "string" ? config : `${JSON.stringify(config, null, 2)}\n`;

/** The tools, and a fresh directory `todo-<name>-XXXXXX` with `text` written to `<dir>/<file>`. */
async function prepare(name: string, file: string, text: string, opts: ServerOptions) {
  const tools = opts.tools ?? (await ensureObservabilityTools(opts.log));
  const dir = ownedTempDir(`todo-${name}-`, tmpdir());
  const configFile = join(dir, file);
  writeFileSync(configFile, text);
  return { tools, dir, configFile };
}

/** `launchServer` with the options every server here shares. */
const launch = (
  spec: Pick<LaunchSpec, "name" | "binary" | "dir" | "args" | "ready" | "env">,
  opts: ServerOptions,
) =>
  launchServer({
    ...spec,
    missingHint: "bun run obs:tools builds it",
    readyTimeoutMs: opts.readyTimeoutMs,
    log: opts.log,
  });

/** The body of a Prometheus or Alertmanager `{status, data}` answer; throws on anything else. */
async function apiData<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const body = (() => {
    try {
      return JSON.parse(text) as { status?: string; data?: T; error?: string };
    } catch {
      return undefined;
    }
  })();
  if (!res.ok || body?.status !== "success") throw new Error(`${url}: ${res.status} ${text.slice(0, 500)}`);
  return body.data as T;
}

/** `POST <url>/-/reload` (Prometheus and Alertmanager re-read their files); throws if refused. */
async function postReload(url: string, name: string): Promise<void> {
  const res = await fetch(`${url}/-/reload`, { method: "POST", signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${name} refused the reload: ${res.status} ${await res.text()}`);
}

/** One sample of an instant vector. */
export interface PromSample {
  readonly metric: Readonly<Record<string, string>>;
  /** `[unix seconds, value as text]`. */
  readonly value: readonly [number, string];
}

/** Options of `startPrometheus`. */
export interface PrometheusOptions extends ServerOptions {
  /** prometheus.yml. Relative paths in it resolve against the server's directory: use absolute ones. */
  readonly config: ServerConfig;
  /** Rule files, appended to the configuration's `rule_files` (absolute paths after resolving). */
  readonly rules?: readonly string[];
  /** More command-line flags (e.g. `--query.lookback-delta=30s`). */
  readonly args?: readonly string[];
  /** The loopback port to listen on (default: a free one). */
  readonly port?: number;
}

/** A running Prometheus. */
export interface RunningPrometheus {
  /** `http://127.0.0.1:<port>` (the web UI, `/api/v1/…`, `/api/v1/write` for remote write). */
  readonly url: string;
  readonly dir: string;
  readonly configFile: string;
  readonly readyMs: number;
  /** Writes a new configuration (and rules) when given, then `POST /-/reload`; throws if refused. */
  reload(next?: { config?: ServerConfig; rules?: readonly string[] }): Promise<void>;
  /** `GET <url><path>` of the HTTP API (e.g. `/api/v1/alerts`): its `data`; throws unless success. */
  api<T>(path: string): Promise<T>;
  /** An instant query (`/api/v1/query`): the samples of a vector result. */
  query(expr: string): Promise<PromSample[]>;
  stop(): Promise<void>;
}

function prometheusConfig(config: ServerConfig, rules: readonly string[] | undefined): string {
  if (!rules?.length) return configText(config);
  const parsed = (typeof config === "string" ? Bun.YAML.parse(config) : config) as Record<string, unknown>;
  const existing = Array.isArray(parsed?.rule_files) ? (parsed.rule_files as string[]) : [];
  return configText({ ...parsed, rule_files: [...existing, ...rules.map((r) => resolve(r))] });
}

/**
 * Starts Prometheus (Debian's 2.42, with its classic web UI) on a loopback port (`port`, else a
 * free one) with a fresh TSDB, `--web.enable-lifecycle` (for `reload()`) and the remote-write
 * receiver on, and waits until `/-/ready` answers.
 */
export async function startPrometheus(opts: PrometheusOptions): Promise<RunningPrometheus> {
  const { tools, dir, configFile } = await prepare(
    "prometheus",
    "prometheus.yml",
    prometheusConfig(opts.config, opts.rules),
    opts,
  );
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const server = await launch(
    {
      name: "prometheus",
      binary: tools.prometheus,
      dir,
      args: (d) => [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(d, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-lifecycle",
        "--web.enable-remote-write-receiver",
        `--web.local-assets=${tools.prometheusWebAssets}`,
        `--web.console.templates=${tools.prometheusConsoles}`,
        `--web.console.libraries=${tools.prometheusConsoleLibraries}`,
        ...(opts.args ?? []),
      ],
      ready: () => httpReady(`${url}/-/ready`),
    },
    opts,
  );
  const api = <T>(path: string) => apiData<T>(`${url}${path}`);
  return {
    url,
    dir,
    configFile,
    readyMs: server.readyMs,
    async reload(next) {
      if (next?.config !== undefined || next?.rules !== undefined)
        writeFileSync(configFile, prometheusConfig(next.config ?? opts.config, next.rules ?? opts.rules));
      await postReload(url, "prometheus");
    },
    api,
    async query(expr) {
      const data = await api<{ resultType: string; result: PromSample[] }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      if (data.resultType !== "vector") throw new Error(`${expr}: a ${data.resultType}, not a vector`);
      return data.result;
    },
    stop: server.stop,
  };
}

/** A trace as Jaeger's query API (`/api/traces`) returns it. */
export interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly {
    readonly traceID: string;
    readonly spanID: string;
    readonly operationName: string;
    readonly references: readonly { refType: string; traceID: string; spanID: string }[];
    readonly startTime: number;
    readonly duration: number;
    readonly tags: readonly { key: string; type: string; value: unknown }[];
    readonly processID: string;
  }[];
  readonly processes: Readonly<Record<string, { serviceName: string; tags: readonly unknown[] }>>;
}

/** Jaeger's loopback ports: OTLP/gRPC, OTLP/HTTP, the query API (HTTP and gRPC) and its health check. */
export type JaegerPorts = Record<"grpc" | "http" | "query" | "queryGrpc" | "health", number>;

/** Options of `startJaeger`. */
export interface JaegerOptions extends ServerOptions {
  /** Traces the in-memory store keeps (default 100 000). */
  readonly maxTraces?: number;
  /** Fixed ports (default: free ones; any left out is picked free). */
  readonly ports?: Partial<JaegerPorts>;
  /**
   * A directory holding a built Jaeger UI (its `index.html` and `static/`), served by the query
   * extension (`extensions.jaeger_query.ui.assets_path`). The Go module has no UI build, so
   * without one the query port serves Jaeger's placeholder page and the API only.
   */
  readonly uiAssets?: string;
}

/** A running Jaeger (v2, in-memory storage). */
export interface RunningJaeger {
  /** `http://127.0.0.1:<port>`: the query API (`/api/traces`, `/api/services`) and UI page. */
  readonly queryUrl: string;
  /** `http://127.0.0.1:<port>`: OTLP over HTTP (`POST /v1/traces`), for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly otlpHttpUrl: string;
  /** `127.0.0.1:<port>`: OTLP over gRPC. */
  readonly otlpGrpcEndpoint: string;
  readonly dir: string;
  readonly readyMs: number;
  /** `/api/traces?service=…` (newest first, `limit` default 20, `lookback` default 1h). */
  traces(service: string, params?: { limit?: number; lookback?: string }): Promise<JaegerTrace[]>;
  /** `/api/traces/<id>`: the trace, or `undefined` when Jaeger has none with that id. */
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  stop(): Promise<void>;
}

function jaegerConfig(ports: JaegerPorts, maxTraces: number, uiAssets: string | undefined) {
  const at = (port: number) => ({ endpoint: `127.0.0.1:${port}` });
  return {
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] },
      },
      // No metrics endpoint (its default port 8888 would clash between two servers).
      telemetry: { metrics: { level: "none" }, logs: { level: "info" } },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: at(ports.health) },
      // enable_tracing off: it would export Jaeger's own spans to localhost:4317.
      jaeger_query: {
        storage: { traces: "memstore" },
        enable_tracing: false,
        http: at(ports.query),
        grpc: at(ports.queryGrpc),
        ...(uiAssets ? { ui: { assets_path: resolve(uiAssets) } } : {}),
      },
      jaeger_storage: { backends: { memstore: { memory: { max_traces: maxTraces } } } },
    },
    receivers: { otlp: { protocols: { grpc: at(ports.grpc), http: at(ports.http) } } },
    // A short batch timeout: a span is queryable ~0.1 s after it arrives.
    processors: { batch: { timeout: "100ms" } },
    exporters: { jaeger_storage_exporter: { trace_storage: "memstore" } },
  };
}

/**
 * Starts Jaeger with an in-memory store, OTLP over gRPC and HTTP and the query API on loopback
 * ports (`ports`, else free ones), and waits until its health check, the query API and the OTLP/HTTP receiver all
 * answer.
 */
export async function startJaeger(opts: JaegerOptions = {}): Promise<RunningJaeger> {
  const fixed = opts.ports ?? {};
  const ports: JaegerPorts = {
    grpc: fixed.grpc ?? (await freePort()),
    http: fixed.http ?? (await freePort()),
    query: fixed.query ?? (await freePort()),
    queryGrpc: fixed.queryGrpc ?? (await freePort()),
    health: fixed.health ?? (await freePort()),
  };
  const config = configText(jaegerConfig(ports, opts.maxTraces ?? 100_000, opts.uiAssets));
  const { tools, dir, configFile } = await prepare("jaeger", "jaeger.yaml", config, opts);
  const queryUrl = `http://127.0.0.1:${ports.query}`;
  const otlpHttpUrl = `http://127.0.0.1:${ports.http}`;
  const server = await launch(
    {
      name: "jaeger",
      binary: tools.jaeger,
      dir,
      args: () => [`--config=${configFile}`],
      ready: async () => {
        for (const check of [
          () => httpReady(`http://127.0.0.1:${ports.health}/status`),
          () => httpReady(`${queryUrl}/api/services`),
          // An empty export request: accepted (200) once the receiver listens; it stores nothing.
          () =>
            httpReady(`${otlpHttpUrl}/v1/traces`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: "{}",
            }),
        ]) {
          const answer = await check();
          if (answer !== true) return answer;
        }
        return true;
      },
    },
    opts,
  );
  const get = async <T>(path: string): Promise<T | undefined> => {
    const res = await fetch(`${queryUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`jaeger ${path}: ${res.status} ${(await res.text()).slice(0, 500)}`);
    return (await res.json()) as T;
  };
  return {
    queryUrl,
    otlpHttpUrl,
    otlpGrpcEndpoint: `127.0.0.1:${ports.grpc}`,
    dir,
    readyMs: server.readyMs,
    async traces(service, params = {}) {
      const query = new URLSearchParams({
        service,
        limit: String(params.limit ?? 20),
        lookback: params.lookback ?? "1h",
      });
      return (await get<{ data: JaegerTrace[] }>(`/api/traces?${query}`))?.data ?? [];
    },
    async trace(traceId) {
      return (await get<{ data: JaegerTrace[] }>(`/api/traces/${traceId}`))?.data[0];
    },
    stop: server.stop,
  };
}

/** Options of `startAlertmanager`. */
export interface AlertmanagerOptions extends ServerOptions {
  /** alertmanager.yml. */
  readonly config: ServerConfig;
  /** The loopback port to listen on (default: a free one). */
  readonly port?: number;
}

/** A running Alertmanager (one instance, clustering off). */
export interface RunningAlertmanager {
  /** `http://127.0.0.1:<port>` (the UI, `/api/v2/alerts`, …): Prometheus's `alertmanagers` target. */
  readonly url: string;
  readonly dir: string;
  readonly configFile: string;
  readonly readyMs: number;
  /** Writes a new configuration when given, then `POST /-/reload`; throws if refused. */
  reload(config?: ServerConfig): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Alertmanager on a loopback port (`port`, else a free one) with clustering off, and waits until `/-/ready`. */
export async function startAlertmanager(opts: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const { tools, dir, configFile } = await prepare(
    "alertmanager",
    "alertmanager.yml",
    configText(opts.config),
    opts,
  );
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const server = await launch(
    {
      name: "alertmanager",
      binary: tools.alertmanager,
      dir,
      args: (d) => [
        `--config.file=${configFile}`,
        `--storage.path=${join(d, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // An empty address turns the gossip cluster off (it would listen on 0.0.0.0:9094).
        "--cluster.listen-address=",
      ],
      ready: () => httpReady(`${url}/-/ready`),
    },
    opts,
  );
  return {
    url,
    dir,
    configFile,
    readyMs: server.readyMs,
    async reload(config) {
      if (config !== undefined) writeFileSync(configFile, configText(config));
      await postReload(url, "alertmanager");
    },
    stop: server.stop,
  };
}

/** Options of {@link startCollector}. */
export interface CollectorOptions extends ServerOptions {
  /** The configuration files, merged in order (`--config` each), such as config.yaml. */
  readonly configFiles: readonly string[];
  /** The `${env:…}` values the configuration reads (endpoints of the backends). */
  readonly env?: Readonly<Record<string, string>>;
  /** Fixed ports of the OTLP receivers and the health check (default: free ones). */
  readonly ports?: Partial<Record<"grpc" | "http" | "health", number>>;
}

/** A running OpenTelemetry collector. */
export interface RunningCollector {
  /** `http://127.0.0.1:<port>`: OTLP/HTTP (`/v1/traces`, `/v1/metrics`, `/v1/logs`). */
  readonly otlpHttpUrl: string;
  /** `127.0.0.1:<port>`: OTLP/gRPC. */
  readonly otlpGrpcEndpoint: string;
  readonly dir: string;
  readonly readyMs: number;
  stop(): Promise<void>;
}

/**
 * Starts the collector built from builder.yaml with `configFiles`, its OTLP receivers and health
 * check on loopback ports (`ports`, else free ones; given to it as OTELCOL_OTLP_GRPC_ENDPOINT,
 * OTELCOL_OTLP_HTTP_ENDPOINT and OTELCOL_HEALTH_ENDPOINT, which observability/otel-collector/config.yaml
 * reads), and waits until the health check answers.
 */
export async function startCollector(opts: CollectorOptions): Promise<RunningCollector> {
  const { tools, dir } = await prepare("otelcol", "README", "the collector's directory\n", opts);
  const fixed = opts.ports ?? {};
  const ports = {
    grpc: fixed.grpc ?? (await freePort()),
    http: fixed.http ?? (await freePort()),
    health: fixed.health ?? (await freePort()),
  };
  const server = await launch(
    {
      name: "otelcol",
      binary: tools.otelcol,
      dir,
      args: () => opts.configFiles.flatMap((f) => ["--config", resolve(f)]),
      env: {
        ...opts.env,
        OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.grpc}`,
        OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.http}`,
        OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${ports.health}`,
      },
      ready: () => httpReady(`http://127.0.0.1:${ports.health}/`),
    },
    opts,
  );
  return {
    otlpHttpUrl: `http://127.0.0.1:${ports.http}`,
    otlpGrpcEndpoint: `127.0.0.1:${ports.grpc}`,
    dir,
    readyMs: server.readyMs,
    stop: server.stop,
  };
}
