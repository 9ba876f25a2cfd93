/**
 * The chart runs. `helm install` of the Minikube values into a real kube-apiserver (with the
 * operators' CRDs), then everything the installed release describes is started on this machine as a
 * kubelet and Dapr's injector would start it: each Deployment's containers from the real images
 * (podman, host network, read-only root, no capabilities, the pod's user), with the chart's
 * arguments and environment (Secrets read from the API server), beside a real daprd whose flags come
 * from the pod's `dapr.io/*` annotations (scripts/lib/dapr-injector.ts), loading the chart's own Dapr
 * components, subscriptions, resiliency and configuration. Then one flow goes through the edge:
 * sign up, create a task with a reminder, the reminder reaches the inbox (task → outbox → Dapr
 * pub/sub → scheduler → Dapr job → reminders → notification), completing a recurring task creates the
 * next one (scheduler → task by Dapr service invocation), the assistant adds a task (assistant →
 * task by invocation).
 *
 * What this test plays, because no cluster runs here: the kubelet and the Service proxy (ports:
 * scripts/lib/chart-pods.ts), the injector, the operators (the Secret CloudNativePG would write, the
 * topics Strimzi's topic operator would create, on the test PostgreSQL and Kafka), Kubernetes DNS for
 * the sidecars (Dapr's sqlite name resolution) and the Dapr control plane (a local Dapr scheduler).
 * The only values it changes are the cluster's own addresses: Strimzi's bootstrap service becomes
 * the test broker, and a topic prefix keeps this run's topics apart on a shared broker.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescService } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Subprocess } from "bun";
import { Kafka, logLevel } from "kafkajs";
import { chartDir, type K8sObject, ofKind, parseManifests, valuesArgs } from "../../scripts/lib/chart.ts";
import {
  containerPorts,
  type Pod,
  podsOf,
  remapPorts,
  resolveEnv,
  resolveServiceUrls,
} from "../../scripts/lib/chart-pods.ts";
import { ensureDaprBinaries } from "../../scripts/lib/dapr-binaries.ts";
import {
  injectedAppEnvironment,
  injectedSidecarCommand,
  injectedSidecarEnvironment,
} from "../../scripts/lib/dapr-injector.ts";
import { type SidecarPorts, schedulerCommand, waitForHttp } from "../../scripts/lib/dapr-run.ts";
import { type BuiltImage, ensureImages } from "../../scripts/lib/images.ts";
import { type Container, removeImages, runContainer, startContainer } from "../../scripts/lib/images-run.ts";
import { installCrds, type KubeApiServer, startKubeApiServer } from "../../scripts/lib/kube-apiserver.ts";
import { ensureKubeTools, type KubeTools } from "../../scripts/lib/kube-tools.ts";
import { capture } from "../../scripts/lib/proc.ts";
import { waitHealthy } from "../../scripts/lib/services.ts";
import {
  connectTransport,
  createDatabase,
  dropDatabase,
  eventually,
  freePort,
  requireInfrastructure,
} from "../../tests/integration/system.ts";

const NAMESPACE = "todo";
const tag = crypto.randomUUID().replaceAll("-", "").slice(0, 10);
const prefix = `chartrun-${tag}.`;
const runDir = join(tmpdir(), `todo-chart-run-${tag}`);

let tools: KubeTools;
let server: KubeApiServer;
let images: Record<string, BuiltImage>;
let objects: K8sObject[];
let pods: Pod[];
let adminUrl: string;
let databaseName: string;
let edgeUrl: string;
const containers: { name: string; container: Container }[] = [];
const processes: { name: string; proc: Subprocess }[] = [];
/** Each pod's container port → the local port its process listens on. */
const portMaps = new Map<string, Map<number, number>>();
const sidecarPorts = new Map<string, SidecarPorts>();

const localPort = (pod: Pod, containerPort: number): number => {
  const local = portMaps.get(pod.deployment)?.get(containerPort);
  if (local === undefined) throw new Error(`${pod.deployment} has no container port ${containerPort}`);
  return local;
};

