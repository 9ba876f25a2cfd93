/**
 * Reading the Grafana dashboards of `observability/grafana/dashboards/` the way the tests need them:
 * every panel (rows flattened, collapsed or not) with the row it repeats under, every PromQL target,
 * Grafana's variables substituted by fixed values, and the queries wrapped as recording rules so that
 * `promtool check rules` parses them (one rule group per panel, named after the dashboard and the
 * panel, so promtool's error names both).
 *
 * Also the two contracts the dashboards are written against: the Prometheus names of docs/metrics.md
 * and the recording rules of observability/prometheus/recording.yaml.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The repository root. */
export const repoRoot: string = join(import.meta.dir, "..", "..");
/** Where the dashboards live. */
export const dashboardsDir: string = join(import.meta.dir, "dashboards");

/** A Grafana datasource reference. */
export interface DatasourceRef {
  readonly type?: string;
  readonly uid?: string;
}

/** A Prometheus target of a panel. */
export interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly datasource?: DatasourceRef | string | null;
  readonly hide?: boolean;
}

/** A panel as the dashboard JSON has it (only what the tests read). */
export interface Panel {
  readonly id?: number;
  readonly type?: string;
  readonly title?: string;
  readonly description?: string;
  readonly datasource?: DatasourceRef | string | null;
  readonly fieldConfig?: { readonly defaults?: { readonly unit?: string } };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
  readonly repeat?: string;
  readonly collapsed?: boolean;
}

/** A template variable. */
export interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string | { readonly query?: string };
  readonly datasource?: DatasourceRef | string | null;
}

/** A dashboard as the JSON has it (only what the tests read). */
export interface Dashboard {
  readonly uid?: string;
  readonly title?: string;
  readonly tags?: readonly string[];
  readonly schemaVersion?: number;
  readonly description?: string;
  readonly templating?: { readonly list?: readonly Variable[] };
  readonly panels?: readonly Panel[];
}

/** A dashboard file, parsed. */
export interface DashboardFile {
  /** File name within the dashboards directory (`service-overview.json`). */
  readonly file: string;
  readonly dashboard: Dashboard;
}

/** Every `*.json` of `dir`, parsed; throws naming the file that is not JSON. */
export function loadDashboards(dir: string = dashboardsDir): DashboardFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), "utf8");
      try {
        return { file, dashboard: JSON.parse(text) as Dashboard };
      } catch (err) {
        throw new Error(`${file} is not JSON: ${(err as Error).message}`);
      }
    });
}

/** A panel that shows data (not a row), with the variable its row repeats over, if any. */
export interface PanelInRow {
  readonly panel: Panel;
  readonly row: string | undefined;
  readonly repeat: string | undefined;
}

/**
 * The data panels of a dashboard in order. An open row's panels follow it at the top level; a
 * collapsed row carries them in its own `panels`. Either way they belong to the row before them.
 */
export function dataPanels(dashboard: Dashboard): PanelInRow[] {
  const out: PanelInRow[] = [];
  let row: Panel | undefined;
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === "row") {
      row = panel;
      for (const inner of panel.panels ?? [])
        out.push({ panel: inner, row: panel.title, repeat: panel.repeat });
    } else {
      out.push({ panel, row: row?.title, repeat: row?.repeat ?? panel.repeat });
    }
  }
  return out;
}

/** One PromQL target of one panel. */
export interface PanelQuery {
  readonly file: string;
  readonly uid: string;
  readonly panelId: number;
  readonly panelTitle: string;
  readonly refId: string;
  readonly expr: string;
  /** The variable the panel's row repeats over (the query then runs once per value). */
  readonly repeat: string | undefined;
}

/** Every visible PromQL target of the dashboard. */
export function panelQueries({ file, dashboard }: DashboardFile): PanelQuery[] {
  return dataPanels(dashboard).flatMap(({ panel, repeat }) =>
    (panel.targets ?? [])
      .filter((t) => !t.hide && typeof t.expr === "string" && t.expr.trim() !== "")
      .map((t) => ({
        file,
        uid: dashboard.uid ?? "",
        panelId: panel.id ?? -1,
        panelTitle: panel.title ?? "",
        refId: t.refId ?? "",
        expr: t.expr as string,
        repeat,
      })),
  );
}

