/**
 * What Dapr's sidecar injector does with a pod's `dapr.io/*` annotations, for running a chart's pod
 * as local processes (deploy/helm/chart-run.test.ts): the `daprd` arguments it would give the
 * sidecar (as in Dapr 1.18's pkg/injector/patcher/sidecar_container.go) and the variables it adds to
 * the app container. Every annotation must be one this module knows what to do with, so an
 * annotation the chart gains is either run for real here or written down as container-only.
 */
import type { DaprBinaries } from "./dapr-binaries.ts";
import type { SidecarPorts } from "./dapr-run.ts";

/** Where a local sidecar listens and what it loads (the parts Kubernetes would decide). */
export interface LocalSidecar {
  readonly ports: SidecarPorts;
  /** The app port the annotation names, mapped to where the local app listens. */
  readonly appPort: (annotated: number) => number;
  /** The file of the Configuration the `dapr.io/config` annotation names. */
  readonly configFile: (name: string) => string;
  readonly resources: string;
  readonly schedulerGrpcPort: number;
}

/**
 * Annotations that set the sidecar container's resources or security context in Kubernetes; a
 * local process has nothing to apply them to.
 */
const CONTAINER_ONLY = new Set([
  "dapr.io/sidecar-cpu-request",
  "dapr.io/sidecar-memory-request",
  "dapr.io/sidecar-cpu-limit",
  "dapr.io/sidecar-memory-limit",
  "dapr.io/sidecar-seccomp-profile-type",
  // Mounts a pod volume into the sidecar (the chart's ServiceAccount token); a local sidecar
  // reaches the API server through the kubeconfig its secret store names instead.
  "dapr.io/volume-mounts",
]);

/** Annotation → the daprd flags it becomes (value as given). */
const FLAGS: Readonly<Record<string, (value: string, local: LocalSidecar) => string[]>> = {
  "dapr.io/enabled": () => [],
  "dapr.io/app-id": (v) => ["--app-id", v],
  "dapr.io/app-port": (v, local) => ["--app-port", String(local.appPort(Number(v)))],
  "dapr.io/app-protocol": (v) => ["--app-protocol", v],
  "dapr.io/config": (v, local) => ["--config", local.configFile(v)],
  "dapr.io/enable-app-health-check": (v) => (v === "true" ? ["--enable-app-health-check"] : []),
  "dapr.io/app-health-probe-interval": (v) => ["--app-health-probe-interval", v],
  "dapr.io/app-health-threshold": (v) => ["--app-health-threshold", v],
  "dapr.io/enable-metrics": (v) => (v === "true" ? ["--enable-metrics"] : []),
  // The port is the pod's; locally every sidecar needs one of its own.
  "dapr.io/metrics-port": (_v, local) => ["--metrics-port", String(local.ports.metrics)],
  "dapr.io/log-as-json": (v) => (v === "true" ? ["--log-as-json"] : []),
  "dapr.io/log-level": (v) => ["--log-level", v],
  "dapr.io/graceful-shutdown-seconds": (v) => ["--dapr-graceful-shutdown-seconds", v],
  "dapr.io/disable-builtin-k8s-secret-store": (v) =>
    v === "true" ? ["--disable-builtin-k8s-secret-store"] : [],
};

/**
 * The daprd command line for a pod with `annotations`. Throws for an annotation this module does
 * not know, and when the pod is not Dapr-enabled or has no app id.
 */
export function injectedSidecarCommand(
  binaries: DaprBinaries,
  annotations: Readonly<Record<string, string>>,
  local: LocalSidecar,
): string[] {
  const dapr = Object.entries(annotations).filter(([key]) => key.startsWith("dapr.io/"));
  if (annotations["dapr.io/enabled"] !== "true") throw new Error("the pod is not Dapr-enabled");
  if (!annotations["dapr.io/app-id"]) throw new Error("the pod has no dapr.io/app-id");
  const args: string[] = [];
  for (const [key, value] of dapr) {
    if (CONTAINER_ONLY.has(key)) continue;
    const flags = FLAGS[key];
    if (!flags) throw new Error(`${key}: an annotation the local sidecar does not know how to apply`);
    args.push(...flags(value, local));
  }
  return [
    binaries.daprd,
    "--mode=standalone",
    ...args,
    "--app-channel-address=127.0.0.1",
    "--dapr-listen-addresses=127.0.0.1",
    `--dapr-http-port=${local.ports.http}`,
    `--dapr-grpc-port=${local.ports.grpc}`,
    `--dapr-internal-grpc-port=${local.ports.internalGrpc}`,
    "--metrics-listen-address=127.0.0.1",
    `--resources-path=${local.resources}`,
    `--scheduler-host-address=127.0.0.1:${local.schedulerGrpcPort}`,
    "--placement-host-address=",
  ];
}

/** The variables the injector adds to every app container of a Dapr-enabled pod. */
export function injectedAppEnvironment(
  annotations: Readonly<Record<string, string>>,
  ports: SidecarPorts,
): Record<string, string> {
  return {
    DAPR_HTTP_PORT: String(ports.http),
    DAPR_GRPC_PORT: String(ports.grpc),
    ...(annotations["dapr.io/app-protocol"] ? { APP_PROTOCOL: annotations["dapr.io/app-protocol"] } : {}),
  };
}

/**
 * The variables the injector gives the sidecar container: its namespace and its pod's name (the
 * Kafka component's `{podName}` consumer group of the live view reads it).
 */
export function injectedSidecarEnvironment(podName: string, namespace: string): Record<string, string> {
  return { NAMESPACE: namespace, POD_NAME: podName };
}
