/**
 * The alerting and recording rules, read by the tools that read them in production: `promtool check
 * rules`, a real Prometheus that loads and evaluates them, `promtool test rules` on every unit-test
 * file (each alert must fire in one case and stay quiet in another), `amtool check-config` on the
 * Alertmanager configuration; and checked against their contracts: the metric names of
 * docs/metrics.md, the thresholds, docs/runbook.md's sections and the PromQL of
 * docs/runbook.md and docs/slo.md. (Routes, templates and inhibitions: alertmanager.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { startPrometheus } from "../../scripts/lib/observability-servers.ts";
import { ensureObservabilityTools, type ObservabilityTools } from "../../scripts/lib/observability-tools.ts";
import { type Captured, capture } from "../../scripts/lib/proc.ts";
import { documentedSeries, metricNames } from "../grafana/dashboard-queries.ts";
import {
  type AlertingRule,
  alertingRules,
  alertsFile,
  loadRuleFile,
  markdownAnchors,
  prometheusDir,
  promqlBlocks,
  type RuleTestFile,
  readYaml,
  recordingFile,
  ruleTestFiles,
  runbookFile,
  runbookUrl,
} from "./rule-files.ts";

const repo = join(prometheusDir, "..", "..");
const alertmanagerFile = join(repo, "observability", "alertmanager", "alertmanager.yaml");
const metricsDoc = readFileSync(join(repo, "docs", "metrics.md"), "utf8");
const alerts = loadRuleFile(alertsFile);
const recording = loadRuleFile(recordingFile);
const rules = alertingRules(alerts);
const testFiles = ruleTestFiles();
const work = mkdtempSync(join(tmpdir(), "todo-rules-test-"));

let tools: ObservabilityTools;
/** `promtool test rules` of every test file, started together (the slowest takes ~10 s). */
const unitRuns = new Map<string, Promise<Captured>>();

