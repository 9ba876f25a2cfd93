/**
 * Todo's Prometheus rule files as data, for the tests that read them (rules.test.ts) and for an
 * end-to-end test that loads them into a real Prometheus: where the files are, their parsed form,
 * the alerting rules, the runbook anchor each alert must point at, and a copy of alerts.yaml with
 * shorter `for:` durations or thresholds, so that a live system's alert fires within a test's time.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** This directory: alerts.yaml, recording.yaml and tests/. */
export const prometheusDir: string = import.meta.dir;
/** The alerting rules. */
export const alertsFile: string = join(prometheusDir, "alerts.yaml");
/** The recording rules the alerts, the SLOs and the dashboards use. */
export const recordingFile: string = join(prometheusDir, "recording.yaml");
/** The promtool unit tests. */
export const ruleTestsDir: string = join(prometheusDir, "tests");
/** The runbook every alert's `runbook_url` points into. */
export const runbookFile: string = join(prometheusDir, "..", "..", "docs", "runbook.md");
/** Where `runbook_url`s point: the runbook on the repository's default branch. */
export const RUNBOOK_URL = "https://github.com/todo-app/todo/blob/main/docs/runbook.md";

/** One rule of a group: an alerting rule (`alert`) or a recording rule (`record`). */
export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An alerting rule. */
export interface AlertingRule extends Rule {
  readonly alert: string;
}

/** A rule group. */
export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

/** A rule file (`groups:`). */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

/** A promtool unit-test file (what rules.test.ts reads of it). */
export interface RuleTestFile {
  readonly rule_files: readonly string[];
  readonly evaluation_interval?: string;
  readonly group_eval_order?: readonly string[];
  readonly tests: readonly {
    readonly name?: string;
    readonly interval?: string;
    readonly alert_rule_test?: readonly {
      readonly eval_time: string;
      readonly alertname: string;
      readonly exp_alerts?: readonly {
        readonly exp_labels?: Readonly<Record<string, string>>;
        readonly exp_annotations?: Readonly<Record<string, string>>;
      }[];
    }[];
  }[];
}

/** The parsed YAML of `path` (throws naming the file when it is not YAML). */
export function readYaml<T>(path: string): T {
  try {
    return Bun.YAML.parse(readFileSync(path, "utf8")) as T;
  } catch (err) {
    throw new Error(`${path} is not YAML: ${(err as Error).message}`);
  }
}

/** A rule file, parsed (alerts.yaml by default). */
export function loadRuleFile(path: string = alertsFile): RuleFile {
  const parsed = readYaml<RuleFile>(path);
  if (!Array.isArray(parsed?.groups)) throw new Error(`${path} has no groups`);
  return parsed;
}

/** Every alerting rule of alerts.yaml, in file order (an alert name may have several rules). */
export function alertingRules(file: RuleFile = loadRuleFile()): AlertingRule[] {
  return file.groups.flatMap((g) => g.rules.filter((r): r is AlertingRule => typeof r.alert === "string"));
}

/** The promtool unit-test files, sorted. */
export function ruleTestFiles(dir: string = ruleTestsDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".test.yaml"))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * The anchor GitHub gives a Markdown heading: lower case, punctuation other than `-` and `_`
 * dropped, spaces as `-` (`## TodoServiceDown` → `todoservicedown`).
 */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of every heading of a Markdown text (a repeated heading gets `-1`, `-2`, …). */
export function markdownAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m?.[1]) continue;
    const base = headingAnchor(m[1].replace(/`/g, ""));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** The `runbook_url` an alert must have: its section of docs/runbook.md, `## <AlertName>`. */
export const runbookUrl = (alertname: string): string => `${RUNBOOK_URL}#${headingAnchor(alertname)}`;

/** What to change in an alert's rules for a test against a live system. */
export interface RuleOverride {
  /** The `for:` duration (`"15s"`); `"0s"` fires at the first evaluation that matches. */
  readonly for?: string;
  /** A new expression from the old one (`(e) => e.replace("> 1000", "> 50")`). */
  readonly expr?: (expr: string) => string;
}

/**
 * Writes alerts.yaml to `path` with the given alerts' rules changed (every rule of that name), and
 * returns `path`; every other rule is left as it is. Throws for an alert name alerts.yaml does not
 * have, or an expression override that changes nothing, so a renamed alert or threshold fails the
 * test that relies on it instead of silently testing the original.
 *
 * For example, the lag alert on a live system within a minute (with `METRICS_REFRESH_SECONDS=1`
 * on the services and a 1 s scrape and evaluation interval):
 *
 * ```ts
 * writeAlertRulesWith(join(dir, "alerts.yaml"), {
 *   TodoConsumerLagHigh: { for: "10s", expr: (e) => e.replace("> 1000", "> 20") },
 * });
 * ```
 */
export function writeAlertRulesWith(path: string, overrides: Readonly<Record<string, RuleOverride>>): string {
  const file = loadRuleFile();
  const names = new Set(alertingRules(file).map((r) => r.alert));
  for (const name of Object.keys(overrides))
    if (!names.has(name)) throw new Error(`alerts.yaml has no alert ${name}`);
  const groups = file.groups.map((g) => ({
    ...g,
    rules: g.rules.map((rule) => {
      const override = rule.alert === undefined ? undefined : overrides[rule.alert];
      if (!override) return rule;
      const expr = override.expr ? override.expr(rule.expr) : rule.expr;
      if (override.expr && expr === rule.expr)
        throw new Error(`the expression override of ${rule.alert} changed nothing in: ${rule.expr}`);
      return { ...rule, expr, ...(override.for === undefined ? {} : { for: override.for }) };
    }),
  }));
  // JSON is YAML: Prometheus and promtool read it as is.
  writeFileSync(path, `${JSON.stringify({ groups }, null, 2)}\n`);
  return path;
}

/**
 * The PromQL expressions of a Markdown text's ```promql blocks: a line that starts in column 0
 * starts an expression, an indented line or one starting with a binary operator continues it, and
 * whole-line `#` comments are dropped.
 */
export function promqlBlocks(markdown: string): string[] {
  const exprs: string[] = [];
  for (const [, block] of markdown.matchAll(/^```promql\n([\s\S]*?)^```/gm)) {
    for (const line of (block ?? "").split("\n")) {
      if (line.trim() === "" || line.trim().startsWith("#")) continue;
      const continues = /^(\s|\/|\*|\+|-|and\b|or\b|unless\b|>|<|==)/.test(line) && exprs.length > 0;
      if (continues) exprs[exprs.length - 1] += `\n${line}`;
      else exprs.push(line);
    }
  }
  return exprs;
}
