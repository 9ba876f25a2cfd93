/**
 * The Dapr benchmark's `invocation` phase: in a `DaprTestSystem`, a unary `TaskService.GetTask` of an
 * existing task, authenticated as its owner, over three paths with the same client (connect-node's
 * gRPC transport from `@todo/platform/serving`): direct h2c to the task app; the task app's own
 * sidecar (sidecar → app); the scheduler's sidecar (caller's sidecar → callee's sidecar → app).
 */
import { type Client, createClient } from "@connectrpc/connect";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createRemoteTransport, daprServiceTarget } from "@todo/platform/serving";
import type { DaprTestSystem } from "../../tests/integration/dapr-system";
import { bearer } from "../../tests/integration/system";
import { pooled } from "../lib/load";
import { ms, type Summary, summarize } from "../lib/stats";
import type { CpuMeter } from "../lib/system";
import { type DaprRun, quietMachine } from "./options";

/** A TaskService client. */
export type Tasks = Client<typeof TaskService>;

/** One way to reach the task app. */
interface InvocationPath {
  readonly label: string;
  readonly client: Tasks;
}

/** What one path did under one load. */
export interface PathResult {
  readonly label: string;
  readonly summary: Summary;
  readonly errors: number;
  readonly firstError?: string;
  /** When the errors happened: seconds from the start of this load's measured rounds. */
  readonly errorSpan?: readonly [number, number];
  /** Wall time of this path's blocks, in seconds. */
  readonly seconds: number;
  /** CPU seconds by process over this path's blocks. */
  readonly cpu: Readonly<Record<string, number>>;
  /** The machine's mean busy cores over this path's blocks. */
  readonly busyCores: number;
}

/** One load (sequential, or concurrent) over every path. */
export interface InvocationLoad {
  readonly name: string;
  /** The machine's busy cores just before this load started. */
  readonly busyBefore: number;
  readonly concurrency: number;
  readonly paths: readonly PathResult[];
}

/** What the invocation phase measured. */
export interface InvocationResult {
  readonly loads: readonly InvocationLoad[];
}

/** The processes whose CPU the invocation phase reports, in column order. */
export const INVOCATION_CPU = ["task app", "task sidecar", "scheduler sidecar", "postgres", "bench"] as const;

/**
 * `GetTask` of one task over the three paths (direct, one sidecar, two sidecars), sequential and
 * concurrent, the paths taking turns in blocks; CPU per process from `meter`.
 */
