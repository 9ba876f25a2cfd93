/**
 * The Dapr benchmark's report as markdown: the machine, the headline numbers, the invocation and
 * pubsub tables (latency percentiles, Δ to the direct path, CPU per call or update).
 */
import { ms, table } from "../lib/stats";
import type { CpuReport, MachineInfo } from "../lib/system";
import { INVOCATION_CPU, type InvocationResult } from "./invocation";
import type { DaprRun } from "./options";
import { DAPR, DIRECT, type PubsubResult } from "./pubsub";

/** A count with thousands separators. */
export const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
/** A difference in ms with its sign (− for negative). */
const signed = (n: number) => (Number.isNaN(n) ? "–" : `${n >= 0 ? "+" : "−"}${ms(Math.abs(n))}`);
const cores = (c: CpuReport | undefined) => (c ? c.busyCores.toFixed(2) : "–");

/** The run's machine and versions, in two paragraphs. */
export function machineSection(m: MachineInfo, dapr: string): string {
  return [
    `Run on ${m.date}, on a machine of **${m.cores} cores shared** with other engineers' test runs ` +
      `(load average at the start ${m.loadAverage}); everything — the load generator, the services, ` +
      "the sidecars, PostgreSQL and Kafka — on that one machine, over loopback.",
    "",
    `${m.cpu}, ${m.memory}; ${m.os}; Bun ${m.bun}; Dapr ${dapr} (\`daprd\` and the scheduler built from the ` +
      `Go module proxy); ${m.kafka}, kafkajs ${m.kafkajs}; PostgreSQL ${m.postgres}.`,
  ].join("\n");
}

/** The invocation phase's tables, one per load. */
export function invocationSection(r: InvocationResult): string {
  const out: string[] = [
    "### Service invocation: `TaskService.GetTask`, direct vs through Dapr",
    "",
    "Latency in ms, measured in the client; Δ = difference from the direct path's percentile. CPU is " +
      "milliseconds of CPU per call, over that path's blocks (busy = the whole machine's mean busy " +
      "cores over them, of 2).",
  ];
  for (const load of r.loads) {
    const direct = load.paths[0]?.summary;
    out.push(
      "",
      `**${load.name}** (${fmtInt(load.paths[0]?.summary.count ?? 0)} calls per path; the machine was ` +
        `${load.busyBefore.toFixed(2)} cores busy just before):`,
      "",
    );
    out.push(
      table(
        [
          "path",
          "calls",
          "errors",
          "calls/s",
          "mean",
          "p50",
          "p95",
          "p99",
          "max",
          "Δp50",
          "Δp99",
          `CPU ms/call: ${INVOCATION_CPU.join(" / ")}`,
          "busy",
        ],
        load.paths.map((p, i) => {
          const s = p.summary;
          const n = s.count + p.errors;
          const cpu = INVOCATION_CPU.map((label) =>
            (((p.cpu[label] ?? 0) * 1000) / Math.max(1, n)).toFixed(2),
          );
          return [
            p.label,
            fmtInt(s.count),
            String(p.errors),
            fmtInt(s.count / p.seconds),
            ms(s.mean),
            ms(s.p50),
            ms(s.p95),
            ms(s.p99),
            ms(s.max),
            i === 0 || !direct ? "" : signed(s.p50 - direct.p50),
            i === 0 || !direct ? "" : signed(s.p99 - direct.p99),
            cpu.join(" / "),
            p.busyCores.toFixed(2),
          ];
        }),
      ),
    );
    for (const p of load.paths.filter((x) => x.firstError)) {
      const [from, to] = (p.errorSpan ?? [0, 0]).map((t) => `${t.toFixed(1)} s`);
      const span = from === to ? `all at ${from}` : `all between ${from} and ${to}`;
      const when = p.errorSpan ? ` (${span} into the ${load.name} rounds)` : "";
      out.push("", `- ${p.label}: ${p.errors} errors${when}; the first: ${p.firstError}`);
    }
  }
  return out.join("\n");
}

/** The processes whose CPU per update the pubsub phase reports, in column order. */
const PUBSUB_CPU = ["task app", "task sidecar", "postgres"] as const;

