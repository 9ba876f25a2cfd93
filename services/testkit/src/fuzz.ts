/**
 * Shared pieces of the parser fuzz tests (`*.fuzz.test.ts`: quick add and RRULE here, the filter
 * language in services/task/src/filter): how many inputs to try, the per-input time limit, and the
 * generators of raw text that every grammar-aware generator is mixed with.
 *
 * `FUZZ_RUNS` sets the number of inputs per property (default 5 000, the size of the test command;
 * `bun run fuzz` runs 100 000). `FUZZ_SEED` replays a run: fast-check prints the seed and the
 * shrunk counterexample of every failure.
 */
import fc from "fast-check";

/** Inputs per property: `FUZZ_RUNS`, default 5 000. */
export function fuzzRuns(): number {
  const raw = process.env.FUZZ_RUNS;
  if (raw === undefined || raw === "") return 5000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a positive integer, not "${raw}"`);
  return n;
}

/** The options of every fuzz property: the run count, and `FUZZ_SEED` when replaying. */
export function fuzzParameters(): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  return { numRuns: fuzzRuns(), ...(seed ? { seed: Number(seed) } : {}) };
}

/** The bun:test timeout for a property of `FUZZ_RUNS` inputs: ~4 ms an input, at least 60 s. */
export function fuzzTimeout(): number {
  return Math.max(60_000, fuzzRuns() * 4);
}

/** The longest one input may take: a parser slower than this on any input is hanging. */
export const PER_INPUT_LIMIT_MS = 100;

/**
 * Runs `fn(input)` and throws when it took longer than `PER_INPUT_LIMIT_MS`. A slow first run is
 * repeated twice and only the fastest of the three counts, so a garbage-collection pause or a busy
 * machine does not pass for a hang; a real one (super-linear work on that input) is slow every time.
 */
export function withinLimit<T>(input: string, fn: (input: string) => T): T {
  let started = performance.now();
  const result = fn(input);
  let best = performance.now() - started;
  for (let retry = 0; retry < 2 && best > PER_INPUT_LIMIT_MS; retry++) {
    started = performance.now();
    fn(input);
    best = Math.min(best, performance.now() - started);
  }
  if (best > PER_INPUT_LIMIT_MS) {
    throw new Error(
      `took ${best.toFixed(0)} ms (limit ${PER_INPUT_LIMIT_MS} ms) on ${JSON.stringify(input)}`,
    );
  }
  return result;
}

/** Characters that break naive parsers: controls, NUL, lone surrogates, combining marks, RTL, BOM. */
const AWKWARD = fc.constantFrom(
  "\u0000",
  "\t",
  "\n",
  "\r",
  "\u000b",
  "\u001f",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u2028",
  "\u200b",
  "\u200d",
  "\u202e",
  "\ufeff",
  "\ufffd",
  "\ud800",
  "\udfff",
  "\u0301",
  "İ",
  "ß",
  "ﬁ",
  "Ω",
  "١",
  "𝟙",
  "😀",
  "👩‍👩‍👧",
);

/** Raw text: ASCII, any Unicode (including lone surrogates), awkward characters, and long runs. */
export function rawText(maxLength = 200): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: "binary", maxLength }),
    fc.string({ unit: "grapheme", maxLength: maxLength / 4 }),
    fc.array(AWKWARD, { maxLength: 20 }).map((a) => a.join("")),
    fc
      .tuple(fc.constantFrom("a", " ", "(", "-", "1", "=", ";", "9", "x "), fc.integer({ min: 1, max: 2000 }))
      .map(([c, n]) => c.repeat(n)),
  );
}

/** Separators between tokens: nothing, spaces, awkward characters. */
const SEPARATOR = fc.oneof(
  { weight: 6, arbitrary: fc.constant(" ") },
  { weight: 2, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.constantFrom("  ", "\t", "\n", ",", ", ", " - ") },
  { weight: 1, arbitrary: AWKWARD },
);

/**
 * Grammar-aware text: 1–`maxTokens` tokens from `tokens` (each sometimes upper-cased, cut short or
 * followed by a random character), joined by random separators, with raw text mixed in now and then
 * — inputs that get past a parser's first checks and into its deep paths.
 */
export function tokenSoup(tokens: fc.Arbitrary<string>, maxTokens = 12): fc.Arbitrary<string> {
  const mutated = fc.oneof(
    { weight: 8, arbitrary: tokens },
    { weight: 1, arbitrary: tokens.map((t) => t.toUpperCase()) },
    { weight: 1, arbitrary: fc.tuple(tokens, fc.nat()).map(([t, n]) => t.slice(0, n % (t.length + 1))) },
    { weight: 1, arbitrary: fc.tuple(tokens, AWKWARD).map(([t, c]) => t + c) },
    { weight: 1, arbitrary: rawText(12) },
  );
  return fc
    .array(fc.tuple(mutated, SEPARATOR), { minLength: 1, maxLength: maxTokens })
    .map((parts) => parts.map(([token, sep]) => token + sep).join(""));
}

/** Numbers as text, with the edges parsers get wrong: 0, negatives, huge, leading zeros, exponents. */
export const NUMBER_TEXT = fc.oneof(
  fc.integer({ min: 0, max: 60 }).map(String),
  fc.constantFrom("0", "00", "-1", "+1", "1e3", "1.5", "99999999999999999999", "007", "NaN", "Infinity"),
  fc.integer().map(String),
);
