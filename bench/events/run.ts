/**
 * One run of the event-path benchmark (`bench/events.ts` is its command line): the machine's facts,
 * the broker (a private one, or the shared one), a fresh database, the outbox phase, then the
 * services and the stream and reminder phases — or, with `--kafka-clients`, only the client
 * comparison. Everything started is stopped in reverse order, also on SIGINT/SIGTERM.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { waitForQuiet } from "../lib/quiet";
import {
  type BenchKafka,
  CpuMeter,
  createFreshDatabase,
  type MachineInfo,
  machineInfo,
  postgresVersion,
  sharedKafka,
  startPrivateKafka,
} from "../lib/system";
import { renderDoc } from "./doc";
import { kafkaClientsPhase, kafkaClientsTable } from "./kafka-clients";
import type { EventsRun } from "./options";
import { outboxPhase } from "./outbox";
import { recurringPhase } from "./recurring";
import { remindersPhase } from "./reminders";
import { type Report, renderResults } from "./report";
import { startEventServices } from "./services";
import { watchPhase } from "./watch";

const root = resolve(import.meta.dir, "..", "..");

/** Runs the benchmark; resolves to the exit code (1 when a phase failed). */
export async function runEventsBench(run: EventsRun): Promise<number> {
  const { options, log } = run;
  const started = Date.now();
  const cleanups: (() => Promise<void>)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      run.clients.close();
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (err) {
          log(`cleanup: ${String(err)}`);
        }
      }
    })();
    return cleaning;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().then(() => process.exit(130));
    });
  }

  const report: Report = { outbox: [], failures: [] };
  let machine: MachineInfo | undefined;
  try {
    machine = machineInfo(`PostgreSQL ${await postgresVersion(options.databaseUrl)}`, root);
    log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, load ${machine.loadAverage}`);

    let broker: BenchKafka;
    if (options.kafka === "private") {
      log("starting a private Kafka broker");
      broker = await startPrivateKafka(log);
      cleanups.push(() => broker.stop());
    } else {
      broker = sharedKafka(options.sharedBrokers as string);
    }
    log(`Kafka at ${broker.brokers}`);
    if (options.kafkaClients) {
      await compareKafkaClients(run, broker.brokers, options.kafkaClients);
      await cleanup();
      return 0;
    }
    const db = await createFreshDatabase(options.databaseUrl, "todo_bench_events");
    log(`database ${db.name}`);
    if (!options.keep) cleanups.push(() => db.drop());
    const meter = new CpuMeter(db.name);
    meter.track("kafka", broker.pid);
    const quiet = async (what: string) => {
      if (options.quietWaitS <= 0) return;
      await waitForQuiet({
        what,
        waitS: options.quietWaitS,
        belowCores: 0.5,
        sample: () => meter.otherCores(3000),
        unit: "cores used by others",
        log,
      });
    };

    if (options.phases.has("outbox")) {
      await quiet("outbox");
      try {
        report.outbox.push(await outboxPhase(run, "current", undefined, db, broker.brokers, meter, 1));
        if (options.outboxCompare) {
          await quiet("outbox (compare)");
          report.outbox.push(
            await outboxPhase(
              run,
              `from ${options.outboxCompare}`,
              options.outboxCompare,
              db,
              broker.brokers,
              meter,
              2,
            ),
          );
        }
      } catch (err) {
        log(`outbox phase failed: ${String(err)}`);
        report.failures.push(`outbox: ${String(err)}`);
      }
    }

    if ((["watch", "recurring", "reminders"] as const).some((p) => options.phases.has(p))) {
      const services = await startEventServices(run, db, broker.brokers, meter, cleanups);
      log(`services up; logs in ${services.logDir}; measuring 5 s at rest`);
      await Bun.sleep(2000);
      const stopIdle = meter.start();
      await Bun.sleep(5000);
      report.idle = stopIdle();

      const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await fn();
        } catch (err) {
          log(`${name} phase failed: ${String(err)}`);
          report.failures.push(`${name}: ${String(err)}`);
          return undefined;
        }
      };
      if (options.phases.has("watch")) {
        await quiet("watch");
        report.watch = await attempt("watch", () => watchPhase(run, services, meter));
      }
      if (options.phases.has("recurring")) {
        await quiet("recurring");
        report.recurring = await attempt("recurring", () => recurringPhase(run, services, meter));
      }
      if (options.phases.has("reminders")) {
        await quiet("reminders");
        report.reminders = await attempt("reminders", () =>
          remindersPhase(run, services, db, broker.brokers, meter),
        );
      }
    }
  } finally {
    await cleanup();
  }

  const results = renderResults(report);
  console.log(`\n## Summary\n\n${results.summary}\n\n## Results\n\n${results.body}`);
  if (options.write && machine) {
    writeFileSync(options.out, renderDoc(options, results, machine));
    log(`wrote ${options.out}`);
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return report.failures.length > 0 ? 1 : 0;
}

/** `--kafka-clients`: the client comparison only (bench/events/kafka-clients.ts); prints its table. */
async function compareKafkaClients(
  run: EventsRun,
  brokers: string,
  clients: NonNullable<EventsRun["options"]["kafkaClients"]>,
): Promise<void> {
  const n = run.options.kafkaClientsMessages;
  const partitions = Number(process.env.KAFKA_PARTITIONS ?? 3);
  const results = await kafkaClientsPhase(
    brokers.split(","),
    clients,
    n,
    100,
    partitions,
    run.options.topicPrefix,
    run.log,
  );
  console.log(`## Kafka clients (${n} records each, ${partitions} partitions, acks=all, batches of 100)\n`);
  console.log(kafkaClientsTable(results));
}
