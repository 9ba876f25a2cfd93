/**
 * A private single-node Apache Kafka 4.x (KRaft mode: broker and controller in one JVM) for
 * development and tests, on 127.0.0.1:19092 (`KAFKA_PORT`) with its controller on the next port
 * (`KAFKA_CONTROLLER_PORT`). Nothing is installed system-wide:
 *
 * - **Jars**: Apache Kafka's own artifacts from Maven Central (`org.apache.kafka:kafka_2.13`, the
 *   command-line tools of `org.apache.kafka:kafka-tools`, and a Log4j 2 binding), resolved once by
 *   `mvn dependency:copy-dependencies` over a generated pom into
 *   `${TODO_CACHE_DIR:-~/.cache/todo}/kafka-<version>/libs`, outside the checkout, so a second
 *   start (or a second clone) needs no network. A marker file holding the pom's hash says the copy
 *   is complete; a changed dependency list fetches again.
 * - **Java**: 17 or newer — `JAVA_HOME` when set, else `java` on `PATH`, else a JDK under
 *   /usr/lib/jvm (Kafka 4 needs 17; CI pins 17 through `JAVA_HOME`).
 * - **State**: `<repo>/.infra/kafka/` — `server.properties`, `log4j2.properties`, the data
 *   (`data/`, formatted once with `kafka.tools.StorageTool format`), `kafka.log` and `kafka.pid`.
 *
 * Settings are made for tests: topics are never created implicitly (`auto.create.topics.enable=
 * false`), three partitions by default, replication factor 1 everywhere, no initial rebalance
 * delay, a 512 MiB heap. `up` returns only once the broker answers a Metadata request listing
 * itself. Data survives `down`; `down --purge` deletes it (the jar cache stays).
 *
 * Its parts: the jars (kafka-jars.ts), the Java runtime (java-runtime.ts), the broker's settings
 * and files (kafka-config.ts) and the readiness probe (kafka-metadata.ts); this file starts, stops
 * and reports the broker.
 *
 * Run directly, `bun scripts/lib/kafka.ts fetch` only fetches the jars (CI does it in its own step)
 * and `bun scripts/lib/kafka.ts classpath` prints the class path for Kafka's command-line tools.
 */
import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import type { ComponentStatus, DownOptions, InfraComponent, InfraContext } from "./infra-component.ts";
import { findJava, type JavaRuntime } from "./java-runtime.ts";
import {
  brokersValue,
  configuredPorts,
  HOST,
  type KafkaLayout,
  type KafkaPorts,
  kafkaLayout,
  log4jProperties,
  newClusterId,
  portsFromProperties,
  serverProperties,
} from "./kafka-config.ts";
import { distributionDir, ensureLibs, KAFKA_VERSION } from "./kafka-jars.ts";
import { probeMetadata } from "./kafka-metadata.ts";
import { capture } from "./proc.ts";

export { KAFKA_VERSION } from "./kafka-jars.ts";

const HEAP = ["-Xms256m", "-Xmx512m"];
/** How long `up` waits for a started broker to answer before giving up. */
const START_TIMEOUT_MS = 120_000;
/** How long `down` waits for a clean shutdown before killing the JVM. */
const STOP_TIMEOUT_MS = 30_000;
/** A log file larger than this is moved aside (to `kafka.log.1`) on the next start. */
const LOG_ROTATE_BYTES = 20 * 1024 * 1024;
const BROKER_MAIN = "kafka.Kafka";
const STORAGE_TOOL_MAIN = "kafka.tools.StorageTool";

