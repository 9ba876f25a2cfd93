/**
 * `bun run obs:tools`: fetches (or finds in the cache) Prometheus and promtool (Debian's package),
 * and builds Alertmanager and amtool, Jaeger and the OpenTelemetry collector from the Go module
 * proxy (scripts/lib/observability-tools.ts), and prints one `NAME=/path` line each on stdout
 * (progress goes to stderr). The tests do this themselves; `scripts/test.ts` and `.ci/run` call it
 * first so that a build is timed on its own.
 */
import { ensureObservabilityTools } from "./lib/observability-tools.ts";

const tools = await ensureObservabilityTools((message) => console.error(message));
console.log(
  [
    `PROMETHEUS=${tools.prometheus}`,
    `PROMTOOL=${tools.promtool}`,
    `ALERTMANAGER=${tools.alertmanager}`,
    `AMTOOL=${tools.amtool}`,
    `JAEGER=${tools.jaeger}`,
    `OTELCOL=${tools.otelcol}`,
    `OBS_TOOLS_DIR=${tools.dir}`,
  ].join("\n"),
);
