import { Priority } from "@todo/gen/todo/task/v1/task_pb";
import { describe, expect, it } from "vitest";
import {
  calendarDaysBetween,
  describeRRuleFallback,
  formatBeforeDue,
  formatDue,
  formatRelative,
  priorityInfo,
  startOfDay,
  wallClock,
} from "./format";

// "Now" is Wednesday 2026-12-02 10:00 in Berlin (09:00 UTC).
const NOW = new Date("2026-12-02T09:00:00Z");
const BERLIN = "Europe/Berlin";

describe("formatDue", () => {
  it("says today, tomorrow and yesterday with the wall-clock time in the zone", () => {
    expect(formatDue(new Date("2026-12-02T17:30:00Z"), NOW, BERLIN).text).toBe("today 18:30");
    expect(formatDue(new Date("2026-12-03T08:00:00Z"), NOW, BERLIN).text).toBe("tomorrow 09:00");
    expect(formatDue(new Date("2026-12-01T17:00:00Z"), NOW, BERLIN).text).toBe("yesterday 18:00");
  });

  it("gives a date with the time of day beyond yesterday and tomorrow", () => {
    expect(formatDue(new Date("2026-12-04T17:00:00Z"), NOW, BERLIN).text).toBe("Fri 4 Dec, 18:00");
    expect(formatDue(new Date("2026-12-11T17:00:00Z"), NOW, BERLIN).text).toBe("Fri 11 Dec, 18:00");
    expect(formatDue(new Date("2026-11-28T08:00:00Z"), NOW, BERLIN).text).toBe("Sat 28 Nov, 09:00");
    expect(formatDue(new Date("2027-01-20T08:00:00Z"), NOW, BERLIN).text).toBe("20 Jan 2027, 09:00");
  });

  it("shows no time for a date-only due time (23:59) at any distance", () => {
    expect(formatDue(new Date("2026-12-05T22:59:00Z"), NOW, BERLIN)).toMatchObject({
      text: "Sat 5 Dec",
      hasTime: false,
    });
    expect(formatDue(new Date("2027-01-20T22:59:00Z"), NOW, BERLIN).text).toBe("20 Jan 2027");
    expect(formatDue(new Date("2026-11-28T22:59:00Z"), NOW, BERLIN).text).toBe("Sat 28 Nov");
  });

  it("marks a passed due time overdue; 23:59 reads as the whole day", () => {
    const earlier = formatDue(new Date("2026-12-02T07:00:00Z"), NOW, BERLIN); // 08:00 today
    expect(earlier).toMatchObject({ text: "today 08:00", overdue: true, today: false });
    const later = formatDue(new Date("2026-12-02T15:00:00Z"), NOW, BERLIN);
    expect(later).toMatchObject({ overdue: false, today: true });
    // Quick add stores "tomorrow" (no time) as 23:59 local.
    const wholeDay = formatDue(new Date("2026-12-03T22:59:00Z"), NOW, BERLIN);
    expect(wholeDay).toMatchObject({ text: "tomorrow", overdue: false, hasTime: false });
    const yesterday = formatDue(new Date("2026-12-01T22:59:00Z"), NOW, BERLIN);
    expect(yesterday).toMatchObject({ text: "yesterday", overdue: true });
    expect(formatDue(new Date("2026-12-01T23:00:00Z"), NOW, BERLIN).text).toBe("today 00:00");
  });

  it("reads the calendar day in the given zone, not the machine's", () => {
    // 23:30 UTC on Dec 2 is already Dec 3 in Tokyo and still Dec 2 in Los Angeles.
    const due = new Date("2026-12-02T23:30:00Z");
    expect(formatDue(due, NOW, "Asia/Tokyo").text).toBe("tomorrow 08:30");
    expect(formatDue(due, NOW, "America/Los_Angeles").text).toBe("today 15:30");
  });

  it("gives the full moment for tooltips", () => {
    const d = formatDue(new Date("2026-12-03T08:00:00Z"), NOW, BERLIN);
    expect(d.full).toContain("3 December 2026");
    expect(d.full).toContain("09:00");
    expect(d.full).toContain("(Europe/Berlin)");
  });
});

describe("zone arithmetic", () => {
  it("finds the start of a day across a DST change", () => {
    // Europe/Berlin springs forward on 2027-03-28: that day starts at 23:00 UTC the day before.
    const d = startOfDay(new Date("2027-03-28T12:00:00Z"), BERLIN);
    expect(d.toISOString()).toBe("2027-03-27T23:00:00.000Z");
    // The next day starts at 22:00 UTC (CEST).
    expect(startOfDay(new Date("2027-03-28T12:00:00Z"), BERLIN, 1).toISOString()).toBe(
      "2027-03-28T22:00:00.000Z",
    );
    expect(startOfDay(NOW, "UTC", 7).toISOString()).toBe("2026-12-09T00:00:00.000Z");
  });

  it("starts a day at the first moment that exists when midnight is skipped", () => {
    // America/Santiago moved clocks from 00:00 to 01:00 on 2026-09-06.
    const d = startOfDay(new Date("2026-09-06T15:00:00Z"), "America/Santiago");
    expect(wallClock(d, "America/Santiago")).toMatchObject({ day: 6, hour: 1, minute: 0 });
  });

  it("counts calendar days in the zone", () => {
    expect(calendarDaysBetween(NOW, new Date("2026-12-09T08:00:00Z"), BERLIN)).toBe(7);
    expect(calendarDaysBetween(NOW, new Date("2026-12-02T23:30:00Z"), BERLIN)).toBe(1);
  });
});

describe("words", () => {
  it("describes common RRULEs", () => {
    expect(describeRRuleFallback("FREQ=WEEKLY;BYDAY=MO")).toBe("every Monday");
    expect(describeRRuleFallback("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")).toBe("every weekday");
    expect(describeRRuleFallback("FREQ=DAILY;INTERVAL=3")).toBe("every 3 days");
    expect(describeRRuleFallback("FREQ=MONTHLY;BYMONTHDAY=1")).toBe("every month on the 1st");
    expect(describeRRuleFallback("FREQ=MONTHLY;BYMONTHDAY=-1")).toBe("every month on the last day");
    expect(describeRRuleFallback("FREQ=MONTHLY;BYDAY=2TU")).toBe("every month on the 2nd Tuesday");
    expect(describeRRuleFallback("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24")).toBe("every year on December 24");
    expect(describeRRuleFallback("FREQ=DAILY;COUNT=5")).toBe("every day, 5 times");
    expect(describeRRuleFallback("nonsense")).toBe("repeats");
  });

  it("names priorities and reminder offsets", () => {
    expect(priorityInfo(Priority.URGENT)).toEqual({ label: "Urgent", key: "urgent" });
    expect(priorityInfo(Priority.UNSPECIFIED)).toEqual({ label: "None", key: "none" });
    expect(formatBeforeDue(30 * 60_000)).toBe("30 minutes before");
    expect(formatBeforeDue(86_400_000)).toBe("1 day before");
    expect(formatBeforeDue(2 * 3_600_000)).toBe("2 hours before");
    expect(formatBeforeDue(0)).toBe("at due time");
  });

  it("says how long ago", () => {
    expect(formatRelative(new Date(NOW.getTime() - 30_000), NOW)).toBe("just now");
    expect(formatRelative(new Date(NOW.getTime() - 5 * 60_000), NOW)).toBe("5 min ago");
    expect(formatRelative(new Date(NOW.getTime() - 2 * 86_400_000), NOW)).toBe("2 days ago");
  });
});
