/**
 * The standard gRPC health service (`grpc.health.v1.Health`) for our Connect servers.
 *
 * Kubernetes gRPC probes, `grpc_health_probe`, `grpcurl` and load balancers speak this protocol, so every server
 * exposes it next to its own services. The server's state lives in a {@link HealthRegistry}; the service only reads
 * it. Semantics follow the gRPC health-checking spec (grpc/grpc doc/health-checking.md).
 *
 * @module
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
} from "@todo/gen/grpc/health/v1/health_pb";

export { Health };

/** The serving status a component can report. `""` in a {@link HealthRegistry} is the whole server. */
export type ServingStatus = "SERVING" | "NOT_SERVING";

/** Called with the service name and its new status whenever a status really changes. */
export type HealthListener = (service: string, status: ServingStatus) => void;

/**
 * The server's health state, keyed by fully-qualified service name; `""` is the overall server.
 *
 * One registry per server process: the process's components `set` their status, the health service reads it.
 */
export interface HealthRegistry {
  /**
   * Set a service's status (a new name becomes known). Listeners hear only real changes.
   * Ignored after {@link HealthRegistry.shutdown}, so a component finishing late cannot report SERVING while the
   * server drains.
   */
  set(service: string, status: ServingStatus): void;
  /** The service's status, or `undefined` when the name is unknown. */
  get(service: string): ServingStatus | undefined;
  /** Every known service with its status (a snapshot), `""` included. */
  entries(): Array<[service: string, status: ServingStatus]>;
  /**
   * Flip everything to NOT_SERVING and freeze the state (used at shutdown so probes and watchers see it before the
   * port closes). Open `Watch` streams get the NOT_SERVING message and then end, so a graceful HTTP/2 close is not
   * held open by them.
   */
  shutdown(): void;
  /** True once {@link HealthRegistry.shutdown} has been called. */
  readonly isShutdown: boolean;
  /**
   * Hear every status change (and the shutdown). Returns the function that stops listening.
   * Listeners run synchronously inside `set`; they must not throw.
   */
  subscribe(listener: HealthListener, onShutdown?: () => void): () => void;
}

/**
 * Create the health state for a server hosting `services` (fully-qualified names, e.g. "todo.task.v1.TaskService").
 * Every service and the overall server `""` start SERVING: create the registry once the server is ready to serve,
 * or `set` NOT_SERVING first while it warms up.
 */
export function createHealthRegistry(services: string[]): HealthRegistry {
  const statuses = new Map<string, ServingStatus>([["", "SERVING"]]);
  for (const service of services) statuses.set(service, "SERVING");
  const listeners = new Set<{ change: HealthListener; shutdown: (() => void) | undefined }>();
  let isShutdown = false;

  const apply = (service: string, status: ServingStatus): void => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    for (const listener of [...listeners]) listener.change(service, status);
  };

  return {
    set(service, status) {
      if (!isShutdown) apply(service, status);
    },
    get: (service) => statuses.get(service),
    entries: () => [...statuses.entries()],
    shutdown() {
      if (isShutdown) return;
      for (const service of [...statuses.keys()]) apply(service, "NOT_SERVING");
      isShutdown = true;
      for (const listener of [...listeners]) listener.shutdown?.();
    },
    get isShutdown() {
      return isShutdown;
    },
    subscribe(change, shutdown) {
      const entry = { change, shutdown };
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
  };
}

/** `List` answers at most this many services; more is RESOURCE_EXHAUSTED, as the spec allows. */
const LIST_LIMIT = 1000;

const toProto = (status: ServingStatus | undefined): HealthCheckResponse_ServingStatus => {
  switch (status) {
    case "SERVING":
      return HealthCheckResponse_ServingStatus.SERVING;
    case "NOT_SERVING":
      return HealthCheckResponse_ServingStatus.NOT_SERVING;
    default:
      return HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
  }
};

const response = (status: ServingStatus | undefined): HealthCheckResponse =>
  create(HealthCheckResponseSchema, { status: toProto(status) });

/**
 * Implement `grpc.health.v1.Health` over `registry`; register it with `router.service(Health, impl)`.
 *
 * - `Check`: the current status; an unknown service is NOT_FOUND.
 * - `Watch`: the current status at once (SERVICE_UNKNOWN for an unknown name, not an error), then one message per
 *   change; a slow reader gets the latest status, not every intermediate one. Ends when the client cancels (the
 *   handler's signal) or after the NOT_SERVING sent at {@link HealthRegistry.shutdown}.
 * - `List`: every known service with its status.
 */
export function createHealthService(registry: HealthRegistry): ServiceImpl<typeof Health> {
  return {
    check(request: HealthCheckRequest) {
      const status = registry.get(request.service);
      if (status === undefined) {
        throw new ConnectError(`unknown service ${JSON.stringify(request.service)}`, Code.NotFound);
      }
      return response(status);
    },

    async *watch(request: HealthCheckRequest, context: HandlerContext) {
      const { signal } = context;
      if (signal.aborted) return;
      // Latest status not yet sent (null: nothing new); `wake` resolves the pending wait.
      let pending: ServingStatus | null = null;
      let ended = registry.isShutdown;
      let wake: (() => void) | undefined;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      const unsubscribe = registry.subscribe(
        (service, status) => {
          if (service !== request.service) return;
          pending = status;
          notify();
        },
        () => {
          ended = true;
          notify();
        },
      );
      // Stop listening as soon as the client goes away: a generator suspended at `yield` may never be resumed
      // (nor its `finally` run) once the call is cancelled.
      const stop = () => {
        unsubscribe();
        notify();
      };
      signal.addEventListener("abort", stop, { once: true });
      try {
        let last: ServingStatus | undefined = registry.get(request.service);
        yield response(last);
        for (;;) {
          if (pending === null && !ended && !signal.aborted) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
          if (signal.aborted) return;
          if (pending !== null) {
            const next: ServingStatus = pending;
            pending = null;
            if (next !== last) {
              last = next;
              yield response(next);
            }
            continue;
          }
          if (ended) return;
        }
      } finally {
        unsubscribe();
        signal.removeEventListener("abort", stop);
      }
    },

    list() {
      const entries = registry.entries();
      if (entries.length > LIST_LIMIT) {
        throw new ConnectError(`more than ${LIST_LIMIT} services`, Code.ResourceExhausted);
      }
      return create(HealthListResponseSchema, {
        statuses: Object.fromEntries(
          entries.map(([service, status]) => [service, { status: toProto(status) }]),
        ),
      });
    },
  };
}
