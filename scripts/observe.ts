/**
 * `bun run observe [services|dapr|embedded]`: a live, observed Todo on this machine
 * (docs/observability.md). Starts Prometheus (scraping every process of the run mode, with the
 * recording and alerting rules, alerting to a local Alertmanager), Jaeger and the OpenTelemetry
 * collector (OTLP in, traces on to Jaeger) on fixed ports, writes the environment the run needs to
 * `.infra/observe.env`, then starts the run mode itself — `start:services` (default), `start:dapr`
 * or `bun start`, their own scripts unchanged — with that environment, and prints where to look.
 * Ctrl-C stops the run and then every server.
 *
 * Why it starts the run itself: the run must get the environment (the collector's endpoint, the
 * ports at the offset) or it sends no traces, and one Ctrl-C then stops everything. `--no-app`
 * starts only the servers and prints the command for a run in another terminal instead.
 *
 * Options: `--offset N` (or `OBSERVE_PORT_OFFSET`; every port, the run mode's too, moves by N — 20
 * for a second copy), `--interval 5s` (scrape and rule evaluation), `--env-file PATH`,
 * `--jaeger-ui DIR` (or `JAEGER_UI_DIR`: a built Jaeger UI to serve; the Go module has none),
 * `--alert-rules FILE` (alerting rules instead of alerts.yaml, such as a `writeAlertRulesWith` copy
 * with shorter `for:`s, to see an alert fire sooner), `--no-app`. Needs the observability tools (`bun run obs:tools`; built on first use otherwise)
 * and, for services and dapr, `DATABASE_URL` and `KAFKA_BROKERS` (or `bun run infra:up`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { formatEnvLines } from "./lib/env-file.ts";
import {
  type ObserveStack,
  portsInUse,
  RUN_MODES,
  type RunMode,
  runModeCommand,
  runModePorts,
  SECOND_COPY_OFFSET,
  startObserveStack,
} from "./lib/observe-stack.ts";
import { stopProcess } from "./lib/proc.ts";

const root = join(import.meta.dir, "..");
const fail = (message: string): never => {
  console.error(`observe: ${message}`);
  process.exit(2);
};

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    offset: { type: "string" },
    interval: { type: "string", default: "5s" },
    "env-file": { type: "string" },
    "jaeger-ui": { type: "string" },
    "alert-rules": { type: "string" },
    "no-app": { type: "boolean", default: false },
  },
});
const mode = (positionals[0] ?? "services") as RunMode;
if (!RUN_MODES.includes(mode) || positionals.length > 1)
  fail(`usage: bun run observe [${RUN_MODES.join("|")}] [--offset N] [--no-app] …`);
const offset = Number(flags.offset ?? process.env.OBSERVE_PORT_OFFSET ?? 0);
if (!Number.isInteger(offset) || offset < 0) fail(`the offset must be a whole number ≥ 0, not ${offset}`);
const envFile =
  flags["env-file"] ?? join(root, ".infra", offset === 0 ? "observe.env" : `observe-${offset}.env`);
const withApp = !flags["no-app"];
const { script, name } = runModeCommand(mode);

if (withApp) {
  const busy = await portsInUse(runModePorts(mode, offset));
  if (busy.length > 0)
    fail(
      `ports ${busy.join(", ")} of the ${mode} run are in use: is one running already? Observe it ` +
        `with --no-app (it gets no traces), stop it, or use --offset ${offset + SECOND_COPY_OFFSET}`,
    );
}

let stack: ObserveStack | undefined;
let app: Subprocess | undefined;
let stopping = false;

/** Stops the run (its own script stops its processes), then the servers; exits with `code`. */
async function shutdown(code: number, signal: NodeJS.Signals = "SIGTERM"): Promise<never> {
  if (stopping) return await new Promise<never>(() => {});
  stopping = true;
  if (app) await stopProcess(app, signal, 20_000);
  await stack?.stop();
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void shutdown(0, signal));

const started = performance.now();
try {
  stack = await startObserveStack({
    mode,
    offset,
    interval: flags.interval,
    jaegerUi: flags["jaeger-ui"] ?? process.env.JAEGER_UI_DIR,
    alertRules: flags["alert-rules"],
    log: (message) => console.error(`observe: ${message}`),
  });
} catch (err) {
  fail(String(err instanceof Error ? err.message : err));
}
const s = stack as ObserveStack;
mkdirSync(dirname(envFile), { recursive: true });
writeFileSync(envFile, formatEnvLines({ ...s.env }));

const runCommand = `set -a; . ${relative(process.cwd(), envFile) || envFile}; set +a; bun run ${name}`;
console.log(
  [
    `Observability for the ${mode} run is up (${((performance.now() - started) / 1000).toFixed(1)} s):`,
    `  Prometheus      ${s.urls.prometheus}   (graph; targets ${s.urls.targets})`,
    `  alerts          ${s.urls.alerts}`,
    `  Alertmanager    ${s.urls.alertmanager}   (routes and inhibitions of alertmanager.yaml; sends nowhere)`,
    `  Jaeger API      ${s.urls.jaegerApi}?service=todo-task`,
    s.urls.jaegerUi
      ? `  Jaeger UI       ${s.urls.jaegerUi}`
      : "  Jaeger UI       none: the Go module has no UI build (--jaeger-ui DIR serves one)",
    `  OTLP in         ${s.urls.otlpHttp} (HTTP), ${s.urls.otlpGrpc} (gRPC): the collector → Jaeger`,
    `  scraping        ${s.targets.map((t) => `${t.job}:${t.port}`).join(" ")}`,
    `  environment     ${envFile}`,
  ].join("\n"),
);

if (!withApp) {
  console.log(`Start the run in another terminal with:\n  ${runCommand}\nCtrl-C here stops the servers.`);
} else {
  const child = Bun.spawn([process.execPath, script], {
    cwd: root,
    env: { ...process.env, ...s.env },
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
  });
  app = child;
  void child.exited.then((code) => {
    if (stopping) return;
    console.error(`observe: ${name} exited with ${code}; stopping the servers`);
    void shutdown(code === 0 ? 1 : code);
  });
  try {
    await s.waitForTargetsUp(15 * 60_000);
    if (!stopping)
      console.log(
        `observe: all ${s.targets.length} scrape targets are up; traffic through the edge shows in ` +
          `Prometheus and Jaeger. Ctrl-C stops everything.`,
      );
  } catch (err) {
    if (!stopping) console.error(`observe: ${(err as Error).message}`);
  }
}
