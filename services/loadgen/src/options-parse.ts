/**
 * Option parsing shared by the load generator and the benchmarks (`bench/lib/options.ts` re-exports
 * it): every option is a flag or an environment variable, and a bad value stops the run with the
 * variable's name, so a typo never measures the wrong thing.
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

/**
 * The number given by `flag` or `env` (see {@link numberOption}), or `undefined` when neither is set:
 * for options whose absence means "decide from the run" rather than a fixed default.
 */
export function optionalNumber(
  flag: string | undefined,
  env: string,
  min: number,
  max = 1e9,
  integer = false,
): number | undefined {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === "") return undefined;
  return integer ? intOption(raw, env, 0, min, max) : numberOption(raw, env, 0, min, max);
}

/** A fraction in (0, 1] from `flag`, else `env`, else `fallback`; throws, naming `env`, otherwise. */
export function fractionOption(flag: string | undefined, env: string, fallback: number): number {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!(n > 0 && n <= 1)) throw new Error(`${env} must be a number in (0, 1] (got ${raw})`);
  return n;
}

/** One of `allowed` from `flag`, else `env`, else the first of `allowed`; throws, naming `env`, otherwise. */
export function choiceOption<T extends string>(
  flag: string | undefined,
  env: string,
  allowed: readonly T[],
): T {
  const raw = flag ?? process.env[env] ?? allowed[0];
  if (!(allowed as readonly string[]).includes(raw as string)) {
    throw new Error(`${env} must be one of ${allowed.join(", ")} (got ${raw})`);
  }
  return raw as T;
}

/**
 * The phases named in the comma-separated `raw` (blank entries ignored), all of `known` when `raw`
 * is unset or empty; throws, listing the known ones, for a name that is not one of them.
 */
export function phasesOption<T extends string>(raw: string | undefined, known: readonly T[]): ReadonlySet<T> {
  const names = (raw ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (names.length === 0) return new Set(known);
  const unknown = names.filter((n) => !(known as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown phases ${unknown.join(", ")}; known: ${known.join(", ")}`);
  return new Set(names as T[]);
}
