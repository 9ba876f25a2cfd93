/**
 * The edge as a process. `EDGE_ROUTES` maps services to their HTTP/1.1 URLs, e.g.
 * `todo.task.v1.TaskService=http://127.0.0.1:8102,todo.tag.v1.TagService=http://127.0.0.1:8103`;
 * `PORT` (8080) and `HOST` say where it listens; `WEB_DIST` is the built web app; `METRICS_PORT`
 * serves its process metrics (docs/metrics.md).
 */
import { join } from "node:path";
import { createLogger, envInt, envString, startTelemetry } from "@todo/platform";
import { createWebHandler } from "@todo/platform/serving";
import { startEdge } from "./edge";

const log = createLogger("edge");
const telemetry = await startTelemetry("edge");
const routes: Record<string, string> = {};
for (const pair of envString("EDGE_ROUTES", "").split(",").filter(Boolean)) {
  const [service, url] = pair.split("=");
  if (!service || !url) throw new Error(`EDGE_ROUTES: "${pair}" is not service=url`);
  routes[service.trim()] = url.trim();
}
const edge = await startEdge({
  host: envString("HOST", "127.0.0.1"),
  port: envInt("PORT", 8080, 0, 65535),
  routes,
  fallback: createWebHandler(envString("WEB_DIST", join(import.meta.dir, "..", "..", "..", "web", "dist"))),
});
console.log(`edge: http://127.0.0.1:${edge.port} → ${Object.keys(routes).length} services`);
if (telemetry.metrics?.url) console.log(`edge: metrics at ${telemetry.metrics.url}`);
log.info("listening", { port: edge.port, routes });
const stop = async () => {
  await edge.close();
  await telemetry.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
