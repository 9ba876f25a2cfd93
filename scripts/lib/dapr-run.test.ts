/**
 * The local Dapr run's resources (the chart's shared files/dapr and dapr/local) hang together:
 * scopes name real services, every subscription has its dead-letter topic, resiliency targets
 * exist, and the templates fill in completely. (That daprd loads them is tested with real sidecars
 * in tests/integration/dapr.test.ts; that the chart's Kubernetes resources match them, in
 * deploy/helm/chart.test.ts.)
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deadLetterTopic, Topics } from "@todo/platform/events";
import { fillTemplate, prepareRunDirectory, RESOURCE_DIRS, type RunValues } from "./dapr-run.ts";
import { SERVICES } from "./services.ts";

const root = join(import.meta.dir, "..", "..");

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
  scopes?: string[];
  auth?: { secretStore?: string };
}

const values: RunValues = {
  KAFKA_BROKERS: "127.0.0.1:19092",
  KAFKA_TOPIC_PREFIX: "",
  OTEL_EXPORTER_OTLP_HOST: "127.0.0.1:4318",
  DAPR_TRACE_SAMPLING_RATE: "0",
  DIGEST_SCHEDULE: "@every 15m",
};

/** Every resource of `dirs` (relative to the repository), with their templates filled in. */
function load(dirs: readonly string[]): Resource[] {
  return dirs.flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((n) => n.endsWith(".yaml"))
      .flatMap((n) => {
        const text = fillTemplate(
          readFileSync(join(root, dir, n), "utf8"),
          { ...values, RUN_DIR: "/run" },
          n,
        );
        const parsed = Bun.YAML.parse(text) as Resource | Resource[];
        return Array.isArray(parsed) ? parsed : [parsed];
      }),
  );
}

const resources = load(RESOURCE_DIRS);
const apps = new Set(SERVICES.map((s) => s.name));

describe("the local resources", () => {
  const components = resources.filter((r) => r.kind === "Component");
  const byName = new Map(components.map((c) => [c.metadata.name, c]));

  test("are Dapr resources with unique names, scoped to real services", () => {
    for (const r of resources) {
      expect(r.apiVersion).toMatch(/^dapr\.io\/v\d/);
      expect(["Component", "Subscription", "Resiliency", "Configuration"]).toContain(r.kind);
      for (const scope of r.scopes ?? []) expect(apps.has(scope)).toBe(true);
    }
    expect(byName.size).toBe(components.length);
    expect([...byName.keys()].sort()).toEqual([
      "daily-digest",
      "pubsub",
      "pubsub-broadcast",
      "secretstore",
      "statestore",
    ]);
    expect(resources.filter((r) => r.kind === "Configuration")).toHaveLength(1);
  });

  test("subscribe every consumed topic once, with its dead-letter topic (live views excepted)", () => {
    const subscriptions = resources.filter((r) => r.kind === "Subscription");
    const seen = subscriptions.map((s) => {
      const spec = s.spec as { pubsubname: string; topic: string; deadLetterTopic?: string };
      expect(byName.get(spec.pubsubname)?.spec.type).toBe("pubsub.kafka");
      expect(Object.values(Topics)).toContain(spec.topic as never);
      if (spec.pubsubname === "pubsub") expect(spec.deadLetterTopic).toBe(deadLetterTopic(spec.topic));
      else expect(spec.deadLetterTopic).toBeUndefined();
      return spec.topic;
    });
    expect(seen.sort()).toEqual(["reminders", "tag-events", "task-events", "task-updates"]);
  });

  test("take credentials from the secret store, and resiliency targets exist", () => {
    const state = byName.get("statestore");
    expect(state?.auth?.secretStore).toBe("secretstore");
    expect(JSON.stringify(state?.spec)).toContain(
      '"secretKeyRef":{"name":"database-url","key":"database-url"}',
    );
    const [resiliency] = resources.filter((r) => r.kind === "Resiliency");
    const targets = resiliency?.spec.targets as {
      apps: Record<string, unknown>;
      components: Record<string, unknown>;
    };
    for (const app of Object.keys(targets.apps)) expect(apps.has(app)).toBe(true);
    for (const component of Object.keys(targets.components)) expect(byName.has(component)).toBe(true);
  });
});

describe("the local run directory", () => {
  test("is written with every value filled in, the configuration apart, and secrets only for its user", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dapr-run-"));
    try {
      const run = prepareRunDirectory(dir, { ...values, KAFKA_TOPIC_PREFIX: "it." }, { "jwt-secret": "k" });
      const files = readdirSync(run.resources).sort();
      expect(files).not.toContain("configuration.yaml");
      for (const f of files) expect(readFileSync(join(run.resources, f), "utf8")).not.toContain("${");
      expect(readFileSync(join(run.resources, "subscriptions.yaml"), "utf8")).toContain(
        "topic: it.task-events",
      );
      expect(readFileSync(run.config, "utf8")).toContain(`${dir}/name-resolution.db`);
      const secrets = join(dir, "secrets.json");
      expect(await Bun.file(secrets).json()).toEqual({ "jwt-secret": "k" });
      expect(statSync(secrets).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("refuses a template value nobody gave", () => {
    const placeholder = "$" + "{NOPE}"; // the resources' placeholder syntax, not a template string
    expect(() => fillTemplate(`a: ${placeholder}`, {}, "x.yaml")).toThrow(
      `x.yaml: no value for ${placeholder}`,
    );
  });
});
