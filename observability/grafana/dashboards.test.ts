/**
 * The Grafana dashboards of observability/grafana/dashboards/:
 *
 * (a) structure: each parses, has a unique uid, tags, schemaVersion 39+, the `${datasource}`
 *     variable; every panel a title, a description, a unit and targets on `${datasource}`; no
 *     datasource uid is written anywhere else; the Todo dashboards use only the names of
 *     docs/metrics.md and of observability/prometheus/recording.yaml, and show every family there;
 * (b) every panel's PromQL, variables substituted, passes `promtool check rules` wrapped as
 *     recording rules (a syntax error names the dashboard and the panel);
 * (c) live: the services as separate processes on PostgreSQL and Kafka with `METRICS_PORT`, a real
 *     Prometheus scraping them every second, a short load; then every query of the Todo dashboards
 *     (service overview, event pipeline, SLOs) is evaluated through `/api/v1/query` and must return
 *     data, except the panels listed below with the reason a healthy system has none.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureObservabilityTools, type ObservabilityTools } from "../../scripts/lib/observability-tools.ts";
import { type ScratchDir, scratchDir } from "../../scripts/lib/scratch-dir.ts";
import { type LoadResult, runLoad } from "./dashboard-load.ts";
import {
  asRecordingRules,
  type DashboardFile,
  dataPanels,
  documentedLabels,
  documentedSeries,
  labelNames,
  labelValuesSelector,
  loadDashboards,
  metricNames,
  panelLabel,
  panelQueries,
  recordedBudgets,
  recordedNames,
  repoRoot,
  substitute,
  variableQuery,
  variablesOf,
} from "./dashboard-queries.ts";
import { checkLive, type LiveCheckSpec, type NoDataExpected, unknownNoDataKeys } from "./live-check.ts";
import {
  jobOf,
  OBSERVED_SERVICES,
  type ObservedSystem,
  recordingRules,
  startObservedSystem,
} from "./observed-system.ts";

const dashboards = loadDashboards();
const byUid = new Map(dashboards.map((d) => [d.dashboard.uid ?? "", d]));
/** The dashboards of Todo's own metrics, evaluated live in (c). */
const TODO_DASHBOARDS = ["todo-service-overview", "todo-event-pipeline", "todo-slo"];
/** The dashboards of cluster exporters: parsed and promtool-checked, not evaluated live. */
const EXPORTER_DASHBOARDS: Record<string, string> = {
  "todo-dapr": "needs Dapr sidecars: dashboards-dapr.test.ts runs the Dapr system for it",
  "todo-kafka": "needs Strimzi's Kafka Exporter, which only the cluster runs",
  "todo-postgresql": "needs CloudNativePG's instance manager exporter, which only the cluster runs",
};
/** The only datasource reference allowed: Grafana's syntax for the `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template.
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };
const metricsDoc = readFileSync(join(repoRoot, "docs", "metrics.md"), "utf8");
const recordingYaml = readFileSync(recordingRules, "utf8");

/** Values for any dashboard's variables in the promtool check (any valid regex would do). */
const syntaxValues = (file: DashboardFile) =>
  Object.fromEntries([...variablesOf(file.dashboard).keys()].map((name) => [name, ".+"]));

/** The PromQL of a dashboard: its panels' targets and its query variables' `label_values` selectors. */
const expressionsOf = (file: DashboardFile) => [
  ...panelQueries(file).map((q) => ({ where: `${panelLabel(q)} ${q.refId}`, expr: q.expr })),
  ...[...variablesOf(file.dashboard).values()].flatMap((v) => {
    const selector = v.type === "query" ? labelValuesSelector(variableQuery(v) ?? "") : undefined;
    return selector ? [{ where: `${file.file} $${v.name}`, expr: selector }] : [];
  }),
];

