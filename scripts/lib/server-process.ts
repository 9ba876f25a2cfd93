/**
 * One server process for a test or a developer: started from a binary with its log in its own
 * directory, polled until it is ready, and stopped again. A start throws, with the tail of the
 * log, when the binary is missing (a loud failure, never a skip), the process exits, or it is not
 * ready in time; nothing is left running then, and the directory is deleted. `stop()` sends
 * SIGTERM (SIGKILL after 10 s), deletes the directory, and is safe to call twice; the child is also
 * killed when this process exits.
 */
import { closeSync, existsSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { stopProcess, tailFile } from "./proc.ts";
import type { Log } from "./tool-cache.ts";

/** What `launchServer` starts: `binary ...args(dir)`, in `dir`. */
export interface LaunchSpec {
  /** The server's name in messages, and its log file's (`<dir>/<name>.log`). */
  readonly name: string;
  readonly binary: string;
  /** How to get the binary when it is missing, for the error (e.g. `bun run obs:tools builds it`). */
  readonly missingHint?: string;
  readonly args: (dir: string) => string[];
  /** Variables added to this process's environment for the server. */
  readonly env?: Readonly<Record<string, string>>;
  /** The server's own directory (made by the caller, its configuration in it); `stop()` deletes it. */
  readonly dir: string;
  /** `true` once the server serves, else why not yet (a thrown error counts as "not yet"). */
  readonly ready: () => Promise<true | string>;
  /** How long to wait until `ready()` answers `true` (default 60 s). */
  readonly readyTimeoutMs?: number;
  readonly log?: Log;
}

/** A server that answered `ready()`. */
export interface LaunchedServer {
  readonly child: Subprocess;
  readonly logFile: string;
  /** Milliseconds from the spawn until `ready()` answered `true`. */
  readonly readyMs: number;
  stop(): Promise<void>;
}

/** Starts the server and polls `ready()` every 100 ms; throws as the module says. */
export async function launchServer(spec: LaunchSpec): Promise<LaunchedServer> {
  const { name, dir } = spec;
  const log = spec.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  if (!existsSync(spec.binary)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${name}: ${spec.binary} is missing${spec.missingHint ? ` (${spec.missingHint})` : ""}`);
  }
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, "a");
  const started = performance.now();
  const child = Bun.spawn([spec.binary, ...spec.args(dir)], {
    cwd: dir,
    env: { ...process.env, ...spec.env },
    stdin: "ignore",
    stdout: fd,
    stderr: fd,
  });
  closeSync(fd);
  const kill = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  process.on("exit", kill);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcess(child, "SIGTERM", 10_000);
    process.off("exit", kill);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
  let last = "no answer yet";
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const why = `${name} exited (${child.exitCode ?? child.signalCode}) while starting\n${tailFile(logFile)}`;
      await stop();
      throw new Error(why);
    }
    try {
      const answer = await spec.ready();
      if (answer === true) break;
      last = answer;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      const why = `${name} not ready after ${spec.readyTimeoutMs ?? 60_000} ms: ${last}\n${tailFile(logFile)}`;
      await stop();
      throw new Error(why);
    }
    await Bun.sleep(100);
  }
  const readyMs = Math.round(performance.now() - started);
  log(`${name}: ready in ${readyMs} ms (${dir})`);
  return { child, logFile, readyMs, stop };
}

/** `true` when `url` answers 2xx, else the status and the start of the body. */
export async function httpReady(url: string, init?: RequestInit): Promise<true | string> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
  const body = await res.text();
  return res.ok ? true : `${url}: ${res.status} ${body.slice(0, 200)}`;
}
