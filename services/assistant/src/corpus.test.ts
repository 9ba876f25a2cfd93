/**
 * Runs the interpreter over the corpus and requires at least 95 % of the utterances to be right, and
 * every one of the forms added for issue 13.
 */
import { expect, test } from "bun:test";
import { CORPUS, CORPUS_CONTEXT } from "./corpus";
import { WIDER_CORPUS } from "./corpus-wider";
import { interpret } from "./interpreter";

/** Whether `actual` has every field of `expected` (recursively; arrays must match element by element). */
export function matches(expected: unknown, actual: unknown): boolean {
  if (expected === null || typeof expected !== "object") return Object.is(expected, actual);
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => matches(e, actual[i]))
    );
  }
  if (actual === null || typeof actual !== "object") return false;
  return Object.entries(expected).every(([k, v]) => matches(v, (actual as Record<string, unknown>)[k]));
}

test("the corpus has at least 150 utterances and ≥ 95% are interpreted right", () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(150);
  const failures: string[] = [];
  for (const [utterance, expected] of CORPUS) {
    const actual = interpret(utterance, CORPUS_CONTEXT);
    if (!matches(expected, actual)) {
      failures.push(
        `${JSON.stringify(utterance)}\n  expected ${JSON.stringify(expected)}\n  got      ${JSON.stringify(actual)}`,
      );
    }
  }
  const score = (CORPUS.length - failures.length) / CORPUS.length;
  console.log(`corpus: ${CORPUS.length - failures.length}/${CORPUS.length} (${(score * 100).toFixed(1)}%)`);
  if (failures.length > 0) console.log(failures.join("\n"));
  expect(score).toBeGreaterThanOrEqual(0.95);
});

test("every form added for issue 13 is interpreted right (no 5 % slack for them)", () => {
  expect(WIDER_CORPUS.length).toBeGreaterThanOrEqual(30);
  const failures = WIDER_CORPUS.filter(
    ([u, expected]) => !matches(expected, interpret(u, CORPUS_CONTEXT)),
  ).map(
    ([u, expected]) =>
      `${JSON.stringify(u)}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(interpret(u, CORPUS_CONTEXT))}`,
  );
  expect(failures).toEqual([]);
});

test("the matcher is strict where it matters", () => {
  expect(matches({ kind: "create" }, { kind: "list" })).toBe(false);
  expect(matches({ tags: ["a"] }, { tags: ["a", "b"] })).toBe(false);
  expect(matches({ due: null }, { due: null })).toBe(true);
  expect(matches({ due: null }, {})).toBe(false);
});

test("words every JavaScript object has are words, not table entries (word-table.ts)", () => {
  for (const word of ["constructor", "toString", "__proto__"]) {
    const actual = interpret(`add fix ${word} bug`, CORPUS_CONTEXT);
    expect(matches([{ kind: "create", task: { title: `fix ${word} bug` } }], actual)).toBe(true);
    const task = (actual as readonly { task?: Record<string, unknown> }[])[0]?.task;
    expect(task?.priority).toBeUndefined();
  }
});