describe("(a) structure", () => {
  test("the six dashboards are there, each with a unique uid, a title, tags and schemaVersion 39+", () => {
    expect([...byUid.keys()].sort()).toEqual(
      [...TODO_DASHBOARDS, ...Object.keys(EXPORTER_DASHBOARDS)].sort(),
    );
    expect(byUid.size).toBe(dashboards.length);
    for (const { file, dashboard } of dashboards) {
      expect({ file, title: typeof dashboard.title, description: typeof dashboard.description }).toEqual({
        file,
        title: "string",
        description: "string",
      });
      expect(dashboard.tags, file).toContain("todo");
      expect(dashboard.schemaVersion ?? 0, file).toBeGreaterThanOrEqual(39);
    }
  });

  test("each has the datasource variable (type datasource, Prometheus) and its query variables use it", () => {
    for (const { file, dashboard } of dashboards) {
      const variables = variablesOf(dashboard);
      const ds = variables.get("datasource");
      expect({ file, type: ds?.type, query: ds?.query }).toEqual({
        file,
        type: "datasource",
        query: "prometheus",
      });
      for (const v of variables.values())
        if (v.type === "query")
          expect({ file, variable: v.name, datasource: v.datasource }).toEqual({
            file,
            variable: v.name,
            datasource: DATASOURCE,
          });
    }
  });

  test("every panel has a title, a description, a unit and targets on the datasource variable", () => {
    const problems: string[] = [];
    for (const { file, dashboard } of dashboards) {
      for (const { panel } of dataPanels(dashboard)) {
        const where = `${file} #${panel.id} "${panel.title ?? ""}"`;
        if (!panel.title?.trim()) problems.push(`${where}: no title`);
        if (!panel.description?.trim()) problems.push(`${where}: no description`);
        if (!panel.fieldConfig?.defaults?.unit?.trim()) problems.push(`${where}: no unit`);
        const targets = panel.targets ?? [];
        if (!targets.some((t) => Bun.deepEquals(t.datasource, DATASOURCE) && t.expr?.trim()))
          problems.push(`${where}: no PromQL target on ${JSON.stringify(DATASOURCE)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("no datasource uid is hard-coded anywhere (every reference is the datasource variable)", () => {
    const problems: string[] = [];
    const walk = (node: unknown, path: string, file: string) => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${path}[${i}]`, file);
      } else if (node && typeof node === "object")
        for (const [key, value] of Object.entries(node)) {
          if (key === "datasource" && !Bun.deepEquals(value, DATASOURCE))
            problems.push(`${file} ${path}.datasource = ${JSON.stringify(value)}`);
          walk(value, `${path}.${key}`, file);
        }
      else if (typeof node === "string" && /\$\{DS_|__inputs/.test(node))
        problems.push(`${file} ${path}: ${node}`);
    };
    for (const { file, dashboard } of dashboards) {
      if ("__inputs" in dashboard) problems.push(`${file}: has __inputs (an import-time datasource)`);
      walk(dashboard, "", file);
    }
    expect(problems).toEqual([]);
  });

  test("queries name only variables the dashboard has, and repeated rows repeat over one of them", () => {
    const problems: string[] = [];
    for (const file of dashboards) {
      const variables = variablesOf(file.dashboard);
      for (const q of panelQueries(file)) {
        try {
          substitute(q.expr, variables, syntaxValues(file));
        } catch (err) {
          problems.push(`${panelLabel(q)} ${q.refId}: ${(err as Error).message}`);
        }
        if (q.repeat && !variables.has(q.repeat))
          problems.push(`${panelLabel(q)}: repeats over $${q.repeat}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("the Todo dashboards select only docs/metrics.md's series and recording.yaml's rules", () => {
    const documented = documentedSeries(metricsDoc);
    const recorded = recordedNames(recordingYaml);
    expect(documented.size).toBeGreaterThan(40);
    expect(recorded.size).toBeGreaterThan(20);
    // Besides the tables: the resource's `target_info` (docs/metrics.md, rule 6) and the scrape's `up`.
    expect(metricsDoc).toContain("`target_info`");
    const allowed = (name: string) =>
      documented.has(name) || recorded.has(name) || name === "target_info" || name === "up";
    const unknown = TODO_DASHBOARDS.flatMap((uid) =>
      expressionsOf(byUid.get(uid) as DashboardFile).flatMap(({ where, expr }) =>
        metricNames(expr)
          .filter((name) => !allowed(name))
          .map((name) => `${where}: ${name}`),
      ),
    );
    expect(unknown).toEqual([]);
  });

  test("the Todo dashboards use only docs/metrics.md's labels and the scrape's", () => {
    const documented = documentedLabels(metricsDoc);
    expect(documented).toContain("rpc_method");
    expect(documented).toContain("messaging_destination_partition_id");
    // Target labels of the scrape (Kubernetes adds namespace and pod); `le` of every histogram.
    const scrape = new Set(["job", "instance", "namespace", "pod", "le"]);
    const unknown = TODO_DASHBOARDS.flatMap((uid) =>
      expressionsOf(byUid.get(uid) as DashboardFile).flatMap(({ where, expr }) =>
        labelNames(expr)
          .filter((name) => !documented.has(name) && !scrape.has(name))
          .map((name) => `${where}: ${name}`),
      ),
    );
    expect(unknown).toEqual([]);
  });

  test("every metric family of docs/metrics.md is shown on a Todo dashboard", () => {
    /** Families deliberately not drawn, and why. */
    const notShown: Record<string, string> = {
      nodejs_eventloop_delay_min_seconds: "p50, p99 and max are drawn; min, mean and p90 add little",
      nodejs_eventloop_delay_mean_seconds: "as above",
      nodejs_eventloop_delay_p90_seconds: "as above",
    };
    const family = (name: string) => name.replace(/_(bucket|sum|count)$/, "");
    const used = new Set(
      TODO_DASHBOARDS.flatMap((uid) =>
        expressionsOf(byUid.get(uid) as DashboardFile).flatMap(({ expr }) => metricNames(expr).map(family)),
      ),
    );
    const missing = [...new Set([...documentedSeries(metricsDoc)].map(family))].filter(
      (f) => !used.has(f) && !(f in notShown),
    );
    // db_client_connection_count is a gauge whose name ends in _count (docs/metrics.md says so).
    expect(missing.filter((f) => f !== "db_client_connection")).toEqual([]);
  });

  test("the SLO dashboard's burn rates divide by the budgets recording.yaml encodes", () => {
    const budgets = recordedBudgets(recordingYaml);
    expect(budgets.size).toBe(4);
    const problems: string[] = [];
    let burnRates = 0;
    for (const q of panelQueries(byUid.get("todo-slo") as DashboardFile)) {
      const m = /(job:todo_slo_\w+):ratio_rate\w+\{[^}]*\}\s*\/\s*([\d.]+)/.exec(q.expr);
      if (!m?.[1]) continue;
      burnRates++;
      if (budgets.get(m[1]) !== Number(m[2]))
        problems.push(
          `${panelLabel(q)} ${q.refId}: divides ${m[1]} by ${m[2]}, recording.yaml by ${budgets.get(m[1])}`,
        );
    }
    expect(burnRates).toBe(budgets.size * 5);
    expect(problems).toEqual([]);
  });
});

describe("(b) PromQL", () => {
  let tools: ObservabilityTools;
  let scratch: ScratchDir;
  beforeAll(async () => {
    tools = await ensureObservabilityTools();
    scratch = scratchDir("todo-dashboards-");
  }, 1_800_000);
  afterAll(() => scratch?.remove());

  /** Every query of `file` (panels and variables) as recording rules; promtool's exit code and output. */
  const promtoolCheck = async (file: DashboardFile) => {
    const variables = variablesOf(file.dashboard);
    const values = syntaxValues(file);
    const items = [
      ...panelQueries(file).map((q) => ({
        group: `${file.file} #${q.panelId} "${q.panelTitle}"`,
        refId: q.refId,
        expr: substitute(q.expr, variables, values),
      })),
      ...[...variables.values()].flatMap((v) => {
        const selector = labelValuesSelector(variableQuery(v) ?? "");
        return selector
          ? [
              {
                group: `${file.file} variable $${v.name}`,
                refId: v.name,
                expr: substitute(selector, variables, values),
              },
            ]
          : [];
      }),
    ];
    const rules = scratch.file(
      file.file.replace(/\.json$/, ".rules.json"),
      JSON.stringify(asRecordingRules(items)),
    );
    return { count: items.length, ...(await scratch.run([tools.promtool, "check", "rules", rules])) };
  };

  for (const file of dashboards)
    test(`${file.file}: every query parses (promtool check rules)`, async () => {
      const { count, code, output } = await promtoolCheck(file);
      expect(count).toBeGreaterThan(5);
      if (code !== 0) throw new Error(`promtool check rules failed for ${file.file}:\n${output}`);
      expect(output).toContain(`SUCCESS: ${count} rules found`);
    });

  test("a syntax error fails the check, naming the dashboard and the panel", async () => {
    const broken: DashboardFile = {
      file: "broken.json",
      dashboard: {
        uid: "broken",
        templating: { list: [{ name: "job", type: "query" }] },
        panels: [
          {
            id: 7,
            type: "timeseries",
            title: "Fine",
            targets: [{ refId: "A", expr: 'sum(rate(x{job=~"$job"}[$__rate_interval]))' }],
          },
          {
            id: 8,
            type: "timeseries",
            title: "Unbalanced",
            targets: [{ refId: "B", expr: "sum(rate(x[5m])" }],
          },
        ],
      },
    };
    const { code, output } = await promtoolCheck(broken);
    expect(code).not.toBe(0);
    expect(output).toContain('group "broken.json #8 \\"Unbalanced\\""');
    expect(output).toContain("unclosed left parenthesis");
    expect(output).not.toContain("#7");
  });
});

/** Panels a healthy system has no data for after the load, and why (`butFor`: rows that must). */
const NO_DATA_EXPECTED: Record<string, NoDataExpected> = {
  "todo-service-overview/Server errors by method and error.type": {
    reason: "no server errors in a healthy system",
  },
  "todo-service-overview/Client errors by method and code": {
    reason:
      "a healthy service need see no client mistakes; the load makes one (a wrong password) on identity",
    butFor: [jobOf("identity")],
  },
  "todo-service-overview/Database errors by service and code": {
    reason: "no failed SQL statements when healthy",
  },
  "todo-service-overview/CPU of the container limit": {
    reason: "needs a cgroup CPU limit (a container); none here",
  },
  "todo-service-overview/Memory of the container limit": { reason: "needs a cgroup memory limit; none here" },
  "todo-event-pipeline/Publish failures per topic": { reason: "the bus accepts every event when healthy" },
  "todo-event-pipeline/Failed handler attempts": { reason: "no handler fails when healthy" },
  "todo-event-pipeline/Dead-lettered events per topic": { reason: "nothing is dead-lettered when healthy" },
  "todo-event-pipeline/Job firing failures": { reason: "no job fails to fire when healthy" },
  "todo-event-pipeline/Deliveries given up": { reason: "every webhook delivery succeeds" },
  "todo-event-pipeline/Digest runs by outcome": {
    reason: "the digest runs only under Dapr (its cron binding): dashboards-dapr.test.ts",
  },
  "todo-event-pipeline/Digest run duration p95": { reason: "the digest runs only under Dapr" },
  "todo-event-pipeline/Digest users by result": { reason: "the digest runs only under Dapr" },
};

describe("(c) live: every Todo panel has data after a short load", () => {
  const spec: LiveCheckSpec = {
    dashboards: TODO_DASHBOARDS.map((uid) => byUid.get(uid) as DashboardFile),
    values: { namespace: ".*", job: "todo-.+", instance: ".+" },
    repeatValues: { job: OBSERVED_SERVICES.map(jobOf) },
    noDataExpected: NO_DATA_EXPECTED,
  };
  let observed: ObservedSystem | undefined;
  let load: LoadResult | undefined;
  beforeAll(async () => {
    observed = await startObservedSystem(await ensureObservabilityTools());
    await observed.waitForTargetsUp();
    load = await runLoad(observed);
    // A few more scrapes and rule evaluations (1 s each) after the last event.
    await Bun.sleep(4000);
  }, 300_000);
  afterAll(async () => {
    load?.close();
    await observed?.close();
  }, 60_000);

  test("the list of panels without data names real panels", () => {
    expect(unknownNoDataKeys(spec)).toEqual([]);
  });

  test("every query returns data, except where a healthy system has none", async () => {
    if (!observed || !load) throw new Error("the system did not start");
    const result = await checkLive(observed.prometheus, spec);
    console.log(
      `dashboards live: ${result.queries} queries (${load.calls} calls, ${load.remindersFired} reminders fired, ` +
        `${load.webhookDeliveries} webhook deliveries, load ${load.ms} ms): ${result.withData} with data, ` +
        `${result.emptyAsExpected} empty as expected, ${result.missing.length} missing; not evaluated here: ` +
        Object.entries(EXPORTER_DASHBOARDS)
          .map(([uid, why]) => `${uid} (${why})`)
          .join("; "),
    );
    expect(result.queries).toBeGreaterThan(100);
    expect(result.missing).toEqual([]);
  }, 60_000);
});
