/**
 * The services as separate processes on PostgreSQL and Kafka (`tests/integration/system.ts`'s
 * `TestSystem`, what `bun run start:services` runs), each serving `/metrics` on a `METRICS_PORT` of
 * its own, a real Prometheus scraping them every second under the job names docs/metrics.md asks
 * for (`todo-<service>`) with the recording rules of `observability/prometheus/recording.yaml`
 * loaded, and a webhook receiver the notification service may deliver to (loopback targets
 * allowed).
 *
 * Query-backed gauges (outbox backlog, jobs pending, consumer lag, deliveries pending) are refreshed
 * every second (`METRICS_REFRESH_SECONDS=1`) instead of every 15 s, so a short run sees them move.
 */
import { join } from "node:path";
import { startWebhookReceiver, type WebhookReceiver } from "@todo/testkit/webhook";
import { type RunningPrometheus, startPrometheus } from "../../scripts/lib/observability-servers.ts";
import type { ObservabilityTools } from "../../scripts/lib/observability-tools.ts";
import { eventually, freePort, type ServiceName, TestSystem } from "../../tests/integration/system.ts";
import { repoRoot } from "./dashboard-queries.ts";

/** The services started, in the order of `scripts/lib/services.ts`. */
export const OBSERVED_SERVICES: readonly ServiceName[] = [
  "identity",
  "task",
  "tag",
  "scheduler",
  "notification",
];

/** The scrape job of a service, as docs/metrics.md names it. */
export const jobOf = (service: ServiceName) => `todo-${service}`;

/** The recording rules the SLO dashboard reads. */
export const recordingRules: string = join(repoRoot, "observability", "prometheus", "recording.yaml");

/** The system, its Prometheus and the webhook receiver. */
export interface ObservedSystem {
  readonly system: TestSystem;
  readonly prometheus: RunningPrometheus;
  readonly webhook: WebhookReceiver;
  /** `METRICS_PORT` of each service. */
  readonly metricsPorts: ReadonlyMap<ServiceName, number>;
  /** Resolves once Prometheus has scraped every target successfully at least once. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** What else an observed system's Prometheus gets (the dashboards' tests need neither). */
export interface ObservedSystemOptions {
  /** Names the system's database and Kafka namespace (default `dashboards`). */
  readonly label?: string;
  /** Rule files besides recording.yaml (an alert test adds a copy of alerts.yaml). */
  readonly rules?: readonly string[];
  /** An Alertmanager (`http://host:port`) Prometheus sends its alerts to. */
  readonly alertmanagerUrl?: string;
}

/**
 * Starts the services (with `METRICS_PORT`), then Prometheus scraping them every second. Needs
 * `DATABASE_URL` and `KAFKA_BROKERS` (throws saying how to get them) and the observability tools.
 */
export async function startObservedSystem(
  tools: ObservabilityTools,
  options: ObservedSystemOptions = {},
): Promise<ObservedSystem> {
  const webhook = startWebhookReceiver();
  let system: TestSystem | undefined;
  let prometheus: RunningPrometheus | undefined;
  try {
    system = await TestSystem.create({
      label: options.label ?? "dashboards",
      env: { METRICS_REFRESH_SECONDS: "1" },
    });
    const metricsPorts = new Map<ServiceName, number>();
    for (const service of OBSERVED_SERVICES) metricsPorts.set(service, await freePort());
    const started = system;
    await Promise.all(
      OBSERVED_SERVICES.map((service) =>
        started.start(service, {
          METRICS_PORT: String(metricsPorts.get(service)),
          ...(service === "notification" ? { NOTIFY_ALLOW_PRIVATE_TARGETS: "true" } : {}),
        }),
      ),
    );
    await system.kafka.detectNamespace();
    prometheus = await startPrometheus({
      tools,
      config: {
        global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
        ...(options.alertmanagerUrl
          ? {
              alerting: {
                alertmanagers: [{ static_configs: [{ targets: [new URL(options.alertmanagerUrl).host] }] }],
              },
            }
          : {}),
        scrape_configs: OBSERVED_SERVICES.map((service) => ({
          job_name: jobOf(service),
          static_configs: [{ targets: [`127.0.0.1:${metricsPorts.get(service)}`] }],
        })),
      },
      rules: [recordingRules, ...(options.rules ?? [])],
    });
    const prom = prometheus;
    return {
      system,
      prometheus,
      webhook,
      metricsPorts,
      async waitForTargetsUp(timeoutMs = 30_000) {
        await eventually(
          `every service's /metrics scraped by Prometheus (${OBSERVED_SERVICES.length} targets up)`,
          async () => {
            const up = await prom.query("up == 1");
            return up.length === OBSERVED_SERVICES.length;
          },
          timeoutMs,
          500,
        );
      },
      async close() {
        await prom.stop();
        await started.close();
        webhook.stop();
      },
    };
  } catch (err) {
    await prometheus?.stop();
    await system?.close();
    webhook.stop();
    throw err;
  }
}
