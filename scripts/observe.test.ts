/**
 * `bun run observe services` for real: the script starts Prometheus, Alertmanager, Jaeger and the
 * collector on its fixed ports (at an offset whose ports are all free here, so a developer's own
 * copy is left alone), then `start:services` itself, on a fresh database and Kafka namespace
 * (`TestSystem` creates and removes them; the services are observe's). Every process must be
 * scraped (`up == 1` under its job name), a little traffic through the edge must show up as a
 * trace in Jaeger and as Todo metrics in Prometheus, and SIGINT (Ctrl-C) must stop everything.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { Subprocess } from "bun";
import { connectTransport, eventually, TestSystem } from "../tests/integration/system.ts";
import { readEnvFile } from "./lib/env-file.ts";
import type { JaegerTrace, PromSample } from "./lib/observability-servers.ts";
import { ensureObservabilityTools } from "./lib/observability-tools.ts";
import {
  observePorts,
  portsInUse,
  runModePorts,
  SECOND_COPY_OFFSET,
  scrapeTargets,
} from "./lib/observe-stack.ts";
import { ownedTempDir, stopProcess } from "./lib/proc.ts";

const root = join(import.meta.dir, "..");
const work = ownedTempDir("todo-observe-test-");
const envFile = join(work, "observe.env");
const logFile = join(work, "observe.log");
const output = () => readFileSync(logFile, "utf8");

let system: TestSystem | undefined;
let observe: Subprocess | undefined;
let offset = 0;

/** Every port of the stack and of the services run at `offset`. */
const portPlan = (o: number) => [...Object.values(observePorts(o)), ...runModePorts("services", o)];

/** The first multiple of SECOND_COPY_OFFSET from 5× up whose ports are all free now. */
async function freeOffset(): Promise<number> {
  for (let k = 5; k < 40; k++) {
    const o = k * SECOND_COPY_OFFSET;
    if ((await portsInUse(portPlan(o))).length === 0) return o;
  }
  throw new Error("no offset with every observe and start:services port free");
}

const url = (port: number) => `http://127.0.0.1:${port}`;
const ports = () => observePorts(offset);
const edgeUrl = () => url(8080 + offset);

async function promQuery(expr: string): Promise<PromSample[]> {
  const res = await fetch(`${url(ports().prometheus)}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data: { result: PromSample[] } };
  if (body.status !== "success") throw new Error(`${expr}: ${JSON.stringify(body)}`);
  return body.data.result;
}

async function promApi<T>(path: string): Promise<T> {
  const body = (await (await fetch(`${url(ports().prometheus)}${path}`)).json()) as { data: T };
  return body.data;
}

beforeAll(async () => {
  await ensureObservabilityTools();
  system = await TestSystem.create({ label: "observe" });
  offset = await freeOffset();
  const log = openSync(logFile, "w");
  observe = Bun.spawn(
    [
      process.execPath,
      join(root, "scripts", "observe.ts"),
      "services",
      `--offset=${offset}`,
      `--env-file=${envFile}`,
      "--interval=1s",
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: system.databaseUrl,
        KAFKA_BROKERS: system.kafkaBrokers.join(","),
        KAFKA_TOPIC_PREFIX: system.requestedPrefix,
        LOG_LEVEL: "warn",
      },
      stdin: "ignore",
      stdout: log,
      stderr: log,
    },
  );
  closeSync(log);
  const proc = observe;
  await eventually(
    "observe to report every scrape target up",
    () => {
      if (proc.exitCode !== null) throw new Error(`observe exited with ${proc.exitCode}:\n${output()}`);
      return output().includes("scrape targets are up");
    },
    180_000,
    250,
  ).catch((err) => {
    throw new Error(`${(err as Error).message}\n--- observe's output:\n${output().slice(-4000)}`);
  });
}, 300_000);

