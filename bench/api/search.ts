/**
 * The API benchmark's `search` phase: all clients search the search user's tasks with `query`,
 * rotating through 400 queries of four kinds (a word, a prefix, two words, a typo), default page
 * size, ranked by relevance; the latencies are also broken down by kind of query and by how many
 * tasks it matches.
 */
import { searchTerms, searchTsQueries } from "@todo/task";
import postgres from "postgres";
import { percentile } from "../lib/stats";
import type { CpuProbe } from "./cpu";
import { measureBoth, type PhaseResult } from "./measure";
import type { ApiRun } from "./options";
import { fmt } from "./report";
import type { BenchUser } from "./server";
import { searchQueries } from "./task-text";

/** Measures search as `searcher` on the server whose database is `url`. */
export async function searchPhase(
  run: ApiRun,
  url: string,
  searcher: BenchUser,
  cpu: CpuProbe | undefined,
): Promise<void> {
  const { options, notes, targets, results, breakdowns } = run;
  const queries = searchQueries(400);
  // How many tasks each query matches, to break latencies down by it: counted in SQL with the
  // service's own search (typo widening included), since a search's total_size stops at 1 000.
  const matches: number[] = [];
  const counter = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const x of queries) {
      const { widened } = await searchTsQueries(counter, searcher.id, searchTerms(x.text));
      const [row] = await counter<{ n: number }[]>`
        select count(*)::int as n from task.tasks
        where user_id = ${searcher.id} and search @@ to_tsquery('simple', ${widened})`;
      matches.push(row?.n ?? 0);
    }
  } finally {
    await counter.end({ timeout: 5 });
  }
  // Warm the server's caches and connections with every query once.
  for (let i = 0; i < queries.length; i += 4) {
    await Promise.all(queries.slice(i, i + 4).map((x) => searcher.tasks.listTasks({ query: x.text })));
  }
  const bucketOf = (n: number) =>
    n === 0 ? "0" : n <= 100 ? "1–100" : n <= 1000 ? "101–1,000" : n <= 5000 ? "1,001–5,000" : "> 5,000";
  const sorted = [...matches].sort((a, b) => a - b);
  notes.push(
    `Search queries rotate through a word, a prefix, two words and a typo (${queries.length} queries, e.g. ` +
      `${queries
        .slice(0, 4)
        .map((x, i) => `\`${x.text}\` → ${(matches[i] as number).toLocaleString("en")}`)
        .join(", ")}); ` +
      `matches per query: median ${sorted[sorted.length >> 1]?.toLocaleString("en")}, ` +
      `max ${sorted.at(-1)?.toLocaleString("en")}. Default page size (50), ranked by relevance.`,
  );
  let q = 0;
  const searchName = `search (\`query\`) over ${options.searchTasks.toLocaleString("en")} tasks of one user`;
  targets.set(searchName, { pct: 95, ms: 50 });
  await measureBoth(
    run,
    searchName,
    async () => {
      const i = q++ % queries.length;
      const query = queries[i] as { text: string; kind: string };
      await searcher.tasks.listTasks({ query: query.text });
      const n = matches[i] as number;
      return `${query.kind}|${bucketOf(n)}|${query.kind}, ${n > 1000 ? "common (> 1,000 matches)" : "rare (≤ 1,000 matches)"}`;
    },
    cpu,
  );
  breakdowns.push(...searchBreakdown(results.slice(-2)));
}

/**
 * Tables of the search phases' latencies by kind of query, by how many tasks matched, and by both
 * (a common word is one with more than 1 000 matches, the size of the search's ranking window).
 */
function searchBreakdown(phases: readonly PhaseResult[]): string[] {
  const out: string[] = [];
  for (const [title, part] of [
    ["kind of query", 0],
    ["tasks matched", 1],
    ["kind of query and how common its words are", 2],
  ] as const) {
    const rows: string[] = [];
    for (const phase of phases) {
      const groups = new Map<string, number[]>();
      for (const [label, values] of phase.byLabel) {
        const key = label.split("|")[part] as string;
        groups.set(key, [...(groups.get(key) ?? []), ...values]);
      }
      const order = [
        "word",
        "prefix",
        "two words",
        "typo",
        "0",
        "1–100",
        "101–1,000",
        "1,001–5,000",
        "> 5,000",
      ];
      // "word, common (…)" sorts with "word", then by the rest of the label.
      const rank = (key: string) => order.indexOf(key.split(", ")[0] as string);
      const sorted = [...groups].sort((x, y) => rank(x[0]) - rank(y[0]) || x[0].localeCompare(y[0]));
      for (const [key, values] of sorted) {
        const v = Float64Array.from(values).sort();
        rows.push(
          `| ${phase.load} | ${key} | ${v.length.toLocaleString("en")} | ${fmt(percentile(v, 50))} | ` +
            `${fmt(percentile(v, 95))} | ${fmt(percentile(v, 99))} |`,
        );
      }
    }
    out.push(
      [
        `Search latency by ${title}:`,
        "",
        `| load | ${title} | calls | p50 ms | p95 ms | p99 ms |`,
        "|---|---|---:|---:|---:|---:|",
        ...rows,
      ].join("\n"),
    );
  }
  return out;
}
