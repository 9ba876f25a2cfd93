/**
 * A trace as Jaeger's query API returns it (`/api/traces/<id>`), drawn as an HTML timeline: one row
 * per span, indented under its parent, a bar from its start for its duration, coloured by service.
 * For docs/observability.md's trace screenshot when no built Jaeger UI is at hand (none is on npm,
 * the Go module has none): the page says in its title that it is this drawing of the API's answer,
 * not Jaeger's UI.
 */
import type { JaegerTrace } from "./observability-servers.ts";

type Span = JaegerTrace["spans"][number];

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1", "#edc948", "#9c755f"];

/** The spans in tree order (each after its parent, children by start time) with their depth. */
function ordered(trace: JaegerTrace): { span: Span; depth: number }[] {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  const parentOf = (s: Span) =>
    s.references.find((r) => r.refType === "CHILD_OF" && ids.has(r.spanID))?.spanID;
  const children = new Map<string | undefined, Span[]>();
  for (const s of trace.spans) {
    const key = parentOf(s);
    children.set(key, [...(children.get(key) ?? []), s]);
  }
  const out: { span: Span; depth: number }[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => a.startTime - b.startTime)) {
      out.push({ span: s, depth });
      walk(s.spanID, depth + 1);
    }
  };
  walk(undefined, 0);
  return out;
}

/** The page: `source` (the API URL the trace came from) is named in its heading. */
export function renderTraceTimeline(trace: JaegerTrace, source: string): string {
  const rows = ordered(trace);
  const start = Math.min(...trace.spans.map((s) => s.startTime));
  const end = Math.max(...trace.spans.map((s) => s.startTime + s.duration));
  const total = Math.max(end - start, 1);
  const services = [...new Set(Object.values(trace.processes).map((p) => p.serviceName))].sort();
  const colour = (service: string) => PALETTE[services.indexOf(service) % PALETTE.length];
  const ms = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us} µs`);
  const body = rows
    .map(({ span, depth }) => {
      const service = trace.processes[span.processID]?.serviceName ?? "?";
      const left = ((span.startTime - start) / total) * 100;
      const width = Math.max((span.duration / total) * 100, 0.3);
      const kind = span.tags.find((t) => t.key === "span.kind")?.value;
      return `<tr><td class="name" style="padding-left:${8 + depth * 14}px"><span class="svc" style="background:${colour(service)}">${escapeHtml(service)}</span> ${escapeHtml(span.operationName)}${kind ? ` <i>${escapeHtml(String(kind))}</i>` : ""}</td><td class="lane"><div class="bar" style="left:${left}%;width:${width}%;background:${colour(service)}"></div><span class="dur" style="left:calc(${Math.min(left + width, 88)}% + 4px)">${ms(span.duration)}</span></td></tr>`;
    })
    .join("\n");
  return `<!doctype html><html><head><meta charset="utf-8"><title>Trace ${trace.traceID}</title><style>
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:16px;margin:0 0 4px}p{margin:0 0 12px;color:#555}
table{border-collapse:collapse;width:100%;table-layout:fixed}
td{border-bottom:1px solid #eee;padding:3px 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
td.name{width:46%}td.lane{position:relative}
.bar{position:absolute;top:6px;height:12px;border-radius:2px}
.dur{position:absolute;top:3px;font-size:11px;color:#555}
.svc{color:#fff;border-radius:3px;padding:0 5px;font-size:11px}i{color:#888;font-size:11px}
</style></head><body>
<h1>Trace ${escapeHtml(trace.traceID)}: ${trace.spans.length} spans, ${services.length} services, ${ms(total)}</h1>
<p>Drawn by scripts/screenshots-observability.ts from Jaeger's query API (<code>${escapeHtml(source)}</code>); not Jaeger's UI, which no package ships built.</p>
<table>${body}</table></body></html>`;
}
