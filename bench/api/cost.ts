/**
 * The API benchmark's `cost` phase: what one call costs, counted rather than timed. For CreateTask,
 * UpdateTask, CompleteTask and ListTasks in turn it resets PostgreSQL's statement statistics
 * (`pg_stat_statements`, loaded by `scripts/infra.ts`), makes a fixed number of calls at a moderate
 * concurrency, waits until every event those calls caused has been relayed and consumed, and then
 * divides: statements, transactions (`begin`s) and PostgreSQL execution time per call — split by the schema
 * each statement touched, so the task service's own transaction and each consumer's work are seen
 * apart — and server and PostgreSQL CPU per call. Consumers are counted with the call that caused
 * their work, since a write is not done until they are.
 */
import postgres, { type Sql } from "postgres";
import type { CpuProbe } from "./cpu";
import { drainOutboxes } from "./create";
import type { ApiRun } from "./options";
import { type BenchUser, createTaskOp } from "./server";

/** Calls per operation (spread over the clients). */
const CALLS = 2000;
/** Clients in flight at once: enough to keep the server busy, few enough to stay off the tail. */
const CONCURRENCY = 10;

/** One statement's share of an operation. */
export interface StatementCost {
  /** The schema it touched first (`task`, `tag`, `scheduler` …), or `transaction` for begin/commit. */
  readonly area: string;
  readonly query: string;
  readonly perCall: number;
  readonly execMsPerCall: number;
}

/** What one call of an operation cost, on average over {@link CALLS} calls. */
export interface OperationCost {
  readonly operation: string;
  readonly calls: number;
  readonly statementsPerCall: number;
  readonly transactionsPerCall: number;
  readonly execMsPerCall: number;
  readonly serverCpuMsPerCall: number | undefined;
  readonly postgresCpuMsPerCall: number | undefined;
  readonly statements: readonly StatementCost[];
}

/** Measures the cost of each operation as `users`; returns them in order (also noted in `run`). */
export async function costPhase(
  run: ApiRun,
  url: string,
  dbName: string,
  users: readonly BenchUser[],
  cpu: CpuProbe | undefined,
): Promise<OperationCost[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`create extension if not exists pg_stat_statements`;
    const created: string[][] = users.map(() => []);
    const create = createTaskOp(users, 7);
    const ops: [string, (w: number, i: number) => Promise<unknown>][] = [
      [
        "CreateTask",
        async (w) => {
          const res = (await create(w)) as { task?: { id: string } };
          if (res.task) created[w]?.push(res.task.id);
        },
      ],
      [
        "UpdateTask",
        (w, i) =>
          (users[w] as BenchUser).tasks.updateTask({
            task: { id: created[w]?.[i % (created[w]?.length ?? 1)], title: `renamed ${i}` },
            updateMask: { paths: ["title"] },
          }),
      ],
      [
        "CompleteTask",
        (w, i) => (users[w] as BenchUser).tasks.completeTask({ id: created[w]?.[i] as string }),
      ],
      [
        "ListTasks",
        (w) =>
          (users[w] as BenchUser).tasks.listTasks({
            filter: "status = OPEN AND priority >= MEDIUM AND due_time < today+30d",
            orderBy: "due_time, priority desc",
            pageSize: 50,
          }),
      ],
    ];
    const costs: OperationCost[] = [];
    for (const [operation, op] of ops) {
      costs.push(await costOf(run, sql, dbName, operation, op, users.length, cpu));
      const c = costs.at(-1) as OperationCost;
      run.log(
        `${operation}: ${c.statementsPerCall.toFixed(1)} statements, ${c.transactionsPerCall.toFixed(2)} transactions per call`,
      );
    }
    return costs;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function costOf(
  run: ApiRun,
  sql: Sql,
  dbName: string,
  operation: string,
  op: (w: number, i: number) => Promise<unknown>,
  clients: number,
  cpu: CpuProbe | undefined,
): Promise<OperationCost> {
  const workers = Math.min(CONCURRENCY, clients);
  const perWorker = Math.ceil(CALLS / workers);
  await drained(sql);
  await sql`select pg_stat_statements_reset()`;
  const cpuStart = cpu?.sample();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; i < perWorker; i++) await op(w, i);
    }),
  );
  await drained(sql);
  const share = cpu && cpuStart ? cpu.since(cpuStart) : undefined;
  const seconds = cpuStart ? (performance.now() - cpuStart.at) / 1000 : 0;
  const calls = workers * perWorker;
  // This connection's own statements (the reset, the drain checks) are left out by their text.
  const rows = await sql<{ query: string; calls: string; exec_ms: number }[]>`
    select s.query, s.calls::text, s.total_exec_time as exec_ms
    from pg_stat_statements s join pg_database d on d.oid = s.dbid
    where d.datname = ${dbName}
      and s.query not like '%pg_stat_statements%' and s.query not like '%pg_stat_database%'
      and s.query not like 'select (select count(*) from task.outbox)%'`;
  const statements = rows
    .map((r) => ({
      area: areaOf(r.query),
      query: r.query.replace(/\s+/g, " ").trim(),
      perCall: Number(r.calls) / calls,
      execMsPerCall: r.exec_ms / calls,
    }))
    .sort((a, b) => b.perCall - a.perCall || b.execMsPerCall - a.execMsPerCall);
  const perCallMs = (pct: number | undefined) =>
    pct === undefined ? undefined : (pct / 100) * ((seconds * 1000) / calls);
  run.log(`${operation}: ${calls} calls in ${seconds.toFixed(1)} s (events drained)`);
  return {
    operation,
    calls,
    statementsPerCall: statements.reduce((n, s) => n + s.perCall, 0),
    // Every transaction of the services is a postgres.js `sql.begin`, which sends `begin`.
    transactionsPerCall: statements.find((s) => /^begin\b/i.test(s.query))?.perCall ?? 0,
    execMsPerCall: statements.reduce((n, s) => n + s.execMsPerCall, 0),
    serverCpuMsPerCall: perCallMs(share?.server),
    postgresCpuMsPerCall: perCallMs(share?.postgres),
    statements,
  };
}

