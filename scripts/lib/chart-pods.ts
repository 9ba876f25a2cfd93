/**
 * The pods a rendered chart describes, read the way the kubelet and the Service proxy would, so a
 * test can start them as local processes (deploy/helm/chart-run.test.ts): each Deployment's pod
 * template with its containers, their environment resolved (Secrets looked up, as the kubelet does
 * before it starts a container), and the chart's in-cluster addresses (`http://<service>:<port>`)
 * turned into where the local process of the pod behind that Service listens.
 *
 * Locally all pods share one network, so each pod's container ports are mapped to free ports of
 * their own, and every place the chart names one of them (an environment value equal to a port,
 * the `dapr.io/app-port` annotation, a Service's target port) follows the same map — a chart whose
 * numbers disagree with each other fails to connect, as it would in a cluster.
 */
import type { K8sObject } from "./chart.ts";

/** An environment variable as a pod spec has it. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } };
}

/** A container as a pod spec has it (what the tests use). */
export interface PodContainer {
  readonly name: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly securityContext?: { readonly runAsUser?: number; readonly runAsGroup?: number };
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string }[];
  readonly readinessProbe?: {
    readonly grpc?: { readonly port: number };
    readonly httpGet?: { readonly path: string; readonly port: number | string };
  };
}

/** A Deployment's pod template. */
export interface Pod {
  readonly deployment: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly initContainers: readonly PodContainer[];
  readonly containers: readonly PodContainer[];
  readonly volumes: readonly { readonly name: string; readonly emptyDir?: { readonly sizeLimit?: string } }[];
  readonly securityContext: { readonly runAsUser?: number; readonly runAsGroup?: number };
}

/** The pod templates of every Deployment in `objects`. */
export function podsOf(objects: readonly K8sObject[]): Pod[] {
  return objects
    .filter((o) => o.kind === "Deployment")
    .map((d) => {
      const template = (
        d.spec as { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } }
      ).template;
      const meta = template.metadata as {
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
      const spec = template.spec as Partial<Pod>;
      return {
        deployment: d.metadata.name,
        labels: meta.labels ?? {},
        annotations: meta.annotations ?? {},
        initContainers: spec.initContainers ?? [],
        containers: spec.containers ?? [],
        volumes: spec.volumes ?? [],
        securityContext: spec.securityContext ?? {},
      };
    });
}

/** Every container port of `pod`, by number. */
export function containerPorts(pod: Pod): number[] {
  return [...new Set(pod.containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort)))];
}

/**
 * The environment of `container` as the kubelet gives it: plain values as they are, `secretKeyRef`s
 * read with `secret` (a Secret's decoded data, undefined when the Secret does not exist). A missing
 * Secret or key is an error, as the kubelet refuses to start such a container.
 */
export function resolveEnv(
  container: PodContainer,
  secret: (name: string) => Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      const value = secret(ref.name)?.[ref.key];
      if (value === undefined) {
        throw new Error(
          `${container.name}: ${e.name} needs key ${ref.key} of Secret ${ref.name}, which is missing`,
        );
      }
      env[e.name] = value;
    } else {
      env[e.name] = e.value ?? "";
    }
  }
  return env;
}

/** Rewrites every value that is exactly one of the pod's container ports to its local port. */
export function remapPorts(
  env: Readonly<Record<string, string>>,
  ports: ReadonlyMap<number, number>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => {
      const local = /^\d+$/.test(v) ? ports.get(Number(v)) : undefined;
      return [k, local === undefined ? v : String(local)];
    }),
  );
}

/** What answers a Service's port locally. */
export interface LocalEndpoint {
  readonly pod: Pod;
  readonly port: number;
}

/**
 * Where `http://<service>[.<namespace>…]:<port>` goes: the Service's port, its target port (a name
 * or a number) on the container of the pod its selector picks, and that container port's local
 * port (`localPort(pod, containerPort)`). Throws when no Service, port or pod matches, naming it.
 */
export function resolveService(
  objects: readonly K8sObject[],
  pods: readonly Pod[],
  host: string,
  port: number,
  localPort: (pod: Pod, containerPort: number) => number,
): LocalEndpoint {
  const name = host.split(".")[0] ?? host;
  const service = objects.find((o) => o.kind === "Service" && o.metadata.name === name);
  if (!service) throw new Error(`${host}:${port}: the chart has no Service ${name}`);
  const spec = service.spec as {
    selector: Record<string, string>;
    ports: { port: number; targetPort: number | string }[];
  };
  const servicePort = spec.ports.find((p) => p.port === port);
  if (!servicePort) throw new Error(`${host}:${port}: Service ${name} has no port ${port}`);
  const pod = pods.find((p) => Object.entries(spec.selector).every(([k, v]) => p.labels[k] === v));
  if (!pod) throw new Error(`${host}:${port}: Service ${name} selects no pod`);
  const target = servicePort.targetPort;
  const containerPort = pod.containers
    .flatMap((c) => c.ports ?? [])
    .find((p) =>
      typeof target === "number" ? p.containerPort === target : p.name === target,
    )?.containerPort;
  if (containerPort === undefined) {
    throw new Error(
      `${host}:${port}: target port ${target} of Service ${name} is no port of ${pod.deployment}`,
    );
  }
  return { pod, port: localPort(pod, containerPort) };
}

/** Rewrites every `//<host>:<port>` naming one of the chart's Services to its local address. */
export function resolveServiceUrls(
  text: string,
  objects: readonly K8sObject[],
  pods: readonly Pod[],
  localPort: (pod: Pod, containerPort: number) => number,
): string {
  const services = new Set(objects.filter((o) => o.kind === "Service").map((o) => o.metadata.name));
  return text.replace(
    /\/\/([a-z0-9-]+)((?:\.[a-z0-9-]+)*):(\d+)/g,
    (whole, name: string, rest: string, port: string) => {
      if (!services.has(name) && !name.startsWith(pods[0]?.labels["app.kubernetes.io/instance"] ?? "\0"))
        return whole;
      const endpoint = resolveService(objects, pods, `${name}${rest}`, Number(port), localPort);
      return `//127.0.0.1:${endpoint.port}`;
    },
  );
}