/** The pubsub phase's tables: the intervals per system, then the CPU per update. */
export function pubsubSection(run: DaprRun, results: readonly PubsubResult[]): string {
  const { options } = run;
  // The baseline first, whatever order the systems ran in.
  const ordered = [...results].sort((x, y) => Number(x.system !== DIRECT) - Number(y.system !== DIRECT));
  const base = ordered.find((r) => r.system === DIRECT);
  const out: string[] = [
    "### Publish → deliver: a task change reaching a WatchTasks stream, Dapr pub/sub vs direct Kafka",
    "",
    `${fmtInt(ordered[0]?.sent ?? 0)} UpdateTask calls at ${options.rate}/s per system, the systems one ` +
      `after the other (${results[0]?.system} first); latency in ms; Δ = Dapr minus direct Kafka.`,
    "",
  ];
  const rows: string[][] = [];
  for (const [li, label] of (ordered[0]?.rows.map((r) => r.label) ?? []).entries()) {
    for (const res of ordered) {
      const s = res.rows[li]?.summary;
      const b = base?.rows[li]?.summary;
      if (!s) continue;
      const delta = res !== base && b;
      rows.push([
        res === ordered[0] ? label : "",
        res.system,
        fmtInt(s.count),
        ms(s.mean),
        ms(s.p50),
        ms(s.p95),
        ms(s.p99),
        ms(s.max),
        delta ? signed(s.p50 - b.p50) : "",
        delta ? signed(s.p99 - b.p99) : "",
      ]);
    }
  }
  out.push(table(["interval", "system", "n", "mean", "p50", "p95", "p99", "max", "Δp50", "Δp99"], rows));
  out.push(
    "",
    table(
      [
        "system",
        "updates",
        "delivered",
        `CPU ms per update: ${PUBSUB_CPU.join(" / ")}`,
        "busy before",
        "busy during",
      ],
      ordered.map((r) => [
        r.system,
        fmtInt(r.sent),
        fmtInt(r.delivered),
        PUBSUB_CPU.map((l) => {
          const seconds = r.cpu.byLabel[l];
          return seconds === undefined ? "–" : ((seconds * 1000) / r.sent).toFixed(2);
        }).join(" / "),
        r.busyBefore.toFixed(2),
        cores(r.cpu),
      ]),
    ),
  );
  return out.join("\n");
}

/** The headline lines of the invocation phase. */
export function invocationSummary(r: InvocationResult): string[] {
  return r.loads.map((load) => {
    const [direct, one, two] = load.paths.map((p) => p.summary);
    if (!direct || !one || !two) return "";
    return (
      `- Invocation, ${load.name}: direct p50 ${ms(direct.p50)} / p99 ${ms(direct.p99)} ms; through two ` +
      `sidecars p50 ${ms(two.p50)} / p99 ${ms(two.p99)} ms (Δp50 ${signed(two.p50 - direct.p50)}, Δp99 ` +
      `${signed(two.p99 - direct.p99)} ms); one sidecar p50 ${ms(one.p50)} / p99 ${ms(one.p99)} ms.`
    );
  });
}

/** The headline line of the pubsub phase (both systems measured). */
export function pubsubSummary(results: readonly PubsubResult[]): string {
  const d = results.find((r) => r.system === DIRECT);
  const x = results.find((r) => r.system === DAPR);
  const ds = d?.rows[0]?.summary;
  const xs = x?.rows[0]?.summary;
  if (!d || !x || !ds || !xs) return "";
  return (
    `- Publish → deliver (\`change_time\` → on the stream): direct Kafka p50 ${ms(ds.p50)} / p99 ${ms(ds.p99)} ms; ` +
    `Dapr pub/sub p50 ${ms(xs.p50)} / p99 ${ms(xs.p99)} ms (Δp50 ${signed(xs.p50 - ds.p50)}, Δp99 ` +
    `${signed(xs.p99 - ds.p99)} ms); delivered ${d.delivered}/${d.sent} and ${x.delivered}/${x.sent}.`
  );
}
