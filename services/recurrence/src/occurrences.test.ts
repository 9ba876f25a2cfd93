/**
 * Unit tests of the recurrence rules (docs/recurrence.md). Expected instants are written out in
 * UTC where DST matters, so the tests do not trust the code's own conversions. The same file runs
 * under other process time zones in tz.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { Temporal } from "temporal-polyfill";
import { RecurrenceError, RecurrenceLimitError } from "./expand.ts";
import { MAX_PREVIEW, type NextOccurrenceInput, nextOccurrence, previewOccurrences } from "./occurrences.ts";

const BERLIN = "Europe/Berlin";
const NY = "America/New_York";

/** The instant of local wall-clock time `wall` (e.g. "2027-01-04T09:00") in `zone`. */
function at(wall: string, zone: string): Date {
  return new Date(Temporal.PlainDateTime.from(wall).toZonedDateTime(zone).epochMilliseconds);
}

/** `date` as local wall-clock time in `zone`, to the minute ("2027-01-04T09:00"). */
function local(date: Date, zone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(date.getTime())
    .toZonedDateTimeISO(zone)
    .toPlainDateTime()
    .toString({ smallestUnit: "minute" });
}

const utc = (dates: Date[]) => dates.map((d) => d.toISOString());
const locals = (dates: Date[], zone: string) => dates.map((d) => local(d, zone));

function preview(rule: string, wall: string, zone: string, count: number): string[] {
  return locals(previewOccurrences(rule, at(wall, zone), zone, count), zone);
}

