/**
 * The API benchmark's report file (`docs/benchmarks.md` by default): the targets, the latest results,
 * the machine, the kept analysis and the method, followed by the sections other runs keep there (the
 * metrics overhead, bench/dapr.ts's "Dapr sidecar overhead"). Rewritten by each run; the section
 * between the `analysis` markers, and the sections this run did not measure, are kept.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { type MachineInfo, machineInfo } from "../lib/system";
import type { ApiOptions } from "./options";

/** What the report says about the machine. */
export interface ApiMachine {
  readonly load: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly kernel: string;
  readonly bun: string;
  readonly postgres: string;
}

/** The machine now, with PostgreSQL's `server_version` (lib/system.ts's facts, in this report's terms). */
export function apiMachine(postgresVersion: string, root: string): ApiMachine {
  const m: MachineInfo = machineInfo(postgresVersion, root);
  return {
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(", "),
    cpu: m.cpu,
    cores: m.cores,
    memory: m.memory,
    kernel: `${os.type()} ${os.release()}`,
    bun: m.bun,
    postgres: m.postgres,
  };
}

/** This file's "Metrics overhead" section: from the first `## Metrics overhead` to the next section. */
const OVERHEAD_SECTION = /\n## Metrics overhead\n[\s\S]*?(?=\n## |$)/;

/**
 * Writes the report into `options.out`: the whole file from `results_md` (the results of
 * `measured` phases), or, when only the metrics phase was measured, just its section.
 */
export function writeReport(
  options: Pick<ApiOptions, "out">,
  results_md: string,
  measured: boolean,
  overhead_md: string | undefined,
  machine: ApiMachine,
): void {
  const previous = existsSync(options.out) ? readFileSync(options.out, "utf8") : "";
  if (!measured && overhead_md) {
    // Only the metrics phase ran: replace that section, keep the rest of the file as it is.
    const kept = previous.replace(OVERHEAD_SECTION, "");
    const at = kept.indexOf("\n## Dapr sidecar overhead\n");
    writeFileSync(
      options.out,
      at < 0 ? kept + overhead_md : kept.slice(0, at) + overhead_md + kept.slice(at),
    );
  } else {
    const analysis =
      /<!-- analysis:start -->\n([\s\S]*?)<!-- analysis:end -->/.exec(previous)?.[1] ??
      "_No analysis written yet for this run._\n";
    // Sections other benchmarks keep in this file (bench/dapr.ts: "## Dapr sidecar overhead") start
    // after this one's own; they are carried over as they are, and so is the last metrics overhead
    // measured when this run did not measure it.
    const others = /\n## Dapr sidecar overhead\n[\s\S]*$/.exec(previous)?.[0] ?? "";
    const overhead = overhead_md ?? OVERHEAD_SECTION.exec(previous)?.[0] ?? "";
    writeFileSync(options.out, renderDoc(results_md, machine, analysis) + overhead + others);
  }
}

