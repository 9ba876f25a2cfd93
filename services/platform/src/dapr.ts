/**
 * The Dapr sidecar as this process sees it (run mode 3, docs/dapr.md). A service runs beside a
 * `daprd` whose ports it is told in the environment — the variables `dapr run` and the Kubernetes
 * sidecar injector set, and `bun run start:dapr` sets likewise:
 *
 * - `DAPR_HTTP_PORT`, `DAPR_GRPC_PORT`: the sidecar's API on loopback. `DAPR_HTTP_PORT` being set is
 *   what "running under Dapr" means to `createEventBus`, `createJobScheduler` and `runService`.
 * - `DAPR_API_TOKEN`: sent to the sidecar on every call (`dapr-api-token`), when the sidecar wants it.
 * - `APP_API_TOKEN`: what the sidecar sends back on its calls into the app (events, jobs, bindings);
 *   the app refuses callbacks without it (dapr-callback.ts).
 * - `DAPR_PUBSUB` / `DAPR_PUBSUB_BROADCAST`: the pub/sub components (`pubsub`, `pubsub-broadcast`).
 * - `DAPR_SECRET_STORE`: the secret store holding the JWT key and the database URL (`secretstore`),
 *   read when `JWT_SECRET` / `DATABASE_URL` are not in the environment, under the names
 *   `JWT_SECRET_REF` (default `jwt-secret`) and `DATABASE_URL_SECRET_REF` (default `database-url`).
 *   A reference is `<secret>` or `<secret>/<key>`: on Kubernetes, a Secret and one of its keys, such
 *   as `todo-db-app/uri` for the Secret CloudNativePG writes (deploy/helm/todo).
 *
 * The typed client is `@dapr/dapr`'s `DaprClient` over HTTP; the Jobs API, which that SDK does not
 * cover yet, is called with `daprFetch`.
 */
import { CommunicationProtocolEnum, DaprClient, LogLevel } from "@dapr/dapr";

type Env = Readonly<Record<string, string | undefined>>;

/** Where this process's sidecar is and how to talk to it. */
export interface DaprSidecar {
  /** `http://127.0.0.1:<DAPR_HTTP_PORT>`. */
  readonly httpUrl: string;
  readonly httpPort: number;
  /** The gRPC API port: service invocation goes through it (gRPC proxying with `dapr-app-id`). */
  readonly grpcPort: number;
  /** Sent to the sidecar as `dapr-api-token` when set. */
  readonly apiToken?: string;
  /** Expected from the sidecar on callbacks as `dapr-api-token` when set. */
  readonly appToken?: string;
  /** The pub/sub component of the system's topics (consumer group = app id). */
  readonly pubsub: string;
  /** The pub/sub component of per-replica live views (a consumer group of its own per sidecar). */
  readonly broadcastPubsub: string;
  /** The secret store, when secrets come from Dapr. */
  readonly secretStore?: string;
}

function port(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be a port number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The sidecar described by the environment, or undefined when not running under Dapr. */
export function daprSidecarFromEnv(env: Env = process.env): DaprSidecar | undefined {
  const httpPort = port(env, "DAPR_HTTP_PORT");
  if (httpPort === undefined) return undefined;
  const grpcPort = port(env, "DAPR_GRPC_PORT");
  if (grpcPort === undefined) throw new Error("DAPR_HTTP_PORT is set, so DAPR_GRPC_PORT must be too");
  const text = (name: string) => env[name]?.trim() || undefined;
  const apiToken = text("DAPR_API_TOKEN");
  const appToken = text("APP_API_TOKEN");
  const secretStore = text("DAPR_SECRET_STORE");
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    httpPort,
    grpcPort,
    pubsub: text("DAPR_PUBSUB") ?? "pubsub",
    broadcastPubsub: text("DAPR_PUBSUB_BROADCAST") ?? "pubsub-broadcast",
    ...(apiToken ? { apiToken } : {}),
    ...(appToken ? { appToken } : {}),
    ...(secretStore ? { secretStore } : {}),
  };
}

/** A `fetch` to the sidecar's HTTP API (`path` starts with `/v1.0`), with its token and a deadline. */
export async function daprFetch(
  sidecar: DaprSidecar,
  path: string,
  init: RequestInit & { timeoutMs?: number } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (sidecar.apiToken) headers.set("dapr-api-token", sidecar.apiToken);
  const { timeoutMs = 10_000, ...rest } = init;
  return await fetch(`${sidecar.httpUrl}${path}`, {
    ...rest,
    headers,
    signal: init.signal ?? AbortSignal.timeout(timeoutMs),
  });
}

/** Throws an error naming the call and the sidecar's answer unless `res` is 2xx. */
export async function expectOk(res: Response, what: string): Promise<Response> {
  if (res.ok) return res;
  const body = await res.text().catch(() => "");
  throw new Error(`Dapr ${what}: HTTP ${res.status} ${body.slice(0, 500)}`);
}

/**
 * Waits until the sidecar's outbound side is ready (components loaded, API up) — it is before the
 * app's port is open, which the sidecar waits for in turn. Fails after `timeoutMs`.
 */
export async function waitForSidecar(sidecar: DaprSidecar, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await daprFetch(sidecar, "/v1.0/healthz/outbound", { timeoutMs: 2_000 });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await Bun.sleep(200);
  }
  throw new Error(`the Dapr sidecar at ${sidecar.httpUrl} was not ready after ${timeoutMs} ms (${last})`);
}

/**
 * `@dapr/dapr`'s client for this sidecar (HTTP). Its calls wait for the sidecar instead of failing
 * when it is not up ("Awaiting Sidecar"), so call `waitForSidecar` first and put deadlines on calls.
 */
export function createDaprClient(sidecar: DaprSidecar): DaprClient {
  return new DaprClient({
    daprHost: "127.0.0.1",
    daprPort: String(sidecar.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    isKeepAlive: true,
    logger: { level: LogLevel.Warn },
    ...(sidecar.apiToken ? { daprApiToken: sidecar.apiToken } : {}),
  });
}

/** Rejects with a clear error when `promise` takes longer than `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads one value from the Dapr secret store `store`. `ref` is `<secret>` or `<secret>/<key>`: a
 * store maps a secret to one or more keys (a Kubernetes Secret to its data keys; the local file store
 * to one value); `<key>` picks one, and without it the key named like the secret is taken, or the
 * only one.
 */
export async function readDaprSecret(client: DaprClient, store: string, ref: string): Promise<string> {
  const slash = ref.indexOf("/");
  const name = slash < 0 ? ref : ref.slice(0, slash);
  const key = slash < 0 ? undefined : ref.slice(slash + 1);
  const secret = (await withDeadline(
    client.secret.get(store, name),
    10_000,
    `reading secret ${name}`,
  )) as Record<string, unknown>;
  const values = Object.values(secret);
  const value =
    key !== undefined ? secret[key] : (secret[name] ?? (values.length === 1 ? values[0] : undefined));
  if (typeof value !== "string" || value === "") {
    throw new Error(`the Dapr secret store ${store} has no value for ${ref}`);
  }
  return value;
}