describe("previewOccurrences", () => {
  test("the start is the first occurrence when it fits the rule; otherwise the rule's first after it", () => {
    expect(preview("FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00", BERLIN, 3)).toEqual([
      "2027-01-04T09:00",
      "2027-01-11T09:00",
      "2027-01-18T09:00",
    ]);
    // A Wednesday start for a Monday rule: the Mondays after it; COUNT=3 counts Mondays only.
    expect(preview("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2027-01-06T09:00", BERLIN, 10)).toEqual([
      "2027-01-11T09:00",
      "2027-01-18T09:00",
      "2027-01-25T09:00",
    ]);
    // A Thursday for "monthly on the last Friday"; 1 January for "yearly on 29 February".
    expect(preview("FREQ=MONTHLY;BYDAY=-1FR", "2027-01-28T09:00", BERLIN, 2)).toEqual([
      "2027-01-29T09:00",
      "2027-02-26T09:00",
    ]);
    expect(preview("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2027-01-01T09:00", BERLIN, 2)).toEqual([
      "2028-02-29T09:00",
      "2032-02-29T09:00",
    ]);
  });

  test("an instant occurs once: HOURLY across spring-forward in New York (RFC 5545 §3.8.5.3)", () => {
    // 02:30 does not exist on 14 March 2027: it is 03:30 EDT, the instant of the real 03:30.
    expect(utc(previewOccurrences("FREQ=HOURLY;COUNT=5", at("2027-03-14T00:30", NY), NY, 10))).toEqual([
      "2027-03-14T05:30:00.000Z",
      "2027-03-14T06:30:00.000Z",
      "2027-03-14T07:30:00.000Z",
      "2027-03-14T08:30:00.000Z",
      "2027-03-14T09:30:00.000Z",
    ]);
  });

  test("keeps the start's seconds and milliseconds", () => {
    const start = new Date("2027-01-04T08:00:30.250Z");
    expect(utc(previewOccurrences("FREQ=DAILY", start, BERLIN, 2))).toEqual([
      "2027-01-04T08:00:30.250Z",
      "2027-01-05T08:00:30.250Z",
    ]);
  });

  test("count: 0 gives none; negative, fractional or above the maximum is refused", () => {
    expect(previewOccurrences("FREQ=DAILY", at("2027-01-04T09:00", BERLIN), BERLIN, 0)).toEqual([]);
    for (const count of [-1, 1.5, MAX_PREVIEW + 1, Number.NaN]) {
      expect(() => previewOccurrences("FREQ=DAILY", new Date(), BERLIN, count)).toThrow(RecurrenceError);
    }
    const all = previewOccurrences("FREQ=DAILY", at("2027-01-04T09:00", BERLIN), BERLIN, MAX_PREVIEW);
    expect(all).toHaveLength(1000);
    expect(local(all.at(-1) as Date, BERLIN)).toBe("2029-09-29T09:00");
  });

  test("refuses invalid rules, zones and dates with RecurrenceError", () => {
    const start = at("2027-01-04T09:00", BERLIN);
    for (const rule of [
      "",
      "FREQ=SOMETIMES",
      "RRULE:FREQ=DAILY",
      "FREQ=DAILY;INTERVAL=abc",
      "FREQ=DAILY;BYDAY=XX",
      "FREQ=DAILY;COUNT=2;UNTIL=20270101",
      "FREQ=MINUTELY",
      "INTERVAL=2",
    ]) {
      expect(() => previewOccurrences(rule, start, BERLIN, 3)).toThrow(RecurrenceError);
    }
    expect(() => previewOccurrences("FREQ=DAILY", start, "Mars/Olympus_Mons", 3)).toThrow(/IANA time zone/);
    expect(() => previewOccurrences("FREQ=DAILY", new Date(Number.NaN), BERLIN, 3)).toThrow(RecurrenceError);
    expect(() => previewOccurrences("FREQ=DAILY", new Date("0099-01-01T00:00:00Z"), BERLIN, 3)).toThrow(
      /1000 and 9999/,
    );
    expect(() => previewOccurrences("FREQ=DAILY", new Date("+010000-01-01T00:00:00Z"), BERLIN, 3)).toThrow(
      /1000 and 9999/,
    );
  });

  test("rule names and values are case-insensitive", () => {
    expect(preview("freq=weekly;byday=mo,we", "2027-01-04T09:00", BERLIN, 3)).toEqual([
      "2027-01-04T09:00",
      "2027-01-06T09:00",
      "2027-01-11T09:00",
    ]);
  });

  describe("wall-clock time survives DST", () => {
    test("daily 09:00 Europe/Berlin across 2027-03-28 (spring forward) and 2027-10-31 (fall back)", () => {
      const spring = previewOccurrences("FREQ=DAILY", at("2027-03-27T09:00", BERLIN), BERLIN, 3);
      expect(utc(spring)).toEqual([
        "2027-03-27T08:00:00.000Z", // CET, UTC+1
        "2027-03-28T07:00:00.000Z", // CEST, UTC+2
        "2027-03-29T07:00:00.000Z",
      ]);
      const autumn = previewOccurrences("FREQ=DAILY", at("2027-10-30T09:00", BERLIN), BERLIN, 3);
      expect(utc(autumn)).toEqual([
        "2027-10-30T07:00:00.000Z",
        "2027-10-31T08:00:00.000Z",
        "2027-11-01T08:00:00.000Z",
      ]);
    });

    test("a time the spring change skips moves forward by the gap (Temporal 'compatible'), then returns", () => {
      // 02:30 does not exist on 2027-03-28 in Berlin: it becomes 03:30 CEST.
      expect(utc(previewOccurrences("FREQ=DAILY", new Date("2027-03-27T01:30:00Z"), BERLIN, 3))).toEqual([
        "2027-03-27T01:30:00.000Z", // 02:30 CET
        "2027-03-28T01:30:00.000Z", // 03:30 CEST
        "2027-03-29T00:30:00.000Z", // 02:30 CEST
      ]);
    });

    test("a time the autumn change repeats is the first (summer-time) one", () => {
      // 02:30 happens twice on 2027-10-31 in Berlin: 00:30Z (CEST) and 01:30Z (CET).
      expect(utc(previewOccurrences("FREQ=DAILY", new Date("2027-10-30T00:30:00Z"), BERLIN, 3))).toEqual([
        "2027-10-30T00:30:00.000Z",
        "2027-10-31T00:30:00.000Z",
        "2027-11-01T01:30:00.000Z",
      ]);
    });

    test("weekly Monday 09:00 in New York across 2027-03-14 and 2027-11-07", () => {
      const dates = previewOccurrences("FREQ=WEEKLY;BYDAY=MO", at("2027-03-08T09:00", NY), NY, 2);
      expect(utc(dates)).toEqual(["2027-03-08T14:00:00.000Z", "2027-03-15T13:00:00.000Z"]);
      const later = previewOccurrences("FREQ=WEEKLY;BYDAY=MO", at("2027-11-01T09:00", NY), NY, 2);
      expect(utc(later)).toEqual(["2027-11-01T13:00:00.000Z", "2027-11-08T14:00:00.000Z"]);
    });
  });

  describe("RFC 5545 month ends", () => {
    test("BYMONTHDAY=31 skips months without a 31st", () => {
      expect(preview("FREQ=MONTHLY;BYMONTHDAY=31", "2027-01-31T09:00", BERLIN, 5)).toEqual([
        "2027-01-31T09:00",
        "2027-03-31T09:00",
        "2027-05-31T09:00",
        "2027-07-31T09:00",
        "2027-08-31T09:00",
      ]);
    });

    test("BYMONTHDAY=-1 is the last day of every month, 29 February in leap years", () => {
      expect(preview("FREQ=MONTHLY;BYMONTHDAY=-1", "2027-12-31T09:00", BERLIN, 5)).toEqual([
        "2027-12-31T09:00",
        "2028-01-31T09:00",
        "2028-02-29T09:00",
        "2028-03-31T09:00",
        "2028-04-30T09:00",
      ]);
    });

    test("monthly from 31 January without BYMONTHDAY skips to 31 March — never 3 March", () => {
      expect(preview("FREQ=MONTHLY", "2027-01-31T09:00", BERLIN, 3)).toEqual([
        "2027-01-31T09:00",
        "2027-03-31T09:00",
        "2027-05-31T09:00",
      ]);
    });

    test("yearly from 29 February comes only in leap years", () => {
      expect(preview("FREQ=YEARLY", "2028-02-29T09:00", BERLIN, 3)).toEqual([
        "2028-02-29T09:00",
        "2032-02-29T09:00",
        "2036-02-29T09:00",
      ]);
    });
  });

  describe("weekdays, positions and weeks", () => {
    test("BYDAY=2FR: the second Friday of each month", () => {
      expect(preview("FREQ=MONTHLY;BYDAY=2FR", "2027-01-08T18:00", BERLIN, 4)).toEqual([
        "2027-01-08T18:00",
        "2027-02-12T18:00",
        "2027-03-12T18:00",
        "2027-04-09T18:00",
      ]);
    });

    test("BYDAY=-1MO: the last Monday of each month", () => {
      expect(preview("FREQ=MONTHLY;BYDAY=-1MO", "2027-01-25T09:00", NY, 4)).toEqual([
        "2027-01-25T09:00",
        "2027-02-22T09:00",
        "2027-03-29T09:00",
        "2027-04-26T09:00",
      ]);
    });

    test("BYSETPOS=-1 over weekdays: the last working day of each month", () => {
      expect(preview("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2027-01-29T09:00", NY, 4)).toEqual([
        "2027-01-29T09:00",
        "2027-02-26T09:00",
        "2027-03-31T09:00",
        "2027-04-30T09:00",
      ]);
    });

    test("WKST decides which weeks INTERVAL=2 picks (RFC 5545's own example)", () => {
      const rule = "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU";
      expect(preview(`${rule};WKST=MO`, "1997-08-05T09:00", NY, 10)).toEqual([
        "1997-08-05T09:00",
        "1997-08-10T09:00",
        "1997-08-19T09:00",
        "1997-08-24T09:00",
      ]);
      expect(preview(`${rule};WKST=SU`, "1997-08-05T09:00", NY, 10)).toEqual([
        "1997-08-05T09:00",
        "1997-08-17T09:00",
        "1997-08-19T09:00",
        "1997-08-31T09:00",
      ]);
    });
  });

  describe("UNTIL is inclusive", () => {
    test("a UTC UNTIL is compared with instants", () => {
      // 09:00 Berlin on 12 April is 07:00Z: exactly UNTIL, so included.
      expect(preview("FREQ=WEEKLY;BYDAY=MO;UNTIL=20270412T070000Z", "2027-03-29T09:00", BERLIN, 10)).toEqual([
        "2027-03-29T09:00",
        "2027-04-05T09:00",
        "2027-04-12T09:00",
      ]);
      expect(
        preview("FREQ=WEEKLY;BYDAY=MO;UNTIL=20270412T065959Z", "2027-03-29T09:00", BERLIN, 10),
      ).toHaveLength(2);
    });

    test("a date UNTIL includes that whole day in the task's zone", () => {
      // 23:30 in New York on 10 January is already 11 January in UTC, but 10 January locally.
      expect(preview("FREQ=DAILY;UNTIL=20270110", "2027-01-08T23:30", NY, 10)).toEqual([
        "2027-01-08T23:30",
        "2027-01-09T23:30",
        "2027-01-10T23:30",
      ]);
    });

    test("a floating UNTIL is compared with local wall-clock time", () => {
      expect(preview("FREQ=DAILY;UNTIL=20270110T233000", "2027-01-08T23:30", NY, 10)).toHaveLength(3);
      expect(preview("FREQ=DAILY;UNTIL=20270110T232959", "2027-01-08T23:30", NY, 10)).toHaveLength(2);
    });
  });

  describe("bounded work", () => {
    test("occurrences beyond 1000 years after the start are not produced", () => {
      expect(preview("FREQ=YEARLY;INTERVAL=600", "2027-01-04T09:00", BERLIN, 5)).toEqual([
        "2027-01-04T09:00",
        "2627-01-04T09:00",
      ]);
    });

    // How long these take is not asserted here (a timed unit test fails on a busy machine, not on
    // slow code); the bounds that keep them short are: the 1000-year horizon for coarse rules, and
    // MAX_STEPS periods for fine ones, which is what makes the second test throw instead of walking
    // day by day to the year 9999.
    test("a rule that can never match gives no occurrence (the horizon ends it)", () => {
      for (const rule of [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
        "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6",
      ]) {
        expect(previewOccurrences(rule, at("2027-01-04T09:00", BERLIN), BERLIN, 3)).toEqual([]);
      }
    });

    test("a daily or hourly rule that never matches stops after MAX_STEPS periods with RecurrenceLimitError", () => {
      for (const rule of ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=HOURLY;BYMONTH=4;BYMONTHDAY=31"]) {
        expect(() => previewOccurrences(rule, at("2027-01-04T09:00", BERLIN), BERLIN, 3)).toThrow(
          RecurrenceLimitError,
        );
      }
    });
  });
});