beforeAll(async () => {
  tools = await ensureObservabilityTools();
  for (const file of testFiles)
    unitRuns.set(file, capture([tools.promtool, "test", "rules", file], { cwd: prometheusDir }));
}, 1_800_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const output = (r: Captured) => `${r.stdout}${r.stderr}`;

describe("promtool check rules", () => {
  test("accepts recording.yaml and alerts.yaml, counting every rule", async () => {
    const result = await capture([tools.promtool, "check", "rules", recordingFile, alertsFile]);
    const count = (f: typeof alerts) => f.groups.reduce((n, g) => n + g.rules.length, 0);
    expect(output(result)).toContain(`SUCCESS: ${count(recording)} rules found`);
    expect(output(result)).toContain(`SUCCESS: ${count(alerts)} rules found`);
    expect(result.code).toBe(0);
    expect(rules.length).toBeGreaterThanOrEqual(28);
  });

  test("rejects a rule file with a broken expression (the check is real)", async () => {
    const broken = join(work, "broken.yaml");
    writeFileSync(
      broken,
      readFileSync(alertsFile, "utf8").replace(
        "job:rpc_server_errors:ratio_rate5m > 0.05",
        "rate(up) > 0.05",
      ),
    );
    const result = await capture([tools.promtool, "check", "rules", broken]);
    expect(result.code).not.toBe(0);
    expect(output(result)).toContain("expected type range vector");
  });
});

describe("a real Prometheus", () => {
  test("loads both files and evaluates every rule without an error", async () => {
    const prometheus = await startPrometheus({
      tools,
      config: { global: { evaluation_interval: "1s" } },
      rules: [recordingFile, alertsFile],
    });
    try {
      type Groups = {
        groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
      };
      let groups: Groups["groups"] = [];
      for (let i = 0; i < 100; i++) {
        groups = (await prometheus.api<Groups>("/api/v1/rules")).groups;
        if (groups.length > 0 && groups.every((g) => g.rules.every((r) => r.health !== "unknown"))) break;
        await Bun.sleep(100);
      }
      expect(groups.map((g) => g.name).sort()).toEqual(
        [...recording.groups, ...alerts.groups].map((g) => g.name).sort(),
      );
      const unhealthy = groups.flatMap((g) =>
        g.rules.filter((r) => r.health !== "ok").map((r) => `${r.name}: ${r.health} ${r.lastError ?? ""}`),
      );
      expect(unhealthy).toEqual([]);
      expect(groups.flatMap((g) => g.rules).length).toBe(
        [...recording.groups, ...alerts.groups].reduce((n, g) => n + g.rules.length, 0),
      );
    } finally {
      await prometheus.stop();
    }
  }, 60_000);
});

describe("promtool test rules", () => {
  test.each(testFiles.map((f) => [basename(f), f]))(
    "%s passes",
    async (_name, file) => {
      const result = (await unitRuns.get(file)) as Captured;
      expect(output(result)).toContain("SUCCESS");
      expect(output(result)).not.toContain("FAILED");
      expect(result.code).toBe(0);
    },
    180_000,
  );

  test("fails when an expectation is wrong (the unit tests are real)", async () => {
    const source = join(prometheusDir, "tests", "api.test.yaml");
    const wrong = join(work, "wrong.test.yaml");
    const text = readFileSync(source, "utf8")
      .replace("../recording.yaml", recordingFile)
      .replace("../alerts.yaml", alertsFile)
      .replace(
        "{ severity: critical, namespace: todo, job: todo-task }",
        "{ severity: warning, namespace: todo, job: todo-task }",
      );
    expect(text).toContain("severity: warning, namespace: todo, job: todo-task }");
    writeFileSync(wrong, text);
    const result = await capture([tools.promtool, "test", "rules", wrong]);
    expect(result.code).not.toBe(0);
    expect(output(result)).toContain("FAILED");
  }, 60_000);
});

describe("the unit tests", () => {
  const parsed = testFiles.map((file) => ({ file: basename(file), spec: readYaml<RuleTestFile>(file) }));
  const groupNames = (f: typeof alerts) => f.groups.map((g) => g.name);

  test("every file loads both rule files and evaluates the recording groups first", () => {
    expect(parsed.length).toBeGreaterThanOrEqual(5);
    for (const { file, spec } of parsed) {
      expect({ file, rule_files: spec.rule_files }).toEqual({
        file,
        rule_files: ["../recording.yaml", "../alerts.yaml"],
      });
      // promtool evaluates groups in a random order unless told: an alert reading a recorded series
      // would see this evaluation's value or the previous one's, at random.
      expect({ file, order: spec.group_eval_order }).toEqual({
        file,
        order: [...groupNames(recording), ...groupNames(alerts)],
      });
    }
  });

  /** The labels that tell an alert's rules apart: its static labels (severity, window, …). */
  const identity = (rule: AlertingRule) => ({ alertname: rule.alert, ...rule.labels });
  const cases = parsed.flatMap(({ file, spec }) =>
    spec.tests.flatMap((t) =>
      (t.alert_rule_test ?? []).map((c) => ({ where: `${file}: ${t.name ?? "?"} @${c.eval_time}`, ...c })),
    ),
  );
  const matches = (expected: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>) =>
    Object.entries(labels).every(([k, v]) => k === "alertname" || expected[k] === v);

  test.each(rules.map((r) => [JSON.stringify(identity(r)), r]))(
    "%s has a case that fires and one that stays quiet",
    (_name, rule) => {
      const own = cases.filter((c) => c.alertname === rule.alert);
      const fires = own.filter((c) =>
        (c.exp_alerts ?? []).some((a) => matches(a.exp_labels ?? {}, identity(rule))),
      );
      const quiet = own.filter(
        (c) => !(c.exp_alerts ?? []).some((a) => matches(a.exp_labels ?? {}, identity(rule))),
      );
      expect({ alert: identity(rule), firing: fires.length > 0, quiet: quiet.length > 0 }).toEqual({
        alert: identity(rule),
        firing: true,
        quiet: true,
      });
      // A firing case states the whole notification, so a broken template fails the test.
      for (const c of fires)
        for (const a of c.exp_alerts ?? [])
          expect(Object.keys(a.exp_annotations ?? {}).sort()).toEqual([
            "description",
            "runbook_url",
            "summary",
          ]);
    },
  );
});

describe("alerts.yaml", () => {
  test.each(rules.map((r) => [`${r.alert} (${r.labels?.severity})`, r]))(
    "%s has a severity, a summary, a description and its runbook section",
    (_name, rule) => {
      expect(["critical", "warning"]).toContain(rule.labels?.severity ?? "");
      expect(rule.annotations?.summary ?? "").toMatch(/\{\{ \$(labels|value)\b/);
      // $value where the value says something (a ratio, a lag); `up == 0` and absent() have none.
      expect(rule.annotations?.description ?? "").toMatch(/\{\{ \$labels\.\w+/);
      expect(rule.annotations?.runbook_url).toBe(runbookUrl(rule.alert));
    },
  );

  // Issue 12 §4, each with its numbers: a renamed alert or a changed threshold must be deliberate.
  const required: [alert: string, severity: string, expr: RegExp, forDuration: string | undefined][] = [
    ["TodoRpcErrorRatioHigh", "critical", /^job:rpc_server_errors:ratio_rate5m > 0\.05$/, "5m"],
    ["TodoRpcLatencyHigh", "warning", /^job:rpc_server_call_duration_seconds:p95_rate5m > 1$/, "5m"],
    ["TodoCpuHigh", "warning", /^instance:todo_process_cpu_limit:ratio_rate5m > 0\.8$/, "10m"],
    ["TodoMemoryHigh", "warning", /^instance:todo_process_memory_limit:ratio > 0\.9$/, "5m"],
    ["TodoConsumerLagHigh", "warning", /^group_topic:todo_messaging_consumer_lag:sum > 1000$/, "5m"],
    ["TodoKafkaConsumerGroupLagHigh", "warning", /kafka_consumergroup_lag.*\) > 1000$/s, "5m"],
    ["TodoRemindersLate", "warning", /p99_rate5m\{todo_job_kind="reminder"\} > 1$/, "2m"],
    ["TodoEventsDeadLettered", "warning", /todo_messaging_dead_lettered_total\[10m\].*\) > 0$/s, undefined],
    ["TodoKafkaDeadLetterTopicGrowing", "warning", /\{topic=~"\.\+\\\\\.dlq"\}\[10m\]\)\) > 0$/, undefined],
    ["TodoOutboxBacklogStale", "critical", /^schema:todo_outbox_oldest_age_seconds:max > 60$/, "1m"],
    ["TodoServiceDown", "critical", /\(\s*up\{job=~.*\}\) == 0$/s, "1m"],
    ["TodoServiceAbsent", "critical", /absent\(up\{job="todo-task"\}\)/, "5m"],
    ["TodoScrapeFailing", "warning", /up\{.*\} == 0\s+or\s+scrape_samples_scraped\{.*\} == 0$/s, "5m"],
    ["TodoServiceNotReady", "warning", /kube_deployment_status_replicas_unavailable/, "10m"],
    ["TodoServiceNotReady", "critical", /kube_deployment_status_replicas_available/, "2m"],
  ];
  test.each(required)(
    "%s (%s) is there, with the issue's threshold and duration",
    (alert, severity, expr, dur) => {
      const rule = rules.find((r) => r.alert === alert && r.labels?.severity === severity);
      expect(rule?.expr.trim()).toMatch(expr);
      expect(rule?.for).toBe(dur);
    },
  );

  test("every metric and label it reads is in docs/metrics.md, or is an exporter's", () => {
    const series = documentedSeries(metricsDoc);
    const recorded = new Set(
      recording.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
    // Not Todo's: Prometheus's own per-target series, kube-state-metrics, Strimzi's Kafka exporter.
    const external =
      /^(up|scrape_samples_scraped|kube_deployment_\w+|kafka_consumergroup_lag|kafka_topic_partition_current_offset)$/;
    const externalLabels = new Set([
      "namespace",
      "job",
      "instance",
      "pod",
      "le",
      "deployment",
      "consumergroup",
      "topic",
    ]);
    const documentedLabels = new Set([...metricsDoc.matchAll(/\b([a-z][a-z0-9_]*)\b/g)].map((m) => m[1]));
    const unknown: string[] = [];
    for (const rule of [...recording.groups, ...alerts.groups].flatMap((g) => g.rules)) {
      for (const name of metricNames(rule.expr))
        if (!series.has(name) && !recorded.has(name) && !external.test(name))
          unknown.push(`${name} in ${rule.record ?? rule.alert}`);
      const labels = [
        ...rule.expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?:=~|!=|!~|=)\s*"/g),
        ...rule.expr.matchAll(/\b(?:by|on)\s*\(([^)]*)\)/g),
      ]
        .flatMap((m) => (m[1] ?? "").split(",").map((l) => l.trim()))
        .filter((l) => l !== "");
      for (const label of labels)
        if (!externalLabels.has(label) && !documentedLabels.has(label))
          unknown.push(`label ${label} in ${rule.record ?? rule.alert}`);
    }
    expect(unknown).toEqual([]);
    expect(series.has("rpc_server_call_duration_seconds_count")).toBe(true);
  });
});

