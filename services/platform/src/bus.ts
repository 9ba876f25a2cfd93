/**
 * Chooses the `EventBus` adapter from the environment, so a composition root does not care which
 * run mode it is in: Dapr pub/sub when a sidecar is configured (`DAPR_HTTP_PORT`, Dapr mode), Apache
 * Kafka when `KAFKA_BROKERS` is set (services mode), the in-process bus otherwise (embedded mode).
 * `EVENT_BUS` (`dapr`, `kafka` or `memory`) overrides the choice.
 *
 * Variables: `KAFKA_BROKERS` (comma-separated `host:port` list), `KAFKA_CLIENT_ID` (else the
 * `clientId` option, else `OTEL_SERVICE_NAME`, else `todo`), `KAFKA_PARTITIONS` (partitions of
 * topics the bus creates, default 3), `BUS_MAX_ATTEMPTS` (handler calls before dead-lettering,
 * default 5) — the last one applies to both adapters — and `KAFKA_TOPIC_PREFIX` (prepended to every
 * Kafka topic and consumer group, so deployments or test runs can share a cluster; default none) and
 * `KAFKA_SESSION_TIMEOUT_MS` (how long the group waits for a silent member, such as one killed with
 * SIGKILL, before its partitions move; 6000–300000, default 10000). Under Dapr the Kafka settings
 * live in the pub/sub component (`dapr/`), and retries before dead-lettering in its resiliency policy.
 */
import { createDaprBus } from "./bus-dapr";
import { createKafkaBus } from "./bus-kafka";
import { createMemoryBus } from "./bus-memory";
import { daprSidecarFromEnv } from "./dapr";
import { daprCallbacks } from "./dapr-callback";
import type { EventBus } from "./events";
import type { Logger } from "./logger";

type Env = Readonly<Record<string, string | undefined>>;

/** What the caller knows that the environment does not. */
export interface EventBusFactoryOptions {
  /** The Kafka client id when `KAFKA_CLIENT_ID` is not set: the service's name. */
  readonly clientId?: string;
  readonly logger?: Logger;
}

function intSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** The broker list in `KAFKA_BROKERS` (comma-separated, blanks ignored); empty when unset. */
export function parseBrokers(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker !== "");
}

/**
 * Creates the event bus the environment asks for: the Dapr bus under a sidecar, the Kafka bus
 * (connected, topics created) when `KAFKA_BROKERS` names at least one broker, else the in-process bus.
 */
export async function createEventBus(
  env: Env = process.env,
  options: EventBusFactoryOptions = {},
): Promise<EventBus> {
  const maxAttempts = intSetting(env, "BUS_MAX_ATTEMPTS", 5, 1, 1000);
  const sidecar = daprSidecarFromEnv(env);
  const kind = env.EVENT_BUS?.trim() || (sidecar ? "dapr" : "");
  if (kind === "dapr") {
    if (!sidecar)
      throw new Error("EVENT_BUS=dapr needs DAPR_HTTP_PORT and DAPR_GRPC_PORT (the sidecar's ports)");
    return createDaprBus({
      sidecar,
      callbacks: daprCallbacks(),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  if (kind !== "" && kind !== "kafka" && kind !== "memory") {
    throw new Error(`EVENT_BUS must be dapr, kafka or memory, got ${JSON.stringify(kind)}`);
  }
  const brokers = kind === "memory" ? [] : parseBrokers(env.KAFKA_BROKERS);
  if (kind === "kafka" && brokers.length === 0) throw new Error("EVENT_BUS=kafka needs KAFKA_BROKERS");
  if (brokers.length === 0) {
    return createMemoryBus({ maxAttempts, ...(options.logger ? { logger: options.logger } : {}) });
  }
  return createKafkaBus({
    brokers,
    clientId: env.KAFKA_CLIENT_ID?.trim() || options.clientId || env.OTEL_SERVICE_NAME?.trim() || "todo",
    partitions: intSetting(env, "KAFKA_PARTITIONS", 3, 1, 10_000),
    maxAttempts,
    topicPrefix: env.KAFKA_TOPIC_PREFIX?.trim() ?? "",
    sessionTimeoutMs: intSetting(env, "KAFKA_SESSION_TIMEOUT_MS", 10_000, 6_000, 300_000),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