/** `panelTitle (file #id)`: how a test names a panel. */
export const panelLabel = (q: Pick<PanelQuery, "file" | "panelId" | "panelTitle">) =>
  `${q.file} #${q.panelId} "${q.panelTitle}"`;

/** The template variables of a dashboard by name. */
export function variablesOf(dashboard: Dashboard): Map<string, Variable> {
  return new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
}

/** The query text of a query variable (Grafana keeps a string or `{query}`). */
export function variableQuery(v: Variable): string | undefined {
  return typeof v.query === "string" ? v.query : v.query?.query;
}

/**
 * Grafana's interval variables replaced by fixed durations: `$__rate_interval` and `$__interval`
 * with 1 minute (more than four 1 s scrapes, the window Grafana itself would use here), `$__range`
 * with 5 minutes.
 */
export const BUILTIN_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: "1m",
  __interval: "1m",
  __range: "5m",
};

const VARIABLE_REF = /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g;

/**
 * `expr` with every variable reference (`$x`, `${x}`, `${x:format}`, `[[x]]`) replaced: Grafana's
 * builtins by `BUILTIN_VALUES`, the dashboard's own variables by `values[name]`. Throws naming a
 * reference that is neither, or a variable without a value.
 */
export function substitute(
  expr: string,
  variables: ReadonlyMap<string, Variable>,
  values: Readonly<Record<string, string>>,
): string {
  return expr.replace(VARIABLE_REF, (ref, braced, bracketed, plain) => {
    const name = (braced ?? bracketed ?? plain) as string;
    const builtin = BUILTIN_VALUES[name];
    if (builtin !== undefined) return builtin;
    if (!variables.has(name)) throw new Error(`${ref} is not a variable of the dashboard`);
    const value = values[name];
    if (value === undefined) throw new Error(`no value given for ${ref}`);
    return value;
  });
}

/** The selector inside `label_values(<selector>, label)`, or undefined for `label_values(label)`. */
export function labelValuesSelector(query: string): string | undefined {
  const m = /^\s*label_values\s*\(\s*(.+)\s*,\s*[a-zA-Z_]\w*\s*\)\s*$/s.exec(query);
  return m?.[1];
}

/** One rule group per panel, in the form `promtool check rules` reads (JSON is YAML). */
export interface RuleFile {
  readonly groups: { name: string; rules: { record: string; expr: string }[] }[];
}

/**
 * The queries as recording rules: a group `<file> #<panel id> "<title>"` per panel (and one per
 * variable query, `<file> variable $<name>`), a rule `dashboard_query_<n>:<refId>` per target
 * (`n` numbers the groups).
 */
