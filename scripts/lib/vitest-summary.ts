/**
 * Reading what a `vitest run` found, for the test runner's closing line. The JSON report
 * (`--reporter=json --outputFile.json=…`) is the source of truth; when it is missing (vitest crashed
 * before writing it) the console summary is read instead:
 *
 *    Test Files  9 passed (9)
 *         Tests  70 passed | 1 failed | 2 skipped (73)
 */

/** The counts of one vitest run. */
export interface VitestCounts {
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
  readonly todo: number;
}

const ZERO: VitestCounts = { pass: 0, fail: 0, skip: 0, todo: 0 };

/** Counts from vitest's JSON report text; undefined when it is not such a report. */
export function parseVitestJson(json: string): VitestCounts | undefined {
  try {
    const r = JSON.parse(json) as Record<string, unknown>;
    const n = (k: string) => (typeof r[k] === "number" ? (r[k] as number) : undefined);
    const pass = n("numPassedTests");
    const fail = n("numFailedTests");
    if (pass === undefined || fail === undefined) return undefined;
    return { pass, fail, skip: n("numPendingTests") ?? 0, todo: n("numTodoTests") ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * Counts from vitest's console output (colour codes allowed): the last `Tests …` line, whose parts
 * are `N passed`, `N failed`, `N skipped`, `N todo` in any order.
 */
export function parseVitestText(output: string): VitestCounts {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes.
  const text = output.replace(/\u001b\[[0-9;]*m/g, "");
  const line = [...text.matchAll(/^\s*Tests\s+(.+)$/gm)].at(-1)?.[1];
  if (!line) return ZERO;
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  return { pass: count("passed"), fail: count("failed"), skip: count("skipped"), todo: count("todo") };
}
