import { describe, expect, test } from "bun:test";
import {
  buildRrule,
  NO_RECURRENCE,
  nthOfDate,
  parseRrule,
  type RecurrenceDraft,
  sameRule,
  weekdayCode,
  withKind,
} from "./rrule-builder";

const draft = (over: Partial<RecurrenceDraft>): RecurrenceDraft => ({ ...NO_RECURRENCE, ...over });

describe("buildRrule: every editor option", () => {
  const cases: Array<[string, Partial<RecurrenceDraft>, string | undefined]> = [
    ["no repeat", { kind: "none" }, undefined],
    ["daily", { kind: "daily" }, "FREQ=DAILY"],
    ["every weekday", { kind: "weekdays" }, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"],
    ["weekly on the due weekday", { kind: "weekly", weekdays: [] }, "FREQ=WEEKLY"],
    ["weekly on Monday", { kind: "weekly", weekdays: ["MO"] }, "FREQ=WEEKLY;BYDAY=MO"],
    [
      "weekly, days given out of order",
      { kind: "weekly", weekdays: ["FR", "MO", "WE"] },
      "FREQ=WEEKLY;BYDAY=MO,WE,FR",
    ],
    ["monthly on the due day", { kind: "monthly", monthly: { mode: "due" } }, "FREQ=MONTHLY"],
    [
      "monthly on the 1st",
      { kind: "monthly", monthly: { mode: "day", day: 1 } },
      "FREQ=MONTHLY;BYMONTHDAY=1",
    ],
    [
      "monthly on the 31st",
      { kind: "monthly", monthly: { mode: "day", day: 31 } },
      "FREQ=MONTHLY;BYMONTHDAY=31",
    ],
    ["monthly on the last day", { kind: "monthly", monthly: { mode: "last" } }, "FREQ=MONTHLY;BYMONTHDAY=-1"],
    [
      "monthly on the 2nd Friday",
      { kind: "monthly", monthly: { mode: "nth", nth: 2, weekday: "FR" } },
      "FREQ=MONTHLY;BYDAY=2FR",
    ],
    [
      "monthly on the last Monday",
      { kind: "monthly", monthly: { mode: "nth", nth: -1, weekday: "MO" } },
      "FREQ=MONTHLY;BYDAY=-1MO",
    ],
    ["yearly", { kind: "yearly" }, "FREQ=YEARLY"],
    ["every 3 days", { kind: "custom", unit: "DAILY", interval: 3 }, "FREQ=DAILY;INTERVAL=3"],
    ["every 4 hours", { kind: "custom", unit: "HOURLY", interval: 4 }, "FREQ=HOURLY;INTERVAL=4"],
    [
      "every 2 weeks on Tuesday and Thursday",
      { kind: "custom", unit: "WEEKLY", interval: 2, weekdays: ["TH", "TU"] },
      "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
    ],
    [
      "every 3 months on the last Monday",
      { kind: "custom", unit: "MONTHLY", interval: 3, monthly: { mode: "nth", nth: -1, weekday: "MO" } },
      "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1MO",
    ],
    ["every 2 years", { kind: "custom", unit: "YEARLY", interval: 2 }, "FREQ=YEARLY;INTERVAL=2"],
    [
      "custom with interval 1 is the plain rule",
      { kind: "custom", unit: "DAILY", interval: 1 },
      "FREQ=DAILY",
    ],
    ["ends after 5 times", { kind: "daily", end: { kind: "count", count: 5 } }, "FREQ=DAILY;COUNT=5"],
    [
      "ends on a date",
      { kind: "weekly", weekdays: ["MO"], end: { kind: "until", date: "2027-12-31" } },
      "FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231",
    ],
    [
      "keeps a UTC UNTIL while its date is unchanged",
      { kind: "daily", end: { kind: "until", date: "2027-04-12", raw: "20270412T070000Z" } },
      "FREQ=DAILY;UNTIL=20270412T070000Z",
    ],
    [
      "a changed UNTIL date drops the old form",
      { kind: "daily", end: { kind: "until", date: "2027-05-01", raw: "20270412T070000Z" } },
      "FREQ=DAILY;UNTIL=20270501",
    ],
    [
      "advanced text is kept as typed",
      { kind: "rrule", rrule: " FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU " },
      "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU",
    ],
    ["advanced text loses an RRULE: prefix", { kind: "rrule", rrule: "RRULE:FREQ=DAILY" }, "FREQ=DAILY"],
  ];
  for (const [name, over, rule] of cases) {
    test(name, () => expect(buildRrule(draft(over))).toBe(rule));
  }
});

describe("round trip rule → form → rule", () => {
  const formRules: Array<[string, RecurrenceDraft["kind"]]> = [
    ["FREQ=DAILY", "daily"],
    ["FREQ=DAILY;INTERVAL=3", "custom"],
    ["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "weekdays"],
    ["FREQ=WEEKLY", "weekly"],
    ["FREQ=WEEKLY;BYDAY=MO", "weekly"],
    ["FREQ=WEEKLY;BYDAY=SA,SU", "weekly"],
    ["FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "custom"],
    ["FREQ=MONTHLY", "monthly"],
    ["FREQ=MONTHLY;BYMONTHDAY=1", "monthly"],
    ["FREQ=MONTHLY;BYMONTHDAY=-1", "monthly"],
    ["FREQ=MONTHLY;BYDAY=2FR", "monthly"],
    ["FREQ=MONTHLY;BYDAY=-1MO", "monthly"],
    ["FREQ=MONTHLY;BYDAY=5SU", "monthly"],
    ["FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15", "custom"],
    ["FREQ=YEARLY", "yearly"],
    ["FREQ=YEARLY;INTERVAL=5", "custom"],
    ["FREQ=HOURLY;INTERVAL=4", "custom"],
    ["FREQ=HOURLY", "custom"],
    ["FREQ=DAILY;COUNT=5", "daily"],
    ["FREQ=WEEKLY;BYDAY=MO;UNTIL=20271231", "weekly"],
    ["FREQ=DAILY;UNTIL=20270412T070000Z", "daily"],
    ["FREQ=DAILY;UNTIL=20270110T233000", "daily"],
  ];
  for (const [rule, kind] of formRules) {
    test(`${rule} is a ${kind} form and builds back exactly`, () => {
      const d = parseRrule(rule);
      expect(d.kind).toBe(kind);
      expect(buildRrule(d)).toBe(rule);
    });
  }

  test("order of parts and weekdays, case, INTERVAL=1 and a RRULE: prefix do not matter", () => {
    const d = parseRrule("RRULE:byday=fr,mo;freq=weekly;interval=1");
    expect(d.kind).toBe("weekly");
    expect(d.weekdays).toEqual(["MO", "FR"]);
    expect(buildRrule(d)).toBe("FREQ=WEEKLY;BYDAY=MO,FR");
    expect(sameRule(buildRrule(d) ?? "", "BYDAY=FR,MO;FREQ=WEEKLY;INTERVAL=1")).toBe(true);
  });

  test("the anchor is carried", () => {
    expect(parseRrule("FREQ=DAILY;INTERVAL=3", "COMPLETION").anchor).toBe("COMPLETION");
    expect(parseRrule("FREQ=DAILY").anchor).toBe("SCHEDULE");
  });

  test("an empty rule is no recurrence", () => {
    expect(parseRrule("").kind).toBe("none");
    expect(buildRrule(parseRrule("  "))).toBeUndefined();
  });

  const advanced = [
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU",
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=MONTHLY;BYMONTHDAY=-3",
    "FREQ=MONTHLY;BYDAY=MO",
    "FREQ=DAILY;BYHOUR=9,17",
    "FREQ=DAILY;BYDAY=MO",
    "FREQ=DAILY;COUNT=3;UNTIL=20270101",
    "FREQ=SOMETIMES",
    "FREQ=MINUTELY",
    "not a rule",
  ];
  for (const rule of advanced) {
    test(`${rule} is kept verbatim as an advanced rule`, () => {
      const d = parseRrule(rule);
      expect(d.kind).toBe("rrule");
      expect(buildRrule(d)).toBe(rule);
    });
  }
});

describe("withKind", () => {
  test("weekly starts on the due date's weekday", () => {
    // 2027-01-08 is a Friday.
    expect(withKind(NO_RECURRENCE, "weekly", "2027-01-08").weekdays).toEqual(["FR"]);
    expect(buildRrule(withKind(NO_RECURRENCE, "weekly", "2027-01-08"))).toBe("FREQ=WEEKLY;BYDAY=FR");
  });
  test("custom keeps the unit of the previous choice and starts at every 2", () => {
    const weekly = withKind(NO_RECURRENCE, "weekly", "2027-01-08");
    expect(buildRrule(withKind(weekly, "custom"))).toBe("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR");
  });
  test("advanced starts from the current rule", () => {
    const monthly = draft({ kind: "monthly", monthly: { mode: "nth", nth: 2, weekday: "FR" } });
    expect(withKind(monthly, "rrule").rrule).toBe("FREQ=MONTHLY;BYDAY=2FR");
  });
});

describe("dates", () => {
  test("weekdayCode", () => {
    expect(weekdayCode("2027-01-04")).toBe("MO");
    expect(weekdayCode("2027-01-10")).toBe("SU");
    expect(weekdayCode("nope")).toBeUndefined();
  });
  test("nthOfDate", () => {
    expect(nthOfDate("2027-01-08")).toEqual({ nth: 2, weekday: "FR", isLast: false });
    expect(nthOfDate("2027-01-25")).toEqual({ nth: 4, weekday: "MO", isLast: true });
    expect(nthOfDate("2027-01-29")).toEqual({ nth: 5, weekday: "FR", isLast: true });
  });
});
