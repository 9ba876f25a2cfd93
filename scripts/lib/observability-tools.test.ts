import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ALERTMANAGER_VERSION,
  collectorBuildManifest,
  collectorManifest,
  ensureObservabilityTools,
  jaegerVersion,
  type ObservabilityTools,
  OTELCOL_BUILDER,
  observabilityToolsDir,
  PROMETHEUS_VERSION,
} from "./observability-tools.ts";
import { capture } from "./proc.ts";
import { scratchDir } from "./scratch-dir.ts";

// The real tools, from the cache (`bun run obs:tools` builds them; a miss builds here, slowly).
let tools: ObservabilityTools;
const scratch = scratchDir("todo-obs-tools-test-");
const { run, file } = scratch;

beforeAll(async () => {
  tools = await ensureObservabilityTools();
}, 1_800_000);

afterAll(() => scratch.remove());

describe("ensureObservabilityTools", () => {
  test("every tool runs and reports its pinned version", async () => {
    const firstLine = async (cmd: string[]) => (await run(cmd)).output.split("\n")[0];
    expect(await firstLine([tools.prometheus, "--version"])).toStartWith(
      `prometheus, version ${PROMETHEUS_VERSION}+ds `,
    );
    expect(await firstLine([tools.promtool, "--version"])).toStartWith(
      `promtool, version ${PROMETHEUS_VERSION}+ds `,
    );
    const am = ALERTMANAGER_VERSION.slice(1);
    expect(await firstLine([tools.alertmanager, "--version"])).toStartWith(`alertmanager, version ${am} `);
    expect(await firstLine([tools.amtool, "--version"])).toStartWith(`amtool, version ${am} `);
    // `jaeger version` logs a line on stderr and prints JSON on stdout.
    const jaeger = await capture([tools.jaeger, "version"]);
    expect(JSON.parse(jaeger.stdout).gitVersion).toBe(jaegerVersion());
    const { dist } = collectorBuildManifest();
    expect((await run([tools.otelcol, "--version"])).output.trim()).toBe(
      `${dist.name} version ${dist.version}`,
    );
    expect((await run([tools.otelcolBuilder, "version"])).output.trim()).toBe(
      `ocb version ${OTELCOL_BUILDER.version}`,
    );
  });

  test("builder.yaml keeps every collector core module at the builder's release", () => {
    const core = [
      ...readFileSync(collectorManifest, "utf8").matchAll(
        /go\.opentelemetry\.io\/collector\/\S+ (v0\.\d+\.\d+)/g,
      ),
    ];
    expect(core.length).toBeGreaterThan(4);
    expect(new Set(core.map((m) => m[1]))).toEqual(new Set([OTELCOL_BUILDER.version]));
  });

  test("the collector has the components the configuration uses", async () => {
    const { output } = await run([tools.otelcol, "components"]);
    const listed = Bun.YAML.parse(output) as Record<string, { name: string }[]>;
    const names = (kind: string) => (listed[kind] ?? []).map((c) => c.name).sort();
    expect(names("receivers")).toEqual(["otlp"]);
    expect(names("processors")).toEqual(["batch", "k8s_attributes", "memory_limiter", "resource"]);
    expect(names("exporters")).toEqual([
      "debug",
      "otlp_grpc",
      "otlp_http",
      "prometheus",
      "prometheus_remote_write",
    ]);
    expect(names("extensions")).toEqual(["health_check"]);
  });

  test("a second call is a cache hit in the same directory", async () => {
    const t = performance.now();
    const again = await ensureObservabilityTools();
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(again.dir).toBe(tools.dir);
    expect(observabilityToolsDir()).toBe(tools.dir);
    expect(existsSync(join(tools.dir, "manifest.json"))).toBe(true);
    expect(readFileSync(join(tools.dir, "prometheus", "debian-packages.txt"), "utf8")).toMatch(
      new RegExp(`^prometheus ${PROMETHEUS_VERSION.replaceAll(".", "\\.")}\\+ds-`, "m"),
    );
  });
});

