/**
 * The `KEY=VALUE` file (`.infra/env`) through which `scripts/infra.ts` tells other scripts and
 * shells where the running infrastructure is. One variable per line, no quoting, so it can be
 * read by `set -a; . .infra/env`, by `bun --env-file`, or by {@link parseEnvLines}.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Parses `KEY=VALUE` lines (as printed by `infra.ts up` or stored in the env file). Blank lines,
 * `#` comments and anything that is not an assignment are ignored; a later key wins.
 */
export function parseEnvLines(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined && match[2] !== undefined) vars[match[1]] = match[2];
  }
  return vars;
}

/** Formats variables as `KEY=VALUE` lines, in the given order, each ending in a newline. */
export function formatEnvLines(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([key, value]) => `${key}=${value}\n`)
    .join("");
}

/** Reads the env file; a missing file is an empty set of variables. */
export function readEnvFile(path: string): Record<string, string> {
  return existsSync(path) ? parseEnvLines(readFileSync(path, "utf8")) : {};
}

/**
 * Sets `set` and removes `remove` in the env file, keeping every other line's variable, so
 * components can be brought up and down independently. Deletes the file when it ends up empty.
 */
export function updateEnvFile(
  path: string,
  set: Record<string, string>,
  remove: readonly string[] = [],
): void {
  const vars = readEnvFile(path);
  for (const key of remove) delete vars[key];
  Object.assign(vars, set);
  if (Object.keys(vars).length === 0) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatEnvLines(vars));
}