/** A completion of the instance due at local `due` (Berlin unless given), completed at local `done`. */
function complete(
  rrule: string,
  due: string,
  done: string,
  more: Partial<NextOccurrenceInput> = {},
): { due: string; rrule: string } | undefined {
  const timeZone = more.timeZone ?? BERLIN;
  const completedAt = at(done, timeZone);
  const next = nextOccurrence({
    rrule,
    anchor: RecurrenceAnchor.SCHEDULE,
    timeZone,
    due: at(due, timeZone),
    completedAt,
    now: completedAt,
    ...more,
  });
  return next && { due: local(next.due, timeZone), rrule: next.rrule };
}

describe("nextOccurrence, SCHEDULE anchor ('every')", () => {
  test("a stored due time that does not fit its rule (created before CreateTask moved them) counts as one instance", () => {
    // Wednesday for a Monday rule: the next is the first Monday after it, COUNT drops by one.
    expect(complete("FREQ=WEEKLY;BYDAY=MO;COUNT=3", "2027-01-06T09:00", "2027-01-06T10:00")).toEqual({
      due: "2027-01-11T09:00",
      rrule: "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
    });
    expect(complete("FREQ=WEEKLY;BYDAY=MO;COUNT=1", "2027-01-06T09:00", "2027-01-06T10:00")).toBeUndefined();
    // Overdue: the Mondays of 11 and 18 January are skipped too.
    expect(complete("FREQ=WEEKLY;BYDAY=MO;COUNT=5", "2027-01-06T09:00", "2027-01-20T10:00")).toEqual({
      due: "2027-01-25T09:00",
      rrule: "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
    });
  });

  test.each([
    // rule, due, completed (= now), next due, next rule
    ["FREQ=DAILY", "2027-01-04T09:00", "2027-01-04T10:00", "2027-01-05T09:00", "FREQ=DAILY"],
    ["FREQ=DAILY;COUNT=5", "2027-01-04T09:00", "2027-01-04T10:00", "2027-01-05T09:00", "FREQ=DAILY;COUNT=4"],
    // Completed two days early: the next one is still the one after the due time.
    ["FREQ=DAILY", "2027-01-06T09:00", "2027-01-04T10:00", "2027-01-07T09:00", "FREQ=DAILY"],
    [
      "FREQ=WEEKLY;BYDAY=MO,TH",
      "2027-01-04T09:00",
      "2027-01-04T09:30",
      "2027-01-07T09:00",
      "FREQ=WEEKLY;BYDAY=MO,TH",
    ],
    ["FREQ=MONTHLY", "2027-01-31T09:00", "2027-01-31T12:00", "2027-03-31T09:00", "FREQ=MONTHLY"],
    [
      "FREQ=MONTHLY;BYMONTHDAY=-1",
      "2027-01-31T09:00",
      "2027-01-31T12:00",
      "2027-02-28T09:00",
      "FREQ=MONTHLY;BYMONTHDAY=-1",
    ],
    [
      "FREQ=MONTHLY;BYDAY=2FR",
      "2027-01-08T18:00",
      "2027-01-08T19:00",
      "2027-02-12T18:00",
      "FREQ=MONTHLY;BYDAY=2FR",
    ],
    [
      "FREQ=MONTHLY;BYDAY=-1MO",
      "2027-01-25T09:00",
      "2027-01-25T10:00",
      "2027-02-22T09:00",
      "FREQ=MONTHLY;BYDAY=-1MO",
    ],
    ["FREQ=YEARLY", "2028-02-29T09:00", "2028-02-29T10:00", "2032-02-29T09:00", "FREQ=YEARLY"],
    // A Wednesday instance of a Monday rule (created on a Wednesday): next Monday.
    [
      "FREQ=WEEKLY;BYDAY=MO;COUNT=3",
      "2027-01-06T09:00",
      "2027-01-06T10:00",
      "2027-01-11T09:00",
      "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
    ],
  ])("%s due %s, completed %s → %s", (rule, due, done, nextDue, nextRule) => {
    expect(complete(rule, due, done)).toEqual({ due: nextDue, rrule: nextRule });
  });

  test("UNSPECIFIED behaves as SCHEDULE", () => {
    const next = complete("FREQ=DAILY", "2027-01-04T09:00", "2027-01-06T10:00", {
      anchor: RecurrenceAnchor.UNSPECIFIED,
    });
    expect(next?.due).toBe("2027-01-07T09:00");
  });

  test("COUNT=1 is the last instance; UNTIL ends the series", () => {
    expect(complete("FREQ=DAILY;COUNT=1", "2027-01-04T09:00", "2027-01-04T10:00")).toBeUndefined();
    expect(complete("FREQ=DAILY;UNTIL=20270104", "2027-01-04T09:00", "2027-01-04T10:00")).toBeUndefined();
    expect(complete("FREQ=DAILY;UNTIL=20270105", "2027-01-04T09:00", "2027-01-04T10:00")?.due).toBe(
      "2027-01-05T09:00",
    );
    // 09:00 Berlin on 5 January is 08:00Z.
    expect(
      complete("FREQ=DAILY;UNTIL=20270105T075959Z", "2027-01-04T09:00", "2027-01-04T10:00"),
    ).toBeUndefined();
    expect(complete("FREQ=DAILY;UNTIL=20270105T080000Z", "2027-01-04T09:00", "2027-01-04T10:00")?.due).toBe(
      "2027-01-05T09:00",
    );
  });

  describe("an overdue series rolls forward to the first occurrence not in the past", () => {
    test("completed Thursday 08:00 for a daily 09:00 due Monday: today 09:00, three occurrences consumed", () => {
      expect(complete("FREQ=DAILY;COUNT=10", "2027-01-04T09:00", "2027-01-07T08:00")).toEqual({
        due: "2027-01-07T09:00",
        rrule: "FREQ=DAILY;COUNT=7",
      });
    });

    test("completed Thursday 10:00: tomorrow 09:00", () => {
      expect(complete("FREQ=DAILY;COUNT=10", "2027-01-04T09:00", "2027-01-07T10:00")).toEqual({
        due: "2027-01-08T09:00",
        rrule: "FREQ=DAILY;COUNT=6",
      });
    });

    test("an occurrence exactly at now is not in the past", () => {
      expect(complete("FREQ=DAILY", "2027-01-04T09:00", "2027-01-07T09:00")?.due).toBe("2027-01-07T09:00");
    });

    test("weekly, three weeks late", () => {
      expect(complete("FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00", "2027-01-27T12:00")?.due).toBe(
        "2027-02-01T09:00",
      );
    });

    test("the series ends when COUNT or UNTIL runs out while rolling", () => {
      expect(complete("FREQ=DAILY;COUNT=3", "2027-01-04T09:00", "2027-01-07T08:00")).toBeUndefined();
      expect(complete("FREQ=DAILY;UNTIL=20270106", "2027-01-04T09:00", "2027-01-07T08:00")).toBeUndefined();
    });

    test("now, not completedAt, decides what is in the past", () => {
      const next = complete("FREQ=DAILY", "2027-01-04T09:00", "2027-01-04T10:00", {
        now: at("2027-01-10T12:00", BERLIN),
      });
      expect(next?.due).toBe("2027-01-11T09:00");
    });
  });

  describe("DST", () => {
    test("daily 09:00 Berlin keeps 09:00 across the spring and autumn changes", () => {
      const due = at("2027-03-27T09:00", BERLIN);
      const spring = nextOccurrence({
        rrule: "FREQ=DAILY",
        anchor: RecurrenceAnchor.SCHEDULE,
        timeZone: BERLIN,
        due,
        completedAt: due,
        now: due,
      });
      expect(spring?.due.toISOString()).toBe("2027-03-28T07:00:00.000Z");
      expect(complete("FREQ=DAILY", "2027-10-30T09:00", "2027-10-30T09:00")?.due).toBe("2027-10-31T09:00");
      expect(at("2027-10-31T09:00", BERLIN).toISOString()).toBe("2027-10-31T08:00:00.000Z");
    });

    test("an instance moved by the spring gap keeps the series' time of day in its rule", () => {
      // Daily 02:30: on 28 March 02:30 does not exist, so that instance is due 03:30 CEST. Its rule
      // spells out the time of day, so the instance after it is at 02:30 again, not 03:30.
      const gap = complete("FREQ=DAILY;COUNT=5", "2027-03-27T02:30", "2027-03-27T03:00");
      expect(gap).toEqual({
        due: "2027-03-28T03:30",
        rrule: "FREQ=DAILY;COUNT=4;BYHOUR=2;BYMINUTE=30;BYSECOND=0",
      });
      const after = complete(gap?.rrule ?? "", "2027-03-28T03:30", "2027-03-28T04:00");
      expect(after).toEqual({
        due: "2027-03-29T02:30",
        rrule: "FREQ=DAILY;COUNT=3;BYHOUR=2;BYMINUTE=30;BYSECOND=0",
      });
    });
  });
});

