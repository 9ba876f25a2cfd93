/**
 * Edges: daylight-saving days, month ends, 29 February, times already past, the day boundary
 * falling differently in different zones, quotes, and the span invariants on random input.
 */
import { describe, expect, test } from "bun:test";
import { previewOccurrences } from "@todo/recurrence";
import fc from "fast-check";
import { local, reminderText, spanProblems } from "../test/fixtures.ts";
import { CASES } from "./phrase-table.ts";
import { parseQuickAdd, type QuickAddResult } from "./quick-add.ts";

function parse(text: string, now: string, timeZone: string): QuickAddResult {
  return parseQuickAdd(text, { now: new Date(now), timeZone });
}

describe("daylight-saving time", () => {
  // New York springs forward on Sunday 14 March 2027 (02:00 → 03:00) and falls back on 7 November.
  const sat = "2027-03-13T15:00:00Z"; // Saturday 10:00 EST

  test("a wall-clock time is kept across the change: tomorrow 9am is 09:00 EDT", () => {
    const r = parse("call tomorrow 9am", sat, "America/New_York");
    expect(r.due?.time.toISOString()).toBe("2027-03-14T13:00:00.000Z");
  });

  test("a time that does not exist moves forward by the gap: 02:30 → 03:30", () => {
    const r = parse("call tomorrow 2:30am", sat, "America/New_York");
    expect(r.due?.time.toISOString()).toBe("2027-03-14T07:30:00.000Z");
    expect(local(r.due?.time as Date, "America/New_York")).toBe("2027-03-14 03:30");
  });

  test("a time that happens twice is the first one", () => {
    const r = parse("call tomorrow 1:30am", "2027-11-06T15:00:00Z", "America/New_York");
    expect(r.due?.time.toISOString()).toBe("2027-11-07T05:30:00.000Z"); // 01:30 EDT
  });

  test("in 24 hours is 24 real hours; in 1 day is the next calendar date", () => {
    expect(local(parse("x in 24 hours", sat, "America/New_York").due?.time as Date)).toBe("2027-03-14 11:00");
    const day = parse("x in 1 day", sat, "America/New_York");
    expect(local(day.due?.time as Date)).toBe("2027-03-14 23:59");
    expect(day.due?.hasTime).toBe(false);
  });

  test("a series whose first time falls in the gap keeps its own time of day", () => {
    const r = parse("every day at 2:30am", "2027-03-27T11:00:00Z", "Europe/Berlin");
    expect(r.due?.time.toISOString()).toBe("2027-03-28T01:30:00.000Z"); // 03:30 CEST
    expect(r.recurrence?.rrule).toBe("FREQ=DAILY;BYHOUR=2;BYMINUTE=30");
    // the scheduler's engine then gives 02:30 again from the next day
    const next = previewOccurrences(r.recurrence?.rrule as string, r.due?.time as Date, "Europe/Berlin", 3);
    expect(next.map((d) => local(d, "Europe/Berlin"))).toEqual([
      "2027-03-28 03:30",
      "2027-03-29 02:30",
      "2027-03-30 02:30",
    ]);
  });
});

describe("month ends and 29 February", () => {
  const jan31 = "2027-01-31T15:00:00Z"; // Sunday 31 January, 10:00 New York

  test("in 1 month from 31 January is the last day of February", () => {
    expect(local(parse("x in 1 month", jan31, "America/New_York").due?.time as Date).slice(0, 10)).toBe(
      "2027-02-28",
    );
  });

  test("next month is its 1st; end of month is its last day", () => {
    expect(local(parse("x next month", jan31, "America/New_York").due?.time as Date).slice(0, 10)).toBe(
      "2027-02-01",
    );
    expect(
      local(parse("x end of month", "2028-02-10T15:00:00Z", "America/New_York").due?.time as Date).slice(
        0,
        10,
      ),
    ).toBe("2028-02-29");
  });

  test("every month on the 31st skips months without one", () => {
    const r = parse("x every month on the 31st", "2027-02-01T15:00:00Z", "America/New_York");
    expect(local(r.due?.time as Date).slice(0, 10)).toBe("2027-03-31");
  });

  test("every last day of the month from February of a leap year", () => {
    const r = parse("x every last day of the month", "2028-02-10T15:00:00Z", "America/New_York");
    expect(local(r.due?.time as Date).slice(0, 10)).toBe("2028-02-29");
  });

  test("29 February without a year waits for the next leap year", () => {
    expect(
      local(parse("x Feb 29", "2028-03-01T15:00:00Z", "America/New_York").due?.time as Date).slice(0, 10),
    ).toBe("2032-02-29");
    expect(
      local(parse("x in 1 year", "2028-02-29T15:00:00Z", "America/New_York").due?.time as Date).slice(0, 10),
    ).toBe("2029-02-28");
  });

  test("a date without a year that has passed means next year's", () => {
    expect(
      local(parse("x Jan 5", "2027-01-15T15:00:00Z", "America/New_York").due?.time as Date).slice(0, 10),
    ).toBe("2028-01-05");
  });

  test("until a date takes the next one after today, written as a DATE", () => {
    const r = parse("x every day until Jan 5", "2027-01-15T15:00:00Z", "America/New_York");
    expect(r.recurrence?.rrule).toBe("FREQ=DAILY;UNTIL=20280105");
  });
});