/** The JVM command line shared by the storage tool and the broker. */
function javaCommand(java: JavaRuntime, libs: string, layout: KafkaLayout, main: string): string[] {
  return [
    java.bin,
    ...HEAP,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${layout.log4j}`,
    `-Dkafka.logs.dir=${layout.base}`,
    "-cp",
    join(libs, "*"),
    main,
  ];
}

/** Whether something accepts TCP connections on `host:port`. */
function portAnswers(port: number, host = HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** The pid in the pid file when that process is alive and is this checkout's broker. */
async function runningPid(layout: KafkaLayout): Promise<number | undefined> {
  if (!existsSync(layout.pidFile)) return undefined;
  const pid = Number(readFileSync(layout.pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // The pid may have been reused by another program since: check it runs our configuration.
  const procCmdline = `/proc/${pid}/cmdline`;
  const cmdline = existsSync(procCmdline)
    ? readFileSync(procCmdline, "utf8").replaceAll("\0", " ")
    : (await capture(["ps", "-o", "command=", "-p", String(pid)])).stdout;
  return cmdline.includes(BROKER_MAIN) && cmdline.includes(layout.properties) ? pid : undefined;
}

function runningPorts(layout: KafkaLayout): KafkaPorts {
  const fromFile = existsSync(layout.properties)
    ? portsFromProperties(readFileSync(layout.properties, "utf8"))
    : undefined;
  return fromFile ?? configuredPorts();
}

/** The last `lines` lines of `path` written after byte offset `from`. */
function logSince(path: string, from: number, lines = 25): string {
  if (!existsSync(path)) return "(no log file)";
  const text = readFileSync(path).subarray(from).toString("utf8").trimEnd();
  return text ? text.split("\n").slice(-lines).join("\n") : "(nothing logged)";
}

/** Waits until the broker on `port` answers Metadata listing at least one broker. */
async function waitForBroker(port: number, pid: number | undefined, layout: KafkaLayout, logOffset: number) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError = "";
  for (;;) {
    try {
      const summary = await probeMetadata(port);
      if (summary.brokers.length > 0 && summary.controllerId >= 0) return summary;
      lastError = "the broker has not registered yet";
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (pid !== undefined) {
      try {
        process.kill(pid, 0);
      } catch {
        throw new Error(
          `Kafka exited during start-up. From ${layout.logFile}:\n${logSince(layout.logFile, logOffset)}`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Kafka did not answer on ${HOST}:${port} within ${START_TIMEOUT_MS / 1000}s (${lastError}). ` +
          `From ${layout.logFile}:\n${logSince(layout.logFile, logOffset)}`,
      );
    }
    await Bun.sleep(200);
  }
}

async function formatStorage(ctx: InfraContext, java: JavaRuntime, libs: string, layout: KafkaLayout) {
  const clusterId = newClusterId();
  ctx.log(`kafka: formatting ${layout.data} (cluster id ${clusterId})`);
  const result = await capture([
    ...javaCommand(java, libs, layout, STORAGE_TOOL_MAIN),
    "format",
    "--cluster-id",
    clusterId,
    "--config",
    layout.properties,
    "--ignore-formatted",
  ]);
  if (result.code !== 0) {
    throw new Error(
      `kafka storage format failed (exit ${result.code}):\n${`${result.stdout}${result.stderr}`.trim()}`,
    );
  }
}

/**
 * Runs `fn` holding `<base>/start.lock`, so two `up`s racing on a stopped broker (two test runs in
 * one checkout) start it once: the second waits, then finds it running. A lock whose holder died is
 * taken over.
 */
