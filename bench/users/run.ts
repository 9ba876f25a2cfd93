/**
 * One mode of the users benchmark: the system under test on a fresh database (`embedded`: the
 * server `bun start` runs, as the API benchmark starts it; `services`: every service its own process
 * on PostgreSQL and Kafka with two task-service replicas, as the event-path benchmark starts them),
 * then the steps of virtual users from `@todo/loadgen`. Each step adds users to those of the step
 * before (their streams stay open), measures the servers' resident memory before and after the new
 * streams open, and the CPU of every process while the users act.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import {
  LoadSession,
  type LoadTargets,
  type Measurements,
  Recorder,
  type SignedUp,
  signUpUsers,
} from "@todo/loadgen";
import { startServer } from "../api/server";
import { startEventServices } from "../events/services";
import {
  type BenchKafka,
  CpuMeter,
  type CpuReport,
  createFreshDatabase,
  type Log,
  processRssBytes,
  sharedKafka,
  startPrivateKafka,
} from "../lib/system";
import type { UserMode, UsersOptions } from "./options";

/** What one step measured. */
export interface StepResult {
  readonly mode: UserMode;
  readonly users: number;
  readonly streams: number;
  readonly measurements: Measurements;
  /** CPU seconds per process label over the measured interval (lib/system.ts's meter). */
  readonly cpu: CpuReport;
  /** The labels of the system's own processes (the servers), whose CPU is "the servers'". */
  readonly serverLabels: readonly string[];
  /** Resident memory of the servers before the step's new streams opened, and 3 s after, bytes. */
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** Streams opened in this step. */
  readonly newStreams: number;
  /** Resident memory of the servers at the end of the step, bytes. */
  readonly rssEnd: number;
}

/** A running system: where the load generator calls, and which pids are the servers. */
interface System {
  readonly targets: LoadTargets;
  readonly pids: ReadonlyMap<string, number>;
}

/** Settling time after the sign-ups and after the streams of a step are opened, before memory is read. */
const SETTLE_MS = 3000;

/** Runs every step against `mode`; a step that fails ends the mode (its error is thrown). */
export async function runMode(
  mode: UserMode,
  options: UsersOptions,
  log: Log,
  onStep: (result: StepResult) => void,
): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const db = await createFreshDatabase(options.databaseUrl, "todo_bench_users");
    cleanups.push(() => db.drop());
    log(`${mode}: database ${db.name}`);
    const meter = new CpuMeter(db.name);
    const system =
      mode === "embedded"
        ? await embedded(db.url, log, cleanups)
        : await services(db, options, meter, log, cleanups);
    for (const [label, pid] of system.pids) meter.track(label, pid);
    const rss = () => [...system.pids.values()].reduce((s, pid) => s + processRssBytes(pid), 0);

    const recorder = new Recorder();
    const session = new LoadSession(system.targets, options.behaviour, recorder);
    cleanups.push(() => session.close());
    const accounts: SignedUp[] = [];
    for (const users of options.steps) {
      recorder.reset();
      log(`${mode}: signing up ${users - accounts.length} users (${users} in all)`);
      const fresh = await signUpUsers(
        system.targets,
        users - accounts.length,
        options.signUpConcurrency,
        options.behaviour.timeZone,
        recorder,
      );
      accounts.push(...fresh);
      // Sign-up's Argon2id buffers (64 MiB each) are given back first, or they would hide the streams.
      await Bun.sleep(SETTLE_MS);
      const rssBefore = rss();
      const added = session.add(fresh);
      await Bun.sleep(SETTLE_MS);
      const rssAfter = rss();
      log(`${mode}: ${session.streams} streams open; creating the new users' first tasks`);
      const seeding = performance.now();
      const backlog = await session.seed(added, options.signUpConcurrency);
      const took = ((performance.now() - seeding) / 1000).toFixed(1);
      log(
        backlog > 0
          ? `${mode}: ${backlog} first-task changes still not on the streams after ${took} s; measuring anyway`
          : `${mode}: first tasks created and on every stream in ${took} s`,
      );
      log(`${mode}: ${users} users acting for ${options.durationS} s`);
      const stopCpu = meter.start();
      const measurements = await session.run(options.durationS);
      const cpu = stopCpu();
      onStep({
        mode,
        users,
        streams: session.streams,
        measurements,
        cpu,
        serverLabels: [...system.pids.keys()],
        rssBefore,
        rssAfter,
        newStreams: added.length * 2,
        rssEnd: rss(),
      });
    }
  } finally {
    // Last started, first stopped: the users, the servers, the broker, the database.
    for (const c of cleanups.reverse())
      await c().catch((err) => log(`${mode}: clean-up failed: ${String(err)}`));
  }
}

/** `bun start`'s server (bench/api/server.ts) on `url`, sign-up limits off. */
async function embedded(url: string, log: Log, cleanups: (() => Promise<void>)[]): Promise<System> {
  const dataDir = mkdtempSync(join(os.tmpdir(), "todo-bench-users-"));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const server = await startServer(log, url, dataDir, undefined, { SIGN_UP_ADDRESS_LIMIT: "0" });
  cleanups.push(async () => void (await server.stop()));
  log(`embedded: server ${server.grpcUrl} (pid ${server.pid})`);
  return {
    targets: {
      identity: server.grpcUrl,
      task: [server.grpcUrl],
      notification: server.grpcUrl,
      connectHttp1: undefined,
    },
    pids: new Map([["server", server.pid]]),
  };
}

/** The services as processes (bench/events/services.ts) on a broker of this run or a prefixed shared one. */
async function services(
  db: { url: string; name: string; drop(): Promise<void> },
  options: UsersOptions,
  meter: CpuMeter,
  log: Log,
  cleanups: (() => Promise<void>)[],
): Promise<System> {
  let broker: BenchKafka;
  const extra: Record<string, string> = { SIGN_UP_ADDRESS_LIMIT: "0", LOG_LEVEL: "warn" };
  if (options.kafka === "private") {
    log("services: starting a private Kafka broker");
    broker = await startPrivateKafka(log);
    cleanups.push(() => broker.stop());
    meter.track("kafka", broker.pid);
  } else {
    broker = sharedKafka(options.sharedBrokers as string);
    // The services' consumer groups have fixed names: a prefix of this run keeps other checkouts out.
    extra.KAFKA_TOPIC_PREFIX = `bench-users-${process.pid}-${Date.now()}.`;
  }
  const run = { options: { servicesRoot: join(import.meta.dir, "..", ".."), keep: false }, log };
  const s = await startEventServices(run, db, broker.brokers, meter, cleanups, extra);
  return {
    targets: {
      identity: `http://127.0.0.1:${s.identity.grpcPort}`,
      task: [s.taskA, s.taskB].map((t) => `http://127.0.0.1:${t.grpcPort}`),
      notification: `http://127.0.0.1:${s.notification.grpcPort}`,
      connectHttp1: undefined,
    },
    pids: new Map(s.all.map((p) => [p.label, p.pid])),
  };
}
