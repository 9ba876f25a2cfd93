/**
 * The Dapr sidecars dashboard, and the daily-digest panels of the event pipeline (the digest runs
 * only under Dapr, where the cron binding fires), against the system as `bun run start:dapr` runs
 * it: every service beside its own daprd, the Dapr scheduler, PostgreSQL and Kafka
 * (`tests/integration/dapr-system.ts`). A real Prometheus scrapes every sidecar's `/metrics` (job
 * `dapr-sidecars`) and every service's (`todo-<service>`, on the port `METRICS_PORT=0` picked and
 * the service printed) each second; after a short load (reminders as Dapr jobs, events through
 * pub/sub, a recurring task's next instance through service invocation, digests every 2 s) every
 * query must return data, except the panels listed with the reason a healthy system has none.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { type RunningPrometheus, startPrometheus } from "../../scripts/lib/observability-servers.ts";
import { ensureObservabilityTools } from "../../scripts/lib/observability-tools.ts";
import { SERVICES } from "../../scripts/lib/services.ts";
import { type DaprServiceName, DaprTestSystem } from "../../tests/integration/dapr-system.ts";
import { eventually } from "../../tests/integration/system.ts";
import { type DashboardFile, loadDashboards } from "./dashboard-queries.ts";
import { checkLive, type LiveCheckSpec, type NoDataExpected, unknownNoDataKeys } from "./live-check.ts";

const byUid = new Map(loadDashboards().map((d) => [d.dashboard.uid ?? "", d]));
const DIGEST_PANELS = ["Digest runs by outcome", "Digest run duration p95", "Digest users by result"];

/** Panels (or targets) a healthy Dapr system has no data for, and why. */
const NO_DATA_EXPECTED: Record<string, NoDataExpected> = {
  "todo-dapr/Events retried or dropped": { reason: "every event is processed the first time when healthy" },
  "todo-dapr/Component init failures": { reason: "every component initialises when healthy" },
  "todo-dapr/Resiliency policy activations": { reason: "policies activate only after failures" },
  "todo-dapr/Jobs triggered/B": {
    reason: "no job trigger fails when healthy (A, the successes, must have data)",
  },
};

const APPS = SERVICES.map((s) => s.name as DaprServiceName);

/** The `/metrics` URL a service printed at start (`<name>: metrics at http://…/metrics`). */
const metricsUrlOf = (system: DaprTestSystem, name: DaprServiceName) =>
  eventually(
    `${name} to print its metrics URL`,
    () => new RegExp(`${name}: metrics at (http://\\S+/metrics)`).exec(system.logTail(name, 400))?.[1],
    10_000,
  );

describe("live under Dapr: the sidecar dashboard and the digest panels have data", () => {
  const spec: LiveCheckSpec = {
    dashboards: [byUid.get("todo-dapr"), byUid.get("todo-event-pipeline")] as DashboardFile[],
    only: (q) => q.uid === "todo-dapr" || DIGEST_PANELS.includes(q.panelTitle),
    values: { namespace: ".*", app_id: ".*", job: "todo-.+" },
    noDataExpected: NO_DATA_EXPECTED,
  };
  let system: DaprTestSystem | undefined;
  let prometheus: RunningPrometheus | undefined;
  let notifications = 0;

  beforeAll(async () => {
    const tools = await ensureObservabilityTools();
    system = await DaprTestSystem.create({
      label: "dashboards",
      digestSchedule: "@every 2s",
      // Every user is past their digest hour; the services pick free metrics ports and print them.
      env: { METRICS_PORT: "0", METRICS_REFRESH_SECONDS: "1", DIGEST_HOUR: "0" },
    });
    await system.startAll();
    const started = system;
    const sidecars = await Promise.all(
      APPS.map(async (name) => `127.0.0.1:${(await started.portsOf(name)).sidecar.metrics}`),
    );
    const apps = await Promise.all(
      APPS.map(async (name) => ({ name, url: new URL(await metricsUrlOf(started, name)) })),
    );
    prometheus = await startPrometheus({
      tools,
      config: {
        global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
        scrape_configs: [
          { job_name: "dapr-sidecars", static_configs: [{ targets: sidecars }] },
          ...apps.map(({ name, url }) => ({
            job_name: `todo-${name}`,
            static_configs: [{ targets: [url.host] }],
          })),
        ],
      },
    });

    // Prometheus applies its first scrape targets a few seconds after it starts.
    const prom = prometheus;
    await eventually(
      "Prometheus to scrape every sidecar and service",
      async () => (await prom.query("up == 1")).length === APPS.length * 2,
      30_000,
      500,
    );

    // The load: an overdue task (a digest candidate), reminders (Dapr jobs), recurring tasks
    // completed one after the other (each next instance: scheduler → task by service invocation).
    const { token } = await system.signUp();
    const tasks = system.client("task", TaskService, token);
    const inbox = system.client("notification", NotificationService, token);
    const yesterday = new Date(Date.now() - 24 * 3600_000);
    await tasks.createTask({ task: { title: "Renew the passport", dueTime: timestampFromDate(yesterday) } });
    for (let round = 0; round < 3; round++) {
      const fireAt = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000);
      await tasks.createTask({
        task: {
          title: `Reminder ${round}`,
          reminders: [{ trigger: { case: "at", value: timestampFromDate(fireAt) } }],
        },
      });
      const { task } = await tasks.createTask({
        task: {
          title: `Stretch ${round}`,
          dueTime: timestampFromDate(yesterday),
          timeZone: "UTC",
          recurrence: { rrule: "FREQ=DAILY;COUNT=3", anchor: RecurrenceAnchor.SCHEDULE },
        },
      });
      if (!task) throw new Error("CreateTask returned no task");
      await tasks.completeTask({ id: task.id });
      // One invocation at a time, each in its own scrape: wait for the next instance to exist.
      await eventually(
        `the next instance of "${task.title}"`,
        async () =>
          (await tasks.listTasks({})).tasks.some((t) => t.seriesId === task.seriesId && t.id !== task.id),
        30_000,
        250,
      );
      await inbox.listNotifications({});
      await Bun.sleep(1500);
    }
    // Three reminders and one digest in the inbox.
    notifications = await eventually(
      "the reminders and the digest in the inbox",
      async () => {
        const { notifications: n } = await inbox.listNotifications({});
        return n.length >= 4 ? n.length : undefined;
      },
      30_000,
      250,
    );
    await Bun.sleep(4000);
  }, 300_000);

  afterAll(async () => {
    await prometheus?.stop();
    await system?.close();
  }, 60_000);

  test("the list of panels without data names real panels", () => {
    expect(unknownNoDataKeys(spec)).toEqual([]);
  });

  test("every query returns data, except where a healthy system has none", async () => {
    if (!prometheus) throw new Error("the system did not start");
    const up = await prometheus.query("up == 1");
    expect(up.length).toBe(APPS.length * 2);
    const result = await checkLive(prometheus, spec);
    console.log(
      `dashboards live under Dapr: ${result.queries} queries (${notifications} notifications): ` +
        `${result.withData} with data, ${result.emptyAsExpected} empty as expected, ${result.missing.length} missing`,
    );
    expect(result.queries).toBeGreaterThan(25);
    expect(result.missing).toEqual([]);
  }, 60_000);
});
