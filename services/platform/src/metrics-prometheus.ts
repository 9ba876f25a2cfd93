/**
 * The Prometheus text exposition format (0.0.4) of collected OpenTelemetry metrics, with the names
 * the OpenTelemetry specification's Prometheus compatibility rules give: non-alphanumerics become
 * `_`, the unit is appended (`s` → `_seconds`, `By` → `_bytes`; `{…}` annotations add nothing),
 * monotonic sums get `_total`, histograms `_bucket`/`_sum`/`_count`. These are the names Prometheus's
 * OTLP receiver and the Collector's Prometheus exporters produce from OTLP, so one dashboard serves
 * both paths. (`@opentelemetry/exporter-prometheus` 0.301 appends no unit, hence this module.)
 */
import type { Attributes } from "@opentelemetry/api";
import { DataPointType, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";

/** The content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** UCUM units and their Prometheus words (the Collector's table, for the units that occur). */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: "days",
  h: "hours",
  min: "minutes",
  s: "seconds",
  ms: "milliseconds",
  us: "microseconds",
  ns: "nanoseconds",
  By: "bytes",
  KiBy: "kibibytes",
  MiBy: "mebibytes",
  GiBy: "gibibytes",
  KBy: "kilobytes",
  MBy: "megabytes",
  GBy: "gigabytes",
  m: "meters",
  V: "volts",
  A: "amperes",
  J: "joules",
  W: "watts",
  g: "grams",
  Cel: "celsius",
  Hz: "hertz",
  "%": "percent",
};

/** `a.b-c` → `a_b_c`: runs of characters outside `[a-zA-Z0-9]` become one `_`, none at the ends. */
function tokens(text: string): string[] {
  return text.split(/[^a-zA-Z0-9]+/).filter((t) => t !== "");
}

/** The unit's suffix tokens (`s` → `seconds`, `By/s` → `bytes_per_second`), empty for `{…}` and `1`. */
function unitTokens(unit: string, isGauge: boolean): string[] {
  const bare = unit.replace(/\{[^}]*\}/g, "").trim();
  if (bare === "") return [];
  if (bare === "1") return isGauge ? ["ratio"] : [];
  const [main = "", per] = bare.split("/", 2);
  const word = (u: string, singular: boolean) => {
    const w = UNIT_WORDS[u] ?? tokens(u).join("_");
    return singular && w.endsWith("s") ? w.slice(0, -1) : w;
  };
  const out = main ? tokens(word(main, false)) : [];
  if (per) out.push("per", ...tokens(word(per, true)));
  return out;
}

/** The Prometheus metric family name of `metric` (without `_bucket`/`_sum`/`_count`). */
export function prometheusName(
  metric: Pick<MetricData, "descriptor" | "dataPointType"> & { isMonotonic?: boolean },
): string {
  const isCounter = metric.dataPointType === DataPointType.SUM && metric.isMonotonic === true;
  const isGauge =
    metric.dataPointType === DataPointType.GAUGE ||
    (metric.dataPointType === DataPointType.SUM && metric.isMonotonic !== true);
  const name = tokens(metric.descriptor.name);
  const unit = unitTokens(metric.descriptor.unit, isGauge);
  const endsWith = (suffix: readonly string[]) =>
    suffix.length > 0 &&
    suffix.length <= name.length &&
    suffix.every((t, i) => name[name.length - suffix.length + i] === t);
  if (unit.length > 0 && !endsWith(unit)) name.push(...unit);
  if (isCounter && name.at(-1) !== "total") name.push("total");
  const joined = name.join("_");
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/** An attribute key as a label name: `rpc.method` → `rpc_method`. */
export function prometheusLabel(key: string): string {
  const label = key.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(label) ? `key_${label}` : label;
}

const escapeLabelValue = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (Number.isNaN(value)) return "NaN";
  return String(value);
}

function labels(attributes: Attributes, extra?: string): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? JSON.stringify(value) : String(value);
    parts.push(`${prometheusLabel(key)}="${escapeLabelValue(text)}"`);
  }
  if (extra) parts.push(extra);
  return parts.length > 0 ? `{${parts.join(",")}}` : "";
}

function typeOf(metric: MetricData): "counter" | "gauge" | "histogram" | undefined {
  switch (metric.dataPointType) {
    case DataPointType.SUM:
      return metric.isMonotonic ? "counter" : "gauge";
    case DataPointType.GAUGE:
      return "gauge";
    case DataPointType.HISTOGRAM:
      return "histogram";
    default:
      return undefined; // exponential histograms: not used by Todo, not representable in 0.0.4
  }
}

function samples(name: string, metric: MetricData): string[] {
  const lines: string[] = [];
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    for (const point of metric.dataPoints) {
      const { buckets, sum, count } = point.value;
      let cumulative = 0;
      buckets.counts.forEach((n, i) => {
        cumulative += n;
        const bound = buckets.boundaries[i];
        const le = bound === undefined ? "+Inf" : formatValue(bound);
        lines.push(`${name}_bucket${labels(point.attributes, `le="${le}"`)} ${cumulative}`);
      });
      lines.push(`${name}_sum${labels(point.attributes)} ${formatValue(sum ?? 0)}`);
      lines.push(`${name}_count${labels(point.attributes)} ${count}`);
    }
  } else if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    for (const point of metric.dataPoints) {
      lines.push(`${name}${labels(point.attributes)} ${formatValue(point.value)}`);
    }
  }
  return lines;
}

/**
 * Serialises one collection. Families are written in the order first seen, each with its HELP and
 * TYPE once; two instruments that map to the same name and type share a family. Throws when two
 * instruments map to one name with different types (a naming bug, caught by the tests).
 */
export function serializePrometheus(collected: ResourceMetrics): string {
  const families = new Map<string, { type: string; help: string; lines: string[] }>();
  for (const scope of collected.scopeMetrics) {
    for (const metric of scope.metrics) {
      const type = typeOf(metric);
      if (!type) continue;
      const name = prometheusName(metric);
      const family = families.get(name);
      if (family && family.type !== type) {
        throw new Error(
          `metrics ${metric.descriptor.name} and another both map to ${name} as ${family.type} and ${type}`,
        );
      }
      const lines = samples(name, metric);
      if (family) family.lines.push(...lines);
      else families.set(name, { type, help: metric.descriptor.description, lines });
    }
  }
  let out = `# HELP target_info Target metadata\n# TYPE target_info gauge\ntarget_info${labels(
    collected.resource.attributes,
  )} 1\n`;
  for (const [name, { type, help, lines }] of families) {
    if (lines.length === 0) continue;
    if (help) out += `# HELP ${name} ${escapeHelp(help)}\n`;
    out += `# TYPE ${name} ${type}\n${lines.join("\n")}\n`;
  }
  return out;
}
