/**
 * `bun scripts/smoke.ts <base-url>` (or `SMOKE_URL=<base-url>`, or `bun run smoke -- <base-url>`):
 * the deployment smoke test (scripts/lib/smoke.ts) against any running Todo's public origin —
 * `http://127.0.0.1:8080` for `bun start`, `https://todo.example.com` for a Kubernetes release.
 * Prints one line per step on stdout; exits 0 when all passed, 1 naming the step that failed, 2 for
 * a usage error. CD runs it after each `helm upgrade` (docs/delivery.md).
 */
import { parseSmokeArgs, runSmoke, SMOKE_USAGE, type SmokeCommand } from "./lib/smoke.ts";

let command: SmokeCommand;
try {
  command = parseSmokeArgs(process.argv.slice(2), process.env);
} catch (err) {
  console.error(`smoke: ${(err as Error).message}\n\n${SMOKE_USAGE}`);
  process.exit(2);
}
if (command.help) {
  console.log(SMOKE_USAGE);
  process.exit(0);
}

const { options } = command;
const encoding = options.binary ? "binary" : "JSON";
console.log(
  `smoke: ${options.baseUrl} (Connect ${encoding} over HTTP/1.1, ${(options.timeoutMs ?? 10_000) / 1000} s per call, ${options.retries} health retries)`,
);
const report = await runSmoke({ ...options, log: (line) => console.log(line) });
if (report.ok) {
  console.log(`smoke: passed, ${report.steps.length} steps in ${(report.ms / 1000).toFixed(1)} s`);
  process.exit(0);
}
const failed = report.failed;
console.log(
  failed
    ? `smoke: FAILED at step "${failed.step}": ${failed.detail}`
    : `smoke: FAILED: only ${report.steps.length} steps ran`,
);
process.exit(1);
