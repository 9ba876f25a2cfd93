/**
 * Refreshes docs/observability.md's screenshots (`bun run screenshots:observability`): starts what
 * `bun run observe` starts (scripts/lib/observe-stack.ts: Prometheus with Todo's rules, Alertmanager,
 * Jaeger, the collector) and the `start:services` run beside it with that environment, on a
 * throw-away database and Kafka namespace; makes real traffic through the edge (a user signs up and
 * creates a task with a reminder two seconds ahead, which fires through the scheduler and the
 * notification service); makes a real alert fire (the tag service's consumer held by locking its
 * table, `observability/prometheus/consumer-hold.ts`, while tasks are created, so its lag grows:
 * `TodoConsumerLagHigh`, loaded with a threshold of 5 events and `for: 5s` instead of 1000 and
 * 5 minutes); and photographs, in headless Debian Chromium, into `docs/screenshots/`:
 *
 * - `observability-prometheus-graph.png`   Prometheus's graph of the tag group's consumer lag
 * - `observability-prometheus-alerts.png`  Prometheus's Alerts page, TodoConsumerLagHigh firing
 * - `observability-alertmanager.png`       Alertmanager's UI with the alert on its route
 * - `observability-trace.png`              the reminder's trace. With `--jaeger-ui DIR` (a built
 *   Jaeger UI: `bun scripts/jaeger-ui.ts <source>` makes one) it is Jaeger's own trace page, as tall
 *   as every span needs; without one (no package on npm ships a built Jaeger UI, and the Go module
 *   has none) it is the trace as Jaeger's query API returns it (`/api/traces/<id>`), drawn as a
 *   timeline by this script and titled so.
 *
 * Options: `--out DIR` (docs/screenshots), `--offset N` (observe's port offset, default 60, so it
 * runs beside a developer's `bun run observe`), `--jaeger-ui DIR` (or `JAEGER_UI_DIR`). Needs
 * `DATABASE_URL`, `KAFKA_BROKERS`, the observability tools and Chromium.
 */
import { mkdirSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Page } from "playwright-core";
import { holdTagConsumer } from "../observability/prometheus/consumer-hold.ts";
import { writeAlertRulesWith } from "../observability/prometheus/rule-files.ts";
import { launchChromium } from "../tests/e2e/lib/chromium.ts";
import {
  createDatabase,
  dropDatabase,
  eventually,
  requireInfrastructure,
} from "../tests/integration/system.ts";
import type { JaegerTrace } from "./lib/observability-servers.ts";
import { type ObserveStack, runModeCommand, startObserveStack } from "./lib/observe-stack.ts";
import { ownedTempDir, stopProcess } from "./lib/proc.ts";
import { DEFAULT_EDGE_PORT } from "./lib/run-ports.ts";
import { renderTraceTimeline } from "./lib/trace-timeline.ts";

const root = join(import.meta.dir, "..");
const { values: flags } = parseArgs({
  options: {
    out: { type: "string", default: join(root, "docs", "screenshots") },
    offset: { type: "string", default: "60" },
    "jaeger-ui": { type: "string" },
  },
});
const outDir = flags.out;
const offset = Number(flags.offset);
const jaegerUi = flags["jaeger-ui"] ?? process.env.JAEGER_UI_DIR;
const log = (msg: string) => process.stderr.write(`[screenshots:observability] ${msg}\n`);
if (!jaegerUi)
  log(
    "no --jaeger-ui DIR (JAEGER_UI_DIR): observability-trace.png will be the query API's answer drawn as a " +
      "timeline, not Jaeger's UI as docs/observability.md shows it (`bun scripts/jaeger-ui.ts <source>` builds one)",
  );

const ALERT = "TodoConsumerLagHigh";
const THRESHOLD = 5;
const HELD_TASKS = 20;
/** The recorded lag the alert reads, as the graph shows it. */
const LAG = "group_topic:todo_messaging_consumer_lag:sum";

/** Connect over HTTP/1.1 to the edge (what a browser uses), carrying `token` when given. */
function edgeClients(baseUrl: string, token?: string) {
  const auth: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [auth] });
  return { auth: createClient(AuthService, transport), tasks: createClient(TaskService, transport) };
}

