/**
 * Test support for metrics: a real meter provider for the test process (installed once — the
 * OpenTelemetry API takes one per process — and read with the same serializer as `/metrics`), and a
 * strict parser of the Prometheus text format, so tests check what a Prometheus server would read
 * rather than grepping for strings.
 */
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, type MetricReader } from "@opentelemetry/sdk-metrics";
import { createPullReader } from "./metrics";
import { installMeterProvider, metricsEnabled } from "./metrics-instruments";
import { serializePrometheus } from "./metrics-prometheus";

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition. */
export interface Exposition {
  readonly samples: readonly Sample[];
  /** `# TYPE` of each family. */
  readonly types: ReadonlyMap<string, string>;
  /** `# HELP` of each family. */
  readonly help: ReadonlyMap<string, string>;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

function parseValue(text: string, line: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  const n = Number(text);
  if (text === "" || Number.isNaN(n)) throw new Error(`bad sample value in: ${line}`);
  return n;
}

/** Parses `{a="x",b="y"}` starting at `text[0] === "{"`; returns the labels and the rest. */
function parseLabels(text: string, line: string): [Record<string, string>, string] {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (text[i] === " ") i++;
    if (text[i] === "}") return [labels, text.slice(i + 1)];
    const eq = text.indexOf("=", i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${JSON.stringify(name)} in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const next = text[++j];
        if (next === "n") value += "\n";
        else if (next === "\\" || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (text[i] !== "}") throw new Error(`expected , or } in: ${line}`);
  }
}

/** The family a sample belongs to, given the declared types (histogram suffixes stripped). */
function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      if (types.get(base) === "histogram" || types.get(base) === "summary") return base;
    }
  }
  return undefined;
}

/**
 * Parses the Prometheus text format 0.0.4 strictly: valid names and label syntax, a `# TYPE`
 * before a family's samples, no series twice, and for histograms cumulative buckets with an `le`
 * label ending in `+Inf` equal to `_count`. Throws on the first violation.
 */
export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // other comments are allowed
      const [, kind, name = "", rest = ""] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`bad type in: ${line}`);
        if (types.has(name)) throw new Error(`TYPE of ${name} twice`);
        types.set(name, rest);
      } else help.set(name, rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\"));
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    if (nameEnd <= 0) throw new Error(`bad sample line: ${line}`);
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`bad metric name in: ${line}`);
    let rest = line.slice(nameEnd);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) [labels, rest] = parseLabels(rest, line);
    const fields = rest.trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2) throw new Error(`bad sample line: ${line}`);
    const value = parseValue(fields[0] ?? "", line);
    if (!familyOf(name, types)) throw new Error(`sample of ${name} before its # TYPE`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`series twice: ${line}`);
    seen.add(key);
    samples.push({ name, labels, value });
  }
  checkHistograms(samples, types);
  return { samples, types, help };
}

function checkHistograms(samples: readonly Sample[], types: ReadonlyMap<string, string>): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of samples) {
    const family = familyOf(s.name, types);
    if (!family || types.get(family) !== "histogram" || family === s.name) continue;
    const { le, ...rest } = s.labels;
    const key = `${family}${JSON.stringify(Object.entries(rest).sort())}`;
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith("_bucket")) {
      if (le === undefined) throw new Error(`${s.name} without le`);
      entry.buckets.push([parseValue(le, s.name), s.value]);
    } else if (s.name.endsWith("_count")) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      if ((sorted[i]?.[1] ?? 0) < (sorted[i - 1]?.[1] ?? 0))
        throw new Error(`${key}: buckets not cumulative`);
    }
    const last = sorted.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${key}: no +Inf bucket`);
    if (count !== last[1]) throw new Error(`${key}: +Inf bucket ${last[1]} differs from _count ${count}`);
  }
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The sum of the matching samples' values (0 when none match). */
export function sumOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(exposition, name, labels).reduce((total, s) => total + s.value, 0);
}

/** Reads the test process's metrics. */
export interface TestMetrics {
  /** The exposition `/metrics` would serve now. */
  text(): Promise<string>;
  /** The same, parsed. */
  scrape(): Promise<Exposition>;
  /** Scrapes until `check` holds (every 50 ms, for `ms`, default 15 s); throws naming `what` if not. */
  until(check: (e: Exposition) => boolean, what: string, ms?: number): Promise<Exposition>;
}

let reader: MetricReader | undefined;

/**
 * Turns metrics on in this test process (once; later calls reuse it) and returns how to read them.
 * Build the things under test after calling it: instruments made before stay no-ops. Throws when
 * some other meter provider is installed.
 */
export function useTestMetrics(): TestMetrics {
  if (!reader) {
    if (metricsEnabled()) throw new Error("metrics were started by something else in this process");
    const pull = createPullReader();
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": "todo-test" }),
      readers: [pull],
    });
    if (!installMeterProvider(provider)) throw new Error("could not install the test meter provider");
    reader = pull;
  }
  const pull = reader;
  const text = async () => {
    const { resourceMetrics, errors } = await pull.collect({ timeoutMillis: 10_000 });
    if (errors.length > 0) throw new Error(`collecting metrics failed: ${errors.map(String).join("; ")}`);
    return serializePrometheus(resourceMetrics);
  };
  const scrape = async () => parsePrometheusText(await text());
  const until = async (check: (e: Exposition) => boolean, what: string, ms = 15_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const e = await scrape();
      if (check(e)) return e;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; the metrics were:\n${await text()}`);
      await Bun.sleep(50);
    }
  };
  return { text, scrape, until };
}
