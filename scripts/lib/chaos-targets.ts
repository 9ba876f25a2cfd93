/**
 * The two systems the fault suite runs against, each built on its integration harness: the
 * `start:services` topology as processes (`TestSystem`, tests/integration/system.ts) and the
 * `start:dapr` topology with a daprd beside every app (`DaprTestSystem`,
 * tests/integration/dapr-system.ts), both on the private PostgreSQL and Kafka of
 * scripts/lib/chaos-infra.ts. A target says which faults it can inject; each fault kills something
 * and brings it back, resolving once it is ready again.
 */
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { DaprTestSystem } from "../../tests/integration/dapr-system.ts";
import type { Collector, KafkaProbe } from "../../tests/integration/kafka-probe.ts";
import { reminderDueRecord } from "../../tests/integration/records.ts";
import {
  connectTransport,
  eventually,
  type ServiceName,
  TestSystem,
} from "../../tests/integration/system.ts";
import { collectEvidence, type Evidence, evidenceSource, type MissingReminder } from "./chaos-evidence.ts";
import type { PrivateInfra } from "./chaos-infra.ts";
import type { LoadUser } from "./chaos-load.ts";

/** One fault: what it is called in the table, and how to inject it (resolves when recovered). */
export interface Fault {
  readonly name: string;
  inject(): Promise<void>;
}

/** What became of a poison message. */
export interface PoisonOutcome {
  /** The poison record reached the topic's DLQ. */
  readonly deadLettered: boolean;
  /** A good reminder behind it on the same partition reached the inbox. */
  readonly flowed: boolean;
  /** From publishing the pair to both observed, ms. */
  readonly ms: number;
  readonly detail: string;
}

/** A system under faults. */
export interface ChaosTarget {
  readonly mode: "services" | "dapr";
  readonly edgeUrl: string;
  readonly faults: readonly Fault[];
  signUp(): Promise<LoadUser>;
  /** Sends a poison message onto `reminders`, then a good reminder for `user` behind it. */
  poison(user: LoadUser): Promise<PoisonOutcome>;
  /** The services whose process exited by itself (a crash the fault caused), e.g. `task exited with 1`. */
  crashed(): string[];
  /** Starts the crashed services again (as a pod's restart would), so that the run can still count. */
  revive(): Promise<void>;
  /** Everything published on `task-updates` (what feeds WatchTasks) since before the load started. */
  readonly taskUpdates: Collector;
  /** Reads and keeps what every stage says about `missing` reminders (before `close`). */
  evidence(missing: readonly MissingReminder[]): Promise<Evidence>;
  close(): Promise<void>;
}

/** How the faults are chosen and paced. */
export interface TargetOptions {
  /**
   * Only the reduced set: each service once, the edge, a broker and a PostgreSQL restart (services),
   * one sidecar (Dapr).
   */
  readonly quick: boolean;
  /** How long a killed process stays down before it is started again, ms. */
  readonly downMs: number;
  readonly log: (message: string) => void;
}

const BACKENDS: readonly ServiceName[] = ["task", "scheduler", "notification", "tag"];

/**
 * The faults both modes share: `kill -9` of the edge (started again on its port), a broker restart,
 * and a PostgreSQL restart (not in the Dapr mode's quick set, which has only a sidecar fault).
 */
function sharedFaults(
  system: { killEdge(): Promise<void>; startEdge(): Promise<string> },
  infra: PrivateInfra,
  options: TargetOptions,
): Fault[] {
  return [
    {
      name: "kill -9 edge",
      async inject() {
        await system.killEdge();
        await Bun.sleep(options.downMs);
        await system.startEdge();
      },
    },
    { name: "restart Kafka broker", inject: () => infra.restartKafka() },
    ...(options.quick && system instanceof DaprTestSystem
      ? []
      : [{ name: "restart PostgreSQL", inject: () => infra.restartPostgres() }]),
  ];
}

/**
 * Sends the poison pair with `send` and waits until the good reminder is in `user`'s inbox and the
 * poison in `reminders.dlq`. The DLQ is read by a collector opened just before sending, after every
 * fault: one opened at the start has lived through the broker restart, and a kafkajs consumer that
 * did not come back from that would make a dead-lettered record look lost. When the poison is not
 * seen, the detail says how far the topic itself grew and whether the collector crashed, which tells
 * "not dead-lettered" from "not collected".
 */
