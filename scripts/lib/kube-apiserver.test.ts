import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installCrds, type KubeApiServer, startKubeApiServer } from "./kube-apiserver.ts";
import { crdYamlFiles } from "./kube-tools.ts";

// A real etcd + kube-apiserver: a missing binary fails here, loudly (see kube-tools.ts for the build).
let server: KubeApiServer | undefined;
let crds: string[] = [];
const work = mkdtempSync(join(tmpdir(), "todo-kube-apiserver-test-"));

beforeAll(async () => {
  server = await startKubeApiServer();
  const rss = server.rss();
  console.error(
    `kube-apiserver ready in ${server.readyMs} ms; RSS apiserver ${(rss.apiserver / 2 ** 20).toFixed(0)} MiB, etcd ${(rss.etcd / 2 ** 20).toFixed(0)} MiB`,
  );
  const t = performance.now();
  crds = await installCrds(server.kubeconfig);
  const after = server.rss();
  console.error(
    `${crds.length} CRDs installed and Established in ${(performance.now() - t).toFixed(0)} ms; RSS apiserver ${(after.apiserver / 2 ** 20).toFixed(0)} MiB`,
  );
}, 180_000);

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function running(): KubeApiServer {
  if (!server) throw new Error("the API server did not start (see beforeAll)");
  return server;
}

/** `kubectl apply --dry-run=server` of one manifest; returns exit code and all output. */
async function dryRun(name: string, yaml: string): Promise<{ code: number; output: string }> {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, yaml);
  const result = await running().kubectl(["apply", "--dry-run=server", "-f", file]);
  return { code: result.code, output: `${result.stdout}${result.stderr}` };
}

const kafkaTopic = (partitions: string) => `apiVersion: kafka.strimzi.io/v1
kind: KafkaTopic
metadata:
  name: task-events
  labels: { strimzi.io/cluster: todo }
spec:
  partitions: ${partitions}
  replicas: 1
`;

const deployment = (port: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: task }
spec:
  selector: { matchLabels: { app: task } }
  template:
    metadata: { labels: { app: task } }
    spec:
      containers:
        - name: task
          image: ghcr.io/todo-app/todo:test
          args: [task]
          ports: [{ name: http, containerPort: ${port} }]
`;

describe("startKubeApiServer", () => {
  test("serves the stamped Kubernetes version", async () => {
    const result = await running().kubectl(["version", "-o", "json"]);
    expect(result.code).toBe(0);
    const version = JSON.parse(result.stdout) as { serverVersion?: { gitVersion?: string } };
    expect(version.serverVersion?.gitVersion).toBe("v1.36.3");
  });

  test("installCrds establishes every vendored CRD", async () => {
    expect(crds.length).toBe(25);
    expect(crdYamlFiles().length).toBe(25);
    const result = await running().kubectl(["get", "crd", "-o", "name"]);
    expect(result.code).toBe(0);
    for (const name of [
      "kafkatopics.kafka.strimzi.io",
      "clusters.postgresql.cnpg.io",
      "httproutes.gateway.networking.k8s.io",
      "prometheusrules.monitoring.coreos.com",
    ])
      expect(result.stdout).toContain(`customresourcedefinition.apiextensions.k8s.io/${name}`);
    expect(result.stdout.trim().split("\n").length).toBe(crds.length);
  });

  test("accepts a valid KafkaTopic and refuses one whose partitions is a string", async () => {
    const ok = await dryRun("topic-ok", kafkaTopic("3"));
    expect(ok.output).toContain("kafkatopic.kafka.strimzi.io/task-events created (server dry run)");
    expect(ok.code).toBe(0);
    const bad = await dryRun("topic-bad", kafkaTopic('"three"'));
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain("spec.partitions");
    expect(bad.output).toMatch(/must be of type integer|expected integer|Invalid value/);
  });

  test("accepts a valid Deployment and refuses a container port 99999", async () => {
    const ok = await dryRun("deploy-ok", deployment(8080));
    expect(ok.output).toContain("deployment.apps/task created (server dry run)");
    expect(ok.code).toBe(0);
    const bad = await dryRun("deploy-bad", deployment(99999));
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain("spec.template.spec.containers[0].ports[0].containerPort");
    expect(bad.output).toContain("between 1 and 65535");
  });

  test("applies the CRDs' own rules: a CloudNativePG Cluster needs at least one instance", async () => {
    const cluster = (instances: number) => `apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: { name: todo-db }
spec:
  instances: ${instances}
  storage: { size: 1Gi }
`;
    const ok = await dryRun("cluster-ok", cluster(1));
    expect(ok.output).toContain("cluster.postgresql.cnpg.io/todo-db created (server dry run)");
    const bad = await dryRun("cluster-bad", cluster(0));
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain("spec.instances");
  });

  test("stop() ends kube-apiserver and etcd and removes their data", async () => {
    const s = running();
    const dir = join(s.kubeconfig, "..");
    await s.stop();
    expect(existsSync(`/proc/${s.pids.apiserver}`)).toBe(false);
    expect(existsSync(`/proc/${s.pids.etcd}`)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await s.stop(); // a second stop is harmless
  }, 30_000);
});
