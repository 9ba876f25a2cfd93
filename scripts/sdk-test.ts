/**
 * `bun run test:sdk`: the Go and Python SDKs' tests against a real `bun start` (on free ports, with
 * a throw-away data directory; tests/e2e/lib/server.ts), after building or finding their tools in
 * the cache (scripts/lib/sdk-tools.ts). What each suite does is in scripts/lib/sdk-test.ts.
 *
 * Progress and the suites' own output go to stderr; stdout gets one line per suite and, last,
 * `<N> passed, <N> failed` (which `bun run test` adds to its own counts). Exits non-zero when
 * anything failed. The server is stopped whatever happens.
 */
import { startTodoServer } from "../tests/e2e/lib/server.ts";
import { runGoSdkTests, runPythonSdkTests, type SdkSuiteResult } from "./lib/sdk-test.ts";
import { ensureSdkTools } from "./lib/sdk-tools.ts";

const tools = await ensureSdkTools((message) => console.error(message));
const server = await startTodoServer();
const results: SdkSuiteResult[] = [];
try {
  console.error(`[sdk] bun start serves ${server.url} (HTTP/1.1) and ${server.grpcUrl} (h2c)`);
  results.push(await runGoSdkTests(server));
  results.push(await runPythonSdkTests(server, tools));
} finally {
  await server.stop();
}

let passed = 0;
let failed = 0;
for (const r of results) {
  const extra = r.unexplained ? 1 : 0;
  passed += r.pass;
  failed += r.fail + extra;
  console.log(`${r.fail + extra ? "FAIL" : "ok  "}  ${r.name}: ${r.pass} pass, ${r.fail} fail`);
  for (const name of r.failed) console.log(`        (fail) ${name}`);
  if (r.unexplained) console.log(`FAIL  ${r.name} failed outside any test: ${r.unexplained}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
