/**
 * Evaluating dashboard queries against a live Prometheus: every target of the chosen panels, its
 * variables substituted, through `/api/v1/query`; a query "has data" when it returns at least one
 * sample that is not NaN (a `histogram_quantile` over buckets that did not move is NaN: no data on a
 * graph either). Panels a healthy system legitimately leaves empty are named in a table with the
 * reason, per panel (`<uid>/<title>`) or per target (`<uid>/<title>/<refId>`).
 */
import type { RunningPrometheus } from "../../scripts/lib/observability-servers.ts";
import {
  type DashboardFile,
  type PanelQuery,
  panelLabel,
  panelQueries,
  substitute,
  variablesOf,
} from "./dashboard-queries.ts";

/** Why a panel (or one target) has no data in a healthy system; `butFor`: repeated-row values that must. */
export interface NoDataExpected {
  readonly reason: string;
  readonly butFor?: readonly string[];
}

/** What to evaluate: the dashboards, values for their variables, and per repeated variable its values. */
export interface LiveCheckSpec {
  readonly dashboards: readonly DashboardFile[];
  /** Only these panels (`<uid>/<title>`) when given, else every panel. */
  readonly only?: (q: PanelQuery) => boolean;
  /** Values of the variables, as a user choosing "All" would get them (regexes). */
  readonly values: Readonly<Record<string, string>>;
  /** For a row repeated over `$name`: the values it repeats for (each evaluated on its own). */
  readonly repeatValues?: Readonly<Record<string, readonly string[]>>;
  readonly noDataExpected: Readonly<Record<string, NoDataExpected>>;
}

/** The outcome: how many queries had data, were empty as expected, and the unexpected empty ones. */
export interface LiveCheckResult {
  readonly queries: number;
  readonly withData: number;
  readonly emptyAsExpected: number;
  /** One line per unexpectedly empty query: the panel, target, repeated value and the expression. */
  readonly missing: readonly string[];
}

/** The keys of `noDataExpected` that name no panel or target of the spec's dashboards. */
export function unknownNoDataKeys(spec: Pick<LiveCheckSpec, "dashboards" | "noDataExpected">): string[] {
  const known = new Set(
    spec.dashboards.flatMap((d) =>
      panelQueries(d).flatMap((q) => [`${q.uid}/${q.panelTitle}`, `${q.uid}/${q.panelTitle}/${q.refId}`]),
    ),
  );
  return Object.keys(spec.noDataExpected).filter((key) => !known.has(key));
}

/** Evaluates every selected query (once per repeated value) and sorts the answers. */
export async function checkLive(
  prometheus: RunningPrometheus,
  spec: LiveCheckSpec,
): Promise<LiveCheckResult> {
  const missing: string[] = [];
  let queries = 0;
  let withData = 0;
  let emptyAsExpected = 0;
  for (const file of spec.dashboards) {
    const variables = variablesOf(file.dashboard);
    for (const q of panelQueries(file).filter((p) => spec.only?.(p) ?? true)) {
      const repeated = q.repeat ? spec.repeatValues?.[q.repeat] : undefined;
      for (const value of repeated ?? [undefined]) {
        queries++;
        const values = q.repeat && value !== undefined ? { ...spec.values, [q.repeat]: value } : spec.values;
        const expr = substitute(q.expr, variables, values);
        const samples = await prometheus.query(expr);
        const expected =
          spec.noDataExpected[`${q.uid}/${q.panelTitle}/${q.refId}`] ??
          spec.noDataExpected[`${q.uid}/${q.panelTitle}`];
        if (samples.some((s) => !Number.isNaN(Number(s.value[1])))) withData++;
        else if (expected && !(value !== undefined && expected.butFor?.includes(value))) emptyAsExpected++;
        else
          missing.push(
            `${panelLabel(q)} ${q.refId}${value !== undefined ? ` ($${q.repeat}=${value})` : ""}: ` +
              `${samples.length ? "only NaN" : "no samples"}\n    ${expr}`,
          );
      }
    }
  }
  return { queries, withData, emptyAsExpected, missing };
}
