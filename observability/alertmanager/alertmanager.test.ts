/**
 * What observability/alertmanager/alertmanager.yaml does, shown by Alertmanager's own tools: its
 * secrets are files, `amtool config routes test` sends each severity to its receivers, `amtool
 * template render` renders the notification texts, and a real Alertmanager (observability-servers.ts)
 * inhibits what the configuration says it inhibits — and nothing else. (`amtool check-config` runs
 * in observability/prometheus/rules.test.ts, with the rules.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningAlertmanager, startAlertmanager } from "../../scripts/lib/observability-servers.ts";
import { ensureObservabilityTools, type ObservabilityTools } from "../../scripts/lib/observability-tools.ts";
import { capture, ownedTempDir } from "../../scripts/lib/proc.ts";
import { alertingRules } from "../prometheus/rule-files.ts";

const configFile = join(import.meta.dir, "alertmanager.yaml");
const configText = readFileSync(configFile, "utf8");
const config = Bun.YAML.parse(configText) as {
  global: Record<string, unknown>;
  templates: string[];
  receivers: { name: string; [kind: string]: unknown }[];
};
const SECRETS = "/etc/alertmanager/secrets/todo-alertmanager/";
const work = ownedTempDir("todo-alertmanager-test-");

let tools: ObservabilityTools;
let am: RunningAlertmanager;

/**
 * The configuration as a test can run it: the secret files (paths outside the repository) moved
 * into a temporary directory with placeholder contents, the templates addressed absolutely, and
 * every notification sent to a closed loopback port; routes and inhibitions exactly as written.
 */
function runnableConfig(): string {
  const secrets = join(work, "secrets");
  mkdirSync(secrets, { recursive: true });
  writeFileSync(join(secrets, "smtp-password"), "placeholder\n");
  writeFileSync(join(secrets, "slack-webhook-url"), "http://127.0.0.1:9/slack\n");
  writeFileSync(join(secrets, "discord-webhook-url"), "http://127.0.0.1:9/discord\n");
  const text = configText
    .replaceAll(SECRETS, `${secrets}/`)
    .replace("smtp_smarthost: smtp.example.com:587", "smtp_smarthost: 127.0.0.1:9")
    .replace("  - templates/*.tmpl", `  - ${join(import.meta.dir, "templates")}/*.tmpl`);
  expect(text).not.toContain(SECRETS);
  expect(text).not.toContain("smtp_smarthost: smtp.example.com");
  return text;
}

beforeAll(async () => {
  tools = await ensureObservabilityTools();
  am = await startAlertmanager({ tools, config: runnableConfig() });
}, 1_800_000);

