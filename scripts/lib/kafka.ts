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
 * Run directly, `bun scripts/lib/kafka.ts fetch` only fetches the jars (CI does it in its own step)
 * and `bun scripts/lib/kafka.ts classpath` prints the class path for Kafka's command-line tools.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { Socket } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import type { ComponentStatus, DownOptions, InfraComponent, InfraContext } from "./infra-component.ts";
import { capture } from "./proc.ts";

/** The Apache Kafka release this component runs. */
export const KAFKA_VERSION = "4.4.0";
const SLF4J_VERSION = "2.0.17";
const LOG4J_VERSION = "2.25.3";
const DEPENDENCY_PLUGIN_VERSION = "3.8.1";
const HOST = "127.0.0.1";
const DEFAULT_PORT = 19092;
/** Default partitions of a topic created without a count. */
const DEFAULT_PARTITIONS = 3;
const HEAP = ["-Xms256m", "-Xmx512m"];
/** How long `up` waits for a started broker to answer before giving up. */
const START_TIMEOUT_MS = 120_000;
/** How long `down` waits for a clean shutdown before killing the JVM. */
const STOP_TIMEOUT_MS = 30_000;
/** A log file larger than this is moved aside (to `kafka.log.1`) on the next start. */
const LOG_ROTATE_BYTES = 20 * 1024 * 1024;
const COMPLETE_MARKER = ".todo-complete";
const BROKER_MAIN = "kafka.Kafka";
const STORAGE_TOOL_MAIN = "kafka.tools.StorageTool";

type Env = Record<string, string | undefined>;

/** The two ports of the node: clients use `broker`, the KRaft quorum uses `controller`. */
export interface KafkaPorts {
  readonly broker: number;
  readonly controller: number;
}

