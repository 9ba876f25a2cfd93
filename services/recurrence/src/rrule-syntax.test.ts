import { describe, expect, test } from "bun:test";
import { rruleProblem } from "./rrule-syntax";

describe("rruleProblem accepts valid RFC 5545 rules", () => {
  const valid = [
    "FREQ=DAILY",
    "FREQ=HOURLY;INTERVAL=6",
    "FREQ=WEEKLY;BYDAY=MO,WE,FR",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=12",
    "FREQ=MONTHLY;BYDAY=2FR",
    "FREQ=MONTHLY;BYDAY=-1SU",
    "FREQ=MONTHLY;BYDAY=+1MO",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=YEARLY;BYYEARDAY=1,-1",
    "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
    "FREQ=DAILY;BYHOUR=0,23;BYMINUTE=0,59;BYSECOND=0,59",
    "FREQ=DAILY;UNTIL=20271231",
    "FREQ=DAILY;UNTIL=20271231T235959Z",
    "FREQ=DAILY;UNTIL=20240229T000000",
    "FREQ=DAILY;COUNT=10000",
    "FREQ=DAILY;INTERVAL=1000",
    // Names and values are case-insensitive; the order of parts is free.
    "freq=weekly;byday=mo",
    "BYDAY=MO;FREQ=WEEKLY",
  ];
  for (const rule of valid) {
    test(rule, () => {
      expect(rruleProblem(rule)).toBeUndefined();
    });
  }
});

describe("rruleProblem refuses malformed rules with a reason", () => {
  const invalid: [rule: string, reason: RegExp][] = [
    ["", /NAME=VALUE/],
    ["FREQ", /NAME=VALUE/],
    ["=DAILY", /NAME=VALUE/],
    ["FREQ=DAILY;", /NAME=VALUE/],
    ["FREQ=", /FREQ has no value/],
    ["INTERVAL=2", /FREQ is required/],
    ["FREQ=SOMETIMES", /FREQ: "SOMETIMES" is not one of/],
    ["FREQ=MINUTELY", /FREQ: tasks repeat at most hourly/],
    ["FREQ=SECONDLY", /FREQ: tasks repeat at most hourly/],
    ["FREQ=DAILY;FREQ=WEEKLY", /FREQ is given twice/],
    ["FREQ=DAILY;freq=DAILY", /FREQ is given twice/],
    ["FREQ=DAILY;INTERVAL=0", /INTERVAL: 0 is out of range/],
    ["FREQ=DAILY;INTERVAL=-2", /INTERVAL: -2 must not be negative/],
    ["FREQ=DAILY;INTERVAL=1001", /INTERVAL: 1001 is out of range/],
    ["FREQ=DAILY;INTERVAL=2,3", /INTERVAL: takes one number/],
    ["FREQ=DAILY;INTERVAL=two", /INTERVAL: "TWO" is not a number/],
    ["FREQ=DAILY;COUNT=0", /COUNT: 0 is out of range/],
    ["FREQ=DAILY;COUNT=10001", /COUNT: 10001 is out of range/],
    ["FREQ=DAILY;COUNT=1.5", /COUNT: "1.5" is not a number/],
    ["FREQ=DAILY;COUNT=3;UNTIL=20271231", /COUNT and UNTIL cannot both be given/],
    ["FREQ=DAILY;UNTIL=2027-12-31", /UNTIL: "2027-12-31" is not a date/],
    ["FREQ=DAILY;UNTIL=20271331", /UNTIL: "20271331" is not a real date/],
    ["FREQ=DAILY;UNTIL=20271200", /UNTIL: "20271200" is not a real date/],
    ["FREQ=WEEKLY;BYDAY=XX", /BYDAY: "XX" is not a weekday/],
    ["FREQ=WEEKLY;BYDAY=MO,", /BYDAY: "" is not a weekday/],
    ["FREQ=WEEKLY;BYDAY=MONDAY", /BYDAY: "MONDAY" is not a weekday/],
    ["FREQ=MONTHLY;BYDAY=0MO", /BYDAY: 0MO: ordinal out of range/],
    ["FREQ=MONTHLY;BYDAY=54MO", /BYDAY: 54MO: ordinal out of range/],
    ["FREQ=MONTHLY;BYMONTHDAY=0", /BYMONTHDAY: 0 is out of range/],
    ["FREQ=MONTHLY;BYMONTHDAY=32", /BYMONTHDAY: 32 is out of range/],
    ["FREQ=MONTHLY;BYMONTHDAY=-32", /BYMONTHDAY: -32 is out of range/],
    ["FREQ=MONTHLY;BYMONTHDAY=1,,2", /BYMONTHDAY: "" is not a number/],
    ["FREQ=YEARLY;BYYEARDAY=367", /BYYEARDAY: 367 is out of range/],
    ["FREQ=YEARLY;BYWEEKNO=54", /BYWEEKNO: 54 is out of range/],
    ["FREQ=YEARLY;BYMONTH=13", /BYMONTH: 13 is out of range/],
    ["FREQ=YEARLY;BYMONTH=-1", /BYMONTH: -1 must not be negative/],
    ["FREQ=DAILY;BYHOUR=24", /BYHOUR: 24 is out of range/],
    ["FREQ=DAILY;BYMINUTE=60", /BYMINUTE: 60 is out of range/],
    ["FREQ=DAILY;BYSECOND=60", /BYSECOND: 60 is out of range/],
    ["FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0", /BYSETPOS: 0 is out of range/],
    ["FREQ=WEEKLY;WKST=XX", /WKST: "XX" is not a weekday/],
    ["FREQ=DAILY;X-NAME=1", /unknown part X-NAME/],
    ["FREQ=DAILY;DTSTART=20270101", /unknown part DTSTART/],
    ["FREQ=DAILY; INTERVAL=2", /unknown part {2}INTERVAL/],
    ["RRULE:FREQ=DAILY", /without RRULE: or DTSTART/],
    ["rrule:FREQ=DAILY", /without RRULE: or DTSTART/],
    ["DTSTART:20270101T090000Z\nRRULE:FREQ=DAILY", /without RRULE: or DTSTART/],
    [`FREQ=DAILY;${"BYHOUR=1;".repeat(60)}`, /at most 500 characters/],
  ];
  for (const [rule, reason] of invalid) {
    test(JSON.stringify(rule.length > 60 ? `${rule.slice(0, 57)}...` : rule), () => {
      expect(rruleProblem(rule)).toMatch(reason);
    });
  }
});