afterAll(async () => {
  await am?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("secrets", () => {
  test("e-mail, Slack and Discord take theirs from files, never from the configuration", () => {
    expect(config.global.smtp_auth_password_file).toBe(`${SECRETS}smtp-password`);
    expect(configText).not.toMatch(/smtp_auth_password:|api_url:|webhook_url:|auth_password:/);
    const kinds = (kind: string) =>
      config.receivers.flatMap((r) => (r[kind] as Record<string, unknown>[] | undefined) ?? []);
    expect(kinds("email_configs").length).toBeGreaterThan(0);
    expect(kinds("slack_configs").map((c) => c.api_url_file)).toEqual([
      `${SECRETS}slack-webhook-url`,
      `${SECRETS}slack-webhook-url`,
    ]);
    expect(kinds("discord_configs").map((c) => c.webhook_url_file)).toEqual([
      `${SECRETS}discord-webhook-url`,
    ]);
  });
});

describe("amtool config routes test", () => {
  const route = async (...labels: string[]) => {
    const result = await capture([
      tools.amtool,
      "config",
      "routes",
      "test",
      `--config.file=${configFile}`,
      ...labels,
    ]);
    expect(result.stderr).toBe("");
    return result.stdout.trim();
  };

  test("critical goes to the on-call receiver, warning to the alerts channel, anything else by e-mail", async () => {
    expect(await route("alertname=TodoServiceDown", "severity=critical", "job=todo-task")).toBe(
      "todo-oncall",
    );
    expect(await route("alertname=TodoCpuHigh", "severity=warning", "job=todo-task")).toBe("todo-alerts");
    expect(await route("alertname=SomethingElse")).toBe("todo-team-email");
  });

  test("every severity alerts.yaml uses has a route of its own", async () => {
    const severities = [...new Set(alertingRules().map((r) => r.labels?.severity ?? ""))].sort();
    expect(severities).toEqual(["critical", "warning"]);
    for (const severity of severities)
      expect(await route(`severity=${severity}`)).not.toBe("todo-team-email");
  });
});

describe("amtool template render", () => {
  test("renders the title and text every receiver uses from an alert's labels and annotations", async () => {
    const alert = (instance: string) => ({
      status: "firing",
      labels: {
        alertname: "TodoScrapeFailing",
        severity: "warning",
        namespace: "todo",
        job: "todo-task",
        instance,
      },
      annotations: {
        summary: `Scraping ${instance} of todo-task fails`,
        description: "Every scrape … failed.",
        runbook_url: "https://github.com/todo-app/todo/blob/main/docs/runbook.md#todoscrapefailing",
      },
      startsAt: "2026-12-06T10:00:00Z",
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus:9090/graph?g0.expr=up",
    });
    const data = join(work, "data.json");
    writeFileSync(
      data,
      JSON.stringify({
        receiver: "todo-alerts",
        status: "firing",
        alerts: [alert("10.244.1.17:9464"), alert("10.244.3.8:9464")],
        groupLabels: { alertname: "TodoScrapeFailing", namespace: "todo", job: "todo-task" },
        commonLabels: {
          alertname: "TodoScrapeFailing",
          severity: "warning",
          namespace: "todo",
          job: "todo-task",
        },
        commonAnnotations: {},
        externalURL: "http://alertmanager:9093",
      }),
    );
    const render = async (text: string) => {
      const result = await capture([
        tools.amtool,
        "template",
        "render",
        `--template.glob=${join(import.meta.dir, "templates")}/*.tmpl`,
        `--template.data=${data}`,
        `--template.text=${text}`,
      ]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      return result.stdout;
    };
    expect((await render('{{ template "todo.title" . }}')).trim()).toBe(
      "[FIRING:2] TodoScrapeFailing todo-task (todo)",
    );
    expect(await render('{{ template "todo.text" . }}')).toBe(
      [
        "[warning] Scraping 10.244.1.17:9464 of todo-task fails",
        "Every scrape … failed.",
        "Runbook: https://github.com/todo-app/todo/blob/main/docs/runbook.md#todoscrapefailing",
        "Source: http://prometheus:9090/graph?g0.expr=up",
        "[warning] Scraping 10.244.3.8:9464 of todo-task fails",
        "Every scrape … failed.",
        "Runbook: https://github.com/todo-app/todo/blob/main/docs/runbook.md#todoscrapefailing",
        "Source: http://prometheus:9090/graph?g0.expr=up",
        "",
      ].join("\n"),
    );
    expect(await render('{{ template "todo.email.html" . }}')).toContain(
      '<a href="https://github.com/todo-app/todo/blob/main/docs/runbook.md#todoscrapefailing">Runbook</a>',
    );
  });
});

/** An alert as Alertmanager's API v2 returns it. */
interface GettableAlert {
  readonly labels: Record<string, string>;
  readonly fingerprint: string;
  readonly status: { readonly state: string; readonly inhibitedBy: string[] };
}

describe("a real Alertmanager", () => {
  const key = (labels: Record<string, string>) =>
    [labels.alertname, labels.severity, labels.job ?? labels.consumergroup ?? labels.topic].join(" ");

  test("inhibits a down service's own errors, warnings under their critical twin, the exporter's duplicates", async () => {
    const now = Date.now();
    const post = (labels: Record<string, string>) => ({
      labels,
      annotations: { summary: labels.alertname },
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + 600_000).toISOString(),
      generatorURL: "http://prometheus.test/graph",
    });
    const ns = { namespace: "todo" };
    const sent = [
      { alertname: "TodoServiceDown", severity: "critical", job: "todo-task", ...ns },
      { alertname: "TodoRpcErrorRatioHigh", severity: "critical", job: "todo-task", ...ns },
      { alertname: "TodoRpcLatencyHigh", severity: "warning", job: "todo-task", ...ns },
      // Another service's errors are its own problem, even with todo-task down.
      { alertname: "TodoRpcErrorRatioHigh", severity: "critical", job: "todo-assistant", ...ns },
      { alertname: "TodoServiceNotReady", severity: "critical", job: "todo-identity", ...ns },
      { alertname: "TodoServiceNotReady", severity: "warning", job: "todo-identity", ...ns },
      { alertname: "TodoApiLatencyBudgetBurn", severity: "warning", job: "todo-tag", ...ns },
      { alertname: "TodoOutboxBacklogStale", severity: "critical", job: "todo-task", ...ns },
      { alertname: "TodoLiveViewBudgetBurn", severity: "critical", job: "todo-task", ...ns },
      { alertname: "TodoConsumerLagHigh", severity: "warning", job: "todo-tag", ...ns },
      {
        alertname: "TodoKafkaConsumerGroupLagHigh",
        severity: "warning",
        consumergroup: "tag",
        topic: "task-events",
        ...ns,
      },
    ];
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(sent.map(post)),
    });
    expect(res.status).toBe(200);

    const expected = {
      "TodoServiceDown critical todo-task": "active",
      "TodoRpcErrorRatioHigh critical todo-task": "suppressed",
      "TodoRpcLatencyHigh warning todo-task": "suppressed",
      "TodoRpcErrorRatioHigh critical todo-assistant": "active",
      "TodoServiceNotReady critical todo-identity": "active",
      "TodoServiceNotReady warning todo-identity": "suppressed",
      "TodoApiLatencyBudgetBurn warning todo-tag": "active",
      "TodoOutboxBacklogStale critical todo-task": "active",
      "TodoLiveViewBudgetBurn critical todo-task": "suppressed",
      "TodoConsumerLagHigh warning todo-tag": "active",
      "TodoKafkaConsumerGroupLagHigh warning tag": "suppressed",
    };
    // The inhibitor learns of new alerts asynchronously: ask until it has (a few ms, in practice).
    let states: Record<string, string> = {};
    for (let i = 0; i < 50; i++) {
      const got = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as GettableAlert[];
      states = Object.fromEntries(got.map((a) => [key(a.labels), a.status.state]));
      if (JSON.stringify(Object.entries(states).sort()) === JSON.stringify(Object.entries(expected).sort()))
        break;
      await Bun.sleep(100);
    }
    expect(states).toEqual(expected);
  }, 30_000);
});