function parsePort(name: string, raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port number (1-65535), got "${raw}"`);
  }
  return port;
}

/**
 * The ports for a new start: `KAFKA_PORT` (default 19092) for clients and `KAFKA_CONTROLLER_PORT`
 * (default the client port + 1) for the controller; both validated and required to differ.
 */
export function configuredPorts(env: Env = process.env): KafkaPorts {
  const rawBroker = env.KAFKA_PORT?.trim();
  const broker = rawBroker ? parsePort("KAFKA_PORT", rawBroker) : DEFAULT_PORT;
  const rawController = env.KAFKA_CONTROLLER_PORT?.trim();
  const controller = rawController
    ? parsePort("KAFKA_CONTROLLER_PORT", rawController)
    : broker === 65535
      ? broker - 1
      : broker + 1;
  if (controller === broker) {
    throw new Error(`KAFKA_CONTROLLER_PORT must differ from KAFKA_PORT (both are ${broker})`);
  }
  return { broker, controller };
}

/** The `KAFKA_BROKERS` value for a broker on `port`. */
export function brokersValue(port: number): string {
  return `${HOST}:${port}`;
}

/** The jar cache root: `TODO_CACHE_DIR`, else `$XDG_CACHE_HOME/todo`, else `~/.cache/todo`. */
export function cacheRoot(env: Env = process.env): string {
  const explicit = env.TODO_CACHE_DIR?.trim();
  if (explicit) return explicit;
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg || join(homedir(), ".cache"), "todo");
}

/** Where this Kafka version's pom and jars live. */
export function distributionDir(env: Env = process.env): string {
  return join(cacheRoot(env), `kafka-${KAFKA_VERSION}`);
}

function dependency(group: string, artifact: string, version: string, exclusions: string[] = []): string {
  const excluded = exclusions
    .map((ga) => {
      const [g, a] = ga.split(":");
      return `<exclusion><groupId>${g}</groupId><artifactId>${a}</artifactId></exclusion>`;
    })
    .join("");
  return [
    "    <dependency>",
    `      <groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version>`,
    ...(excluded ? [`      <exclusions>${excluded}</exclusions>`] : []),
    "    </dependency>",
  ].join("\n");
}

/**
 * The pom whose runtime dependencies are everything the broker and the command-line tools need:
 * `kafka_2.13` (broker, `kafka.Kafka`, `kafka.tools.StorageTool`), `kafka-tools` without the Kafka
 * Connect runtime it drags in (console consumer/producer, topic and group commands), and Log4j 2 as
 * the SLF4J 2 binding (`kafka_2.13` itself still declares slf4j-api 1.7, so 2.x is pinned here).
 */
export function brokerPom(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/lib/kafka.ts: the jars of Apache Kafka ${KAFKA_VERSION} for a local broker. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>todo.local</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>${KAFKA_VERSION}</version>
  <packaging>pom</packaging>
  <dependencies>
${[
  dependency("org.apache.kafka", "kafka_2.13", KAFKA_VERSION),
  dependency("org.apache.kafka", "kafka-tools", KAFKA_VERSION, ["org.apache.kafka:connect-runtime"]),
  dependency("org.slf4j", "slf4j-api", SLF4J_VERSION),
  dependency("org.apache.logging.log4j", "log4j-slf4j2-impl", LOG4J_VERSION),
  dependency("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION),
].join("\n")}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEPENDENCY_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Whether `libs` holds a complete copy for exactly this pom. */
function libsComplete(libs: string, pomHash: string): boolean {
  const marker = join(libs, COMPLETE_MARKER);
  return existsSync(marker) && readFileSync(marker, "utf8").trim() === pomHash;
}

/**
 * Makes sure the broker's jars are in the cache and returns their directory. Runs Maven only when
 * the cache lacks a complete copy for the current pom; the copy goes to a temporary directory that
 * is renamed into place, so an interrupted fetch never leaves a half-filled `libs/`.
 */
export async function ensureLibs(log: (message: string) => void, env: Env = process.env): Promise<string> {
  const dir = distributionDir(env);
  const libs = join(dir, "libs");
  const pom = brokerPom();
  const pomHash = sha256(pom);
  if (libsComplete(libs, pomHash)) return libs;

  const mvn = Bun.which("mvn");
  if (!mvn) {
    throw new Error(
      "Kafka's jars are not cached yet and Maven (`mvn`) is not installed to fetch them. Install it " +
        "(Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`) and run again.",
    );
  }
  const java = await findJava();
  mkdirSync(dir, { recursive: true });
  const pomPath = join(dir, "pom.xml");
  writeFileSync(pomPath, pom);
  const staging = join(dir, `libs.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  log(`kafka: fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${libs} (first time only)`);
  const started = performance.now();
  const result = await capture(
    [
      mvn,
      "--batch-mode",
      "--quiet",
      "-Dstyle.color=never",
      "--file",
      pomPath,
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${staging}`,
    ],
    { cwd: dir, env: { ...process.env, JAVA_HOME: java.home } },
  );
  if (result.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    // Maven 3.8 prints colour resets even in batch mode; keep the output readable.
    const output = stripVTControlCharacters(`${result.stdout}${result.stderr}`).trim();
    throw new Error(
      `mvn dependency:copy-dependencies failed (exit ${result.code}) for ${pomPath}; Maven Central must be ` +
        `reachable for the first start${output ? `:\n${output.split("\n").slice(-30).join("\n")}` : ""}`,
    );
  }
  const jars = readdirSync(staging).filter((name) => name.endsWith(".jar"));
  if (!jars.some((name) => name.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`Maven finished but ${staging} holds no kafka_2.13-${KAFKA_VERSION} jar`);
  }
  writeFileSync(join(staging, COMPLETE_MARKER), `${pomHash}\n`);
  rmSync(libs, { recursive: true, force: true });
  try {
    renameSync(staging, libs);
  } catch (error) {
    // A concurrent fetch may have put its copy in place first; use that one.
    rmSync(staging, { recursive: true, force: true });
    if (!libsComplete(libs, pomHash)) throw error;
  }
  log(`kafka: fetched ${jars.length} jars in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  return libs;
}

/** A Java runtime: its home, `java` binary and major version. */
export interface JavaRuntime {
  readonly home: string;
  readonly bin: string;
  readonly major: number;
}

/**
 * The major version in `java -version` output: `openjdk version "17.0.15"` → 17,
 * `java version "1.8.0_392"` → 8; undefined when there is none.
 */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

async function probeJava(home: string): Promise<JavaRuntime | undefined> {
  const bin = join(home, "bin", "java");
  if (!existsSync(bin)) return undefined;
  const result = await capture([bin, "-version"]);
  const major = parseJavaMajor(`${result.stderr}${result.stdout}`);
  return result.code === 0 && major !== undefined ? { home, bin, major } : undefined;
}

/**
 * Finds Java 17+: `JAVA_HOME` when set (it must be 17+), else the `java` on PATH, else the lowest
 * 17+ JDK under /usr/lib/jvm.
 */
export async function findJava(env: Env = process.env): Promise<JavaRuntime> {
  const explicit = env.JAVA_HOME?.trim();
  if (explicit) {
    const java = await probeJava(explicit);
    if (!java || java.major < 17) {
      throw new Error(`JAVA_HOME=${explicit} is not a Java 17+ runtime (Kafka ${KAFKA_VERSION} needs 17+)`);
    }
    return java;
  }
  const onPath = Bun.which("java");
  if (onPath) {
    const real = await capture(["readlink", "-f", onPath]);
    const bin = real.code === 0 && real.stdout.trim() ? real.stdout.trim() : onPath;
    const java = await probeJava(join(bin, "..", ".."));
    if (java && java.major >= 17) return java;
  }
  const jvmRoot = "/usr/lib/jvm";
  const found: JavaRuntime[] = [];
  if (existsSync(jvmRoot)) {
    for (const name of readdirSync(jvmRoot)) {
      const java = await probeJava(join(jvmRoot, name));
      if (java && java.major >= 17) found.push(java);
    }
  }
  found.sort((a, b) => a.major - b.major);
  if (found[0]) return found[0];
  throw new Error(
    `Kafka ${KAFKA_VERSION} needs Java 17 or newer and none was found (JAVA_HOME, PATH, /usr/lib/jvm). ` +
      "Install one (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME.",
  );
}

/** Where this checkout's broker keeps its files. */
export interface KafkaLayout {
  readonly base: string;
  readonly data: string;
  readonly properties: string;
  readonly log4j: string;
  readonly logFile: string;
  readonly pidFile: string;
}

/** The files of the broker of the checkout whose state dir is `stateDir`. */
export function kafkaLayout(stateDir: string): KafkaLayout {
  const base = join(stateDir, "kafka");
  return {
    base,
    data: join(base, "data"),
    properties: join(base, "server.properties"),
    log4j: join(base, "log4j2.properties"),
    logFile: join(base, "kafka.log"),
    pidFile: join(base, "kafka.pid"),
  };
}

/**
 * The broker's `server.properties`: one KRaft node that is both broker and controller, listening
 * only on loopback, with test-friendly defaults (no auto-created topics, replication factor 1,
 * no rebalance delay, three partitions per topic).
 */
export function serverProperties(ports: KafkaPorts, dataDir: string): string {
  const settings: [string, string | number | boolean][] = [
    ["process.roles", "broker,controller"],
    ["node.id", 1],
    ["controller.quorum.voters", `1@${HOST}:${ports.controller}`],
    ["listeners", `PLAINTEXT://${HOST}:${ports.broker},CONTROLLER://${HOST}:${ports.controller}`],
    ["advertised.listeners", `PLAINTEXT://${HOST}:${ports.broker}`],
    ["listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"],
    ["inter.broker.listener.name", "PLAINTEXT"],
    ["controller.listener.names", "CONTROLLER"],
    ["log.dirs", dataDir],
    ["num.partitions", DEFAULT_PARTITIONS],
    ["auto.create.topics.enable", false],
    ["default.replication.factor", 1],
    ["min.insync.replicas", 1],
    ["offsets.topic.replication.factor", 1],
    ["offsets.topic.num.partitions", 10],
    ["transaction.state.log.replication.factor", 1],
    ["transaction.state.log.min.isr", 1],
    ["transaction.state.log.num.partitions", 5],
    ["share.coordinator.state.topic.replication.factor", 1],
    ["share.coordinator.state.topic.min.isr", 1],
    ["group.initial.rebalance.delay.ms", 0],
    ["delete.topic.enable", true],
    ["log.retention.hours", 168],
    ["log.segment.bytes", 64 * 1024 * 1024],
    ["num.network.threads", 2],
    ["num.io.threads", 4],
    ["num.recovery.threads.per.data.dir", 1],
  ];
  return [
    "# Written by scripts/infra.ts (scripts/lib/kafka.ts) on every start: change it there, not here.",
    ...settings.map(([key, value]) => `${key}=${value}`),
    "",
  ].join("\n");
}