export function asRecordingRules(items: readonly { group: string; refId: string; expr: string }[]): RuleFile {
  const groups = new Map<string, { record: string; expr: string }[]>();
  for (const item of items) {
    const rules = groups.get(item.group) ?? [];
    // Names unique in the file: promtool's lint reports two rules recording one name.
    const n = groups.has(item.group) ? groups.size : groups.size + 1;
    rules.push({
      record: `dashboard_query_${n}:${item.refId.replace(/\W/g, "_") || "query"}`,
      expr: item.expr,
    });
    groups.set(item.group, rules);
  }
  return { groups: [...groups].map(([name, rules]) => ({ name, rules })) };
}

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "inf",
  "nan",
]);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions, keywords,
 * label names (inside braces or `by (…)`-style lists), durations or strings. Good enough for the
 * expressions of these dashboards, not a PromQL parser (promtool is that).
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (!name || call || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/**
 * Every Prometheus series name docs/metrics.md lists in the last column of the tables of its
 * "## The metrics" section: `name{labels}` tokens, and `_sum`/`_count`-style suffixes completing the
 * histogram before them.
 */
export function documentedSeries(markdown: string): Set<string> {
  const names = new Set<string>();
  const section = markdown.split(/^## /m).find((s) => s.startsWith("The metrics")) ?? "";
  for (const line of section.split("\n")) {
    if (!line.startsWith("| `")) continue;
    const cells = line.split("|").map((c) => c.trim());
    const last = cells[cells.length - 2] ?? "";
    let base: string | undefined;
    for (const [, token] of last.matchAll(/`([^`]+)`/g)) {
      const name = (token as string).replace(/\{.*$/, "");
      if (name.startsWith("_") && base) names.add(`${base}${name}`);
      else if (/^[a-zA-Z_:][\w:]*$/.test(name)) {
        names.add(name);
        base = name.replace(/_bucket$/, "");
      }
    }
  }
  return names;
}

/** The label names a PromQL expression matches on or groups by (`{a="…"}`, `by (a, b)`, `on (a)`, …). */
export function labelNames(expr: string): string[] {
  const text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const names = new Set<string>();
  for (const [, inside] of text.matchAll(/\{([^}]*)\}/g))
    for (const [, name] of (inside as string).matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g))
      names.add(name as string);
  for (const [, list] of text.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g))
    for (const name of (list as string).split(",").map((n) => n.trim())) if (name) names.add(name);
  return [...names];
}

/**
 * Every label docs/metrics.md's metric tables give a series: the attributes column's OpenTelemetry
 * keys under their Prometheus names (`rpc.method` → `rpc_method`) and the labels in braces of the
 * series column (`le`).
 */
export function documentedLabels(markdown: string): Set<string> {
  const labels = new Set<string>();
  const section = markdown.split(/^## /m).find((s) => s.startsWith("The metrics")) ?? "";
  const rows = section.split("\n").filter((line) => line.startsWith("| `"));
  // "as `rpc.server.call.duration`" names a metric, not an attribute.
  const metrics = new Set(rows.map((line) => /^\| `([^`]+)`/.exec(line)?.[1]));
  for (const line of rows) {
    const cells = line.split("|").map((c) => c.trim());
    for (const [, key] of (cells[4] ?? "").matchAll(/`([a-z_]+(?:\.[a-z_]+)+)`/g))
      if (!metrics.has(key)) labels.add((key as string).replace(/[^a-zA-Z0-9]+/g, "_"));
    for (const [, inside] of (cells[5] ?? "").matchAll(/\{([^}]*)\}/g))
      for (const name of (inside as string).split(",").map((n) => n.trim()))
        if (/^[a-zA-Z_]\w*$/.test(name)) labels.add(name);
  }
  return labels;
}

/** The `record:` names of a Prometheus rule file. */
export function recordedNames(yaml: string): Set<string> {
  const parsed = Bun.YAML.parse(yaml) as { groups?: { rules?: { record?: string }[] }[] };
  return new Set(
    (parsed.groups ?? []).flatMap((g) => (g.rules ?? []).flatMap((r) => (r.record ? [r.record] : []))),
  );
}

/**
 * The error budgets recording.yaml encodes in its `…:budget_remaining30d` rules
 * (`1 - job:todo_slo_<sli>:ratio_rate30d / <budget>`), by SLI rule prefix (`job:todo_slo_<sli>`).
 */
export function recordedBudgets(yaml: string): Map<string, number> {
  const parsed = Bun.YAML.parse(yaml) as { groups?: { rules?: { record?: string; expr?: string }[] }[] };
  const budgets = new Map<string, number>();
  for (const rule of (parsed.groups ?? []).flatMap((g) => g.rules ?? [])) {
    if (!rule.record?.endsWith(":budget_remaining30d") || !rule.expr) continue;
    const m = /(job:todo_slo_\w+):ratio_rate30d\s*\/\s*([\d.]+)/.exec(rule.expr);
    if (m?.[1] && m[2]) budgets.set(m[1], Number(m[2]));
  }
  return budgets;
}
