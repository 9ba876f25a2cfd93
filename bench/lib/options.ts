/**
 * Option parsing shared by the benchmarks: every option is a flag or an environment variable, and a
 * bad value stops the run with the variable's name, so a typo never measures the wrong thing.
 */
import { readFileSync } from "node:fs";

/**
 * The number given by `flag`, else by the environment variable `env`, else `fallback`; throws,
 * naming `env`, when it is not a finite number in [`min`, `max`].
 */
export function numberOption(
  flag: string | undefined,
  env: string,
  fallback: number,
  min: number,
  max = 1e9,
): number {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`${env} must be a number from ${min} to ${max} (got ${raw})`);
  }
  return n;
}

/** {@link numberOption}, also requiring an integer. */
export function intOption(
  flag: string | undefined,
  env: string,
  fallback: number,
  min: number,
  max = 1e9,
): number {
  const n = numberOption(flag, env, fallback, min, max);
  if (!Number.isInteger(n)) throw new Error(`${env} must be an integer (got ${n})`);
  return n;
}

/**
 * `--help`: prints the first TSDoc block of the benchmark's entry file (`path`, its
 * `import.meta.path`), which documents its phases and options, and exits 0.
 */
export function printHelpAndExit(path: string): never {
  const source = readFileSync(path, "utf8");
  console.log(/\/\*\*([\s\S]*?)\*\//.exec(source)?.[1]?.replace(/^ \* ?/gm, "") ?? "");
  process.exit(0);
}