describe("recording.yaml", () => {
  const windows = ["5m", "30m", "1h", "6h", "3d", "30d"];
  const sli = recording.groups
    .flatMap((g) => g.rules)
    .filter((r) => /^job:todo_slo_\w+:ratio_rate\w+$/.test(r.record ?? ""));
  const families = [...new Set(sli.map((r) => (r.record as string).replace(/:ratio_rate\w+$/, "")))];

  test("every SLI has every window, and the windows differ in nothing else", () => {
    expect(families.sort()).toEqual([
      "job:todo_slo_api_errors",
      "job:todo_slo_api_slow",
      "job:todo_slo_live_view_stale",
      "job:todo_slo_reminders_late",
    ]);
    for (const family of families) {
      const byWindow = windows.map((w) => sli.find((r) => r.record === `${family}:ratio_rate${w}`));
      expect({ family, missing: windows.filter((_, i) => !byWindow[i]) }).toEqual({ family, missing: [] });
      const shapes = byWindow.map((r, i) => r?.expr.replaceAll(`[${windows[i]}]`, "[W]").trim());
      expect({ family, shapes: new Set(shapes).size, window: shapes[0]?.includes("[W]") }).toEqual({
        family,
        shapes: 1,
        window: true,
      });
    }
  });
});

describe("docs", () => {
  const runbook = readFileSync(runbookFile, "utf8");

  test("every runbook_url points at a section of docs/runbook.md", () => {
    const anchors = markdownAnchors(runbook);
    const missing = rules
      .map((r) => r.annotations?.runbook_url ?? "")
      .filter((url) => !anchors.has(url.split("#")[1] ?? ""));
    expect(missing).toEqual([]);
  });

  test("every alert's section says what it means, how to look (with PromQL) and what to do", () => {
    for (const alert of new Set(rules.map((r) => r.alert))) {
      const section = runbook.split(/^## /m).find((s) => s.startsWith(`${alert}\n`)) ?? "";
      expect({ alert, meaning: section.includes("**What it means.**") }).toEqual({ alert, meaning: true });
      expect({ alert, look: section.includes("**How to look.**") && section.includes("```promql") }).toEqual({
        alert,
        look: true,
      });
      expect({ alert, todo: section.includes("**What to do.**") }).toEqual({ alert, todo: true });
    }
  });

  test("docs/slo.md names only recording rules and alerts that exist", () => {
    const slo = readFileSync(join(repo, "docs", "slo.md"), "utf8");
    const recorded = new Set(
      recording.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
    // `…:ratio_rate<window>` stands for every window.
    const named = [...slo.matchAll(/\b(job:todo_slo_\w+:\w+)(<window>)?/g)].flatMap((m) =>
      m[2] ? ["5m", "30m", "1h", "6h", "3d", "30d"].map((w) => `${m[1]}${w}`) : [m[1] as string],
    );
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((n) => !recorded.has(n))).toEqual([]);
    const sloAlerts = new Set(rules.filter((r) => r.labels?.slo).map((r) => r.alert));
    expect([...sloAlerts].filter((a) => !slo.includes(a))).toEqual([]);
  });
});

describe("the PromQL in docs/runbook.md and docs/slo.md", () => {
  const docs = ["runbook.md", "slo.md"].map((f) => ({
    f,
    exprs: promqlBlocks(readFileSync(join(repo, "docs", f), "utf8")),
  }));

  test("parses (promtool check rules, each expression as a recording rule)", async () => {
    const file = join(work, "docs-promql.yaml");
    const groups = docs.map(({ f, exprs }) => ({
      name: f,
      rules: exprs.map((expr, i) => ({ record: `docs_query:${f.replace(/\W/g, "_")}_${i}`, expr })),
    }));
    expect(groups.map((g) => g.rules.length)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(groups[0]?.rules.length).toBeGreaterThan(40);
    writeFileSync(file, `${JSON.stringify({ groups }, null, 2)}\n`);
    const result = await capture([tools.promtool, "check", "rules", file]);
    expect(output(result)).toContain("SUCCESS");
    expect(result.code).toBe(0);
  });

  test("reads only documented, recorded or exporters' metrics", () => {
    const series = documentedSeries(metricsDoc);
    const recorded = new Set(
      recording.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
    // Prometheus's own per-target series, kube-state-metrics, Strimzi's Kafka exporter.
    const external = /^(up|scrape_\w+|kube_\w+|kafka_\w+)$/;
    const unknown = docs.flatMap(({ f, exprs }) =>
      exprs
        .flatMap(metricNames)
        .filter((n) => !series.has(n) && !recorded.has(n) && !external.test(n))
        .map((n) => `${n} in ${f}`),
    );
    expect(unknown).toEqual([]);
  });
});

describe("amtool check-config", () => {
  test("accepts the Alertmanager configuration: 3 receivers, 5 inhibit rules, its templates", async () => {
    const result = await capture([tools.amtool, "check-config", alertmanagerFile]);
    expect(output(result)).toContain("SUCCESS");
    expect(output(result)).toContain(" - 3 receivers");
    expect(output(result)).toContain(" - 5 inhibit rules");
    expect(output(result)).toContain(" - 1 templates");
    expect(result.code).toBe(0);
  });
});
