/**
 * The system under test: `bun start` (the whole of Todo in one process, on its embedded PGlite
 * database) as a subprocess on free ports with a throw-away data directory, after building the web
 * app when `web/dist` is missing or older than its sources.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root. */
export const repoRoot: string = resolve(import.meta.dir, "..", "..", "..");
const webDir = join(repoRoot, "web");
const webDist = join(webDir, "dist");

/** A running `bun start`. */
export interface TodoServer {
  /** The HTTP/1.1 origin: web app, Connect and gRPC-web (`http://127.0.0.1:<PORT>`). */
  readonly url: string;
  /** The h2c origin (gRPC). */
  readonly grpcUrl: string;
  /** The server's `TODO_DATA_DIR` (removed on stop). */
  readonly dataDir: string;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its data directory. */
  stop(): Promise<void>;
}

/** Options of {@link startTodoServer}. */
export interface StartOptions {
  /** Extra environment for the server (for example `DATABASE_URL` to use PostgreSQL). */
  readonly env?: Record<string, string>;
  /** How long to wait for the server to answer, in ms (default 90 000: PGlite's first open is slow). */
  readonly readyTimeoutMs?: number;
}

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released for the server to take). */
export async function freePort(): Promise<number> {
  return await new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => (port ? ok(port) : fail(new Error("no port"))));
    });
  });
}

/** The newest modification time (ms) of the files under `path` (a file or a folder), 0 if absent. */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist") continue;
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

/** Whether `web/dist` is missing or older than anything it is built from. */
export function webBuildIsStale(): boolean {
  const built = join(webDist, "index.html");
  if (!existsSync(built)) return true;
  const sources = [
    join(webDir, "src"),
    join(webDir, "index.html"),
    join(webDir, "vite.config.ts"),
    join(webDir, "package.json"),
    join(webDir, "public"),
    join(repoRoot, "services", "language", "src"),
    join(repoRoot, "gen"),
  ];
  const newestSource = Math.max(...sources.map(newestMtime));
  return newestSource > statSync(built).mtimeMs;
}

/**
 * Builds the web app (`bun x vite build` in web/) unless `web/dist` is up to date, or always when
 * `force` is set. Throws with the build's output when it fails.
 */
export function ensureWebBuilt(force = false): void {
  if (!force && !webBuildIsStale()) return;
  const started = performance.now();
  const result = spawnSync(process.execPath, ["x", "vite", "build"], {
    cwd: webDir,
    stdio: ["ignore", "pipe", "pipe"],
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  if (result.status !== 0) {
    throw new Error(
      `web build failed (exit ${result.status}):\n${`${result.stdout}\n${result.stderr}`.slice(-4000)}`,
    );
  }
  process.stderr.write(`[e2e] built web/dist in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for the child to exit, up to `ms`; true when it did. */
async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return await Promise.race([
    new Promise<boolean>((ok) => child.once("exit", () => ok(true))),
    sleep(ms).then(() => false),
  ]);
}

/**
 * Starts `bun start` on free ports with a fresh `TODO_DATA_DIR` and waits until the web app is
 * served. The embedded database is used (an inherited `DATABASE_URL` is dropped) unless
 * `options.env` sets one, so a run never touches a shared database. Builds the web app first if
 * needed. The server runs in its own process group so that stop() ends every process it started.
 */
export async function startTodoServer(options: StartOptions = {}): Promise<TodoServer> {
  ensureWebBuilt();
  const [port, grpcPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), "todo-e2e-"));
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.DATABASE_URL;
  delete env.FORCE_COLOR;
  Object.assign(env, {
    HOST: "127.0.0.1",
    PORT: String(port),
    GRPC_PORT: String(grpcPort),
    TODO_DATA_DIR: dataDir,
    // `bun start` serves metrics on 9464 by default; any free port here, so servers can run side by side.
    METRICS_PORT: "0",
    WEB_DIST: webDist,
    // Built above, where a failed build fails the run instead of serving a stale app.
    TODO_SKIP_WEB_BUILD: "1",
    NO_COLOR: "1",
    ...options.env,
  });
  const child = spawn(process.execPath, ["run", "--silent", "start"], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-200_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  // A server that dies under a test would take its reason with it: print what it wrote last.
  child.on("exit", (code, signal) => {
    if (stopped) return;
    process.stderr.write(
      `[e2e] bun start on ${url} exited (${code ?? signal}) while tests used it; its last output:\n` +
        `${output.slice(-20_000)}\n`,
    );
  });
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    signal("SIGTERM");
    if (!(await waitExit(child, 10_000))) {
      signal("SIGKILL");
      await waitExit(child, 5_000);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = performance.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`bun start exited (${child.exitCode ?? child.signalCode}) before serving:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        await res.arrayBuffer();
        break;
      }
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`bun start did not serve ${url} in time:\n${output}`);
    }
    await sleep(200);
  }
  return { url, grpcUrl: `http://127.0.0.1:${grpcPort}`, dataDir, output: () => output, stop };
}
