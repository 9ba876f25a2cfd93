/**
 * The chart against a real Kubernetes API server (kube-apiserver v1.36 on etcd, built and cached by
 * scripts/lib/kube-tools.ts, started by scripts/lib/kube-apiserver.ts) with the operators' CRDs
 * installed (deploy/crds: Dapr, Strimzi, CloudNativePG, cert-manager, Gateway API): every rendering
 * passes `kubectl apply --dry-run=server` (the server's own validation, admission and defaulting,
 * which caught errors that kubeconform and helm both passed), and `helm install` of each values
 * file succeeds (no --wait: no kubelet or controller runs, so nothing is scheduled). Against a live
 * server the chart also checks that the Secrets named in the values exist, and keeps the generated
 * JWT key across upgrades.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chartDir, helmTemplate, parseManifests, RENDERINGS, valuesArgs } from "../../scripts/lib/chart.ts";
import { installCrds, type KubeApiServer, startKubeApiServer } from "../../scripts/lib/kube-apiserver.ts";
import { ensureKubeTools, type KubeTools } from "../../scripts/lib/kube-tools.ts";
import { capture } from "../../scripts/lib/proc.ts";

let tools: KubeTools;
let server: KubeApiServer;
const dir = mkdtempSync(join(tmpdir(), "todo-chart-cluster-"));

beforeAll(async () => {
  tools = await ensureKubeTools((m) => console.error(m));
  server = await startKubeApiServer({ tools });
  await installCrds(server.kubeconfig);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs helm against the server. */
const helm = (args: readonly string[]) =>
  capture([tools.helm, ...args], { env: { ...process.env, ...server.env } });

/** Creates a namespace, and the Secrets an external-services install names. */
async function namespace(name: string, secrets: Record<string, Record<string, string>> = {}): Promise<void> {
  const created = await server.kubectl(["create", "namespace", name]);
  expect(created.stderr).toBe("");
  for (const [secret, data] of Object.entries(secrets)) {
    const args = Object.entries(data).map(([k, v]) => `--from-literal=${k}=${v}`);
    const made = await server.kubectl(["-n", name, "create", "secret", "generic", secret, ...args]);
    expect(made.stderr).toBe("");
  }
}

/** The Secrets values-external.yaml names (what docs/deploy-external.md has the reader create). */
const externalSecrets = {
  "kafka-credentials": { username: "api-key", password: "api-secret" },
  "neon-database": {
    uri: "postgres://todo:secret@ep-example.eu-central-1.aws.neon.tech/todo?sslmode=verify-full",
  },
};
const needsExternal = (files: readonly string[]) => files.includes("values-external.yaml");

describe("kubectl apply --dry-run=server", () => {
  test.each(RENDERINGS.map((r) => [r.name, r.valuesFiles] as const))(
    "accepts every object of %s",
    async (name, files) => {
      const ns = `dry-${name}`;
      await namespace(ns);
      const rendered = await helmTemplate(tools, files, { namespace: ns });
      expect(rendered.stderr).toBe("");
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, rendered.stdout);
      const applied = await server.kubectl(["apply", "--dry-run=server", "-n", ns, "-f", file]);
      expect(applied.stderr).toBe("");
      expect(applied.code).toBe(0);
      const lines = applied.stdout.trim().split("\n");
      expect(lines.length).toBe(parseManifests(rendered.stdout).length);
      for (const line of lines) expect(line).toEndWith("(server dry run)");
    },
  );
});

describe("helm install", () => {
  test.each(RENDERINGS.map((r) => [r.name, r.valuesFiles] as const))(
    "installs %s, and the API server holds what it rendered",
    async (name, files) => {
      const ns = `install-${name}`;
      await namespace(ns, needsExternal(files) ? externalSecrets : {});
      const installed = await helm(["install", "todo", chartDir, "-n", ns, ...valuesArgs(files)]);
      expect(installed.stderr).toBe("");
      expect(installed.stdout).toContain("STATUS: deployed");
      const deployments = await server.kubectl(["-n", ns, "get", "deployments", "-o", "name"]);
      const rendered = parseManifests((await helmTemplate(tools, files, { namespace: ns })).stdout);
      expect(deployments.stdout.trim().split("\n").sort()).toEqual(
        rendered
          .filter((o) => o.kind === "Deployment")
          .map((d) => `deployment.apps/${d.metadata.name}`)
          .sort(),
      );
      expect(deployments.stdout).toContain("deployment.apps/todo-task");
      const components = await server.kubectl(["-n", ns, "get", "components.dapr.io", "-o", "name"]);
      expect(components.stdout.trim().split("\n").length).toBe(5);
    },
  );

  test("an upgrade keeps the generated JWT key, so signed-in users stay signed in", async () => {
    const ns = "install-minikube";
    const key = async () =>
      (await server.kubectl(["-n", ns, "get", "secret", "todo-jwt", "-o", "jsonpath={.data.jwt-secret}"]))
        .stdout;
    const before = await key();
    expect(before.length).toBeGreaterThan(40);
    const upgraded = await helm([
      "upgrade",
      "todo",
      chartDir,
      "-n",
      ns,
      ...valuesArgs(["values-minikube.yaml"], { "serviceDefaults.replicas": "2" }),
    ]);
    expect(upgraded.stderr).toBe("");
    expect(upgraded.stdout).toContain("REVISION: 2");
    expect(await key()).toBe(before);
    const replicas = await server.kubectl([
      "-n",
      ns,
      "get",
      "deployment",
      "todo-task",
      "-o",
      "jsonpath={.spec.replicas}",
    ]);
    expect(replicas.stdout).toBe("2");
  });

  test("a Secret named in the values that does not exist fails the install, naming it", async () => {
    await namespace("missing-secret");
    const result = await helm([
      "install",
      "todo",
      chartDir,
      "-n",
      "missing-secret",
      ...valuesArgs(["values-minikube.yaml"], { "auth.jwt.existingSecret": "todo-signing-key" }),
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'auth.jwt.existingSecret: the Secret "todo-signing-key" does not exist in namespace "missing-secret"',
    );
    const external = await helm([
      "install",
      "todo",
      chartDir,
      "-n",
      "missing-secret",
      ...valuesArgs(["values-gke.yaml", "values-external.yaml"]),
    ]);
    expect(external.code).not.toBe(0);
    expect(external.stderr).toContain(
      'kafka.external.existingSecret: the Secret "kafka-credentials" does not exist',
    );
    const releases = await helm(["list", "-n", "missing-secret", "-q"]);
    expect(releases.stdout.trim()).toBe("");
  });
});
