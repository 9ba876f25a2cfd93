import { describe, expect, test } from "bun:test";
import { parseVitestJson, parseVitestText } from "./vitest-summary.ts";

describe("parseVitestJson", () => {
  test("reads the counts of a JSON report", () => {
    const report = JSON.stringify({
      numTotalTests: 75,
      numPassedTests: 70,
      numFailedTests: 2,
      numPendingTests: 3,
      numTodoTests: 0,
      success: false,
    });
    expect(parseVitestJson(report)).toEqual({ pass: 70, fail: 2, skip: 3, todo: 0 });
  });

  test("refuses text that is not a report", () => {
    expect(parseVitestJson("not json")).toBeUndefined();
    expect(parseVitestJson(JSON.stringify({ tests: 3 }))).toBeUndefined();
  });
});

describe("parseVitestText", () => {
  test("reads the last Tests line, with colours and any mix of parts", () => {
    const out = [
      "\u001b[2m Test Files \u001b[22m \u001b[1m\u001b[32m9 passed\u001b[39m\u001b[22m\u001b[90m (9)\u001b[39m",
      "\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[31m1 failed\u001b[39m | \u001b[32m70 passed\u001b[39m | 2 skipped (73)",
    ].join("\n");
    expect(parseVitestText(out)).toEqual({ pass: 70, fail: 1, skip: 2, todo: 0 });
  });

  test("gives zeros when there is no summary", () => {
    expect(parseVitestText("Error: cannot find module")).toEqual({ pass: 0, fail: 0, skip: 0, todo: 0 });
  });
});
