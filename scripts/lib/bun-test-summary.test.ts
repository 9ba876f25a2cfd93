import { describe, expect, test } from "bun:test";
import { parseBunTestSummary } from "./bun-test-summary.ts";

describe("parseBunTestSummary", () => {
  test("reads pass, fail, skip and todo from bun test's closing lines", () => {
    const output = [
      "a.test.ts:",
      "(pass) ok [0.05ms]",
      "(fail) bad [0.07ms]",
      "",
      " 3 pass",
      " 1 skip",
      " 1 todo",
      " 2 fail",
      " 1 error",
      " 4 expect() calls",
      "Ran 7 tests across 3 files. [6.00ms]",
    ].join("\n");
    expect(parseBunTestSummary(output)).toEqual({
      pass: 3,
      fail: 2,
      skip: 1,
      todo: 1,
      failed: ["a.test.ts: bad"],
    });
  });

  test("ignores colour codes and takes the last summary", () => {
    const output = " 9 pass\n 9 fail\n\u001b[32m 12 pass\u001b[0m\n\u001b[31m 0 fail\u001b[0m\nRan 12 tests";
    expect(parseBunTestSummary(output)).toEqual({ pass: 12, fail: 0, skip: 0, todo: 0, failed: [] });
  });

  test("gives zeros when there is no summary (no tests found, crash)", () => {
    const output = "The following filters did not match any test files:\n nothing\n";
    expect(parseBunTestSummary(output)).toEqual({ pass: 0, fail: 0, skip: 0, todo: 0, failed: [] });
  });

  test("does not mistake test names or log lines for counts", () => {
    const output = "(pass) returns 3 pass tokens\nlog: 5 passes\n 1 pass\n 0 fail\n";
    expect(parseBunTestSummary(output)).toEqual({ pass: 1, fail: 0, skip: 0, todo: 0, failed: [] });
  });

  test("names each failed test once, by file, without its time, colours or the timeout note", () => {
    const output = [
      "services/platform/src/outbox.test.ts:",
      "\u001b[31m(fail)\u001b[0m outbox > several relays share the work [60001.06ms]",
      "  ^ this test timed out after 60000ms.",
      "(pass) outbox > wake() [0.10ms]",
      "",
      "scripts/observe.test.ts:",
      "(fail) (unnamed) [180111.75ms]",
      "",
      "2 tests failed:",
      "(fail) outbox > several relays share the work [60001.06ms]",
      "(fail) (unnamed) [180111.75ms]",
      " 1 pass",
      " 2 fail",
    ].join("\n");
    expect(parseBunTestSummary(output).failed).toEqual([
      "services/platform/src/outbox.test.ts: outbox > several relays share the work",
      "scripts/observe.test.ts: (unnamed)",
    ]);
  });

  test("a failure seen only in the closing list is still named", () => {
    const output = ["1 test failed:", "(fail) a > b [1.20s]", " 0 pass", " 1 fail"].join("\n");
    expect(parseBunTestSummary(output).failed).toEqual(["a > b"]);
  });
});
