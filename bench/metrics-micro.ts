/**
 * The in-process cost of the metrics hot paths (`bun bench/metrics-micro.ts`), free of the database
 * and of other load on the machine: CPU time per unary RPC through the platform's metrics
 * interceptor (a router transport to `grpc.health.v1.Health/Check`) with metrics off and on —
 * measured in alternating child processes, since a process can turn metrics on only once — and the
 * cost of one histogram observation (what each SQL statement and event adds), on a bound series and
 * through the SDK's own histogram. The end-to-end
 * numbers are `bun run bench --phases metrics` (docs/benchmarks.md, "Metrics overhead").
 */
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { Health } from "@todo/gen/grpc/health/v1/health_pb";
import { createHealthRegistry, createHealthService } from "@todo/platform/serving";
import { createMetricsInterceptor, instrumentPostgres, platformInstruments } from "@todo/platform/telemetry";
import { useTestMetrics } from "@todo/platform/testing";
import postgres from "postgres";

const CALLS = 200_000;
const RECORDS = 2_000_000;
const cpuMicros = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return u.user + u.system;
};

/**
 * CPU per SQL statement spent in postgres.js's query object — issuing it (`handle`) and settling it
 * (`resolve`) — with the metrics hook (`instrumentPostgres`) on or off, on query objects of a pool
 * that never connects: the statement itself is not sent, only the client-side path is measured.
 */
function statementCost(on: boolean): number {
  const sql = postgres("postgres://nobody@127.0.0.1:1/none", { max: 1 });
  if (on) instrumentPostgres(sql);
  type Q = {
    executed: boolean;
    handler: (q: unknown) => void;
    resolve(v: unknown): void;
    handle(): Promise<void>;
  };
  const proto = Object.getPrototypeOf(sql`select 1`) as Q;
  const make = () => {
    const q = Object.assign(Object.create(proto) as Q, sql`select ${1}`);
    q.handler = () => {};
    return q;
  };
  const N = 200_000;
  const queries = Array.from({ length: N }, make);
  const t = process.cpuUsage();
  for (const q of queries) {
    void q.handle();
    q.resolve([]);
  }
  return cpuMicros(t) / N;
}

/** One child's measurement: µs of CPU per RPC, and (metrics on) per histogram observation. */
async function child(on: boolean): Promise<void> {
  if (on) useTestMetrics();
  const transport = createRouterTransport(
    (router) => router.service(Health, createHealthService(createHealthRegistry([]))),
    { router: { interceptors: [createMetricsInterceptor()] } },
  );
  const client = createClient(Health, transport);
  for (let i = 0; i < 20_000; i++) await client.check({});
  const t0 = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) await client.check({});
  const rpc = cpuMicros(t0) / CALLS;
  const statement = statementCost(on);
  let record: number | undefined;
  let sdkRecord: number | undefined;
  const inst = platformInstruments();
  if (inst) {
    const attrs = { "db.system.name": "postgresql", "db.operation.name": "SELECT" };
    // The SDK's own histogram (hashes the attributes on every call) against a bound series.
    const sdk = inst.meter.createHistogram("bench.sdk.duration", { unit: "s" });
    for (let i = 0; i < 100_000; i++) sdk.record(0.001, attrs);
    const t1 = process.cpuUsage();
    for (let i = 0; i < RECORDS; i++) sdk.record(0.0001 * (i % 50), attrs);
    sdkRecord = cpuMicros(t1) / RECORDS;
    const bound = inst.dbDuration.bind(attrs);
    for (let i = 0; i < 100_000; i++) bound.record(0.001);
    const t2 = process.cpuUsage();
    for (let i = 0; i < RECORDS; i++) bound.record(0.0001 * (i % 50));
    record = cpuMicros(t2) / RECORDS;
  }
  console.log(JSON.stringify({ rpc, record, sdkRecord, statement }));
}

async function parent(rounds: number): Promise<void> {
  const results: { on: boolean; rpc: number; record?: number; sdkRecord?: number; statement: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const on of r % 2 === 0 ? [false, true] : [true, false]) {
      const proc = Bun.spawn([process.execPath, import.meta.path, "--child", on ? "on" : "off"], {
        stdout: "pipe",
        stderr: "inherit",
      });
      const out = await new Response(proc.stdout).text();
      if ((await proc.exited) !== 0) throw new Error("a measuring child failed");
      results.push({
        on,
        ...(JSON.parse(out.trim().split("\n").at(-1) as string) as { rpc: number; statement: number }),
      });
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const off = mean(results.filter((x) => !x.on).map((x) => x.rpc));
  const on = mean(results.filter((x) => x.on).map((x) => x.rpc));
  const record = mean(results.flatMap((x) => (x.record === undefined ? [] : [x.record])));
  const stOff = mean(results.filter((x) => !x.on).map((x) => x.statement));
  const stOn = mean(results.filter((x) => x.on).map((x) => x.statement));
  const sdkRecord = mean(results.flatMap((x) => (x.sdkRecord === undefined ? [] : [x.sdkRecord])));
  console.log(
    [
      `unary RPC through the interceptor chain, CPU per call (${rounds} alternating pairs of ${CALLS.toLocaleString("en")} calls):`,
      `  metrics off ${off.toFixed(2)} µs, on ${on.toFixed(2)} µs: the interceptor adds ${(on - off).toFixed(2)} µs`,
      `  runs: ${results.map((x) => `${x.on ? "on" : "off"} ${x.rpc.toFixed(2)}`).join(", ")}`,
      `SQL statement, client side (issue + settle), CPU: off ${stOff.toFixed(3)} µs, on ${stOn.toFixed(3)} µs: ` +
        `the hook adds ${(stOn - stOff).toFixed(3)} µs`,
      `one histogram observation: ${record.toFixed(3)} µs on a bound series (metrics-bound.ts), ` +
        `${sdkRecord.toFixed(3)} µs through the SDK's histogram (attributes hashed per call)`,
    ].join("\n"),
  );
}

if (process.argv[2] === "--child") await child(process.argv[3] === "on");
else await parent(Number(process.argv[2] ?? 3));