/** A Secret's decoded data from the API server (what the kubelet and Dapr's secret store read). */
async function readSecret(name: string): Promise<Record<string, string> | undefined> {
  const got = await server.kubectl(["-n", NAMESPACE, "get", "secret", name, "-o", "json"]);
  if (got.code !== 0) return undefined;
  const data = (JSON.parse(got.stdout) as { data?: Record<string, string> }).data ?? {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]));
}

function spawnLogged(name: string, cmd: string[], env: Record<string, string>): Subprocess {
  const log = Bun.file(join(runDir, "logs", `${name}.log`));
  const proc = Bun.spawn(cmd, { cwd: runDir, env, stdin: "ignore", stdout: log, stderr: log });
  processes.push({ name, proc });
  return proc;
}

/** The chart's Dapr resources as this machine's sidecars load them (see the file's comment). */
function writeDaprResources(kafkaBrokers: readonly string[]): { resources: string; configFile: string } {
  const resources = join(runDir, "resources");
  mkdirSync(resources, { recursive: true });
  const kafka = ofKind(objects, "Kafka")[0] as K8sObject;
  const listener = (
    kafka.spec as { kafka: { listeners: { name: string; port: number; tls: boolean }[] } }
  ).kafka.listeners.find((l) => !l.tls);
  // The address Strimzi gives the cluster's plain listener: the pub/sub components must name it.
  const bootstrap = `${kafka.metadata.name}-kafka-bootstrap.${NAMESPACE}.svc:${listener?.port}`;
  let configFile = "";
  for (const o of objects.filter((r) => r.apiVersion.startsWith("dapr.io/"))) {
    const resource = structuredClone(o) as K8sObject & { spec: Record<string, unknown> };
    if (o.kind === "Component") {
      const metadata = resource.spec.metadata as { name: string; value?: string }[];
      const brokers = metadata.find((m) => m.name === "brokers");
      if (brokers) {
        expect(brokers.value).toBe(bootstrap);
        brokers.value = kafkaBrokers.join(",");
      }
      if (resource.spec.type === "secretstores.kubernetes") {
        metadata.push({ name: "kubeconfigPath", value: server.kubeconfig });
        metadata.push({ name: "defaultNamespace", value: NAMESPACE });
      }
    }
    if (o.kind === "Configuration") {
      // Kubernetes DNS stands in for by a shared SQLite file, as in the local Dapr run.
      resource.spec.nameResolution = {
        component: "sqlite",
        configuration: {
          connectionString: join(runDir, "name-resolution.db"),
          updateInterval: "10s",
          timeout: "3s",
        },
      };
      configFile = join(runDir, `configuration-${o.metadata.name}.yaml`);
      // JSON is YAML; daprd reads only files named *.yaml.
      writeFileSync(configFile, JSON.stringify(resource));
      continue;
    }
    writeFileSync(join(resources, `${o.kind}-${o.metadata.name}.yaml`), JSON.stringify(resource));
  }
  return { resources, configFile };
}

/** Creates on the test broker the topics the chart's KafkaTopic resources ask for. */
async function createTopics(brokers: readonly string[]): Promise<string[]> {
  const topics = ofKind(objects, "KafkaTopic").map(
    (t) => t.spec as { topicName: string; partitions: number },
  );
  const admin = new Kafka({
    clientId: "chart-run",
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({ topic: t.topicName, numPartitions: t.partitions })),
    });
    return topics.map((t) => t.topicName);
  } finally {
    await admin.disconnect();
  }
}

/** The podman options of a container of `pod`: the pod's user and its emptyDir volumes. */
function podRuntime(pod: Pod, container: Pod["containers"][number]) {
  const user = container.securityContext?.runAsUser ?? pod.securityContext.runAsUser;
  const group = container.securityContext?.runAsGroup ?? pod.securityContext.runAsGroup;
  const tmpfs: Record<string, string> = {};
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes.find((v) => v.name === mount.name);
    if (!volume?.emptyDir) throw new Error(`${pod.deployment}: volume ${mount.name} is not an emptyDir`);
    tmpfs[mount.mountPath] = (volume.emptyDir.sizeLimit ?? "64Mi").replace(/i$/, "").toLowerCase();
  }
  return {
    network: "host" as const,
    ...(user !== undefined ? { user: `${user}:${group ?? user}` } : {}),
    tmpfs,
  };
}

