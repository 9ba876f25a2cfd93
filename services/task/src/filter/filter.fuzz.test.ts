/**
 * Fuzzing the ListTasks filter language (issue 13 §5): on any text, in any zone at any moment,
 * `compileFilter` returns within 100 ms and either compiles — placeholders `$1…$n` matching its
 * parameters, every parameter a usable value — or throws a `FilterError` whose message says where
 * (a column inside the text) and is short enough to show; never anything else, which the service would
 * turn into INTERNAL. `FUZZ_RUNS` inputs per property (services/language/src/fuzz-support.ts).
 */
import { describe, expect, test } from "bun:test";
import {
  fuzzParameters,
  fuzzTimeout,
  NUMBER_TEXT,
  rawText,
  tokenSoup,
  withinLimit,
} from "@todo/testkit/fuzz";
import fc from "fast-check";
import { type CompiledFilter, compileFilter } from "./compiler";
import { FilterError } from "./filter-error";

const FIELDS = [
  "status",
  "priority",
  "tags",
  "due_time",
  "create_time",
  "update_time",
  "complete_time",
  "title",
  "tag",
  "due",
  "x.y",
  "_",
];
const OPERATORS = ["=", "!=", "<", "<=", ">", ">=", ":", "==", "=<", "!", "<>", "::"];
const TIMES = fc.oneof(
  fc.constantFrom("now", "today", "NOW", "Today", "now-", "today+", "today+7d", "now-2h", "today+1w"),
  fc
    .tuple(
      fc.constantFrom("now", "today"),
      fc.constantFrom("+", "-"),
      NUMBER_TEXT,
      fc.constantFrom("s", "m", "h", "d", "w", "y", ""),
    )
    .map((p) => p.join("")),
  fc
    .date({
      min: new Date("0001-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59Z"),
      noInvalidDate: true,
    })
    .chain((d) =>
      fc.constantFrom(
        d.toISOString(),
        d.toISOString().slice(0, 10),
        d.toISOString().slice(0, 16),
        d.toISOString().replace("Z", "+14:00"),
        d.toISOString().replace("Z", "-23:59"),
        d.toISOString().replace(".", ",").slice(0, 23),
      ),
    ),
  fc.constantFrom(
    "2027-02-29",
    "2028-02-29",
    "0000-01-01",
    "10000-01-01",
    "2026-13-01T00:00:00Z",
    "2026-12-01T24:00:00Z",
  ),
);
const VALUES = fc.oneof(
  fc.constantFrom(
    "OPEN",
    "COMPLETED",
    "open",
    "TASK_STATUS_OPEN",
    "HIGH",
    "LOW",
    "URGENT",
    "PRIORITY_HIGH",
    "UNSPECIFIED",
  ),
  fc.constantFrom("*", '"a b"', '"', '"\\"', "'x'", '"*"', '"\\u0000"', "home", "work/*", "#home", ""),
  TIMES,
  NUMBER_TEXT,
);
const KEYWORDS = fc.constantFrom("AND", "OR", "NOT", "-", "(", ")", "and", "or", "not", "((", "))");

/** A restriction, sometimes well-formed and sometimes with a part missing or swapped. */
const RESTRICTION = fc
  .tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...OPERATORS), VALUES, fc.constantFrom("", " ", "  "))
  .map(([field, op, value, gap]) => `${field}${gap}${op}${gap}${value}`);

/** Expressions built from the grammar, nested up to a depth, so the parser's deep paths are reached. */
const { expression } = fc.letrec((tie) => ({
  expression: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    RESTRICTION,
    fc
      .tuple(tie("expression"), fc.constantFrom(" AND ", " OR ", " ", " and "), tie("expression"))
      .map((p) => p.join("")),
    tie("expression").map((e) => `(${e})`),
    tie("expression").map((e) => `NOT ${e}`),
    tie("expression").map((e) => `-${e}`),
  ),
}));

const FILTER = fc.oneof(
  { weight: 4, arbitrary: expression as fc.Arbitrary<string> },
  {
    weight: 2,
    arbitrary: tokenSoup(
      fc.oneof(RESTRICTION, KEYWORDS, VALUES, fc.constantFrom(...FIELDS, ...OPERATORS)),
      20,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 60 }).map((n) => `${"(".repeat(n)}status=OPEN${")".repeat(n)}`),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 90, max: 120 }).map((n) => Array(n).fill("priority>=LOW").join(" OR ")),
  },
  { weight: 1, arbitrary: rawText(2100) },
);

const ZONES = fc.constantFrom(
  "America/New_York",
  "Australia/Lord_Howe",
  "Asia/Kathmandu",
  "Pacific/Kiritimati",
  "UTC",
);
const NOW = fc.date({
  min: new Date("1970-01-01T00:00:00Z"),
  max: new Date("2100-12-31T23:59:59Z"),
  noInvalidDate: true,
});

type Outcome = { compiled: CompiledFilter } | { error: FilterError };

function compileOrRefuse(filter: string, now: Date, timeZone: string): Outcome {
  try {
    return { compiled: compileFilter(filter, { now, timeZone }, 2) };
  } catch (err) {
    if (err instanceof FilterError) return { error: err };
    throw err;
  }
}

describe("filter language, fuzzed", () => {
  test(
    "compiles to well-formed SQL or refuses with a FilterError; never anything else, never slow",
    () => {
      fc.assert(
        fc.property(FILTER, NOW, ZONES, (filter, now, zone) => {
          const outcome = withinLimit(filter, (f) => compileOrRefuse(f, now, zone));
          if ("error" in outcome) {
            expect(outcome.error.offset).toBeGreaterThanOrEqual(0);
            expect(outcome.error.offset).toBeLessThanOrEqual(filter.length);
            expect(outcome.error.message).toMatch(/ at column \d+/);
            expect(outcome.error.message.length).toBeLessThan(600);
            return;
          }
          const { sql, params } = outcome.compiled;
          const used = new Set([...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
          expect([...used].sort((a, b) => a - b)).toEqual(params.map((_, i) => i + 2));
          for (const p of params) {
            if (p instanceof Date) expect(Number.isNaN(p.getTime())).toBe(false);
            else expect(["string", "number"]).toContain(typeof p);
          }
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});