async function awaitPoison(
  edgeUrl: string,
  user: LoadUser,
  taskId: string,
  kafka: KafkaProbe,
  send: () => Promise<void>,
  isPoison: (value: string, headers: Readonly<Record<string, string>>) => boolean,
  timeoutMs: number,
): Promise<PoisonOutcome> {
  const dlq = await kafka.collect("reminders.dlq");
  const endsBefore = await kafka.endOffsets("reminders.dlq");
  const started = Date.now();
  await send();
  const inbox = createClient(NotificationService, connectTransport(edgeUrl, user.token));
  let flowed = false;
  let deadLettered = false;
  const detail: string[] = [];
  await eventually(
    "the poison in the DLQ and the reminder behind it in the inbox",
    async () => {
      flowed ||= (await inbox.listNotifications({ pageSize: 100 })).notifications.some(
        (n) => n.taskId === taskId,
      );
      deadLettered ||= dlq.records.some((r) => isPoison(r.value?.toString("utf8") ?? "", r.headers));
      return flowed && deadLettered;
    },
    timeoutMs,
    250,
  ).catch((err: unknown) => detail.push(String(err instanceof Error ? err.message : err)));
  if (!deadLettered) {
    const endsAfter = await kafka.endOffsets("reminders.dlq");
    let grew = 0;
    for (const [partition, end] of endsAfter) grew += end - (endsBefore.get(partition) ?? 0);
    detail.push(`reminders.dlq grew by ${grew} record(s); the collector saw ${dlq.records.length}`);
    if (dlq.crashes.length > 0) detail.push(`collector crashes: ${dlq.crashes.join(" | ")}`);
  }
  return { deadLettered, flowed, ms: Date.now() - started, detail: detail.join("; ") };
}

/** The `start:services` topology (identity, task, tag, scheduler, notification and the edge). */
export async function servicesTarget(infra: PrivateInfra, options: TargetOptions): Promise<ChaosTarget> {
  const system = await TestSystem.create({ label: "chaos", env: { LOG_LEVEL: "warn" } });
  try {
    for (const name of ["identity", "task", "tag", "scheduler", "notification"] as const)
      await system.start(name);
    await system.kafka.detectNamespace();
    const dlq = await system.kafka.collect("reminders.dlq");
    const reminders = await system.kafka.collect("reminders");
    const taskUpdates = await system.kafka.collect("task-updates");
    const edgeUrl = await system.startEdge();
    const restart = (name: ServiceName): Fault => ({
      name: `kill -9 ${name}`,
      async inject() {
        await system.kill(name);
        await Bun.sleep(options.downMs);
        await system.start(name);
      },
    });
    // The notification service killed within 150 ms of a reminder reaching `reminders`: while it
    // handles the record or commits its offset (a reminder once went missing after a kill -9).
    const onReminder: Fault = {
      name: "kill -9 notification as a reminder arrives",
      async inject() {
        const seen = reminders.records.length;
        await eventually("a reminder on the topic", async () => reminders.records.length > seen, 30_000, 5);
        await Bun.sleep(Math.floor(Math.random() * 150));
        await restart("notification").inject();
      },
    };
    const faults: Fault[] = [
      ...BACKENDS.map(restart),
      ...(options.quick ? [] : [onReminder]),
      ...sharedFaults(system, infra, options),
    ];
    return {
      mode: "services",
      edgeUrl,
      faults,
      taskUpdates,
      crashed: () =>
        (["identity", ...BACKENDS] as const).flatMap((name) => {
          const proc = system.service(name).proc;
          return proc.exitCode !== null || proc.signalCode !== null
            ? [`${name} exited with ${proc.exitCode ?? proc.signalCode}`]
            : [];
        }),
      async revive() {
        for (const name of ["identity", ...BACKENDS] as const) {
          const proc = system.service(name).proc;
          if (proc.exitCode === null && proc.signalCode === null) continue;
          await system.kill(name);
          await system.start(name);
        }
      },
      signUp: () => system.signUp(),
      async poison(user) {
        const taskId = crypto.randomUUID();
        const good = reminderDueRecord({
          userId: user.userId,
          taskId,
          occurrenceKey: `${taskId}/poison-check/${new Date().toISOString()}`,
          fireTime: new Date(),
          title: "Behind the poison",
          partition: 0,
        });
        const marker = `poison-${crypto.randomUUID()}`;
        const send = () =>
          system.kafka.produce("reminders", [
            { key: taskId, value: Buffer.from(`${marker} is not a CloudEvent`), partition: 0 },
            good,
          ]);
        return await awaitPoison(
          edgeUrl,
          user,
          taskId,
          system.kafka,
          send,
          (v) => v.includes(marker),
          60_000,
        );
      },
      evidence: (missing) =>
        collectEvidence(evidenceSource("services", system, system.logDir, { reminders, dlq }), missing),
      close: () => system.close(),
    };
  } catch (error) {
    await system.close();
    throw error;
  }
}

