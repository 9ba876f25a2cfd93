/**
 * The edge's readiness follows the services behind it. Each distinct backend URL is asked
 * `grpc.health.v1.Health/Check` (its whole server, `""`) over Connect every `intervalMs`, and the
 * answer is written into the edge's own health registry under every service name routed to that
 * URL; the edge's overall status (`""`) is SERVING only while every backend is. So a probe or a
 * start script asking the edge learns whether the system answers, not only whether the edge runs
 * (`GET /healthz` stays the edge alone: a liveness check must not restart the edge for a service's
 * fault). A backend that does not answer within `timeoutMs`, or answers anything but SERVING, is
 * NOT_SERVING. The checks make no spans: they are not requests anyone made.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { HealthCheckResponse_ServingStatus } from "@todo/gen/grpc/health/v1/health_pb";
import { createLogger } from "@todo/platform";
import { Health, type HealthRegistry, type ServingStatus } from "@todo/platform/serving";

/** Options of {@link watchBackends}. */
export interface BackendHealthOptions {
  /** Routed service name (`todo.task.v1.TaskService`) → its backend's base URL. */
  readonly services: ReadonlyMap<string, URL>;
  /** The edge's registry; its `""` and each routed service name are written. */
  readonly registry: HealthRegistry;
  /** Between two rounds of checks; default 2 000 ms. */
  readonly intervalMs?: number;
  /** The longest one check may take; default 1 000 ms. */
  readonly timeoutMs?: number;
}

/** A running watch. */
export interface BackendWatch {
  /** Resolves after the first round of checks has been written. */
  readonly firstRound: Promise<void>;
  stop(): void;
}

/**
 * Starts checking the backends of `services`. Until the first answers arrive every routed service
 * and the edge itself are NOT_SERVING; with no backends the edge is SERVING at once.
 */
export function watchBackends(options: BackendHealthOptions): BackendWatch {
  const { registry } = options;
  const intervalMs = options.intervalMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const log = createLogger("edge");
  /** Base URL → the service names routed to it. */
  const byBackend = new Map<string, string[]>();
  for (const [service, url] of options.services) {
    const names = byBackend.get(url.origin) ?? [];
    names.push(service);
    byBackend.set(url.origin, names);
  }
  const clients = new Map(
    [...byBackend.keys()].map((origin) => [
      origin,
      createClient(Health, createConnectTransport({ baseUrl: origin, httpVersion: "1.1" })),
    ]),
  );
  const last = new Map<string, ServingStatus>();
  for (const names of byBackend.values()) for (const name of names) registry.set(name, "NOT_SERVING");
  registry.set("", byBackend.size === 0 ? "SERVING" : "NOT_SERVING");

  const check = async (origin: string): Promise<ServingStatus> => {
    try {
      const res = await clients.get(origin)?.check({}, { timeoutMs });
      return res?.status === HealthCheckResponse_ServingStatus.SERVING ? "SERVING" : "NOT_SERVING";
    } catch {
      return "NOT_SERVING";
    }
  };

  const round = async () => {
    const results = await Promise.all([...byBackend.keys()].map(async (o) => [o, await check(o)] as const));
    for (const [origin, status] of results) {
      if (last.get(origin) !== status) {
        if (last.has(origin) || status === "SERVING")
          log.info("backend health", { backend: origin, status, services: byBackend.get(origin) });
        last.set(origin, status);
      }
      for (const name of byBackend.get(origin) ?? []) registry.set(name, status);
    }
    registry.set("", results.every(([, s]) => s === "SERVING") ? "SERVING" : "NOT_SERVING");
  };

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = async () => {
    if (stopped) return;
    await round();
    if (!stopped) timer = setTimeout(() => void loop(), intervalMs);
  };
  const firstRound = byBackend.size === 0 ? Promise.resolve() : loop();
  return {
    firstRound,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
