/**
 * Child-process helpers for the dev scripts. Every child gets a closed stdin, so no script can
 * ever stop and wait for a keyboard (CI runs with no stdin at all).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/** Output and exit code of a finished child process. */
export interface Captured {
  /** Exit code; 127 when the program could not be started at all. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where and with which environment a child runs. */
export interface ProcOptions {
  /** Working directory (default: the current one). */
  readonly cwd?: string;
  /** Full environment for the child (default: this process's environment). */
  readonly env?: Record<string, string | undefined>;
}

/**
 * Runs `cmd` to completion with stdin closed and captures both outputs. Never throws for a
 * non-zero exit or a missing program (that is code 127), so callers decide what a failure means.
 */
export async function capture(cmd: readonly string[], opts: ProcOptions = {}): Promise<Captured> {
  try {
    const child = Bun.spawn([...cmd], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    return { code, stdout, stderr };
  } catch (error) {
    return { code: 127, stdout: "", stderr: `cannot run ${cmd[0]}: ${(error as Error).message}\n` };
  }
}

/**
 * Runs `cmd` with stdin closed and both of its outputs written to this process's stderr, so
 * progress shows live without ever reaching stdout (which scripts reserve for results).
 * Returns the exit code (127 when the program could not be started).
 */
export async function runToStderr(cmd: readonly string[], opts: ProcOptions = {}): Promise<number> {
  try {
    const child = Bun.spawn([...cmd], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdin: "ignore",
      stdout: 2,
      stderr: 2,
    });
    return await child.exited;
  } catch (error) {
    process.stderr.write(`cannot run ${cmd[0]}: ${(error as Error).message}\n`);
    return 127;
  }
}

/**
 * Stops a child: `signal`, then SIGKILL when it has not exited after `graceMs`. Returns once it
 * has exited; a child that already exited is left alone.
 */
export async function stopProcess(child: Subprocess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(graceMs).then(() => false)]);
  if (!exited) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

/** The last `lines` lines of a log file, or `(no log)` when it does not exist (for error messages). */
export function tailFile(file: string, lines = 25): string {
  return existsSync(file)
    ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
    : "(no log)";
}

/**
 * A new directory `<base>/<prefix>XXXXXX` owned by this process (its pid in `owner.pid`), for a
 * server's data and logs. First deletes the `<prefix>*` directories whose owner died without
 * cleaning up (a killed test run), so they never pile up in `/tmp` or `/dev/shm`.
 */
export function ownedTempDir(prefix: string, base: string = tmpdir()): string {
  for (const name of readdirSync(base)) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(base, name);
    const pidFile = join(dir, "owner.pid");
    const owner = Number.parseInt(existsSync(pidFile) ? readFileSync(pidFile, "utf8") : "", 10);
    if (Number.isInteger(owner) && !existsSync(`/proc/${owner}`))
      rmSync(dir, { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(base, prefix));
  writeFileSync(join(dir, "owner.pid"), `${process.pid}\n`);
  return dir;
}
