/**
 * One alert end to end (issue 12 §4): a real Prometheus with Todo's recording and alerting rules,
 * scraping the real services as separate processes on PostgreSQL and Kafka
 * (`observability/grafana/observed-system.ts`: `METRICS_PORT` per service,
 * `METRICS_REFRESH_SECONDS=1`, scrape and evaluation every second), alerting to a real
 * Alertmanager with the routes and inhibitions of alertmanager.yaml. The condition is real too: the
 * tag service's consumer is held (`consumer-hold.ts`: its table locked) while tasks are created, so
 * its group's lag on `task-events` grows. `TodoConsumerLagHigh` (loaded with `for: 5s` and a
 * threshold of 5 events instead of 5 minutes and 1000, by `writeAlertRulesWith`) must stay quiet
 * first, then go pending, then fire (`/api/v1/alerts`), reach Alertmanager (`/api/v2/alerts`) on
 * the warning route, and resolve in both once the lock is released and the backlog drains.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { type RunningAlertmanager, startAlertmanager } from "../../scripts/lib/observability-servers.ts";
import { ensureObservabilityTools } from "../../scripts/lib/observability-tools.ts";
import { localAlertmanagerConfig } from "../../scripts/lib/observe-stack.ts";
import { ownedTempDir } from "../../scripts/lib/proc.ts";
import { eventually } from "../../tests/integration/system.ts";
import { type ObservedSystem, startObservedSystem } from "../grafana/observed-system.ts";
import { holdTagConsumer } from "./consumer-hold.ts";
import { runbookUrl, writeAlertRulesWith } from "./rule-files.ts";

const ALERT = "TodoConsumerLagHigh";
const THRESHOLD = 5;
const HELD_TASKS = 20;
const LAG = `group_topic:todo_messaging_consumer_lag:sum{messaging_consumer_group_name="tag", messaging_destination_name="task-events"}`;

/** An alert as Prometheus's `/api/v1/alerts` lists it. */
interface PromAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: "pending" | "firing";
  readonly activeAt: string;
  readonly value: string;
}

/** An alert as Alertmanager's `/api/v2/alerts` lists it. */
interface AmAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly status: { readonly state: string; readonly inhibitedBy: string[]; readonly silencedBy: string[] };
  readonly receivers: { readonly name: string }[];
  readonly startsAt: string;
  readonly endsAt: string;
}

const work = ownedTempDir("todo-alert-e2e-");
let alertmanager: RunningAlertmanager | undefined;
let observed: ObservedSystem | undefined;

beforeAll(async () => {
  const tools = await ensureObservabilityTools();
  alertmanager = await startAlertmanager({ tools, config: localAlertmanagerConfig() });
  const alerts = writeAlertRulesWith(join(work, "alerts.yaml"), {
    [ALERT]: { for: "5s", expr: (e) => e.replace("> 1000", `> ${THRESHOLD}`) },
  });
  observed = await startObservedSystem(tools, {
    label: "alerts",
    rules: [alerts],
    alertmanagerUrl: alertmanager.url,
  });
  await observed.waitForTargetsUp(60_000);
}, 240_000);

afterAll(async () => {
  await observed?.close();
  await alertmanager?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function prometheusAlerts(): Promise<PromAlert[]> {
  const data = await (observed as ObservedSystem).prometheus.api<{ alerts: PromAlert[] }>("/api/v1/alerts");
  return data.alerts.filter((a) => a.labels.alertname === ALERT);
}

async function alertmanagerAlerts(): Promise<AmAlert[]> {
  const res = await fetch(`${(alertmanager as RunningAlertmanager).url}/api/v2/alerts`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`alertmanager /api/v2/alerts: ${res.status} ${await res.text()}`);
  return ((await res.json()) as AmAlert[]).filter((a) => a.labels.alertname === ALERT);
}

const lagNow = async (): Promise<number | undefined> => {
  const [sample] = await (observed as ObservedSystem).prometheus.query(LAG);
  return sample ? Number(sample.value[1]) : undefined;
};

test(`${ALERT}: quiet, then pending, firing and in Alertmanager while the tag consumer is held; resolved after`, async () => {
  const { system } = observed as ObservedSystem;
  const { token } = await system.signUp();
  const tasks = system.client("task", TaskService, token);
  const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

  // Healthy first: the tag group has consumed a task's event, its lag is 0 and the alert quiet.
  await tasks.createTask({ task: { title: "Before the hold", tags: ["e2e"] } });
  await eventually(
    "the tag group's lag on task-events to be 0",
    async () => (await lagNow()) === 0,
    60_000,
    250,
  );
  expect(await prometheusAlerts()).toEqual([]);
  expect(await alertmanagerAlerts()).toEqual([]);

  const hold = await holdTagConsumer(system.databaseUrl);
  const heldAt = performance.now();
  let firing: PromAlert;
  try {
    for (let i = 0; i < HELD_TASKS; i++)
      await tasks.createTask({ task: { title: `Held ${i}`, tags: ["e2e"] } });
    const pending = await eventually(
      `${ALERT} pending`,
      async () => (await prometheusAlerts()).find((a) => a.state === "pending"),
      60_000,
      200,
    );
    console.log(`alert-e2e: pending ${seconds(heldAt)} after the hold (lag ${Number(pending.value)})`);
    firing = await eventually(
      `${ALERT} firing`,
      async () => (await prometheusAlerts()).find((a) => a.state === "firing"),
      60_000,
      200,
    );
    console.log(`alert-e2e: firing ${seconds(heldAt)} after the hold (lag ${Number(firing.value)})`);
    expect(firing.labels).toMatchObject({
      alertname: ALERT,
      severity: "warning",
      job: "todo-tag",
      messaging_system: "kafka",
      messaging_consumer_group_name: "tag",
      messaging_destination_name: "task-events",
    });
    expect(Number(firing.value)).toBeGreaterThan(THRESHOLD);
    expect(firing.annotations.runbook_url).toBe(runbookUrl(ALERT));
    expect(firing.annotations.summary).toBe(
      `Consumer group tag is ${Number(firing.value)} events behind on task-events`,
    );

    const received = await eventually(
      `${ALERT} in Alertmanager`,
      async () => (await alertmanagerAlerts())[0],
      30_000,
      200,
    );
    console.log(`alert-e2e: in Alertmanager ${seconds(heldAt)} after the hold`);
    expect(received.status.state).toBe("active");
    expect(received.labels).toMatchObject({ ...firing.labels });
    // alertmanager.yaml routes severity=warning to the Slack #todo-alerts receiver.
    expect(received.receivers.map((r) => r.name)).toEqual(["todo-alerts"]);
  } finally {
    await hold.release();
  }

  const releasedAt = performance.now();
  await eventually("the tag group's backlog to drain", async () => (await lagNow()) === 0, 90_000, 250);
  await eventually(
    `${ALERT} inactive in Prometheus`,
    async () => (await prometheusAlerts()).length === 0,
    30_000,
    200,
  );
  console.log(`alert-e2e: resolved in Prometheus ${seconds(releasedAt)} after the release`);
  await eventually(
    `${ALERT} resolved in Alertmanager`,
    async () => (await alertmanagerAlerts()).length === 0,
    60_000,
    250,
  );
  console.log(`alert-e2e: resolved in Alertmanager ${seconds(releasedAt)} after the release`);
}, 300_000);
