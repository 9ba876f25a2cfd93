/**
 * The loopback ports of Todo's local run modes, in one place: `start:services` and `start:dapr`
 * listen on them, and `bun run observe` scrapes them and checks they are free. The numbers are a
 * contract (docs/metrics.md, docs/observability.md): service *n* (its index in `SERVICES` of
 * `services.ts`) serves HTTP/1.1 on 8101+n, h2c on 50101+n and metrics on 9101+n, the edge its
 * metrics on 9100; under Dapr each sidecar has 3501+n (HTTP), 50201+n (gRPC), 50301+n (internal
 * gRPC) and 9091+n (metrics), and the Dapr scheduler 50006, 8190, 9190, 52379 and 52380. Every
 * port moves by the run's offset (`SERVICES_PORT_OFFSET`, `DAPR_PORT_OFFSET`).
 */
import type { SchedulerPorts, SidecarPorts } from "./dapr-run.ts";
import { SERVICES } from "./services.ts";

/** The ports of service `i` (its index in `SERVICES`). */
export interface ServicePorts {
  /** HTTP/1.1: Connect, gRPC-web, the health check. */
  readonly http: number;
  /** h2c: gRPC (the Dapr app port). */
  readonly grpc: number;
  /** `/metrics` (`METRICS_PORT`). */
  readonly metrics: number;
}

/** The ports of service `i` under `offset`. */
export function servicePorts(i: number, offset = 0): ServicePorts {
  return { http: 8101 + offset + i, grpc: 50101 + offset + i, metrics: 9101 + offset + i };
}

/** The edge's `/metrics` port under `offset` (its HTTP port is `PORT`, 8080 by default). */
export const edgeMetricsPort = (offset = 0): number => 9100 + offset;

/** The default HTTP port of the edge and of `bun start` (`PORT`). */
export const DEFAULT_EDGE_PORT = 8080;

/** The ports of service `i`'s sidecar under `offset`. */
export function sidecarPorts(i: number, offset = 0): SidecarPorts {
  return {
    http: 3501 + offset + i,
    grpc: 50201 + offset + i,
    internalGrpc: 50301 + offset + i,
    metrics: 9091 + offset + i,
  };
}

/** The Dapr scheduler's ports under `offset`. */
export function daprSchedulerPorts(offset = 0): SchedulerPorts {
  return {
    grpc: 50006 + offset,
    healthz: 8190 + offset,
    metrics: 9190 + offset,
    etcdClient: 52379 + offset,
    etcdPeer: 52380 + offset,
  };
}

/** `bun start`'s defaults (services/embedded/src/config.ts; `scripts/start.ts` sets METRICS_PORT). */
export const EMBEDDED_PORTS: { readonly http: number; readonly grpc: number; readonly metrics: number } = {
  http: 8080,
  grpc: 50051,
  metrics: 9464,
};

/** Every port the `start:services` run listens on, the edge's `PORT` included. */
export function servicesRunPorts(offset = 0, edgePort = DEFAULT_EDGE_PORT + offset): number[] {
  return [
    edgePort,
    edgeMetricsPort(offset),
    ...SERVICES.flatMap((_, i) => Object.values(servicePorts(i, offset))),
  ];
}

/** Every port the `start:dapr` run listens on: the services' run, the sidecars, the scheduler. */
export function daprRunPorts(offset = 0, edgePort = DEFAULT_EDGE_PORT + offset): number[] {
  return [
    ...servicesRunPorts(offset, edgePort),
    ...SERVICES.flatMap((_, i) => Object.values(sidecarPorts(i, offset))),
    ...Object.values(daprSchedulerPorts(offset)),
  ];
}