/** The newest trace in Jaeger that has spans of at least the task, scheduler and notification services. */
async function reminderTrace(stack: ObserveStack): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${stack.jaeger.queryUrl}/api/services`, { signal: AbortSignal.timeout(10_000) });
  const services = ((await res.json()) as { data: string[] | null }).data ?? [];
  const notification = services.find((s) => s.includes("notification"));
  if (!notification) return undefined;
  for (const trace of await stack.jaeger.traces(notification, { limit: 50 })) {
    const names = new Set(Object.values(trace.processes).map((p) => p.serviceName));
    const has = (part: string) => [...names].some((n) => n.includes(part));
    if (has("task") && has("scheduler") && has("notification")) return trace;
  }
  return undefined;
}

async function firingAlert(stack: ObserveStack): Promise<boolean> {
  const data = await stack.prometheus.api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
    "/api/v1/alerts",
  );
  return data.alerts.some((a) => a.labels.alertname === ALERT && a.state === "firing");
}

async function inAlertmanager(stack: ObserveStack): Promise<boolean> {
  const res = await fetch(`${stack.alertmanager.url}/api/v2/alerts`, { signal: AbortSignal.timeout(10_000) });
  return ((await res.json()) as { labels: Record<string, string> }[]).some(
    (a) => a.labels.alertname === ALERT,
  );
}

async function shoot(page: Page, name: string, fullPage = false): Promise<void> {
  const file = join(outDir, name);
  await page.screenshot({ path: file, fullPage });
  log(`wrote ${file}`);
}

const { databaseUrl: adminUrl, kafkaBrokers } = requireInfrastructure();
const dbName = `todo_obs_shots_${Date.now().toString(36)}`;
const work = ownedTempDir("todo-obs-shots-");
mkdirSync(outDir, { recursive: true });
let stack: ObserveStack | undefined;
let app: ReturnType<typeof Bun.spawn> | undefined;
let release: (() => Promise<void>) | undefined;
let dbCreated = false;
try {
  const databaseUrl = await createDatabase(adminUrl, dbName);
  dbCreated = true;
  const alertRules = writeAlertRulesWith(join(work, "alerts.yaml"), {
    [ALERT]: { for: "5s", expr: (e) => e.replace("> 1000", `> ${THRESHOLD}`) },
  });
  stack = await startObserveStack({ mode: "services", offset, interval: "2s", alertRules, jaegerUi, log });
  const s = stack;
  const appLog = join(work, "start-services.log");
  log(`starting start:services (its log: ${appLog})`);
  const fd = openSync(appLog, "a");
  app = Bun.spawn([process.execPath, runModeCommand("services").script], {
    cwd: root,
    env: {
      ...process.env,
      ...s.env,
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: `${dbName}.`,
      // The lag gauge refreshed every second, not every 15 s, so the alert sees it grow at once.
      METRICS_REFRESH_SECONDS: "1",
    },
    stdin: "ignore",
    stdout: fd,
    stderr: fd,
  });
  await s.waitForTargetsUp(180_000);
  log(`all ${s.targets.length} scrape targets up`);

  const edge = `http://127.0.0.1:${DEFAULT_EDGE_PORT + offset}`;
  const signUp = await edgeClients(edge).auth.signUp({
    email: `observe-${Date.now().toString(36)}@example.test`,
    password: "correct horse battery staple",
    displayName: "Observer",
    timeZone: "UTC",
  });
  const { tasks } = edgeClients(edge, signUp.accessToken);
  const at = timestampFromDate(new Date(Date.now() + 2000));
  await tasks.createTask({
    task: create(TaskSchema, {
      title: "Call the dentist",
      tags: ["health"],
      timeZone: "UTC",
      reminders: [{ trigger: { case: "at", value: at } }],
    }),
  });
  await tasks.listTasks({ pageSize: 20 });
  const trace = await eventually("the reminder's trace in Jaeger", () => reminderTrace(s), 90_000, 1000);
  log(`trace ${trace.traceID}: ${trace.spans.length} spans`);

  // A real stuck consumer: the tag service's handler blocks on its locked table while events arrive.
  const hold = await holdTagConsumer(databaseUrl);
  release = () => hold.release();
  for (let i = 0; i < HELD_TASKS; i++)
    await tasks.createTask({ task: create(TaskSchema, { title: `Held ${i}`, tags: ["held"] }) });
  await eventually(`${ALERT} firing in Prometheus`, () => firingAlert(s), 120_000, 1000);
  await eventually(`${ALERT} in Alertmanager`, () => inAlertmanager(s), 60_000, 1000);
  log(`${ALERT} is firing and in Alertmanager`);

  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
    const page = await context.newPage();
    await page.goto(
      `${s.urls.prometheus}/classic/graph?g0.expr=${encodeURIComponent(LAG)}&g0.tab=0&g0.range_input=1m`,
    );
    await page.waitForSelector(".graph-chart svg, .rickshaw_graph svg", { timeout: 30_000 });
    await page.waitForTimeout(1000);
    await shoot(page, "observability-prometheus-graph.png");

    await page.goto(s.urls.alerts);
    await page.getByText(ALERT, { exact: false }).first().click();
    await page.waitForTimeout(500);
    await shoot(page, "observability-prometheus-alerts.png");

    await page.goto(`${s.urls.alertmanager}/#/alerts`);
    await page.getByText(ALERT, { exact: false }).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await shoot(page, "observability-alertmanager.png");

    if (s.urls.jaegerUi) {
      await page.goto(`${s.jaeger.queryUrl}/trace/${trace.traceID}`);
      await page.getByText("Total Spans").waitFor({ timeout: 30_000 });
      // The page scrolls the window and renders only the rows in view: a viewport as tall as the
      // page shows every span, down to the notification service's at the end.
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width: 1280, height: Math.min(height, 4000) });
      await page.locator(".span-svc-name", { hasText: "notification" }).first().waitFor({ timeout: 30_000 });
      // The service-and-operation column dragged from a quarter of the width to 40%, as a person
      // would, so the nested spans' names are not cut off.
      const grip = await page.locator(".TimelineHeaderRow .VerticalResizer--dragger").boundingBox();
      if (!grip) throw new Error("Jaeger's trace page has no column resizer (.VerticalResizer--dragger)");
      const y = grip.y + grip.height / 2;
      await page.mouse.move(grip.x + grip.width / 2, y);
      await page.mouse.down();
      await page.mouse.move(1280 * 0.4, y, { steps: 10 });
      await page.mouse.up();
      await page.waitForTimeout(500);
    } else {
      const full = await s.jaeger.trace(trace.traceID);
      await page.setContent(
        renderTraceTimeline(full ?? trace, `${s.jaeger.queryUrl}/api/traces/${trace.traceID}`),
      );
    }
    await shoot(page, "observability-trace.png", !s.urls.jaegerUi);
  } finally {
    await browser.close();
  }
} finally {
  await release?.().catch(() => {});
  if (app) await stopProcess(app, "SIGTERM", 20_000);
  await stack?.stop();
  if (dbCreated) await dropDatabase(adminUrl, dbName).catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
