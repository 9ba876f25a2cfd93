/**
 * Reading the closing summary that `bun test` prints (to stderr) after a run:
 *
 *    12 pass
 *     1 skip
 *     2 fail
 *    40 expect() calls
 *   Ran 15 tests across 4 files. [1.20s]
 */

/** The counts of one `bun test` run; a line bun did not print counts as 0. */
export interface BunTestCounts {
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
  readonly todo: number;
  /** The names of the failed tests, once each, in the order bun first reported them. */
  readonly failed: readonly string[];
}

/**
 * Extracts the counts from `bun test` output (colour codes allowed). When several summaries
 * appear, the last one wins, because the summary closes the run and test output may mimic it
 * earlier.
 */
export function parseBunTestSummary(output: string): BunTestCounts {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes.
  const text = output.replace(/\u001b\[[0-9;]*m/g, "");
  const count = (word: string): number => {
    const last = [...text.matchAll(new RegExp(`^\\s*(\\d+) ${word}\\s*$`, "gm"))].at(-1)?.[1];
    return last === undefined ? 0 : Number(last);
  };
  // bun marks each failed test `(fail) <describe> > <name> [time]`, once as it runs and again in the
  // closing list; a summary without the names sends a reader through 300 000 lines of log.
  const failed = new Set<string>();
  for (const m of text.matchAll(/^\(fail\) (.+?)(?: \[[\d.]+m?s\])?\s*$/gm)) failed.add(m[1] as string);
  return {
    pass: count("pass"),
    fail: count("fail"),
    skip: count("skip"),
    todo: count("todo"),
    failed: [...failed],
  };
}