function imageOf(container: { image: string }): BuiltImage {
  const name = container.image.split("/").at(-1)?.split(/[:@]/)[0] ?? "";
  const image = images[name];
  if (!image) throw new Error(`the chart runs ${container.image}; no image ${name} is built`);
  return image;
}

beforeAll(async () => {
  const infra = requireInfrastructure();
  adminUrl = infra.databaseUrl;
  mkdirSync(join(runDir, "logs"), { recursive: true });
  tools = await ensureKubeTools((m) => console.error(m));
  const [binaries, built] = await Promise.all([
    ensureDaprBinaries((m) => console.error(m)),
    ensureImages(["amd64"], (m) => console.error(m)),
  ]);
  images = Object.fromEntries(built.map((i) => [i.name, i]));
  server = await startKubeApiServer({ tools });
  await installCrds(server.kubeconfig);
  expect((await server.kubectl(["create", "namespace", NAMESPACE])).code).toBe(0);

  // CloudNativePG's part: the database, and the Secret `<cluster>-app` with its `uri`.
  databaseName = `todo_chart_${tag}`;
  const databaseUrl = await createDatabase(adminUrl, databaseName);
  const helm = (args: string[]) => capture([tools.helm, ...args], { env: { ...process.env, ...server.env } });
  const values = valuesArgs(["values-minikube.yaml"], { "kafka.topicPrefix": prefix });
  const rendered = parseManifests(
    (await helm(["template", "todo", chartDir, "-n", NAMESPACE, ...values])).stdout,
  );
  const [cluster] = ofKind(rendered, "Cluster");
  expect(
    (
      await server.kubectl([
        "-n",
        NAMESPACE,
        "create",
        "secret",
        "generic",
        `${cluster?.metadata.name}-app`,
        `--from-literal=uri=${databaseUrl}`,
      ])
    ).code,
  ).toBe(0);

  const installed = await helm(["install", "todo", chartDir, "-n", NAMESPACE, ...values]);
  expect(installed.stderr).toBe("");
  // What the cluster holds now is what runs.
  objects = parseManifests((await helm(["get", "manifest", "todo", "-n", NAMESPACE])).stdout);
  pods = podsOf(objects);
  await createTopics(infra.kafkaBrokers);
  const { resources, configFile } = writeDaprResources(infra.kafkaBrokers);

  // The control plane: the Dapr scheduler (jobs).
  const scheduler = {
    grpc: await freePort(),
    healthz: await freePort(),
    metrics: await freePort(),
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
  };
  mkdirSync(join(runDir, "scheduler"));
  const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" };
  spawnLogged("dapr-scheduler", schedulerCommand(binaries, scheduler, join(runDir, "scheduler")), base);
  await waitForHttp(`http://127.0.0.1:${scheduler.healthz}/healthz`, "the Dapr scheduler");

  for (const pod of pods) {
    const map = new Map<number, number>();
    for (const port of containerPorts(pod)) map.set(port, await freePort());
    portMaps.set(pod.deployment, map);
  }

  // Init containers first (every pod's `migrate`), as the kubelet runs them before the others.
  await Promise.all(
    pods.flatMap((pod) =>
      pod.initContainers.map(async (c) => {
        const run = await runContainer({
          layout: imageOf(c).layout,
          arch: "amd64",
          args: c.args ?? [],
          env: remapPorts(await resolveEnvFromServer(c), portMaps.get(pod.deployment) ?? new Map()),
          ...podRuntime(pod, c),
        });
        if (run.code !== 0) {
          throw new Error(`${pod.deployment}/${c.name} exited with ${run.code}:\n${run.stdout}${run.stderr}`);
        }
      }),
    ),
  );

  for (const pod of pods) {
    const dapr = pod.annotations["dapr.io/enabled"] === "true";
    let injected: Record<string, string> = {};
    if (dapr) {
      const ports = {
        http: await freePort(),
        grpc: await freePort(),
        internalGrpc: await freePort(),
        metrics: await freePort(),
      };
      sidecarPorts.set(pod.deployment, ports);
      spawnLogged(
        `${pod.deployment}-daprd`,
        injectedSidecarCommand(binaries, pod.annotations, {
          ports,
          appPort: (annotated) => localPort(pod, annotated),
          configFile: (name) => {
            const config = ofKind(objects, "Configuration").find((c) => c.metadata.name === name);
            if (!config) throw new Error(`dapr.io/config names ${name}; the chart has no such Configuration`);
            return configFile;
          },
          resources,
          schedulerGrpcPort: scheduler.grpc,
        }),
        { ...base, ...injectedSidecarEnvironment(`${pod.deployment}-0`, NAMESPACE) },
      );
      injected = injectedAppEnvironment(pod.annotations, ports);
    }
    for (const c of pod.containers) {
      const env = remapPorts(await resolveEnvFromServer(c), portMaps.get(pod.deployment) ?? new Map());
      for (const [k, v] of Object.entries(env)) env[k] = resolveServiceUrls(v, objects, pods, localPort);
      const container = await startContainer({
        layout: imageOf(c).layout,
        arch: "amd64",
        args: c.args ?? [],
        env: { ...env, ...injected },
        ...podRuntime(pod, c),
      });
      containers.push({ name: `${pod.deployment}/${c.name}`, container });
    }
  }

  // Ready as the kubelet sees it: each container's readiness probe on its (mapped) port.
  await Promise.all(
    pods.flatMap((pod) =>
      pod.containers.map(async (c) => {
        const probe = c.readinessProbe;
        const running = containers.find((x) => x.name === `${pod.deployment}/${c.name}`)?.container;
        const died = running?.exited.then((code) => {
          throw new Error(
            `${pod.deployment}/${c.name} exited with ${code}:\n${running.output().slice(-3000)}`,
          );
        });
        if (probe?.grpc) {
          await Promise.race([waitHealthy(pod.deployment, localPort(pod, 8080), 120_000), died]);
        } else if (probe?.httpGet) {
          const port =
            typeof probe.httpGet.port === "number"
              ? probe.httpGet.port
              : c.ports?.find((p) => p.name === probe.httpGet?.port)?.containerPort;
          await Promise.race([
            waitForHttp(
              `http://127.0.0.1:${localPort(pod, port ?? 0)}${probe.httpGet.path}`,
              pod.deployment,
              120_000,
            ),
            died,
          ]);
        } else {
          throw new Error(`${pod.deployment}/${c.name} has no readiness probe`);
        }
      }),
    ),
  );
  await Promise.all(
    [...sidecarPorts].map(([name, ports]) =>
      waitForHttp(`http://127.0.0.1:${ports.http}/v1.0/healthz`, `${name}'s sidecar`, 90_000),
    ),
  );
  const edgePod = pods.find((p) => p.labels["app.kubernetes.io/name"] === "edge") as Pod;
  edgeUrl = `http://127.0.0.1:${localPort(edgePod, 8080)}`;
}, 600_000);

