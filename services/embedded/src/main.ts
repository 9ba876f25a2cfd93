/**
 * `bun start`: the whole of Todo in one process, on the embedded database unless `DATABASE_URL` is
 * set. Prints both URLs and shuts down cleanly on SIGINT/SIGTERM.
 */
import { createLogger, startTelemetry } from "@todo/platform";
import { startApp } from "./app";
import { loadAppConfig } from "./config";

const log = createLogger("todo");
const config = loadAppConfig();
const telemetry = await startTelemetry("todo");
const app = await startApp(config);
const shown = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
console.log(`Todo is running (${app.databaseKind === "pglite" ? `embedded database in ${config.dataDir}` : "PostgreSQL"})
  web app, Connect, gRPC-web (HTTP/1.1): http://${shown}:${app.server.httpPort}
  gRPC, Connect (h2c):                   http://${shown}:${app.server.grpcPort}${
    telemetry.metrics?.url ? `\n  metrics (Prometheus):                  ${telemetry.metrics.url}` : ""
  }
Press Ctrl+C to stop.`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info("shutting down", { signal });
  const force = setTimeout(() => {
    log.error("shutdown took too long; exiting");
    process.exit(1);
  }, 10_000);
  try {
    await app.close();
    await telemetry.stop();
  } finally {
    clearTimeout(force);
  }
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
