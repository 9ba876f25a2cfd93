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
  // bun marks each failed test `(fail) <describe> > <name> [time]` under its file's `path:` line as
  // it runs, and again in the closing list (without files); a summary without the names sends a
  // reader through 300 000 lines of log. A failed hook is "(unnamed)": its file says which.
  const failed = new Set<string>();
  const seen = new Set<string>();
  let file = "";
  let closingList = false;
  for (const line of text.split("\n")) {
    if (/^\d+ tests? failed:\s*$/.test(line)) closingList = true;
    const header = /^(\S+\.(?:test|e2e|spec)\.[cm]?[jt]sx?):\s*$/.exec(line);
    if (header) file = header[1] as string;
    const name = /^\(fail\) (.+?)(?: \[[\d.]+m?s\])?\s*$/.exec(line)?.[1];
    if (name === undefined || (closingList && seen.has(name))) continue;
    seen.add(name);
    failed.add(file && !closingList ? `${file}: ${name}` : name);
  }
  return {
    pass: count("pass"),
    fail: count("fail"),
    skip: count("skip"),
    todo: count("todo"),
    failed: [...failed],
  };
}