/** The environment of `c`, its Secrets read from the API server as the kubelet reads them. */
async function resolveEnvFromServer(c: Pod["containers"][number]): Promise<Record<string, string>> {
  const secrets = new Map<string, Record<string, string> | undefined>();
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && !secrets.has(ref.name)) secrets.set(ref.name, await readSecret(ref.name));
  }
  return resolveEnv(c, (name) => secrets.get(name));
}

afterAll(async () => {
  await Promise.all(containers.map((c) => c.container.stop()));
  for (const { proc } of [...processes].reverse()) proc.kill("SIGTERM");
  await Promise.race([Promise.all(processes.map((p) => p.proc.exited)), Bun.sleep(10_000)]);
  for (const { proc } of processes) proc.kill("SIGKILL");
  await removeImages(containers.map((c) => c.container.image));
  await server?.stop();
  if (databaseName) await dropDatabase(adminUrl, databaseName);
  if (process.env.INTEGRATION_KEEP_LOGS !== "1") rmSync(runDir, { recursive: true, force: true });
  else console.log(`chart-run logs kept in ${runDir}`);
}, 120_000);

/** A client of `service` through the edge (HTTP/1.1 Connect, as a browser), acting with `token`. */
const client = <S extends DescService>(service: S, token?: string) =>
  createClient(service, connectTransport(edgeUrl, token));