/** Loggers that log every config dump, segment roll and partition change at INFO. */
const QUIET_LOGGERS = [
  "org.apache.kafka.common.config.AbstractConfig",
  "kafka.log",
  "org.apache.kafka.storage",
  "state.change.logger",
  "kafka.coordinator",
  "org.apache.kafka.coordinator",
  "kafka.cluster",
  "org.apache.kafka.raft",
  "org.apache.kafka.controller",
  "org.apache.kafka.image",
];

/** Log4j 2 configuration: INFO to stdout (which goes to `kafka.log`), the chattiest loggers at WARN. */
export function log4jProperties(): string {
  return [
    "# Written by scripts/lib/kafka.ts.",
    "status = warn",
    "appender.out.type = Console",
    "appender.out.name = out",
    "appender.out.layout.type = PatternLayout",
    "appender.out.layout.pattern = [%d] %p %m (%c)%n",
    "rootLogger.level = info",
    "rootLogger.appenderRef.out.ref = out",
    ...QUIET_LOGGERS.flatMap((name, i) => [
      `logger.quiet${i}.name = ${name}`,
      `logger.quiet${i}.level = warn`,
    ]),
    "",
  ].join("\n");
}

/**
 * A fresh cluster id in Kafka's format: 16 random bytes, URL-safe base64 without padding (22
 * characters), never starting with `-` (Kafka avoids ids a command line would take for a flag).
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

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

/** A Metadata response's prefix: which brokers the cluster has, its id and its controller. */
export interface MetadataSummary {
  readonly brokers: readonly { readonly nodeId: number; readonly host: string; readonly port: number }[];
  readonly clusterId: string | null;
  readonly controllerId: number;
}

