/**
 * Runs the python-dateutil oracle (expand.py beside this file) for the recurrence tests. The first
 * run installs python-dateutil and tzdata from PyPI into a virtual environment under the user's
 * cache directory (`$XDG_CACHE_HOME` or `~/.cache`, then `todo/recurrence-oracle/`); later runs
 * reuse it. Where `python3 -m venv` is unavailable (Debian without python3-venv) the packages go to
 * a plain directory with `pip install --target` instead. Any failure throws an Error that says
 * what to install or fix; nothing is skipped.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The pinned oracle packages; changing them makes a fresh environment. */
const PACKAGES = ["python-dateutil==2.9.0.post0", "tzdata==2026.6"];
const KEY = "dateutil-2.9.0.post0-tzdata-2026.6";
const SCRIPT = join(import.meta.dir, "expand.py");

/** One oracle question: the series starting at `start` (UTC instant, whole seconds) in `timeZone`. */
export interface OracleCase {
  readonly rule: string;
  readonly start: string;
  readonly timeZone: string;
  /** The most occurrences wanted. */
  readonly count: number;
}

/** A ready oracle: a python command and the environment that finds the pinned packages. */
export interface Oracle {
  readonly python: string;
  readonly env: Record<string, string | undefined>;
}

function run(cmd: string[], env: Record<string, string | undefined> = process.env) {
  const out = Bun.spawnSync(cmd, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return { ok: out.exitCode === 0, output: `${out.stdout.toString()}${out.stderr.toString()}`.trim() };
}

/**
 * Returns a working oracle, installing its packages on first use (needs network access to PyPI
 * once). `PYTHONTZPATH` is emptied so `zoneinfo` reads the pinned tzdata package, not the host's.
 */
export function ensureOracle(): Oracle {
  const python = Bun.which("python3");
  if (!python) throw new Error("the recurrence oracle needs python3 (3.9 or newer) on PATH");
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "todo", "recurrence-oracle");
  const check = ["-c", "import dateutil.rrule, zoneinfo, tzdata"];
  const baseEnv = { ...process.env, PYTHONTZPATH: "", PYTHONDONTWRITEBYTECODE: "1" };

  const venv = join(cache, `venv-${KEY}`);
  const venvPython = join(venv, "bin", "python");
  if (existsSync(venvPython) && run([venvPython, ...check], baseEnv).ok)
    return { python: venvPython, env: baseEnv };
  const site = join(cache, `site-${KEY}`);
  const siteEnv = { ...baseEnv, PYTHONPATH: site };
  if (existsSync(site) && run([python, ...check], siteEnv).ok) return { python, env: siteEnv };

  mkdirSync(cache, { recursive: true });
  const problems: string[] = [];
  // Built beside the final place and renamed, so a concurrent run never sees a half-made one.
  const temp = `${venv}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  const made = run([python, "-m", "venv", temp]);
  if (made.ok) {
    const pip = run([
      join(temp, "bin", "python"),
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "--no-input",
      "-q",
      ...PACKAGES,
    ]);
    if (pip.ok) {
      if (!existsSync(venv)) renameSync(temp, venv);
      rmSync(temp, { recursive: true, force: true });
      if (run([venvPython, ...check], baseEnv).ok) return { python: venvPython, env: baseEnv };
      problems.push(`the new virtual environment ${venv} cannot import the packages`);
    } else {
      problems.push(`pip install in a virtual environment failed:\n${pip.output}`);
    }
  } else {
    problems.push(`python3 -m venv failed (on Debian: apt-get install python3-venv):\n${made.output}`);
  }
  rmSync(temp, { recursive: true, force: true });

  const siteTemp = `${site}.tmp-${process.pid}`;
  const pip = run([
    python,
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--no-input",
    "-q",
    "--target",
    siteTemp,
    ...PACKAGES,
  ]);
  if (pip.ok) {
    if (!existsSync(site)) renameSync(siteTemp, site);
    rmSync(siteTemp, { recursive: true, force: true });
    if (run([python, ...check], siteEnv).ok) return { python, env: siteEnv };
    problems.push(`${site} does not provide the packages`);
  } else {
    problems.push(`pip install --target failed (on Debian: apt-get install python3-pip):\n${pip.output}`);
  }
  rmSync(siteTemp, { recursive: true, force: true });
  throw new Error(
    `could not install the recurrence oracle (${PACKAGES.join(", ")}) from PyPI:\n${problems.join("\n")}`,
  );
}

/** Each case's occurrences according to python-dateutil, as ISO UTC instants (`…T08:00:00Z`). */
export function runOracle(oracle: Oracle, cases: readonly OracleCase[]): string[][] {
  const out = Bun.spawnSync([oracle.python, SCRIPT], {
    env: oracle.env,
    stdin: new TextEncoder().encode(JSON.stringify(cases)),
    stdout: "pipe",
    stderr: "pipe",
  });
  if (out.exitCode !== 0)
    throw new Error(`the oracle failed (exit ${out.exitCode}):\n${out.stderr.toString()}`);
  return JSON.parse(out.stdout.toString()) as string[][];
}
