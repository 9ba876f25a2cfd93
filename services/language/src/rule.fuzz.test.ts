/**
 * Fuzzing the RRULE parsers (issue 13 §5): this package's `parseRule` / `formatRule` /
 * `describeRecurrence` (the UI's reading of a rule) and the task service's `rruleProblem` with the
 * recurrence expander's `parseRule` (what the server accepts and stores). On any text: no exception
 * but the expander's own `RecurrenceError`, nothing over 100 ms, and
 * - a rule the server accepts is one the expander can parse, and the UI can describe;
 * - `formatRule(parseRule(x))` reads back to the same rule (a fixed point after one round).
 * `FUZZ_RUNS` inputs per property (fuzz-support.ts).
 */
import { describe, expect, test } from "bun:test";
import { parseRule as parseStoredRule, RecurrenceError, rruleProblem } from "@todo/recurrence";
import { fuzzParameters, fuzzTimeout, NUMBER_TEXT, rawText, withinLimit } from "@todo/testkit/fuzz";
import fc from "fast-check";
import { describeRecurrence } from "./describe.ts";
import { formatRule, parseRule } from "./rule.ts";

const DAY = fc.constantFrom("MO", "TU", "WE", "TH", "FR", "SA", "SU", "XX", "mo", "");
const BYDAY_ITEM = fc.oneof(
  DAY,
  fc
    .tuple(fc.constantFrom("", "+", "-"), fc.integer({ min: -60, max: 60 }), DAY)
    .map(([s, n, d]) => `${s}${n}${d}`),
);
const list = (item: fc.Arbitrary<string>) =>
  fc.array(item, { minLength: 0, maxLength: 5 }).map((a) => a.join(","));
const UNTIL = fc.oneof(
  fc
    .date({
      min: new Date("0001-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59Z"),
      noInvalidDate: true,
    })
    .map((d) =>
      d
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\.\d{3}/, ""),
    ),
  fc.constantFrom("20270229", "20280229T120000Z", "20271301", "2027", "20270101T250000Z", "20270101T", "x"),
);

/** One `NAME=VALUE` part: the RFC 5545 names with values from their grammar, and some noise. */
const PART = fc.oneof(
  fc
    .constantFrom("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY", "NEVER")
    .map((f) => `FREQ=${f}`),
  NUMBER_TEXT.map((n) => `INTERVAL=${n}`),
  NUMBER_TEXT.map((n) => `COUNT=${n}`),
  UNTIL.map((u) => `UNTIL=${u}`),
  list(BYDAY_ITEM).map((v) => `BYDAY=${v}`),
  list(NUMBER_TEXT).map((v) => `BYMONTHDAY=${v}`),
  list(NUMBER_TEXT).map((v) => `BYMONTH=${v}`),
  list(NUMBER_TEXT).map((v) => `BYSETPOS=${v}`),
  list(NUMBER_TEXT).map((v) => `BYYEARDAY=${v}`),
  list(NUMBER_TEXT).map((v) => `BYWEEKNO=${v}`),
  list(NUMBER_TEXT).map((v) => `BYHOUR=${v}`),
  list(NUMBER_TEXT).map((v) => `BYMINUTE=${v}`),
  list(NUMBER_TEXT).map((v) => `BYSECOND=${v}`),
  DAY.map((d) => `WKST=${d}`),
  fc.constantFrom("RRULE:FREQ=DAILY", "DTSTART=20270101", "X-NAME=1", "=", "FREQ", "FREQ==DAILY", ""),
  rawText(20),
);

/** Rules: a FREQ most of the time, then up to eight parts in any order and case, `;`-separated. */
const RULE = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.boolean(), fc.array(PART, { maxLength: 8 }), fc.boolean())
      .map(([withFreq, parts, lower]) => {
        const text = [...(withFreq ? ["FREQ=WEEKLY"] : []), ...parts].join(";");
        return lower ? text.toLowerCase() : text;
      }),
  },
  { weight: 1, arbitrary: rawText() },
);

function storedRule(text: string): "accepted" | "refused" {
  try {
    parseStoredRule(text);
    return "accepted";
  } catch (err) {
    if (err instanceof RecurrenceError) return "refused";
    throw err;
  }
}

describe("RRULE parsers, fuzzed", () => {
  test(
    "the server's check and the expander agree, and never throw anything else or hang",
    () => {
      fc.assert(
        fc.property(RULE, (text) => {
          const problem = withinLimit(text, rruleProblem);
          const stored = withinLimit(text, storedRule);
          if (problem === undefined) {
            expect(stored).toBe("accepted");
            expect(withinLimit(text, (t) => describeRecurrence(t))).not.toStartWith("custom rule (");
          } else {
            expect(problem).not.toBe("");
            expect(stored).toBe("refused");
          }
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  test(
    "the UI's reading never throws or hangs, and formatting what it read reads back the same",
    () => {
      fc.assert(
        fc.property(
          RULE,
          fc.constantFrom("schedule", "completion") as fc.Arbitrary<"schedule" | "completion">,
          (text, anchor) => {
            const words = withinLimit(text, (t) => describeRecurrence(t, anchor));
            // A label for people: no placeholder of a failed lookup, no impossible ordinal or time.
            if (!words.startsWith("custom rule ("))
              expect(words).not.toMatch(/undefined|NaN|\?|\b0th\b|\b(2[4-9]|[3-9]\d):/);
            const spec = withinLimit(text, parseRule);
            if (spec === undefined) return;
            const again = parseRule(formatRule(spec));
            expect(again).toEqual(spec);
          },
        ),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});