/** The Metadata API version the probe speaks (v8: the newest non-flexible one; Kafka 4 serves v4+). */
const METADATA_VERSION = 8;

/**
 * Encodes a Kafka Metadata request (API key 3, v8, request header v1) for no topics, size-prefixed,
 * as a client would send it to learn the cluster's brokers.
 */
export function encodeMetadataRequest(correlationId: number, clientId: string): Uint8Array {
  const client = Buffer.from(clientId, "utf8");
  const body = Buffer.alloc(2 + 2 + 4 + 2 + client.length + 4 + 1 + 1 + 1);
  let at = 0;
  at = body.writeInt16BE(3, at); // api_key: Metadata
  at = body.writeInt16BE(METADATA_VERSION, at);
  at = body.writeInt32BE(correlationId, at);
  at = body.writeInt16BE(client.length, at);
  at += client.copy(body, at);
  at = body.writeInt32BE(0, at); // topics: none (an empty array, not null = all topics)
  at = body.writeInt8(0, at); // allow_auto_topic_creation
  at = body.writeInt8(0, at); // include_cluster_authorized_operations
  body.writeInt8(0, at); // include_topic_authorized_operations
  const frame = Buffer.alloc(4 + body.length);
  frame.writeInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/**
 * Decodes the start of a Metadata v8 response (without its size prefix): correlation id, then
 * throttle time, brokers, cluster id and controller id. Throws on a truncated or mismatched reply.
 */
export function decodeMetadataResponse(payload: Uint8Array, correlationId: number): MetadataSummary {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let at = 0;
  const int32 = () => {
    const v = buf.readInt32BE(at);
    at += 4;
    return v;
  };
  const string = (): string | null => {
    const length = buf.readInt16BE(at);
    at += 2;
    if (length < 0) return null;
    if (at + length > buf.length) throw new RangeError("truncated string");
    const v = buf.toString("utf8", at, at + length);
    at += length;
    return v;
  };
  const got = int32();
  if (got !== correlationId) throw new Error(`response for request ${got}, expected ${correlationId}`);
  int32(); // throttle_time_ms
  const count = int32();
  if (count < 0 || count > 10_000) throw new Error(`implausible broker count ${count}`);
  const brokers: { nodeId: number; host: string; port: number }[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = int32();
    const host = string() ?? "";
    const port = int32();
    string(); // rack
    brokers.push({ nodeId, host, port });
  }
  const clusterId = string();
  const controllerId = int32();
  return { brokers, clusterId, controllerId };
}

/**
 * Sends one Metadata request to `host:port` and returns the summary; rejects when nothing listens,
 * the peer is not a Kafka broker, or no complete answer comes within `timeoutMs`.
 */
export function probeMetadata(port: number, timeoutMs = 3000, host = HOST): Promise<MetadataSummary> {
  return new Promise((resolve, reject) => {
    const correlationId = Math.floor(Math.random() * 1_000_000) + 1;
    const socket = new Socket();
    let received = Buffer.alloc(0);
    const finish = (error: Error | null, summary?: MetadataSummary) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else if (summary) resolve(summary);
    };
    const timer = setTimeout(
      () => finish(new Error(`no Metadata answer from ${host}:${port} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("error", (error) => finish(error));
    socket.once("close", () => finish(new Error(`${host}:${port} closed the connection without answering`)));
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const size = received.readInt32BE(0);
      if (size < 0 || size > 64 * 1024 * 1024)
        return finish(new Error(`${host}:${port} is not a Kafka broker`));
      if (received.length < 4 + size) return;
      try {
        finish(null, decodeMetadataResponse(received.subarray(4, 4 + size), correlationId));
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.connect(port, host, () => {
      socket.write(encodeMetadataRequest(correlationId, "todo-infra-probe"));
    });
  });
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

/** The ports the running broker was started with, from its `server.properties`. */
export function portsFromProperties(text: string): KafkaPorts | undefined {
  const listeners = /^listeners=(.*)$/m.exec(text)?.[1] ?? "";
  const broker = /PLAINTEXT:\/\/[^:,]*:(\d+)/.exec(listeners)?.[1];
  const controller = /CONTROLLER:\/\/[^:,]*:(\d+)/.exec(listeners)?.[1];
  return broker && controller ? { broker: Number(broker), controller: Number(controller) } : undefined;
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
