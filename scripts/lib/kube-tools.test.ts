import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureKubeTools, GO_TOOLS, type KubeTools, kubeconformArgs, kubeToolsDir } from "./kube-tools.ts";
import { capture } from "./proc.ts";
import { scratchDir } from "./scratch-dir.ts";

// The real tools, from the cache (`bun run kube:tools` builds them; a miss builds here, slowly).
let tools: KubeTools;
const scratch = scratchDir("todo-kube-tools-test-");
const work = scratch.path;
const { run, file } = scratch;

beforeAll(async () => {
  tools = await ensureKubeTools();
}, 1_800_000);

afterAll(() => scratch.remove());

/** A minimal valid Deployment (no resources, probes or security context: kube-score objects). */
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: task }
spec:
  selector: { matchLabels: { app: task } }
  template:
    metadata: { labels: { app: task } }
    spec: { containers: [{ name: task, image: "ghcr.io/todo-app/todo:1", ports: [{ containerPort: 8080 }] }] }
`;

const kubeconform = (...paths: string[]) => run([tools.kubeconform, ...kubeconformArgs(tools), ...paths]);

describe("ensureKubeTools", () => {
  test("every tool runs and reports its pinned version", async () => {
    const pinned = Object.fromEntries(GO_TOOLS.map((t) => [t.name, t.version]));
    expect((await run([tools.helm, "version", "--short"])).output.trim()).toBe(pinned.helm as string);
    expect((await run([tools.kubeconform, "-v"])).output.trim()).toBe(pinned.kubeconform as string);
    expect((await run([tools.kubeScore, "version"])).output).toContain(`version: ${pinned["kube-score"]}`);
    expect((await run([tools.actionlint, "-version"])).output.split("\n")[0]).toBe(
      pinned.actionlint as string,
    );
    expect((await run([tools.kubeApiserver, "--version"])).output.trim()).toBe("Kubernetes v1.36.3");
    expect((await run([tools.zizmor, "--version"])).output.trim()).toBe("zizmor 1.32.0");
  });

  test("a second call is a cache hit in the same directory", async () => {
    const t = performance.now();
    const again = await ensureKubeTools();
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(again.dir).toBe(tools.dir);
    expect(kubeToolsDir()).toBe(tools.dir);
    expect(existsSync(join(tools.dir, "manifest.json"))).toBe(true);
  });
});

describe("kubeconformArgs", () => {
  test("validates built-in kinds and every CRD family offline", async () => {
    const valid = file(
      "valid.yaml",
      `${deployment}---
apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata: { name: task-events, labels: { strimzi.io/cluster: todo } }
spec: { partitions: 3, replicas: 1 }
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: { name: todo-db }
spec: { instances: 1, storage: { size: 1Gi } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: todo }
spec:
  parentRefs: [{ name: todo }]
  rules: [{ matches: [{ path: { type: PathPrefix, value: / } }], backendRefs: [{ name: edge, port: 8080 }] }]
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: todo }
spec: { secretName: todo-tls, dnsNames: [todo.example.com], issuerRef: { name: letsencrypt, kind: ClusterIssuer } }
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: pubsub }
spec: { type: pubsub.kafka, version: v1, metadata: [{ name: brokers, value: "todo-kafka-bootstrap:9092" }] }
`,
    );
    const result = await kubeconform(valid);
    expect(result.output).toContain(
      "6 resources found in 1 file - Valid: 6, Invalid: 0, Errors: 0, Skipped: 0",
    );
    expect(result.code).toBe(0);
  });

  test("refuses unknown fields, wrong types, removed versions and unknown kinds", async () => {
    const cases = {
      unknownField: `apiVersion: v1
kind: Service
metadata: { name: s }
spec: { ports: [{ port: 80 }], typo: true }
`,
      wrongType: `apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata: { name: t }
spec: { partitions: "three" }
`,
      removedVersion: `apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata: { name: k }
spec: {}
`,
      unknownKind: `apiVersion: example.com/v1
kind: Widget
metadata: { name: w }
`,
    };
    const results = Object.fromEntries(
      await Promise.all(
        Object.entries(cases).map(async ([name, yaml]) => [
          name,
          await kubeconform(file(`${name}.yaml`, yaml)),
        ]),
      ),
    ) as Record<keyof typeof cases, { code: number; output: string }>;
    for (const r of Object.values(results)) expect(r.code).not.toBe(0);
    expect(results.unknownField.output).toContain("additional properties 'typo' not allowed");
    expect(results.wrongType.output).toMatch(/\/spec\/partitions.*got string, want integer/);
    expect(results.removedVersion.output).toContain("could not find schema for Kafka");
    expect(results.unknownKind.output).toContain("could not find schema for Widget");
  });
});

describe("the other tools on real input", () => {
  test("helm lints and renders a chart that kubeconform then accepts", async () => {
    const home = join(work, "helm-home");
    mkdirSync(home);
    const env = { ...process.env, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home };
    const created = await capture([tools.helm, "create", "demo"], { cwd: work, env });
    expect(created.code).toBe(0);
    const lint = await capture([tools.helm, "lint", "--strict", "demo"], { cwd: work, env });
    expect(lint.stdout).toContain("1 chart(s) linted, 0 chart(s) failed");
    const rendered = await capture([tools.helm, "template", "todo", "demo"], { cwd: work, env });
    expect(rendered.code).toBe(0);
    const result = await kubeconform(file("demo.yaml", rendered.stdout));
    expect(result.output).toMatch(/Valid: [1-9]\d*, Invalid: 0, Errors: 0, Skipped: 0/);
    expect(result.code).toBe(0);
  });

  test("kube-score flags a container without resource limits", async () => {
    const path = file("score.yaml", deployment);
    const result = await run([tools.kubeScore, "score", "--output-format", "ci", path]);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("[CRITICAL] task apps/v1/Deployment: (task) CPU limit is not set");
  });

  test("actionlint and zizmor find the problems in a bad workflow", async () => {
    const dir = join(work, "repo", ".github", "workflows");
    mkdirSync(dir, { recursive: true });
    const workflow = join(dir, "bad.yml");
    writeFileSync(
      workflow,
      `name: bad
on: issues
jobs:
  greet:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "\${{ github.event.issue.title }}"
      - uses: actions/checkout@v9999
`,
    );
    const lint = await run([tools.actionlint, "-no-color", workflow]);
    expect(lint.code).not.toBe(0);
    expect(lint.output).toContain("github.event.issue.title");
    const audit = await run([tools.zizmor, "--offline", "--no-progress", workflow]);
    expect(audit.code).not.toBe(0);
    expect(audit.output).toContain("template-injection");
  });
});