async function withStartLock<T>(layout: KafkaLayout, fn: () => Promise<T>): Promise<T> {
  mkdirSync(layout.base, { recursive: true });
  const lock = join(layout.base, "start.lock");
  const deadline = Date.now() + START_TIMEOUT_MS + 60_000;
  for (;;) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSync(lock, "utf8").trim());
    const fresh = Date.now() - statSync(lock).mtimeMs < 5000;
    if (!alive(holder) && !(holder === 0 && fresh)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lock} is held by pid ${holder} for too long`);
    await Bun.sleep(250);
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function up(ctx: InfraContext): Promise<Record<string, string>> {
  return withStartLock(kafkaLayout(ctx.stateDir), () => upLocked(ctx));
}

async function upLocked(ctx: InfraContext): Promise<Record<string, string>> {
  const layout = kafkaLayout(ctx.stateDir);
  const pid = await runningPid(layout);
  if (pid !== undefined) {
    const ports = runningPorts(layout);
    if (process.env.KAFKA_PORT && configuredPorts().broker !== ports.broker) {
      ctx.log(
        `kafka: already running on port ${ports.broker}; KAFKA_PORT=${process.env.KAFKA_PORT} applies after a down`,
      );
    } else {
      ctx.log(`kafka: already running on ${HOST}:${ports.broker} (pid ${pid})`);
    }
    await waitForBroker(
      ports.broker,
      pid,
      layout,
      existsSync(layout.logFile) ? statSync(layout.logFile).size : 0,
    );
    return { KAFKA_BROKERS: brokersValue(ports.broker) };
  }

  const ports = configuredPorts();
  for (const port of [ports.broker, ports.controller]) {
    if (await portAnswers(port)) {
      throw new Error(
        `port ${HOST}:${port} is taken by another program; set KAFKA_PORT (and KAFKA_CONTROLLER_PORT) to free ports`,
      );
    }
  }
  const libs = await ensureLibs(ctx.log);
  const java = await findJava();
  mkdirSync(layout.data, { recursive: true });
  writeFileSync(layout.properties, serverProperties(ports, layout.data));
  writeFileSync(layout.log4j, log4jProperties());
  if (!existsSync(join(layout.data, "meta.properties"))) await formatStorage(ctx, java, libs, layout);

  if (existsSync(layout.logFile) && statSync(layout.logFile).size > LOG_ROTATE_BYTES) {
    renameSync(layout.logFile, `${layout.logFile}.1`);
  }
  const logOffset = existsSync(layout.logFile) ? statSync(layout.logFile).size : 0;
  ctx.log(
    `kafka: starting Apache Kafka ${KAFKA_VERSION} (Java ${java.major}) on ${HOST}:${ports.broker}, controller :${ports.controller}`,
  );
  const started = performance.now();
  const out = openSync(layout.logFile, "a");
  let child: ReturnType<typeof spawn>;
  try {
    const [bin, ...args] = [...javaCommand(java, libs, layout, BROKER_MAIN), layout.properties];
    // Detached into its own session so it outlives this script; its output goes to kafka.log.
    child = spawn(bin as string, args, { cwd: layout.base, detached: true, stdio: ["ignore", out, out] });
  } finally {
    closeSync(out);
  }
  const childPid = child.pid;
  if (childPid === undefined) throw new Error("could not start java");
  child.unref();
  writeFileSync(layout.pidFile, `${childPid}\n`);
  await waitForBroker(ports.broker, childPid, layout, logOffset);
  ctx.log(
    `kafka: ready at ${brokersValue(ports.broker)} after ${((performance.now() - started) / 1000).toFixed(1)}s`,
  );
  return { KAFKA_BROKERS: brokersValue(ports.broker) };
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function down(ctx: InfraContext, options: DownOptions): Promise<void> {
  const layout = kafkaLayout(ctx.stateDir);
  const pid = await runningPid(layout);
  if (pid === undefined) {
    ctx.log("kafka: not running");
  } else {
    ctx.log(`kafka: stopping (pid ${pid})`);
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (alive(pid) && Date.now() < deadline) await Bun.sleep(100);
    if (alive(pid)) {
      ctx.log(`kafka: no clean shutdown within ${STOP_TIMEOUT_MS / 1000}s; killing it`);
      process.kill(pid, "SIGKILL");
      while (alive(pid)) await Bun.sleep(50);
    }
    ctx.log("kafka: stopped");
  }
  rmSync(layout.pidFile, { force: true });
  if (options.purge) {
    rmSync(layout.base, { recursive: true, force: true });
    ctx.log(`kafka: deleted ${layout.base} (the jar cache in ${distributionDir()} stays)`);
  } else if (existsSync(layout.data)) {
    ctx.log(`kafka: data kept in ${layout.data} (\`down --purge\` deletes it)`);
  }
}

async function status(ctx: InfraContext): Promise<ComponentStatus> {
  const layout = kafkaLayout(ctx.stateDir);
  const pid = await runningPid(layout);
  if (pid === undefined) {
    return {
      running: false,
      detail: existsSync(layout.data)
        ? `stopped (data in ${layout.data})`
        : "not created yet (`bun run infra:up` creates it)",
    };
  }
  const ports = runningPorts(layout);
  try {
    const summary = await probeMetadata(ports.broker);
    return {
      running: true,
      detail:
        `running: KAFKA_BROKERS=${brokersValue(ports.broker)} (controller :${ports.controller}), pid ${pid}, ` +
        `Apache Kafka ${KAFKA_VERSION}, cluster ${summary.clusterId}, data in ${layout.data}`,
    };
  } catch (error) {
    return { running: false, detail: `process ${pid} runs but does not answer: ${(error as Error).message}` };
  }
}

/** The Kafka component: `up` yields `KAFKA_BROKERS=127.0.0.1:<port>`. */
export const kafka: InfraComponent = {
  name: "kafka",
  envKeys: ["KAFKA_BROKERS"],
  up,
  down,
  status,
};

if (import.meta.main) {
  const [verb] = Bun.argv.slice(2);
  const log = (message: string) => process.stderr.write(`[infra] ${message}\n`);
  try {
    if (verb === "fetch") {
      const libs = await ensureLibs(log);
      const java = await findJava();
      log(`kafka: jars for Apache Kafka ${KAFKA_VERSION} in ${libs}; Java ${java.major} at ${java.home}`);
    } else if (verb === "classpath") {
      process.stdout.write(`${join(await ensureLibs(log), "*")}\n`);
    } else {
      process.stderr.write("usage: bun scripts/lib/kafka.ts <fetch|classpath>\n");
      process.exitCode = 2;
    }
  } catch (error) {
    process.stderr.write(`[infra] error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
