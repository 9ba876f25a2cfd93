/**
 * The API benchmark's `metrics` phase (bench/metrics-overhead.ts measures and reports it): rounds of
 * two fresh servers on fresh databases, metrics off and on (`METRICS_PORT=0`, `/metrics` served and
 * scraped), each loaded with CreateTask by clients of its own. Runs after the other phases.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { percentile } from "../lib/stats";
import { createFreshDatabase } from "../lib/system";
import { measureMetricsOverhead, type OverheadRound } from "../metrics-overhead";
import { cpuProbe } from "./cpu";
import { measure } from "./measure";
import type { ApiRun } from "./options";
import { clientsFor, createTaskOp, type Server, signUpUsers, startServer } from "./server";

/** Runs the rounds; each server's CreateTask calls must all succeed. */
export async function metricsPhase(run: ApiRun): Promise<OverheadRound[]> {
  const { options, log } = run;
  return measureMetricsOverhead({
    rounds: options.metricsRounds,
    scrapeIntervalMs: options.scrapeIntervalS * 1000,
    log,
    async start(metrics) {
      const runDb = await createFreshDatabase(options.databaseUrl, "todo_bench");
      const runDir = mkdtempSync(join(os.tmpdir(), "todo-bench-metrics-"));
      const clients = clientsFor(options);
      let runServer: Server | undefined;
      const stop = async () => {
        clients.close();
        if (runServer) await runServer.stop();
        rmSync(runDir, { recursive: true, force: true });
        await runDb.drop();
      };
      try {
        runServer = await startServer(
          log,
          runDb.url,
          runDir,
          undefined,
          metrics ? { METRICS_PORT: "0" } : {},
        );
        const started = runServer;
        const users = await signUpUsers(clients, started.grpcUrl, options.concurrency);
        await Promise.all(users.map((u) => u.tasks.listTasks({ pageSize: 1 })));
        return {
          metricsUrl: started.metricsUrl,
          async measure() {
            const r = await measure(
              run,
              `CreateTask, metrics ${metrics ? "on" : "off"}`,
              options.concurrency,
              createTaskOp(users, 2),
              cpuProbe(started.pid, runDb.name),
            );
            if (r.errors > 0)
              throw new Error(`${r.errors} CreateTask calls failed, the first: ${r.firstError}`);
            return {
              calls: r.calls,
              seconds: r.seconds,
              p50: percentile(r.latenciesMs, 50),
              p99: percentile(r.latenciesMs, 99),
              serverCpu: r.cpu?.server,
            };
          },
          stop,
        };
      } catch (err) {
        await stop();
        throw err;
      }
    },
  });
}