describe("times already past", () => {
  const evening = "2027-01-16T00:00:00Z"; // Friday 15 January, 19:00 New York

  test("a time alone means the next one: 6pm at 19:00 is tomorrow", () => {
    expect(local(parse("x 6pm", evening, "America/New_York").due?.time as Date)).toBe("2027-01-16 18:00");
    expect(local(parse("x at 10", evening, "America/New_York").due?.time as Date)).toBe("2027-01-16 10:00");
  });

  test("a time later today stays today", () => {
    expect(local(parse("x 8pm", evening, "America/New_York").due?.time as Date)).toBe("2027-01-15 20:00");
  });

  test("a date typed explicitly is kept even when its time has passed", () => {
    expect(local(parse("x today 6pm", evening, "America/New_York").due?.time as Date)).toBe(
      "2027-01-15 18:00",
    );
  });

  test("a weekday that is today with a time passed means next week", () => {
    expect(local(parse("x friday 6pm", evening, "America/New_York").due?.time as Date)).toBe(
      "2027-01-22 18:00",
    );
    expect(local(parse("x friday 8pm", evening, "America/New_York").due?.time as Date)).toBe(
      "2027-01-15 20:00",
    );
  });

  test("a series' first occurrence is never in the past", () => {
    const r = parse("every day at 6pm", evening, "America/New_York");
    expect(local(r.due?.time as Date)).toBe("2027-01-16 18:00");
  });

  test("a minute exactly on time counts as not past", () => {
    expect(local(parse("x every day at 7pm", evening, "America/New_York").due?.time as Date)).toBe(
      "2027-01-15 19:00",
    );
  });
});

describe("time zones", () => {
  // 03:00 UTC on 16 January: still the 15th (22:00) in New York, already the 16th (12:00) in Tokyo.
  const instant = "2027-01-16T03:00:00Z";

  test("tomorrow 6pm is 18:00 in the given zone", () => {
    const ny = parse("call mom tomorrow 6pm", instant, "America/New_York");
    const tokyo = parse("call mom tomorrow 6pm", instant, "Asia/Tokyo");
    expect(ny.due?.time.toISOString()).toBe("2027-01-16T23:00:00.000Z");
    expect(tokyo.due?.time.toISOString()).toBe("2027-01-17T09:00:00.000Z");
  });

  test("today is the zone's today", () => {
    expect(local(parse("x today", instant, "America/New_York").due?.time as Date, "America/New_York")).toBe(
      "2027-01-15 23:59",
    );
    expect(local(parse("x today", instant, "Asia/Tokyo").due?.time as Date, "Asia/Tokyo")).toBe(
      "2027-01-16 23:59",
    );
  });

  test("an hourly series starts on the zone's next whole hour (India is UTC+05:30)", () => {
    const r = parse("x every hour", "2027-01-15T10:10:00Z", "Asia/Kolkata"); // 15:40 IST
    expect(r.due?.time.toISOString()).toBe("2027-01-15T10:30:00.000Z"); // 16:00 IST
  });

  test("an unknown zone is an error, never a silent UTC", () => {
    expect(() => parseQuickAdd("x tomorrow", { now: new Date(), timeZone: "Mars/Olympus" })).toThrow(
      RangeError,
    );
  });

  test("a custom time for dates without one", () => {
    const r = parseQuickAdd("x tomorrow", {
      now: new Date(instant),
      timeZone: "Asia/Tokyo",
      dateOnlyTime: { hour: 9, minute: 0 },
    });
    expect(local(r.due?.time as Date, "Asia/Tokyo")).toBe("2027-01-17 09:00");
    expect(r.due?.hasTime).toBe(false);
  });
});

