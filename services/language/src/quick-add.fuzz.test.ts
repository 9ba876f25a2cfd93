/**
 * Fuzzing quick add (issue 13 §5): whatever is typed, in any zone at any moment, `parseQuickAdd`
 * returns within 100 ms, never throws, keeps the span invariants, gives real dates, and any rule it
 * makes is one the task service accepts. `FUZZ_RUNS` inputs per property (fuzz-support.ts).
 */
import { describe, expect, test } from "bun:test";
import { rruleProblem } from "@todo/recurrence";
import {
  fuzzParameters,
  fuzzTimeout,
  NUMBER_TEXT,
  rawText,
  tokenSoup,
  withinLimit,
} from "@todo/testkit/fuzz";
import fc from "fast-check";
import { spanProblems } from "../test/fixtures.ts";
import { describeRecurrence } from "./describe.ts";
import { parseQuickAdd, type QuickAddResult } from "./quick-add.ts";

const WORDS = fc.constantFrom(
  ...["every", "each", "other", "day", "days", "week", "weekday", "weekend", "month", "year", "hour"],
  ...["daily", "weekly", "monthly", "yearly", "hourly", "fortnight", "quarter", "quarterly"],
  ...["mon", "monday", "tues", "wed", "thursday", "fri", "sat", "sunday", "weekdays", "mondays"],
  ...["jan", "february", "feb", "mar", "sept", "december", "may", "june"],
  ...["today", "tonight", "tomorrow", "tmr", "yesterday", "next", "last", "this", "in", "on", "at"],
  ...["by", "from", "until", "till", "for", "after", "completion", "starting", "ending", "times"],
  ...["first", "second", "third", "fourth", "fifth", "last", "1st", "2nd", "3rd", "31st", "22nd", "0th"],
  ...["the", "of", "and", "or", "noon", "midnight", "morning", "evening", "eod", "end"],
  ...["am", "pm", "a.m.", "p.m.", "9am", "9:30pm", "12am", "12pm", "0:00", "23:59", "24:00", "25:61"],
  ...["17:00", "5.30pm", "1530", "9h", "2027-02-29", "2028-02-29", "2026-12-31", "12/31", "31/12"],
  ...["31.12.", "2/30", "13/13", "1/1/2030", "0/0", "9999-12-31", "0001-01-01", "2027-13-01"],
  ...["remind", "me", "reminder", "before", "minutes", "mins", "hours", "h", "m", "d", "w"],
  ...["#home", "#", "#a/b", "#-", "#123", "#ÄÖ", "#x#y", "p1", "p2", "p3", "p4", "p0", "p5"],
  ...["!", "!!", "!!!", "!1", "urgent", "high", "low", "medium", "priority", "important"],
  ...["'quoted", '"', "“", "”", "(", ")", ",", ".", "-", "@", "+"],
);

const TEXT = fc.oneof(
  {
    weight: 3,
    arbitrary: tokenSoup(fc.oneof({ weight: 5, arbitrary: WORDS }, { weight: 1, arbitrary: NUMBER_TEXT })),
  },
  { weight: 1, arbitrary: rawText() },
);

const ZONES = fc.constantFrom(
  "America/New_York",
  "Europe/London",
  "Australia/Lord_Howe", // 30-minute DST shift
  "Asia/Kathmandu", // +05:45
  "Pacific/Kiritimati", // +14:00
  "Pacific/Pago_Pago", // -11:00
  "America/Santiago", // DST at midnight
  "UTC",
);

/** Moments from 1970 to 2100, with a bias to DST changes and year ends. */
const NOW = fc.oneof(
  fc.date({
    min: new Date("1970-01-01T00:00:00Z"),
    max: new Date("2100-12-31T23:59:59Z"),
    noInvalidDate: true,
  }),
  fc.constantFrom(
    new Date("2027-03-14T06:59:00Z"),
    new Date("2027-11-07T05:30:00Z"),
    new Date("2027-12-31T23:59:59Z"),
    new Date("2028-02-29T12:00:00Z"),
    new Date("2027-04-04T02:00:00Z"),
  ),
);

function check(text: string, now: Date, timeZone: string): QuickAddResult {
  return withinLimit(text, (t) => parseQuickAdd(t, { now, timeZone }));
}

describe("quick add, fuzzed", () => {
  test(
    "never throws or hangs, keeps its spans, and makes only real dates and rules the server accepts",
    () => {
      fc.assert(
        fc.property(TEXT, NOW, ZONES, (text, now, zone) => {
          const r = check(text, now, zone);
          expect(spanProblems(text, r)).toEqual([]);
          if (r.due) expect(Number.isNaN(r.due.time.getTime())).toBe(false);
          for (const reminder of r.reminders) {
            if ("at" in reminder) expect(Number.isNaN(reminder.at.getTime())).toBe(false);
            else expect(Number.isFinite(reminder.beforeDueMs)).toBe(true);
          }
          if (r.recurrence) {
            expect(rruleProblem(r.recurrence.rrule)).toBeUndefined();
            expect(describeRecurrence(r.recurrence.rrule, r.recurrence.anchor)).not.toBe("");
          }
          expect(r.timeZone).toBe(zone);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );
});
