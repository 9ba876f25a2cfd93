import { describe, expect, test } from "bun:test";
import { parseGoTestJson, parseJunitXml, parseSdkSummary } from "./sdk-test.ts";

const pkg = "github.com/todo-app/todo/sdk/go";
const event = (Action: string, Test?: string) => JSON.stringify({ Action, Package: pkg, Test });

describe("parseGoTestJson", () => {
  test("counts the subtests of a test that has them, not the test itself", () => {
    const out = [
      event("run", "TestFlow"),
      event("run", "TestFlow/sign_up"),
      event("output", "TestFlow/sign_up"),
      event("pass", "TestFlow/sign_up"),
      event("fail", "TestFlow/list"),
      event("skip", "TestFlow/watch"),
      event("fail", "TestFlow"),
      event("pass", "TestOther"),
      event("fail"),
    ].join("\n");
    expect(parseGoTestJson(out)).toEqual({
      pass: 2,
      fail: 2,
      failed: [`${pkg} TestFlow/list`, `${pkg} TestFlow/watch`],
    });
  });

  test("ignores lines that are not JSON events", () => {
    expect(parseGoTestJson(`# ${pkg}\n./x.go:1: syntax error\n{not json`)).toEqual({
      pass: 0,
      fail: 0,
      failed: [],
    });
  });
});

describe("parseJunitXml", () => {
  test("a testcase with a failure, an error or a skip is failed; others passed", () => {
    const xml = [
      '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest">',
      '<testcase classname="tests.test_sdk" name="test_ok" time="0.1" />',
      '<testcase classname="tests.test_sdk" name="test_also_ok" time="0.1"><system-out>hi</system-out></testcase>',
      '<testcase classname="tests.test_sdk" name="test_bad" time="0.1"><failure message="assert 1 == 2">x &gt; y</failure></testcase>',
      '<testcase classname="tests.test_sdk" name="test_&quot;setup&quot;" time="0"><error message="failed on setup">E</error></testcase>',
      '<testcase classname="tests.test_sdk" name="test_skipped" time="0"><skipped message="no server" /></testcase>',
      "</testsuite></testsuites>",
    ].join("");
    expect(parseJunitXml(xml)).toEqual({
      pass: 2,
      fail: 3,
      failed: ["tests.test_sdk::test_bad", 'tests.test_sdk::test_"setup"', "tests.test_sdk::test_skipped"],
    });
  });
});

describe("parseSdkSummary", () => {
  test("reads the last line only", () => {
    expect(parseSdkSummary("ok  Go SDK: 5 pass, 0 fail\n10 passed, 1 failed\n")).toEqual({
      pass: 10,
      fail: 1,
    });
    expect(parseSdkSummary("10 passed, 1 failed\nsomething after")).toBeUndefined();
  });
});