async function signUp(): Promise<string> {
  const { accessToken } = await client(AuthService).signUp({
    email: `chart-${crypto.randomUUID()}@example.test`,
    password: "correct horse battery staple",
    timeZone: "Europe/Berlin",
  });
  expect(accessToken).not.toBe("");
  return accessToken;
}

describe("the chart's Minikube release, run as its pods", () => {
  test("every sidecar loaded the chart's components and subscriptions", async () => {
    for (const [name, ports] of sidecarPorts) {
      const res = await fetch(`http://127.0.0.1:${ports.http}/v1.0/metadata`);
      const meta = (await res.json()) as {
        id: string;
        components?: { name: string }[];
        subscriptions?: { topic: string; deadLetterTopic?: string }[];
      };
      const pod = pods.find((p) => p.deployment === name) as Pod;
      expect(meta.id).toBe(pod.annotations["dapr.io/app-id"] as string);
      const loaded = new Set((meta.components ?? []).map((c) => c.name));
      // Every component scoped to this app (or to every app) is loaded, with nothing else.
      const expected = ofKind(objects, "Component")
        .filter((c) => !c.scopes || c.scopes.includes(meta.id))
        .map((c) => c.metadata.name);
      expect([...loaded].sort()).toEqual(expected.sort());
      for (const s of meta.subscriptions ?? []) {
        expect(s.topic.startsWith(prefix)).toBe(true);
        if (!s.topic.endsWith("task-updates")) expect(s.deadLetterTopic).toBe(`${s.topic}.dlq`);
      }
    }
  });

  test("a reminder set through the edge reaches the inbox once, never early", async () => {
    const token = await signUp();
    const fireAt = new Date(Math.ceil((Date.now() + 6000) / 1000) * 1000);
    const { task } = await client(TaskService, token).createTask({
      task: {
        title: "Renew the passport",
        reminders: [{ trigger: { case: "at", value: timestampFromDate(fireAt) } }],
      },
    });
    const inbox = client(NotificationService, token);
    const [notification] = await eventually(
      "the reminder in the inbox",
      async () => {
        const found = (await inbox.listNotifications({})).notifications.filter((n) => n.taskId === task?.id);
        return found.length > 0 ? found : undefined;
      },
      45_000,
    );
    expect(notification?.title).toContain("Renew the passport");
    expect(Number(notification?.createTime?.seconds ?? 0) * 1000).toBeGreaterThanOrEqual(
      fireAt.getTime() - 999,
    );
    await Bun.sleep(1500);
    expect(
      (await inbox.listNotifications({})).notifications.filter((n) => n.taskId === task?.id),
    ).toHaveLength(1);
  }, 90_000);

  test("completing a recurring task creates the next one (scheduler → task through Dapr)", async () => {
    const token = await signUp();
    const tasks = client(TaskService, token);
    const due = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 24 * 3600_000);
    const { task } = await tasks.createTask({
      task: {
        title: "Water the plants",
        dueTime: timestampFromDate(due),
        timeZone: "UTC",
        recurrence: { rrule: "FREQ=DAILY;COUNT=3", anchor: RecurrenceAnchor.SCHEDULE },
      },
    });
    await tasks.completeTask({ id: task?.id ?? "" });
    const next = await eventually(
      "the next instance",
      async () =>
        (await tasks.listTasks({ filter: "status = OPEN" })).tasks.find(
          (t) => t.seriesId === task?.seriesId && t.id !== task?.id,
        ),
      45_000,
    );
    expect(Number(next.dueTime?.seconds ?? 0) * 1000).toBe(due.getTime() + 24 * 3600_000);
  }, 90_000);

  test("the assistant adds a task (assistant → task through Dapr)", async () => {
    const token = await signUp();
    const added = await client(AssistantService, token).chat({ message: "add buy milk tomorrow #errands" });
    expect(added.actions[0]?.tasks[0]?.title).toBe("buy milk");
    const [stored] = (await client(TaskService, token).listTasks({})).tasks;
    expect(stored?.tags).toEqual(["errands"]);
  }, 60_000);
});
