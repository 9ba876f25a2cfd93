/**
 * The broker's settings: its ports (from `KAFKA_PORT` / `KAFKA_CONTROLLER_PORT`), the files of its
 * state directory, `server.properties` and `log4j2.properties`, and a new cluster id.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";

type Env = Record<string, string | undefined>;

/** The address the broker listens on and advertises. */
export const HOST = "127.0.0.1";
const DEFAULT_PORT = 19092;
/** Default partitions of a topic created without a count. */
const DEFAULT_PARTITIONS = 3;

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

/** The ports the running broker was started with, from its `server.properties`. */
export function portsFromProperties(text: string): KafkaPorts | undefined {
  const listeners = /^listeners=(.*)$/m.exec(text)?.[1] ?? "";
  const broker = /PLAINTEXT:\/\/[^:,]*:(\d+)/.exec(listeners)?.[1];
  const controller = /CONTROLLER:\/\/[^:,]*:(\d+)/.exec(listeners)?.[1];
  return broker && controller ? { broker: Number(broker), controller: Number(controller) } : undefined;
}