describe("nextOccurrence, COMPLETION anchor ('every!')", () => {
  const completion = { anchor: RecurrenceAnchor.COMPLETION };

  test.each([
    // rule, due, completed, next due
    // The brief's example: every 3 days after I finish, due Monday 09:00, done Tuesday 14:00 → Friday 09:00.
    ["FREQ=DAILY;INTERVAL=3", "2027-01-04T09:00", "2027-01-05T14:00", "2027-01-08T09:00"],
    // Done on Tuesday before 09:00: still three days after Tuesday, not Tuesday 09:00.
    ["FREQ=DAILY;INTERVAL=3", "2027-01-04T09:00", "2027-01-05T08:00", "2027-01-08T09:00"],
    // Done days before the due date: counted from the completion all the same.
    ["FREQ=DAILY;INTERVAL=3", "2027-01-08T09:00", "2027-01-05T14:00", "2027-01-08T09:00"],
    ["FREQ=DAILY", "2027-01-04T09:00", "2027-01-10T22:00", "2027-01-11T09:00"],
    // "every! week": a week after the completion day (a Thursday), whatever the old weekday.
    ["FREQ=WEEKLY", "2027-01-04T09:00", "2027-01-07T12:00", "2027-01-14T09:00"],
    // A weekday rule: the next Monday after the completion.
    ["FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00", "2027-01-06T12:00", "2027-01-11T09:00"],
    ["FREQ=WEEKLY;BYDAY=MO", "2027-01-04T09:00", "2027-01-11T08:00", "2027-01-18T09:00"],
    // Monthly from a completion on the 31st: RFC 5545 month ends (no 31 February → 31 March).
    ["FREQ=MONTHLY", "2027-01-15T09:00", "2027-01-31T12:00", "2027-03-31T09:00"],
    // Hourly: from the completion's own time, to the minute.
    ["FREQ=HOURLY;INTERVAL=4", "2027-01-04T09:00", "2027-01-04T14:20", "2027-01-04T18:20"],
  ])("%s due %s, completed %s → %s", (rule, due, done, nextDue) => {
    expect(complete(rule, due, done, completion)).toEqual({ due: nextDue, rrule: rule });
  });

  test("COUNT drops by one; COUNT=1 and UNTIL end the series", () => {
    expect(
      complete("FREQ=DAILY;INTERVAL=3;COUNT=3", "2027-01-04T09:00", "2027-01-20T14:00", completion),
    ).toEqual({
      due: "2027-01-23T09:00",
      rrule: "FREQ=DAILY;INTERVAL=3;COUNT=2",
    });
    expect(
      complete("FREQ=DAILY;COUNT=1", "2027-01-04T09:00", "2027-01-04T10:00", completion),
    ).toBeUndefined();
    expect(
      complete("FREQ=DAILY;UNTIL=20270110", "2027-01-04T09:00", "2027-01-10T10:00", completion),
    ).toBeUndefined();
    expect(
      complete("FREQ=DAILY;UNTIL=20270110", "2027-01-04T09:00", "2027-01-09T10:00", completion)?.due,
    ).toBe("2027-01-10T09:00");
  });

  test("the completion's date is taken in the task's zone", () => {
    // 16:00Z on 5 January is already 01:00 on 6 January in Tokyo: the next due is 7 January.
    const tokyo = "Asia/Tokyo";
    const next = nextOccurrence({
      rrule: "FREQ=DAILY",
      anchor: RecurrenceAnchor.COMPLETION,
      timeZone: tokyo,
      due: at("2027-01-05T09:00", tokyo),
      completedAt: new Date("2027-01-05T16:00:00Z"),
      now: new Date("2027-01-05T16:00:00Z"),
    });
    expect(next && local(next.due, tokyo)).toBe("2027-01-07T09:00");
  });

  test("keeps the due wall-clock time across DST", () => {
    expect(complete("FREQ=DAILY", "2027-03-26T09:00", "2027-03-27T20:00", completion)?.due).toBe(
      "2027-03-28T09:00",
    );
    const next = nextOccurrence({
      rrule: "FREQ=DAILY",
      anchor: RecurrenceAnchor.COMPLETION,
      timeZone: NY,
      due: at("2027-11-05T09:00", NY),
      completedAt: at("2027-11-06T20:00", NY),
      now: at("2027-11-06T20:00", NY),
    });
    expect(next?.due.toISOString()).toBe("2027-11-07T14:00:00.000Z"); // 09:00 EST
  });
});
