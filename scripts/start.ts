/**
 * `bun start`: builds the web app when `web/dist` is missing or older than its sources, then starts
 * the whole of Todo in one process (services/embedded/src/main.ts), which serves `web/dist` on PORT.
 * A fresh checkout therefore needs only `bun install && bun start`.
 *
 * The build runs `bun x vite build` in web/ as a child process with its output shown. If it fails,
 * the server still starts (with the previous build, or the placeholder page) and says why.
 * `TODO_SKIP_WEB_BUILD=1` skips the check (e.g. when the app is served from elsewhere).
 *
 * Metrics are served at http://localhost:9464/metrics unless `METRICS_PORT` says otherwise
 * (`METRICS_PORT=` turns them off; docs/metrics.md).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const web = join(root, "web");
const builtIndex = join(web, "dist", "index.html");

/** The newest modification time (ms) under `path` (a file or a directory, recursively). */
export function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Whether web/dist must be (re)built: missing, or older than anything it is built from. */
export function webBuildNeeded(): boolean {
  if (!existsSync(builtIndex)) return true;
  const built = statSync(builtIndex).mtimeMs;
  const sources = [
    join(web, "src"),
    join(web, "index.html"),
    join(web, "vite.config.ts"),
    join(web, "package.json"),
    join(root, "gen", "todo"),
    join(root, "services", "language", "src"),
  ];
  return sources.some((p) => newestMtime(p) > built);
}

async function buildWeb(): Promise<void> {
  console.log("Building the web app (web/dist is missing or older than web/src)…");
  const started = performance.now();
  const child = Bun.spawn([process.execPath, "x", "vite", "build", "--logLevel", "warn"], {
    cwd: web,
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
  });
  const code = await child.exited;
  if (code === 0) {
    console.log(`Web app built in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  } else {
    console.error(
      `The web app build failed (exit ${code}); starting the API anyway with ${
        existsSync(builtIndex) ? "the previous build" : "a placeholder page"
      }. Fix the error above and restart.`,
    );
  }
}

if (process.env.TODO_SKIP_WEB_BUILD !== "1" && webBuildNeeded()) await buildWeb();
// A laptop user can look at the metrics at once; main.ts alone (tests, images) serves none unless asked.
process.env.METRICS_PORT ??= "9464";
await import("@todo/embedded/main");