describe("rruleProblem checks UNTIL is a real calendar date and time", () => {
  // The validator promises `"<value>" is not a real date` but only checks 1 <= day <= 31, so a day
  // that its month does not have, or a time of day past 23:59:59, passes through to the store.
  test.each([
    ["FREQ=DAILY;UNTIL=20270230"], // February 30th
    ["FREQ=DAILY;UNTIL=20270229"], // 2027 is not a leap year
    ["FREQ=DAILY;UNTIL=20270431"], // April has 30 days
    ["FREQ=DAILY;UNTIL=20271231T250000Z"], // hour 25
    ["FREQ=DAILY;UNTIL=20271231T236000Z"], // minute 60
  ])("%s is refused", (rule) => {
    expect(rruleProblem(rule)).toMatch(/UNTIL/);
  });

  // Found by services/language/src/quick-add.fuzz.test.ts ("monthly until 0001-01-01"): the check
  // went through Date.UTC, which reads the years 0–99 as 1900–1999, so real dates were refused.
  test.each([
    ["FREQ=DAILY;UNTIL=00010101"],
    ["FREQ=DAILY;UNTIL=00991231T235959Z"],
    ["FREQ=DAILY;UNTIL=00040229"],
  ])("%s is a real date in the years 1-99", (rule) => {
    expect(rruleProblem(rule)).toBeUndefined();
  });
  test("29 February of a year 1-99 that is not a leap year is refused", () => {
    expect(rruleProblem("FREQ=DAILY;UNTIL=00030229")).toMatch(/not a real date/);
  });
});

describe("rruleProblem enforces RFC 5545's frequency restrictions on BYxxx parts", () => {
  // RFC 5545 §3.3.10: these combinations are not allowed ("MUST NOT"); the rrule package silently
  // ignores or misreads them, so the strict check must refuse them.
  test.each([
    ["FREQ=WEEKLY;BYDAY=1MO", "numeric BYDAY is only for MONTHLY or YEARLY"],
    ["FREQ=DAILY;BYDAY=-1FR", "numeric BYDAY is only for MONTHLY or YEARLY"],
    ["FREQ=MONTHLY;BYWEEKNO=10", "BYWEEKNO is only for YEARLY"],
    ["FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY is not for WEEKLY"],
    ["FREQ=MONTHLY;BYYEARDAY=100", "BYYEARDAY is not for DAILY, WEEKLY or MONTHLY"],
    ["FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BYxxx part"],
  ])("%s is refused (%s)", (rule) => {
    expect(rruleProblem(rule)).toBeString();
  });
});