/** Waits until every event of the calls so far was relayed and consumed (both outboxes empty). */
async function drained(sql: Sql): Promise<void> {
  const { last } = await drainOutboxes(sql, 120_000);
  const left = last.task + last.tag;
  if (left > 0) throw new Error(`${left} events still in the outboxes after 120 s`);
}

/** The schema a statement touches first, `transaction` for begin and commit, else `other`. */
function areaOf(query: string): string {
  if (/^\s*(begin|commit|rollback)\b/i.test(query)) return "transaction";
  const schema = /\b(?:from|into|update|join)\s+"?([a-z_]+)"?\./i.exec(query)?.[1];
  return schema ?? "other";
}

/** The cost tables: one row per operation, then where CreateTask's statements go. */
export function costMarkdown(costs: readonly OperationCost[]): string[] {
  const ms = (v: number | undefined) => (v === undefined ? "" : v.toFixed(2));
  const summary = [
    `What one call costs (${costs[0]?.calls.toLocaleString("en")} calls per operation, ${CONCURRENCY} clients, ` +
      "counted until every event it caused was consumed; `pg_stat_statements`, CPU from /proc):",
    "",
    "| operation | statements per call | transactions per call | PostgreSQL execution ms per call | server CPU ms per call | PostgreSQL CPU ms per call | statements per call by schema |",
    "|---|---:|---:|---:|---:|---:|---|",
    ...costs.map((c) => {
      const byArea = new Map<string, number>();
      for (const s of c.statements) byArea.set(s.area, (byArea.get(s.area) ?? 0) + s.perCall);
      const areas = [...byArea]
        .filter(([, n]) => n >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .map(([area, n]) => `${area} ${n.toFixed(1)}`)
        .join(", ");
      return (
        `| ${c.operation} | ${c.statementsPerCall.toFixed(1)} | ${c.transactionsPerCall.toFixed(2)} | ` +
        `${c.execMsPerCall.toFixed(2)} | ${ms(c.serverCpuMsPerCall)} | ${ms(c.postgresCpuMsPerCall)} | ${areas} |`
      );
    }),
  ];
  const tables = [summary.join("\n")];
  const create = costs.find((c) => c.operation === "CreateTask");
  if (create) {
    tables.push(
      [
        "CreateTask's statements (per call; the task service's transaction, then the consumers' work):",
        "",
        "| schema | per call | execution ms per call | statement |",
        "|---|---:|---:|---|",
        ...create.statements
          .filter((s) => s.perCall >= 0.05)
          .map((s) => {
            const text = s.query.length > 110 ? `${s.query.slice(0, 107)}…` : s.query;
            return `| ${s.area} | ${s.perCall.toFixed(2)} | ${s.execMsPerCall.toFixed(3)} | \`${text.replaceAll("|", "\\|")}\` |`;
          }),
      ].join("\n"),
    );
  }
  return tables;
}
