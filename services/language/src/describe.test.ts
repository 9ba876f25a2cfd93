/** describeRecurrence: the words for every rule form quick add produces, and the fallbacks. */
import { describe, expect, test } from "bun:test";
import { describeRecurrence } from "./describe.ts";

const FORMS: [rule: string, words: string][] = [
  ["FREQ=HOURLY", "every hour"],
  ["FREQ=HOURLY;INTERVAL=4", "every 4 hours"],
  ["FREQ=DAILY", "every day"],
  ["FREQ=DAILY;INTERVAL=2", "every other day"],
  ["FREQ=DAILY;INTERVAL=3", "every 3 days"],
  ["FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0", "every day at 09:00 and 17:00"],
  ["FREQ=DAILY;BYHOUR=8,14,20;BYMINUTE=30", "every day at 08:30, 14:30 and 20:30"],
  ["FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "every day at 02:30"],
  ["FREQ=WEEKLY", "every week"],
  ["FREQ=WEEKLY;INTERVAL=2", "every other week"],
  ["FREQ=WEEKLY;INTERVAL=3", "every 3 weeks"],
  ["FREQ=WEEKLY;BYDAY=MO", "every Monday"],
  ["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"],
  ["FREQ=WEEKLY;BYDAY=SA,SU", "every Saturday and Sunday"],
  ["FREQ=WEEKLY;BYDAY=MO,WE,FR", "every Monday, Wednesday and Friday"],
  ["FREQ=WEEKLY;BYDAY=FR,MO", "every Monday and Friday"],
  ["FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "every other Monday"],
  ["FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "every other week on Tuesday and Thursday"],
  ["FREQ=WEEKLY;INTERVAL=3;BYDAY=MO", "every 3 weeks on Monday"],
  ["FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR", "every other week on weekdays"],
  ["FREQ=MONTHLY", "every month"],
  ["FREQ=MONTHLY;INTERVAL=2", "every other month"],
  ["FREQ=MONTHLY;INTERVAL=3", "every 3 months"],
  ["FREQ=MONTHLY;BYMONTHDAY=1", "every month on the 1st"],
  ["FREQ=MONTHLY;BYMONTHDAY=22", "every month on the 22nd"],
  ["FREQ=MONTHLY;BYMONTHDAY=-1", "every month on the last day"],
  ["FREQ=MONTHLY;BYMONTHDAY=-2", "every month on the 2nd to last day"],
  ["FREQ=MONTHLY;BYMONTHDAY=1,15", "every month on the 1st and 15th"],
  ["FREQ=MONTHLY;BYMONTHDAY=15,-1", "every month on the 15th and last day"],
  ["FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", "every 3 months on the 15th"],
  ["FREQ=MONTHLY;BYDAY=2FR", "every month on the 2nd Friday"],
  ["FREQ=MONTHLY;BYDAY=-1MO", "every month on the last Monday"],
  ["FREQ=MONTHLY;BYDAY=1MO,3MO", "every month on the 1st and 3rd Monday"],
  ["FREQ=MONTHLY;BYDAY=-1MO,-1FR", "every month on the last Monday and Friday"],
  ["FREQ=MONTHLY;BYDAY=1MO,-1FR", "every month on the 1st Monday and the last Friday"],
  ["FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "every month on the last weekday"],
  ["FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1", "every month on the 1st weekday"],
  ["FREQ=YEARLY", "every year"],
  ["FREQ=YEARLY;INTERVAL=2", "every other year"],
  ["FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=5", "every year on March 5"],
  ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "every year on February 29"],
  ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", "every year on the last day of February"],
  ["FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", "every year on the 4th Thursday of November"],
  ["FREQ=YEARLY;BYMONTH=3", "every year in March"],
  ["FREQ=YEARLY;BYMONTH=3;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "every year on the last weekday of March"],
  ["FREQ=DAILY;COUNT=10", "every day, 10 times"],
  ["FREQ=DAILY;COUNT=1", "every day, once"],
  ["FREQ=DAILY;UNTIL=20271231", "every day, until Dec 31, 2027"],
  ["FREQ=WEEKLY;BYDAY=MO;UNTIL=20270412T070000Z", "every Monday, until Apr 12, 2027 07:00 UTC"],
  ["FREQ=WEEKLY;BYDAY=MO;UNTIL=20270110T233000", "every Monday, until Jan 10, 2027 23:30"],
];

describe("describeRecurrence", () => {
  for (const [rule, words] of FORMS) {
    test(`${rule} → ${words}`, () => {
      expect(describeRecurrence(rule)).toBe(words);
      expect(describeRecurrence(rule, "schedule")).toBe(words);
    });
  }

  test("the completion anchor says so, before COUNT or UNTIL", () => {
    expect(describeRecurrence("FREQ=DAILY;INTERVAL=3", "completion")).toBe("every 3 days after completion");
    expect(describeRecurrence("FREQ=WEEKLY;BYDAY=MO", "completion")).toBe("every Monday after completion");
    expect(describeRecurrence("FREQ=DAILY;INTERVAL=3;COUNT=5", "completion")).toBe(
      "every 3 days after completion, 5 times",
    );
  });

  test("case, the RRULE: prefix and part order do not matter", () => {
    expect(describeRecurrence("freq=weekly;byday=mo")).toBe("every Monday");
    expect(describeRecurrence("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1")).toBe("every month on the last day");
    expect(describeRecurrence("BYDAY=2FR;FREQ=MONTHLY")).toBe("every month on the 2nd Friday");
  });

  test("valid rules beyond quick add get the nearest words and (custom)", () => {
    expect(describeRecurrence("FREQ=YEARLY;BYWEEKNO=20")).toBe("every year (custom)");
    expect(describeRecurrence("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=MO")).toBe(
      "every other week on Tuesday and Sunday (custom)",
    );
    expect(describeRecurrence("FREQ=DAILY;BYMONTH=2")).toBe("every day (custom)");
  });

  test("text that is not a rule is shown as it is, without throwing", () => {
    expect(describeRecurrence("")).toBe("custom rule ()");
    expect(describeRecurrence("FREQ=SOMETIMES")).toBe("custom rule (FREQ=SOMETIMES)");
    expect(describeRecurrence("every day")).toBe("custom rule (every day)");
    expect(describeRecurrence("FREQ=DAILY;INTERVAL=0")).toBe("custom rule (FREQ=DAILY;INTERVAL=0)");
  });

  test("rules RFC 5545 forbids (and the task service refuses) are not described as valid ones", () => {
    // Found by rule.fuzz.test.ts: COUNT was shown and UNTIL silently dropped, the last FREQ won.
    expect(describeRecurrence("FREQ=WEEKLY;COUNT=1;UNTIL=19700101T000000Z")).toBe(
      "custom rule (FREQ=WEEKLY;COUNT=1;UNTIL=19700101T000000Z)",
    );
    expect(describeRecurrence("FREQ=DAILY;FREQ=WEEKLY")).toBe("custom rule (FREQ=DAILY;FREQ=WEEKLY)");
    // Values out of RFC 5545's ranges were described: "the 0th Monday", "in ?", "at 25:00".
    for (const rule of [
      "FREQ=MONTHLY;BYDAY=0MO",
      "FREQ=MONTHLY;BYDAY=-0MO",
      "FREQ=MONTHLY;BYDAY=54MO",
      "FREQ=MONTHLY;BYMONTHDAY=0",
      "FREQ=MONTHLY;BYMONTHDAY=-32",
      "FREQ=YEARLY;BYMONTH=13",
      "FREQ=DAILY;BYHOUR=24",
      "FREQ=DAILY;BYMINUTE=60",
      "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0",
      "FREQ=WEEKLY;UNTIL=20271301", // was "until ? 1, 2027"
      "FREQ=WEEKLY;UNTIL=20270230",
      "FREQ=WEEKLY;UNTIL=20271231T256000Z",
    ]) {
      expect(describeRecurrence(rule)).toBe(`custom rule (${rule})`);
    }
    expect(describeRecurrence("FREQ=MONTHLY;BYDAY=-1MO")).toBe("every month on the last Monday");
    expect(describeRecurrence("FREQ=DAILY;INTERVAL=2;INTERVAL=3")).toBe(
      "custom rule (FREQ=DAILY;INTERVAL=2;INTERVAL=3)",
    );
  });
});
