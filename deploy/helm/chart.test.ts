/**
 * The chart, read by the tools that read it in production: `helm lint --strict` and `helm template`
 * of every rendering (scripts/lib/chart.ts), `kubeconform -strict` against the Kubernetes schemas and
 * the operators' own CRD schemas (offline), `kube-score` with no CRITICAL finding but the ones
 * written down below; then what no tool checks: the chart agrees with the code and the local Dapr
 * run (services, APIs, topics, components, Dapr's own annotation names), every pod is locked down,
 * and bad values fail with a message that names the problem. The API-server half is
 * chart-cluster.test.ts; the chart running as processes is chart-run.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deadLetterTopic, Topics } from "@todo/platform/events";
import {
  chartDir,
  helmTemplate,
  type K8sObject,
  ofKind,
  parseManifests,
  RENDERINGS,
  renderChart,
  valuesArgs,
} from "../../scripts/lib/chart.ts";
import { daprModuleDir } from "../../scripts/lib/dapr-binaries.ts";
import { fillTemplate, RESOURCE_DIRS } from "../../scripts/lib/dapr-run.ts";
import { ensureKubeTools, type KubeTools, kubeconformArgs } from "../../scripts/lib/kube-tools.ts";
import { capture } from "../../scripts/lib/proc.ts";
import { SERVICES } from "../../scripts/lib/services.ts";

/**
 * kube-score findings accepted per rendering, each with its reason (docs/deploy.md repeats them).
 * Nothing else CRITICAL may appear.
 */
const KUBE_SCORE_EXCEPTIONS: Readonly<Record<string, readonly { test: string; why: string }[]>> = {
  minikube: [
    {
      test: "container-image-pull-policy",
      why: "Minikube runs images loaded into the node with `minikube image load`; there is no registry to pull from, so Always would fail",
    },
  ],
};

let tools: KubeTools;
const rendered = new Map<string, K8sObject[]>();
/** Each rendering's manifest, written to a file for the tools that read files. */
const files = new Map<string, string>();
const renderDir = mkdtempSync(join(tmpdir(), "todo-chart-"));
afterAll(() => rmSync(renderDir, { recursive: true, force: true }));

beforeAll(async () => {
  tools = await ensureKubeTools((m) => console.error(m));
  await Promise.all(
    RENDERINGS.map(async (r) => {
      const result = await helmTemplate(tools, r.valuesFiles);
      if (result.code !== 0) throw new Error(`helm template (${r.name}) failed:\n${result.stderr}`);
      const file = join(renderDir, `${r.name}.yaml`);
      writeFileSync(file, result.stdout);
      files.set(r.name, file);
      rendered.set(r.name, parseManifests(result.stdout));
    }),
  );
}, 600_000);

const objects = (name: string): K8sObject[] => {
  const o = rendered.get(name);
  if (!o) throw new Error(`rendering ${name} is missing`);
  return o;
};