afterAll(async () => {
  if (observe) await stopProcess(observe, "SIGINT", 30_000);
  await system?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("bun run observe services", () => {
  test("prints where to look and writes the run's environment", async () => {
    const p = ports();
    const text = output();
    expect(text).toContain(`Prometheus      ${url(p.prometheus)}`);
    expect(text).toContain(`alerts          ${url(p.prometheus)}/classic/alerts`);
    // The pages printed are Prometheus's (its classic UI), not a 404.
    for (const page of ["/classic/alerts", "/classic/targets"])
      expect((await fetch(`${url(p.prometheus)}${page}`)).status).toBe(200);
    expect(text).toContain(`Alertmanager    ${url(p.alertmanager)}`);
    expect(text).toContain(`Jaeger API      ${url(p.jaegerQuery)}/api/traces`);
    expect(text).toContain(`OTLP in         ${url(p.collectorOtlpHttp)} (HTTP)`);
    expect(readEnvFile(envFile)).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: url(p.collectorOtlpHttp),
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
      PORT: String(8080 + offset),
      SERVICES_PORT_OFFSET: String(offset),
    });
  });

  test("Prometheus scrapes every process under its job, with the rules, alerting to Alertmanager", async () => {
    const up = await promQuery("up");
    const jobs = Object.fromEntries(up.map((s) => [s.metric.job, s.value[1]]));
    expect(jobs).toEqual({
      "todo-identity": "1",
      "todo-task": "1",
      "todo-tag": "1",
      "todo-scheduler": "1",
      "todo-notification": "1",
      "todo-assistant": "1",
      "todo-edge": "1",
    });
    expect(up.map((s) => s.metric.instance).sort()).toEqual(
      scrapeTargets("services", offset)
        .map((t) => `127.0.0.1:${t.port}`)
        .sort(),
    );
    const rules = await promApi<{ groups: { name: string; rules: { name: string; type: string }[] }[] }>(
      "/api/v1/rules",
    );
    const names = rules.groups.flatMap((g) => g.rules.map((r) => `${r.type}:${r.name}`));
    expect(names).toContain("recording:group_topic:todo_messaging_consumer_lag:sum");
    expect(names).toContain("alerting:TodoConsumerLagHigh");
    expect(names).toContain("alerting:TodoServiceDown");
    const managers = await promApi<{ activeAlertmanagers: { url: string }[] }>("/api/v1/alertmanagers");
    expect(managers.activeAlertmanagers.map((a) => a.url)).toEqual([
      `${url(ports().alertmanager)}/api/v2/alerts`,
    ]);
  });

  test("traffic through the edge: its trace in Jaeger (through the collector), its metrics in Prometheus", async () => {
    const transport = connectTransport(edgeUrl());
    const auth = createClient(AuthService, transport);
    const signedUp = await auth.signUp({
      email: `observe-${crypto.randomUUID()}@example.test`,
      password: "correct horse battery staple",
      displayName: "Observe",
      timeZone: "UTC",
    });
    // The caller starts the trace, as a traced browser or SDK would: its id is known here.
    const traceId = crypto.getRandomValues(new Uint8Array(16)).toHex();
    const traceparent = `00-${traceId}-${crypto.getRandomValues(new Uint8Array(8)).toHex()}-01`;
    const tasks = createClient(TaskService, connectTransport(edgeUrl(), signedUp.accessToken));
    const created = await tasks.createTask(
      { task: { title: "Observed", tags: ["observe"] } },
      { headers: { traceparent } },
    );
    expect(created.task?.title).toBe("Observed");

    const trace = await eventually(
      "the CreateTask trace in Jaeger",
      async () => {
        const res = await fetch(`${url(ports().jaegerQuery)}/api/traces/${traceId}`);
        if (!res.ok) return undefined;
        const found = ((await res.json()) as { data: JaegerTrace[] }).data[0];
        return found?.spans.some((s) => s.operationName === "todo.task.v1.TaskService/CreateTask")
          ? found
          : undefined;
      },
      30_000,
      250,
    );
    const span = trace.spans.find((s) => s.operationName === "todo.task.v1.TaskService/CreateTask");
    expect(span?.traceID).toBe(traceId);
    expect(trace.processes[span?.processID ?? ""]?.serviceName).toBe("todo-task");
    // The collector added the environment (config.yaml's resource processor).
    expect(trace.processes[span?.processID ?? ""]?.tags).toContainEqual(
      expect.objectContaining({ key: "deployment.environment.name", value: "local" }),
    );

    const calls = await eventually(
      "CreateTask counted in Prometheus",
      async () => {
        const found = await promQuery(
          'rpc_server_call_duration_seconds_count{job="todo-task", rpc_method="todo.task.v1.TaskService/CreateTask", rpc_status_code="OK"}',
        );
        return found.length === 1 ? found : undefined;
      },
      30_000,
      250,
    );
    expect(Number(calls[0]?.value[1])).toBe(1);
    const signUps = await promQuery(
      'rpc_server_call_duration_seconds_count{job="todo-identity", rpc_method="todo.identity.v1.AuthService/SignUp"}',
    );
    expect(signUps.map((s) => s.value[1])).toEqual(["1"]);
  }, 60_000);

  test("SIGINT (Ctrl-C) stops the run and every server", async () => {
    const proc = observe as Subprocess;
    const started = performance.now();
    proc.kill("SIGINT");
    const code = await Promise.race([proc.exited, Bun.sleep(40_000).then(() => "still running")]);
    expect(code).toBe(0);
    console.log(`observe stopped ${((performance.now() - started) / 1000).toFixed(1)} s after SIGINT`);
    expect(await portsInUse(portPlan(offset))).toEqual([]);
  }, 60_000);
});