function renderDoc(body: string, m: ApiMachine, analysis: string): string {
  return `# Benchmarks

The API's performance targets (issue 2 §7), measured by \`bun run bench\` (\`bench/api.ts\`) on a
real PostgreSQL with 50 concurrent gRPC clients, beside the machine's raw single-row INSERT rate
measured in the same run so the API's overhead is a visible ratio. This file is rewritten by the
benchmark; the section between the \`analysis\` markers is kept.

| target | percentile | goal |
|---|---|---|
| \`CreateTask\` | p99 | ≤ 15 ms |
| \`ListTasks\` with a filter, a sort and a first page of 50 | p99 | ≤ 20 ms |
| search (\`ListTasks.query\`) over 100 000 tasks of one user | p95 | ≤ 50 ms |

## Latest results

${body}

## Machine

| | |
|---|---|
| CPU | ${m.cpu} |
| cores (\`nproc\`) | ${m.cores} |
| memory | ${m.memory} |
| kernel | ${m.kernel} |
| Bun | ${m.bun} |
| load average at the start (1, 5, 15 min) | ${m.load} |
| PostgreSQL | ${m.postgres} (the dev cluster of \`scripts/infra.ts\`: default durability, \`shared_buffers\` 256 MB) |

Everything runs on this one machine: the load generator, the server and PostgreSQL share its cores.

## Analysis

<!-- analysis:start -->
${analysis}<!-- analysis:end -->

## Method

- **Database**: a fresh database (\`todo_bench_<time>\`) on the server named by \`DATABASE_URL\`,
  dropped afterwards (\`--keep-db\` keeps it).
- **Raw INSERT baseline**: a table \`bench_raw (id bigserial primary key, user_id uuid, title text,
  created_at timestamptz default now())\`; the same number of clients as the API phases, each with
  its own connection, each doing one single-row \`INSERT\` after another (autocommit, so one commit
  and WAL flush per row, like \`CreateTask\`). Measured twice: with postgres.js from Bun (the client
  the server uses) and with \`pgbench -M prepared\` (C/libpq), whose per-transaction log gives the
  percentiles.
- **Server**: \`bun services/embedded/src/main.ts\` as a subprocess (so the load generator does not
  share the server's event loop) with \`DATABASE_URL\` set, \`LOG_LEVEL=warn\`, telemetry off: the
  same single process \`bun start\` runs — identity, task and tag services, the outbox relays and the
  in-process event bus — here on PostgreSQL.
- **Clients**: gRPC over h2c with connect-node's \`createGrpcTransport\`, all in one Bun process
  (the load generator); by default each client has its own HTTP/2 connection
  (\`--connections shared\` multiplexes them on one) and signs up as its own user. Latency is
  measured in the client, so it includes the client's own time.
- **Two loads per API operation**, because with a fixed number of clients the two answer different
  questions:
  - *closed loop* (saturation): each of the 50 clients sends its next call as soon as the last one
    answered. This finds the throughput limit; latency is then mostly queueing (by Little's law,
    mean latency = 50 / throughput), so it says little about how fast one call is.
  - *paced* (open loop): the 50 clients together start calls at a fixed rate — by default half the
    saturation throughput just measured — each client with at most one call in flight. Latency
    counts from when a call was *scheduled*, so time spent waiting behind a slow call is included
    (no coordinated omission). This is the latency users see on a server with headroom.
  Calls are counted if they start after the warm-up (closed loop: and finish inside the window);
  throughput is counted calls divided by the window.
- **CreateTask**: varied titles and descriptions (below), 0–2 tags, random priority, 70 % with a due
  time and a time zone, some of those with a relative reminder. Each create writes the task, its
  history and its outbox events in one transaction (concurrent creates share one: group commit);
  the relay then publishes the events to the tag service and the scheduler, whose consumers apply
  them in batches — all in the server process while the phase is measured. The task outbox's
  backlog is sampled every 250 ms: a rate whose backlog stayed under 1 000 rows, the oldest under
  1 s, is *sustained*; otherwise it is a *burst* rate, which the consumers only caught up with
  afterwards. The outboxes are drained after each load, and the backlog is reported.
- **Cost per call** (\`cost\`): 2 000 calls each of CreateTask, UpdateTask, CompleteTask and ListTasks
  from 10 clients, counted from PostgreSQL's \`pg_stat_statements\` (reset before each operation; the
  dev cluster of \`scripts/infra.ts\` loads it) once every event those calls caused was consumed:
  statements, transactions (\`begin\`s) and execution time per call, by the schema each statement
  touches, with the server's and PostgreSQL's CPU per call from \`/proc\`. Counts do not depend on how
  busy the machine is; the CPU and time columns do.
- **Profile** (\`--profile\`): the server runs with \`--cpu-prof\`; each sample is charged to the
  deepest frame of this repository's code on its stack, else to the library or runtime module it was
  in (\`bench/lib/profile-summary.ts\`).
- **Task text**: titles are a verb and one or two nouns from a vocabulary of everyday work and home
  tasks (Zipf-weighted, so a few words are common and most are rare), often with a person, a project
  code name, a city, a ticket number or a phrase like "before Friday"; descriptions are 0–30
  Zipf-weighted words from the whole vocabulary (about 1 200 distinct words end up in
  \`task.search_words\`).
- **Bulk load**: before the read phases, each client user gets \`--list-tasks\` more tasks and one
  search user \`--search-tasks\` tasks, inserted straight into \`task.tasks\` with multi-row INSERTs
  (the trigger fills \`task.search_words\` as for API writes; no events are produced), then
  \`ANALYZE\`. \`--load api\` loads through \`CreateTask\` instead.
- **ListTasks**: each client lists its own user's tasks with the filter
  \`status = OPEN AND priority >= MEDIUM AND due_time < today+30d\`, \`order_by: "due_time, priority
  desc"\` and \`page_size: 50\` (the response includes \`total_size\`, so every call also counts all
  matches). The same request is also measured on the search user's 100 000 tasks.
- **Search**: all clients search the search user's tasks with \`query\`, rotating through 400
  queries of four kinds — a word, a prefix (\`insur\`), a verb and a word, a word with two
  neighbouring letters swapped (typo tolerance goes through \`task.search_words\`) — default page
  size, ranked by relevance. The latencies are also broken down by kind, by how many tasks the
  query matches, and by both (a query is *common* above 1 000 matches, the size of the search's
  ranking window). Matches are counted once before the phase, in SQL with the service's own typo
  widening, because a search's \`total_size\` stops at 1 000.
- **CPU** columns: the share of one core used during the measured window, from \`/proc\`: the
  server process; PostgreSQL (the backends connected to the benchmark database plus the cluster's
  background processes); the load generator; and everything else on the machine (*other*: other
  processes and other databases' backends — the dev cluster and the machine may be shared). 200 =
  both cores of a 2-core machine.

Run it with \`bun run bench\` (PostgreSQL from \`bun scripts/infra.ts up\`, whose \`DATABASE_URL\`
it reads); \`bun bench/api.ts --help\` lists the options (duration, concurrency, sizes, connection
sharing, compression, pacing, load method, a subset of phases, \`--profile\` for a server CPU profile). Defaults take
about six minutes.
`;
}