describe("quotes and odd input", () => {
  const now = "2027-01-15T15:30:00Z";
  const ny = "America/New_York";

  test("words inside quotes are never parsed", () => {
    const r = parse('Buy "next Friday" tickets #fun tomorrow', now, ny);
    expect(r.title).toBe('Buy "next Friday" tickets');
    expect(r.tags).toEqual(["fun"]);
    expect(local(r.due?.time as Date).slice(0, 10)).toBe("2027-01-16");
    expect(parse("Watch “every day at 9” doc", now, ny)).toMatchObject({
      title: "Watch “every day at 9” doc",
      reminders: [],
    });
    expect(parse("Say 'see you tomorrow' to Ann", now, ny).due).toBeUndefined();
  });

  test("an unclosed quote protects the rest of the line while typing", () => {
    const r = parse('Buy "tomorrow 6pm', now, ny);
    expect(r.due).toBeUndefined();
    expect(r.title).toBe('Buy "tomorrow 6pm');
  });

  test("apostrophes are not quotes", () => {
    const r = parse("mom's gift tomorrow", now, ny);
    expect(r.title).toBe("mom's gift");
    expect(r.due).toBeDefined();
  });

  test("empty and blank text", () => {
    for (const text of ["", "   "]) {
      expect(parse(text, now, ny)).toEqual({ title: "", tags: [], reminders: [], spans: [], timeZone: ny });
    }
  });

  test("the last priority typed wins, and every one is removed", () => {
    const r = parse("!low do it !high", now, ny);
    expect(r.priority).toBe("high");
    expect(r.title).toBe("do it");
  });

  test("a reminder with nothing to go on is at the due time", () => {
    const r = parse("call mom tomorrow 6pm and remind me", now, ny);
    expect(r.reminders.map((x) => reminderText(x))).toEqual(["-0m"]);
    expect(r.title).toBe("call mom");
  });
});

describe("span invariants on random input", () => {
  const fragments = [
    ...CASES.map((c) => c.text),
    "tomorrow",
    "at 6pm",
    "every",
    "on",
    "at",
    "#tag",
    "!high",
    "!1",
    ",",
    "(",
    ")",
    '"',
    "'quoted words'",
    "remind me",
    "before",
    "and",
    "the",
    "of",
    "every month",
    "30 minutes",
    "until",
    "12/24",
    "3:15",
    "p:low",
    "priority",
    "weekly",
    "in",
    "2 hours",
    "-",
    "C#",
    "every!",
  ];

  test("spans are ordered, disjoint and cover every word the title lost; parsing never throws", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (parts, seconds) => {
          const text = parts.join(" ");
          const r = parseQuickAdd(text, {
            now: new Date(Date.UTC(2027, 0, 1) + (seconds % 31_536_000) * 1000),
            timeZone: "Europe/Berlin",
          });
          expect(spanProblems(text, r)).toEqual([]);
          if (r.due) expect(Number.isFinite(r.due.time.getTime())).toBe(true);
          for (const x of r.reminders) {
            if ("at" in x) expect(Number.isFinite(x.at.getTime())).toBe(true);
            else expect(x.beforeDueMs).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 1000 },
    );
  }, 60_000);
  test("random character soup in odd zones and years: no throw, invariants hold", () => {
    const pieces = fc.constantFrom(
      ..."ab019 :./-#!@\"'“”,()&eioprtmnsxyz".split(""),
      " every ",
      " at ",
      " on ",
      " the ",
      "pm",
      " tomorrow ",
      " remind me ",
      " before ",
      " until ",
      " day ",
      " month ",
      "st",
      " last ",
      " of ",
      " in ",
      " hours ",
      "Dec",
      " sat ",
      "!high",
      " times ",
      "\n",
    );
    const zones = fc.constantFrom(
      "UTC",
      "America/New_York",
      "Asia/Kolkata",
      "Australia/Lord_Howe",
      "Pacific/Apia",
    );
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 40 }),
        zones,
        fc.integer({ min: -2e9, max: 2e9 }),
        (parts, zone, s) => {
          const text = parts.join("");
          const r = parseQuickAdd(text, { now: new Date(Date.UTC(2027, 0, 1) + s * 1000), timeZone: zone });
          expect(spanProblems(text, r)).toEqual([]);
        },
      ),
      { numRuns: 1000 },
    );
  }, 60_000);
});