/** The `start:dapr` topology: every app beside its daprd, the Dapr scheduler, and the edge. */
export async function daprTarget(infra: PrivateInfra, options: TargetOptions): Promise<ChaosTarget> {
  const system = await DaprTestSystem.create({ label: "chaos" });
  try {
    await system.startAll();
    const dlq = await system.kafka.collect("reminders.dlq");
    const reminders = await system.kafka.collect("reminders");
    const taskUpdates = await system.kafka.collect("task-updates");
    const edgeUrl = await system.startEdge();
    const restartApp = (name: (typeof BACKENDS)[number]): Fault => ({
      name: `kill -9 ${name}`,
      async inject() {
        await system.killApp(name);
        await Bun.sleep(options.downMs);
        await system.startApp(name);
      },
    });
    const sidecar = (name: (typeof BACKENDS)[number]): Fault => ({
      name: `kill -9 ${name}'s daprd`,
      async inject() {
        await system.killSidecar(name);
        await Bun.sleep(options.downMs);
        await system.startSidecar(name);
        // An app may give up on its sidecar and exit; a pod would restart it, so does this.
        await Bun.sleep(1000);
        if (!system.appRunning(name)) {
          options.log(`${name} exited while its sidecar was down; starting it again`);
          system.forgetExitedApp(name);
          await system.startApp(name);
        }
      },
    });
    const faults: Fault[] = options.quick
      ? [sidecar("scheduler")]
      : [
          ...BACKENDS.map(restartApp),
          ...sharedFaults(system, infra, options),
          sidecar("task"),
          sidecar("scheduler"),
          sidecar("notification"),
        ];
    return {
      mode: "dapr",
      edgeUrl,
      faults,
      taskUpdates,
      crashed: () => BACKENDS.filter((name) => !system.appRunning(name)).map((name) => `${name} exited`),
      async revive() {
        for (const name of BACKENDS.filter((n) => !system.appRunning(n))) {
          system.forgetExitedApp(name);
          await system.startApp(name);
        }
      },
      signUp: () => system.signUp(),
      async poison(user) {
        const taskId = crypto.randomUUID();
        const poisonId = crypto.randomUUID();
        const publish = async (id: string, data: Buffer) => {
          const res = await system.sidecarFetch(
            "scheduler",
            `/v1.0/publish/pubsub/${system.prefix}reminders?metadata.partitionKey=${taskId}`,
            {
              method: "POST",
              headers: { "content-type": "application/cloudevents+json" },
              body: JSON.stringify({
                specversion: "1.0",
                id,
                source: "/chaos/poison",
                type: "todo.scheduler.v1.reminder_due",
                subject: taskId,
                datacontenttype: "application/protobuf",
                dataschema: "todo.events.v1.ReminderDue",
                data_base64: data.toString("base64"),
              }),
            },
          );
          if (res.status !== 204) throw new Error(`publishing to reminders answered ${res.status}`);
        };
        const good = reminderDueRecord({
          userId: user.userId,
          taskId,
          occurrenceKey: `${taskId}/poison-check/${new Date().toISOString()}`,
          fireTime: new Date(),
          title: "Behind the poison",
        });
        const send = async () => {
          await publish(poisonId, Buffer.from([0xff, 0xff, 0xff, 0x07]));
          await publish(crypto.randomUUID(), good.value);
        };
        return await awaitPoison(
          edgeUrl,
          user,
          taskId,
          system.kafka,
          send,
          (v) => v.includes(poisonId),
          90_000,
        );
      },
      evidence: (missing) =>
        collectEvidence(
          evidenceSource("dapr", system, join(system.runDir, "logs"), { reminders, dlq }),
          missing,
        ),
      close: () => system.close(),
    };
  } catch (error) {
    await system.close();
    throw error;
  }
}
