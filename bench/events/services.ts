/**
 * The services of the event-path benchmark's stream and reminder phases, each as its own process
 * (`bun services/<svc>/src/main.ts`, as `start:services` runs them): identity, two task-service
 * processes (A and B) on the same database and Kafka, tag, scheduler and notification.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import {
  type BenchDatabase,
  type CpuMeter,
  type Log,
  type ServiceProcess,
  startService,
} from "../lib/system";
import type { EventsOptions } from "./options";

/** The running services the phases talk to, by their gRPC ports. */
export interface EventServices {
  readonly identity: ServiceProcess;
  readonly taskA: ServiceProcess;
  readonly taskB: ServiceProcess;
  readonly notification: ServiceProcess;
  /** Every process started, in start order. */
  readonly all: readonly ServiceProcess[];
  readonly logDir: string;
}

/**
 * Starts the services on `db` and the broker `brokers`, one after another (migrations take an
 * advisory lock, and Kafka topic creation races otherwise), each tracked by `meter`; every stop (and
 * the logs' removal, unless `--keep`) is pushed onto `cleanups`. `extraEnv` is added to every
 * service's environment (bench/users.ts: `SIGN_UP_ADDRESS_LIMIT=0`, a topic prefix).
 */
export async function startEventServices(
  run: { readonly options: Pick<EventsOptions, "servicesRoot" | "keep">; readonly log: Log },
  db: BenchDatabase,
  brokers: string,
  meter: CpuMeter,
  cleanups: (() => Promise<void>)[],
  extraEnv: Record<string, string> = {},
): Promise<EventServices> {
  const { options, log } = run;
  const logDir = mkdtempSync(join(os.tmpdir(), "todo-bench-events-logs-"));
  if (!options.keep) cleanups.push(async () => rmSync(logDir, { recursive: true, force: true }));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("OTEL_") && !k.startsWith("BENCH_")) env[k] = v;
  }
  Object.assign(env, {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: brokers,
    JWT_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url"),
    HOST: "127.0.0.1",
    ...extraEnv,
  });
  const all: ServiceProcess[] = [];
  const start = async (service: string, label: string, extra: Record<string, string> = {}) => {
    const p = await startService(options.servicesRoot, service, label, { ...env, ...extra }, logDir);
    cleanups.push(() => p.stop());
    meter.track(label, p.pid);
    all.push(p);
    return p;
  };
  log("starting the services (identity, task A, task B, tag, scheduler, notification)");
  const identity = await start("identity", "identity");
  // The others check tokens' sessions with identity (docs/identity.md).
  env.IDENTITY_SERVICE_URL = `http://127.0.0.1:${identity.grpcPort}`;
  const taskA = await start("task", "task-a");
  const taskB = await start("task", "task-b");
  await start("tag", "tag");
  await start("scheduler", "scheduler", { TASK_SERVICE_URL: `http://127.0.0.1:${taskA.grpcPort}` });
  const notification = await start("notification", "notification");
  return { identity, taskA, taskB, notification, all, logDir };
}