export async function invocationPhase(
  run: DaprRun,
  system: DaprTestSystem,
  meter: CpuMeter,
): Promise<InvocationResult> {
  const { options, log } = run;
  const { token } = await system.signUp("UTC");
  const task = await system.portsOf("task");
  const scheduler = await system.portsOf("scheduler");
  const auth = [bearer(token)];
  const sidecarOf = (ports: typeof task) => ({
    httpUrl: `http://127.0.0.1:${ports.sidecar.http}`,
    httpPort: ports.sidecar.http,
    grpcPort: ports.sidecar.grpc,
    apiToken: system.daprApiToken,
    pubsub: "pubsub",
    broadcastPubsub: "pubsub-broadcast",
  });
  const viaDapr = (ports: typeof task): Tasks => {
    const remote = daprServiceTarget(sidecarOf(ports), "task").remote;
    if (!remote) throw new Error("daprServiceTarget gave no remote target");
    return createClient(TaskService, createRemoteTransport({ ...remote, interceptors: auth }));
  };
  const paths: InvocationPath[] = [
    {
      label: "direct (h2c to the task app)",
      client: createClient(
        TaskService,
        createRemoteTransport({ url: `http://127.0.0.1:${task.grpc}`, protocol: "grpc", interceptors: auth }),
      ),
    },
    { label: "one sidecar (the task app's own daprd → app)", client: viaDapr(task) },
    { label: "**two sidecars** (scheduler's daprd → task's daprd → app)", client: viaDapr(scheduler) },
  ];

  const created = await paths[0]?.client.createTask({ task: { title: "bench dapr invocation target" } });
  const id = created?.task?.id;
  if (!id) throw new Error("CreateTask returned no task");
  const call = async (path: InvocationPath) => {
    const res = await path.client.getTask({ id });
    if (res.task?.id !== id) throw new Error(`GetTask through ${path.label} returned another task`);
  };

  const loads: InvocationLoad[] = [];
  for (const [name, calls, concurrency] of [
    ["sequential", options.calls, 1],
    [`${options.concurrency} in flight`, options.concurrentCalls, options.concurrency],
  ] as const) {
    const busyBefore = await quietMachine(run, `invocation, ${name}`);
    // Warm-up (not measured): connections, the JIT, the sidecars' name resolution and pools.
    for (const path of paths) await pooled(options.warmup, concurrency, () => call(path));
    const acc = paths.map(() => ({
      samples: [] as number[],
      errors: 0,
      firstError: undefined as string | undefined,
      errorTimes: [] as number[],
      ms: 0,
      cpu: {} as Record<string, number>,
      busySeconds: 0,
    }));
    const rounds = Math.ceil(calls / options.block);
    const loadStart = performance.now();
    log(`invocation, ${name}: ${calls} calls per path in ${rounds} rounds of ${options.block}`);
    for (let round = 0; round < rounds; round++) {
      const size = Math.min(options.block, calls - round * options.block);
      for (let k = 0; k < paths.length; k++) {
        const i = (round + k) % paths.length;
        const path = paths[i] as InvocationPath;
        const a = acc[i] as (typeof acc)[number];
        const stop = meter.start();
        const t0 = performance.now();
        await pooled(size, concurrency, async () => {
          const start = performance.now();
          try {
            await call(path);
            a.samples.push(performance.now() - start);
          } catch (err) {
            a.errors++;
            a.errorTimes.push((performance.now() - loadStart) / 1000);
            a.firstError ??= err instanceof Error ? err.message : String(err);
          }
        });
        a.ms += performance.now() - t0;
        const cpu = stop();
        for (const [label, seconds] of Object.entries(cpu.byLabel)) {
          a.cpu[label] = (a.cpu[label] ?? 0) + seconds;
        }
        a.busySeconds += cpu.busyCores * cpu.seconds;
      }
    }
    loads.push({
      name,
      busyBefore,
      concurrency,
      paths: paths.map((p, i) => {
        const a = acc[i] as (typeof acc)[number];
        return {
          label: p.label,
          summary: summarize(a.samples),
          errors: a.errors,
          ...(a.firstError ? { firstError: a.firstError } : {}),
          ...(a.errorTimes.length > 0
            ? { errorSpan: [a.errorTimes[0] as number, a.errorTimes.at(-1) as number] as const }
            : {}),
          seconds: a.ms / 1000,
          cpu: a.cpu,
          busyCores: a.busySeconds / (a.ms / 1000),
        };
      }),
    });
    for (const p of loads.at(-1)?.paths ?? []) {
      log(`  ${p.label}: p50 ${ms(p.summary.p50)} ms, p99 ${ms(p.summary.p99)} ms, ${p.errors} errors`);
    }
  }
  if (loads.some((l) => l.paths.some((p) => p.errors > 0))) {
    // For the reader of stderr: what the sidecars said about it.
    for (const name of ["scheduler-daprd", "task-daprd"]) {
      const lines = system
        .logTail(name, 5000)
        .split("\n")
        .filter(
          (l) =>
            /level=(error|warning)/.test(l) && !/mTLS is disabled|increasedCardinality|Actor runtime/.test(l),
        );
      log(`${name}: ${lines.length} warnings and errors; the last ones:\n${lines.slice(-10).join("\n")}`);
    }
  }
  return { loads };
}