describe("promtool", () => {
  test("check config accepts a minimal configuration and rejects a broken one", async () => {
    const good = file(
      "prometheus.yml",
      "global: { scrape_interval: 15s }\nscrape_configs:\n  - job_name: todo\n    static_configs: [{ targets: ['127.0.0.1:9464'] }]\n",
    );
    const ok = await run([tools.promtool, "check", "config", good]);
    expect(ok.output).toContain("SUCCESS");
    expect(ok.code).toBe(0);
    const bad = file("broken.yml", "scrape_configs:\n  - job_name: todo\n    scrape_interval: soon\n");
    const broken = await run([tools.promtool, "check", "config", bad]);
    expect(broken.code).not.toBe(0);
    expect(broken.output).toContain("FAILED");
    expect(broken.output).toContain('"soon"');
  });

  test("test rules runs a rule unit test: the alert fires, and a wrong expectation fails", async () => {
    const rules = file(
      "rules.yml",
      [
        "groups:",
        "  - name: todo",
        "    rules:",
        "      - alert: TodoDown",
        "        expr: up == 0",
        "        for: 1m",
        "        labels: { severity: critical }",
      ].join("\n"),
    );
    const unitTest = (expected: string) =>
      file(
        "rules.test.yml",
        [
          `rule_files: [${rules}]`,
          "tests:",
          "  - interval: 1m",
          "    input_series:",
          "      - { series: 'up{job=\"task\"}', values: '0 0 0' }",
          "    alert_rule_test:",
          `      - { eval_time: 2m, alertname: TodoDown, exp_alerts: ${expected} }`,
        ].join("\n"),
      );
    const fires = await run([
      tools.promtool,
      "test",
      "rules",
      unitTest("[{ exp_labels: { severity: critical, job: task } }]"),
    ]);
    expect(fires.output).toContain("SUCCESS");
    expect(fires.code).toBe(0);
    const quiet = await run([tools.promtool, "test", "rules", unitTest("[]")]);
    expect(quiet.code).not.toBe(0);
    expect(quiet.output).toContain("FAILED");
  });
});

describe("the collector's validate", () => {
  const config = (exporter: string) =>
    file(
      "otelcol.yaml",
      `receivers:
  otlp:
    protocols: { grpc: { endpoint: 127.0.0.1:4317 }, http: { endpoint: 127.0.0.1:4318 } }
processors:
  memory_limiter: { check_interval: 1s, limit_percentage: 80, spike_limit_percentage: 20 }
  batch: {}
  k8sattributes: {}
exporters:
  otlp/jaeger: { endpoint: "jaeger:4317", tls: { insecure: true } }
  otlphttp/loki: { endpoint: "http://loki:3100/otlp" }
  prometheusremotewrite: { endpoint: "http://prometheus:9090/api/v1/write" }
  debug: {}
extensions:
  health_check: { endpoint: 127.0.0.1:13133 }
service:
  extensions: [health_check]
  pipelines:
    traces: { receivers: [otlp], processors: [memory_limiter, k8sattributes, batch], exporters: [${exporter}] }
    metrics: { receivers: [otlp], processors: [memory_limiter, batch], exporters: [prometheusremotewrite] }
    logs: { receivers: [otlp], processors: [memory_limiter, batch], exporters: [otlphttp/loki, debug] }
`,
    );

  test("accepts a configuration with OTLP in and OTLP, remote write and Loki out", async () => {
    const { code, output } = await run([tools.otelcol, "validate", `--config=${config("otlp/jaeger")}`]);
    expect(output).toBe("");
    expect(code).toBe(0);
  });

  test("rejects a pipeline that names an exporter that is not configured", async () => {
    const { code, output } = await run([tools.otelcol, "validate", `--config=${config("otlp/tempo")}`]);
    expect(code).not.toBe(0);
    expect(output).toContain('references exporter "otlp/tempo" which is not configured');
  });

  test("rejects an unknown key", async () => {
    const path = file(
      "typo.yaml",
      "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpont: 127.0.0.1:4317\n",
    );
    const { code, output } = await run([tools.otelcol, "validate", `--config=${path}`]);
    expect(code).not.toBe(0);
    expect(output).toContain("invalid keys: endpont");
  });
});

describe("amtool check-config", () => {
  const alertmanager = (receiver: string) => `global:
  smtp_smarthost: smtp.example.com:587
  smtp_from: alerts@todo.example
  smtp_auth_username: alerts
  smtp_auth_password_file: /etc/alertmanager/secrets/smtp-password
route:
  receiver: ops
  group_by: [alertname, service]
  routes:
    - matchers: ['severity="critical"']
      receiver: ${receiver}
receivers:
  - name: ops
    email_configs: [{ to: ops@todo.example }]
    slack_configs: [{ api_url_file: /etc/alertmanager/secrets/slack-url, channel: "#todo-alerts" }]
  - name: pager
    discord_configs: [{ webhook_url_file: /etc/alertmanager/secrets/discord-url }]
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname, service]
`;

  test("accepts e-mail, Slack and Discord receivers whose secrets are files", async () => {
    const { code, output } = await run([tools.amtool, "check-config", file("am.yml", alertmanager("pager"))]);
    expect(output).toContain("SUCCESS");
    expect(output).toContain("2 receivers");
    expect(code).toBe(0);
  });

  test("rejects a route to a receiver that does not exist", async () => {
    const { code, output } = await run([
      tools.amtool,
      "check-config",
      file("am-bad.yml", alertmanager("nobody")),
    ]);
    expect(code).not.toBe(0);
    expect(output).toContain('undefined receiver "nobody"');
  });
});