type Container = {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  startupProbe?: unknown;
};
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  serviceAccountName?: string;
};
const podSpec = (d: K8sObject) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const podAnnotations = (d: K8sObject) =>
  (d.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata
    .annotations ?? {};

describe("helm", () => {
  test.each(RENDERINGS.map((r) => [r.name, r.valuesFiles] as const))(
    "lint --strict passes (%s)",
    async (_name, files) => {
      const result = await capture([tools.helm, "lint", "--strict", chartDir, ...valuesArgs(files)]);
      expect(`${result.stdout}${result.stderr}`).toContain("1 chart(s) linted, 0 chart(s) failed");
      expect(result.code).toBe(0);
    },
  );
});

describe("kubeconform -strict (Kubernetes 1.36 schemas, operators' CRD schemas, offline)", () => {
  test.each(RENDERINGS.map((r) => [r.name] as const))("every object of %s is valid", async (name) => {
    const result = await capture([tools.kubeconform, ...kubeconformArgs(tools), files.get(name) ?? ""]);
    const summary =
      /Summary: (\d+) resources? found .*?- Valid: (\d+), Invalid: (\d+), Errors: (\d+), Skipped: (\d+)/.exec(
        result.stdout,
      );
    if (!summary) throw new Error(`no kubeconform summary:\n${result.stdout}${result.stderr}`);
    const [found, valid, invalid, errors, skipped] = summary.slice(1).map(Number);
    expect({ invalid, errors, skipped, findings: invalid || errors ? result.stdout : "" }).toEqual({
      invalid: 0,
      errors: 0,
      skipped: 0,
      findings: "",
    });
    expect(valid).toBe(objects(name).length);
    expect(found).toBe(valid);
    expect(result.code).toBe(0);
  });
  test("backups and a restore render as valid CloudNativePG resources", async () => {
    const result = await helmTemplate(tools, [], {
      extra: [
        "--set-json",
        'postgresql.cloudnativepg.backup={"volumeSnapshot":{"className":"csi-snapclass"}}',
        "--set-json",
        'postgresql.cloudnativepg.scheduledBackup={"schedule":"0 0 3 * * *","method":"volumeSnapshot"}',
        "--set-json",
        'postgresql.cloudnativepg.bootstrap={"recovery":{"backup":{"name":"todo-db-20261206"}}}',
      ],
    });
    expect(result.stderr).toBe("");
    const objs = parseManifests(result.stdout);
    const cluster = ofKind(objs, "Cluster")[0] as K8sObject;
    expect(cluster.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    expect(cluster.spec?.bootstrap).toEqual({ recovery: { backup: { name: "todo-db-20261206" } } });
    expect(ofKind(objs, "ScheduledBackup")[0]?.spec).toEqual({
      cluster: { name: "todo-db" },
      backupOwnerReference: "self",
      schedule: "0 0 3 * * *",
      method: "volumeSnapshot",
    });
    const file = join(renderDir, "backups.yaml");
    writeFileSync(file, result.stdout);
    const checked = await capture([tools.kubeconform, ...kubeconformArgs(tools), file]);
    expect(checked.stdout).toContain("Invalid: 0, Errors: 0, Skipped: 0");
  });
});

describe("kube-score", () => {
  test.each(RENDERINGS.map((r) => [r.name] as const))("finds nothing CRITICAL in %s", async (name) => {
    const ignored = KUBE_SCORE_EXCEPTIONS[name] ?? [];
    const result = await capture([
      tools.kubeScore,
      "score",
      "--output-format",
      "ci",
      ...ignored.flatMap((e) => ["--ignore-test", e.test]),
      files.get(name) ?? "",
    ]);
    const critical = result.stdout.split("\n").filter((line) => line.startsWith("[CRITICAL]"));
    expect(critical).toEqual([]);
    expect(result.stdout).toContain("[OK]");
  });
});

const deployments = (name: string) => ofKind(objects(name), "Deployment");
const serviceDeployments = (name: string) =>
  deployments(name).filter((d) => podAnnotations(d)["dapr.io/app-id"] !== undefined);
const envOf = (c: Container) => new Map((c.env ?? []).map((e) => [e.name, e]));

describe("the chart agrees with the code", () => {
  test("one Deployment per service, with Dapr app id, command and migrate step", () => {
    for (const r of RENDERINGS) {
      const byApp = new Map(serviceDeployments(r.name).map((d) => [podAnnotations(d)["dapr.io/app-id"], d]));
      expect([...byApp.keys()].sort()).toEqual(SERVICES.map((s) => s.name).sort());
      for (const s of SERVICES) {
        const spec = podSpec(byApp.get(s.name) as K8sObject);
        const [main] = spec.containers;
        expect(main?.args).toEqual([s.name]);
        expect(spec.initContainers?.map((c) => c.args)).toEqual([[s.name, "migrate"]]);
        const env = envOf(main as Container);
        expect(podAnnotations(byApp.get(s.name) as K8sObject)["dapr.io/app-port"]).toBe(
          env.get("GRPC_PORT")?.value,
        );
        expect(main?.ports?.map((p) => p.containerPort).sort()).toEqual(
          ["PORT", "GRPC_PORT", "METRICS_PORT"].map((k) => Number(env.get(k)?.value)).sort(),
        );
      }
    }
  });

  test("the Gateway routes every API to its service's h2c port and the rest to the edge", () => {
    const route = ofKind(objects("default"), "HTTPRoute").find(
      (r) => r.metadata.name === "todo",
    ) as K8sObject;
    const rules = (
      route.spec as {
        rules: { matches: { path: { value: string } }[]; backendRefs: { name: string; port: number }[] }[];
      }
    ).rules;
    const target = new Map(
      rules.flatMap((rule) => rule.matches.map((m) => [m.path.value, rule.backendRefs[0]])),
    );
    for (const s of SERVICES) {
      expect(target.get(`/${s.apis[0]}/`)).toEqual({ name: `todo-${s.name}`, port: 50051 });
      for (const path of s.paths) expect(target.get(path)).toEqual({ name: `todo-${s.name}`, port: 8080 });
    }
    expect(target.get("/")).toEqual({ name: "todo-edge", port: 8080 });
  });

  test("the edge forwards every API and path to the service that owns it", () => {
    const edge = deployments("default").find((d) => d.metadata.name === "todo-edge") as K8sObject;
    const routes = envOf(podSpec(edge).containers[0] as Container).get("EDGE_ROUTES")?.value ?? "";
    const expected = SERVICES.flatMap((s) =>
      [...s.apis, ...s.paths].map((k) => `${k}=http://todo-${s.name}:8080`),
    );
    expect(routes.split(",").sort()).toEqual(expected.sort());
    // Behind the TLS-terminating Gateway: X-Forwarded-Proto is believed, for HSTS.
    expect(envOf(podSpec(edge).containers[0] as Container).get("TRUST_FORWARDED_PROTO")?.value).toBe("true");
  });

  test("Strimzi has a KafkaTopic for every topic and its dead-letter topic, with the prefix", async () => {
    const names = Object.values(Topics).flatMap((t) => [t, deadLetterTopic(t)]);
    const topicNames = (objs: K8sObject[]) =>
      ofKind(objs, "KafkaTopic").map((t) => (t.spec as { topicName: string }).topicName);
    expect(topicNames(objects("minikube")).sort()).toEqual(names.sort());
    const prefixed = await renderChart(tools, [], { sets: { "kafka.topicPrefix": "staging." } });
    expect(topicNames(prefixed).sort()).toEqual(names.map((n) => `staging.${n}`).sort());
    expect(ofKind(objects("gke-external"), "KafkaTopic")).toEqual([]);
  });

  test("the Dapr resources are the local run's: components, subscriptions, resiliency", () => {
    const local = RESOURCE_DIRS.flatMap((dir) =>
      [...new Bun.Glob("*.yaml").scanSync(join(chartDir, "..", "..", "..", dir))].flatMap((f) =>
        parseManifests(
          fillTemplate(
            readFileSync(join(chartDir, "..", "..", "..", dir, f), "utf8"),
            {
              KAFKA_BROKERS: "127.0.0.1:9092",
              KAFKA_TOPIC_PREFIX: "",
              OTEL_EXPORTER_OTLP_HOST: "127.0.0.1:4318",
              DAPR_TRACE_SAMPLING_RATE: "0",
              DIGEST_SCHEDULE: "@every 15m",
              RUN_DIR: "/run",
            },
            f,
          ),
        ),
      ),
    );
    const chart = objects("default").filter((o) => o.apiVersion.startsWith("dapr.io/"));
    const strip = (o: K8sObject) => ({ ...o, metadata: { name: o.metadata.name } });
    const named = (objs: K8sObject[], kind: string) =>
      new Map(objs.filter((o) => o.kind === kind).map((o) => [o.metadata.name, o]));
    for (const kind of ["Subscription", "Resiliency"]) {
      expect([...named(chart, kind).values()].map(strip)).toEqual(
        [...named(local, kind).values()].map(strip),
      );
    }
    const localComponents = named(local, "Component");
    const chartComponents = named(chart, "Component");
    expect([...chartComponents.keys()].sort()).toEqual([...localComponents.keys()].sort());
    const meta = (o: K8sObject | undefined) =>
      Object.fromEntries(
        (((o?.spec ?? {}) as { metadata?: { name: string; value?: string }[] }).metadata ?? []).map((m) => [
          m.name,
          m.value,
        ]),
      );
    for (const [name, component] of chartComponents) {
      const mine = localComponents.get(name);
      // The one difference: secrets come from Kubernetes Secrets instead of a local file.
      const localType =
        mine?.spec?.type === "secretstores.local.file" ? "secretstores.kubernetes" : mine?.spec?.type;
      expect(component.spec?.type).toBe(localType as never);
      if (component.spec?.type !== "pubsub.kafka") continue;
      // Same consumer groups and start offsets; a pod's name where the local run has a fresh uuid.
      expect(meta(component).consumerGroup).toBe(meta(mine).consumerGroup?.replace("{uuid}", "{podName}"));
      expect(meta(component).initialOffset).toBe(meta(mine).initialOffset);
      expect(meta(component).consumeRetryEnabled).toBe("false");
    }
    // Components that hold a consumer are scoped to the apps that use them; the subscriptions'
    // apps are among those scopes.
    for (const sub of named(chart, "Subscription").values()) {
      const pubsub = chartComponents.get((sub.spec as { pubsubname: string }).pubsubname);
      for (const app of sub.scopes ?? []) expect(pubsub?.scopes).toContain(app);
    }
  });

  test("every dapr.io annotation is one Dapr's sidecar injector knows", async () => {
    const source = readFileSync(
      join(await daprModuleDir(), "pkg", "injector", "annotations", "annotations.go"),
      "utf8",
    );
    const known = new Set([...source.matchAll(/"(dapr\.io\/[a-z0-9-]+)"/g)].map((m) => m[1]));
    expect(known.size).toBeGreaterThan(40);
    for (const r of RENDERINGS) {
      for (const d of serviceDeployments(r.name)) {
        for (const key of Object.keys(podAnnotations(d)).filter((k) => k.startsWith("dapr.io/"))) {
          expect({ key, known: known.has(key) }).toEqual({ key, known: true });
        }
      }
    }
  });
});

describe("monitoring: the very files observability/ tests, in the chart", () => {
  const files = join(chartDir, "files");
  test("the PrometheusRule carries every group of the recording and alert rules", () => {
    const [rule] = ofKind(objects("aks"), "PrometheusRule");
    const groups = ["recording.yaml", "alerts.yaml"].flatMap(
      (f) =>
        (Bun.YAML.parse(readFileSync(join(files, "prometheus", f), "utf8")) as { groups: unknown[] }).groups,
    );
    expect(rule).toBeDefined();
    expect((rule?.spec as { groups?: unknown[] } | undefined)?.groups).toEqual(groups);
  });

  test("every service and the edge is scraped as job todo-<name>, on its metrics port", () => {
    const objs = objects("aks");
    const [monitor] = ofKind(objs, "ServiceMonitor");
    expect((monitor?.spec as { jobLabel?: string } | undefined)?.jobLabel).toBe("todo.dev/metrics-job");
    const scraped = ofKind(objs, "Service").filter((s) => s.metadata.labels?.["todo.dev/metrics-job"]);
    expect(scraped.map((s) => s.metadata.labels?.["todo.dev/metrics-job"]).sort()).toEqual(
      [...SERVICES.map((s) => `todo-${s.name}`), "todo-edge"].sort(),
    );
    for (const s of scraped) {
      expect((s.spec as { ports: { name: string }[] }).ports.map((p) => p.name)).toContain("metrics");
    }
  });

  test("one dashboard ConfigMap per dashboard file, holding it unchanged", () => {
    const maps = ofKind(objects("aks"), "ConfigMap").filter((c) =>
      c.metadata.name.startsWith("todo-dashboard-"),
    );
    const dashboards = [...new Bun.Glob("*.json").scanSync(join(files, "grafana"))].sort();
    expect(maps.map((m) => Object.keys(m.data ?? {})[0]).sort()).toEqual(dashboards);
    for (const m of maps) {
      const [name, text] = Object.entries(m.data ?? {})[0] ?? [];
      expect(JSON.parse(text ?? "")).toEqual(
        JSON.parse(readFileSync(join(files, "grafana", name ?? ""), "utf8")),
      );
      expect(m.metadata.labels?.grafana_dashboard).toBe("1");
    }
  });

  test("the collector runs the validated configuration, with every variable it reads without a default", () => {
    const objs = objects("aks");
    const config = ofKind(objs, "ConfigMap").find((c) => c.metadata.name === "todo-otel-collector");
    const texts = ["config.yaml", "kubernetes.yaml"].map((f) =>
      readFileSync(join(files, "otel-collector", f), "utf8"),
    );
    expect([config?.data?.["config.yaml"], config?.data?.["kubernetes.yaml"]]).toEqual(
      texts.map((x) => x.trimEnd()),
    );
    const collector = deployments("aks").find((d) => d.metadata.name === "todo-otel-collector") as K8sObject;
    const env = new Set((podSpec(collector).containers[0]?.env ?? []).map((e) => e.name));
    const required = texts.flatMap((x) => [...x.matchAll(/\$\{env:([A-Z0-9_]+)\}/g)].map((m) => m[1]));
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(env.has(name as string)).toBe(true);
    for (const name of [
      "TRACES_OTLP_ENDPOINT",
      "PROMETHEUS_REMOTE_WRITE_URL",
      "LOGS_OTLP_HTTP_ENDPOINT",
      "LOGS_TENANT",
    ]) {
      expect(env.has(name)).toBe(true);
    }
    // The services and their sidecars send to it.
    const task = deployments("aks").find((d) => d.metadata.name === "todo-task") as K8sObject;
    const taskEnv = envOf(podSpec(task).containers[0] as Container);
    expect(taskEnv.get("OTEL_EXPORTER_OTLP_ENDPOINT")?.value).toBe(
      "http://todo-otel-collector.todo.svc:4318",
    );
    // Their log lines too, as OTLP log records (the collector's logs pipeline → Loki).
    expect(taskEnv.get("OTEL_LOGS_EXPORTER")?.value).toBe("otlp");
  });

  test("every service and the edge sends to the collector as todo-<name>, through its network policy", () => {
    const objs = objects("aks");
    const policies = ofKind(objs, "NetworkPolicy");
    for (const name of [...SERVICES.map((s) => s.name), "edge"]) {
      const d = deployments("aks").find((x) => x.metadata.name === `todo-${name}`) as K8sObject;
      const env = envOf(podSpec(d).containers[0] as Container);
      expect([name, env.get("OTEL_SERVICE_NAME")?.value]).toEqual([name, `todo-${name}`]);
      expect([name, env.get("OTEL_EXPORTER_OTLP_ENDPOINT")?.value]).toEqual([
        name,
        "http://todo-otel-collector.todo.svc:4318",
      ]);
      const policy = policies.find((p) => p.metadata.name === `todo-${name}`);
      const egress = (
        policy?.spec as { egress?: { to?: unknown[]; ports?: { port: number }[] }[] } | undefined
      )?.egress;
      const toCollector = egress?.find((e) =>
        JSON.stringify(e.to ?? []).includes('"app.kubernetes.io/name":"otel-collector"'),
      );
      expect([name, toCollector?.ports?.map((p) => p.port)]).toEqual([name, [4317, 4318]]);
    }
  });
});

describe("every pod is locked down", () => {
  test.each(RENDERINGS.map((r) => [r.name] as const))(
    "%s: non-root, read-only, no capabilities, probes, limits",
    (name) => {
      for (const d of deployments(name)) {
        const spec = podSpec(d);
        expect(spec.securityContext).toMatchObject({
          runAsNonRoot: true,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(spec.serviceAccountName).toBeTruthy();
        for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
          expect(c.securityContext).toMatchObject({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
          });
          for (const kind of ["requests", "limits"] as const) {
            expect(Object.keys(c.resources?.[kind] ?? {})).toEqual(expect.arrayContaining(["cpu", "memory"]));
          }
        }
        for (const c of spec.containers) {
          expect(c.readinessProbe).toBeDefined();
          expect(c.livenessProbe).toBeDefined();
        }
      }
      for (const d of serviceDeployments(name)) {
        const [main] = podSpec(d).containers;
        for (const probe of [main?.startupProbe, main?.readinessProbe, main?.livenessProbe]) {
          expect(probe).toMatchObject({ grpc: { port: 50051 } });
        }
      }
    },
  );

  test.each(RENDERINGS.map((r) => [r.name] as const))(
    "%s: the pods may read exactly the Secrets they use, and no secret value comes from values",
    (name) => {
      const objs = objects(name);
      const used = new Set<string>();
      for (const d of deployments(name)) {
        for (const c of [...(podSpec(d).initContainers ?? []), ...podSpec(d).containers]) {
          for (const e of c.env ?? []) {
            if (e.valueFrom?.secretKeyRef) used.add(e.valueFrom.secretKeyRef.name);
            if (e.name.endsWith("_SECRET_REF") && e.value) used.add(e.value.split("/")[0] as string);
          }
        }
      }
      for (const c of ofKind(objs, "Component")) {
        for (const m of (c.spec as { metadata: { secretKeyRef?: { name: string } }[] }).metadata) {
          if (m.secretKeyRef) used.add(m.secretKeyRef.name);
        }
      }
      const role = ofKind(objs, "Role").find((r) => r.metadata.name === "todo-secret-reader") as K8sObject;
      const readable = (role.rules as { resourceNames: string[] }[])[0]?.resourceNames ?? [];
      const config = ofKind(objs, "Configuration")[0]?.spec as {
        secrets: { scopes: { allowedSecrets: string[]; defaultAccess: string }[] };
      };
      // SMTP and model keys go to the app as env (secretKeyRef), not through Dapr.
      const throughDapr = [...used].filter((s) => readable.includes(s));
      expect(readable.sort()).toEqual(throughDapr.sort());
      expect(config.secrets.scopes[0]?.defaultAccess).toBe("deny");
      expect(config.secrets.scopes[0]?.allowedSecrets.sort()).toEqual(readable.sort());
      // The only Secret the chart writes is the generated JWT key.
      expect(ofKind(objs, "Secret").map((s) => s.metadata.name)).toEqual(
        objs.some((o) => o.kind === "Secret") ? ["todo-jwt"] : [],
      );
    },
  );

  test("only the Dapr sidecar gets an API token, for its Kubernetes secret store", () => {
    for (const r of RENDERINGS) {
      for (const d of serviceDeployments(r.name)) {
        const spec = podSpec(d) as PodSpec & {
          automountServiceAccountToken?: boolean;
          volumes: { name: string; projected?: { sources: { serviceAccountToken?: unknown }[] } }[];
        };
        expect(spec.automountServiceAccountToken).toBe(false);
        const annotations = podAnnotations(d);
        expect(annotations["dapr.io/disable-builtin-k8s-secret-store"]).toBe("true");
        const [volume, path] = (annotations["dapr.io/volume-mounts"] ?? "").split(":");
        expect(path).toBe("/var/run/secrets/kubernetes.io/serviceaccount");
        const token = spec.volumes.find((v) => v.name === volume);
        expect(token?.projected?.sources.some((s) => s.serviceAccountToken !== undefined)).toBe(true);
      }
    }
  });

  test("network policies deny by default and select every pod", () => {
    for (const r of RENDERINGS) {
      const policies = ofKind(objects(r.name), "NetworkPolicy");
      const deny = policies.find((p) => p.metadata.name === "todo-default-deny");
      expect(deny?.spec).toEqual({
        podSelector: {
          matchLabels: { "app.kubernetes.io/part-of": "todo", "app.kubernetes.io/instance": "todo" },
        },
        policyTypes: ["Ingress", "Egress"],
      });
      for (const d of deployments(r.name)) {
        const labels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template
          .metadata.labels;
        const own = policies.filter((p) => {
          const sel = (p.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector
            .matchLabels;
          return p !== deny && Object.entries(sel).every(([k, v]) => labels[k] === v);
        });
        expect({ deployment: d.metadata.name, policies: own.length }).toEqual({
          deployment: d.metadata.name,
          policies: 1,
        });
      }
    }
  });

  test("a Deployment under an autoscaler leaves its replica count to it", () => {
    const objs = objects("aks");
    const scaled = new Set(
      ofKind(objs, "HorizontalPodAutoscaler").map(
        (h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name,
      ),
    );
    expect(scaled.size).toBe(7);
    // The services and the edge; the collector runs as many replicas as otelCollector.replicas says.
    for (const d of deployments("aks").filter((x) => x.metadata.name !== "todo-otel-collector")) {
      expect(scaled.has(d.metadata.name)).toBe(true);
      expect((d.spec as { replicas?: number }).replicas).toBeUndefined();
    }
  });
});

describe("bad values fail with a message that names the problem", () => {
  const failure = async (files: string[], sets: Record<string, string> = {}) => {
    const result = await helmTemplate(tools, files, { sets });
    expect(result.code).not.toBe(0);
    return result.stderr;
  };

  test("a misspelt key in a values file", async () => {
    const file = join(renderDir, "typo.yaml");
    writeFileSync(file, "kafka:\n  topics:\n    partitons: 6\n");
    const stderr = await failure([file]);
    expect(stderr).toContain("at '/kafka/topics': additional properties 'partitons' not allowed");
  });

  test("a value of the wrong type", async () => {
    expect(await failure([], { "serviceDefaults.replicas": "two" })).toContain(
      "at '/serviceDefaults/replicas': got string, want integer",
    );
  });

  test("an external database without the Secret of its URL", async () => {
    expect(await failure([], { "postgresql.mode": "external" })).toContain(
      "postgresql.external.existingSecret: with postgresql.mode=external, name the Secret",
    );
  });

  test("SASL to an external Kafka without credentials, or a broker that is not host:port", async () => {
    const base = { "kafka.mode": "external", "kafka.external.brokers": "kafka.example.com:9092" };
    expect(await failure([], { ...base, "kafka.external.authType": "password" })).toContain(
      "kafka.external.existingSecret: with kafka.external.authType=password",
    );
    expect(await failure([], { ...base, "kafka.external.brokers": "kafka.example.com" })).toContain(
      'kafka.external.brokers: "kafka.example.com" is not host:port',
    );
  });

  test("an arm64-only node pool with an image built only for amd64", async () => {
    expect(await failure(["values-oke.yaml"], { imageArchitectures: "{amd64}" })).toContain(
      "nodeArchitectures: the nodes are arm64, but the images are built only for amd64",
    );
  });

  test("more database connections than PostgreSQL allows", async () => {
    expect(await failure(["values-aks.yaml"], { "postgresql.poolSize": "20" })).toContain(
      "postgresql.poolSize: 20 per replica across the services' replicas needs up to 620 connections, more than max_connections=300",
    );
  });

  test("TLS to an external Kafka without authentication (Dapr's component cannot)", async () => {
    const base = { "kafka.mode": "external", "kafka.external.brokers": "kafka.example.com:9092" };
    expect(await failure([], { ...base, "kafka.external.authType": "none" })).toContain(
      "kafka.external.tls: Dapr's Kafka component speaks TLS only with authentication",
    );
  });

  test("Let's Encrypt without a contact address, and a Gateway without a class", async () => {
    expect(await failure([], { "certManager.issuer.create": "letsencrypt" })).toContain(
      "certManager.issuer.acme.email: Let's Encrypt needs a contact e-mail address",
    );
    expect(await failure([], { "gateway.className": "" })).toContain(
      "gateway.className: name the GatewayClass",
    );
  });
});
