import { describe, expect, test } from "bun:test";
import {
  addDays,
  addMonths,
  daysInMonth,
  formatOffset,
  instantToWallClock,
  isDate,
  isTime,
  timeZones,
  todayIn,
  wallClockToInstant,
  weekdayOf,
} from "./zoned-time";

describe("wallClockToInstant / instantToWallClock", () => {
  test("plain times in several zones", () => {
    expect(wallClockToInstant("2027-01-04", "09:00", "Europe/Berlin").toISOString()).toBe(
      "2027-01-04T08:00:00.000Z",
    );
    expect(wallClockToInstant("2027-07-04", "09:00", "Europe/Berlin").toISOString()).toBe(
      "2027-07-04T07:00:00.000Z",
    );
    expect(wallClockToInstant("2027-01-04", "09:00", "America/New_York").toISOString()).toBe(
      "2027-01-04T14:00:00.000Z",
    );
    expect(wallClockToInstant("2027-01-04", "09:00", "Asia/Kolkata").toISOString()).toBe(
      "2027-01-04T03:30:00.000Z",
    );
    expect(wallClockToInstant("2027-01-04", "00:00", "UTC").toISOString()).toBe("2027-01-04T00:00:00.000Z");
  });

  test("a time in the spring gap moves forward by the gap (compatible)", () => {
    // Berlin: 2027-03-28 02:00 → 03:00. 02:30 is 03:30 CEST = 01:30Z.
    expect(wallClockToInstant("2027-03-28", "02:30", "Europe/Berlin").toISOString()).toBe(
      "2027-03-28T01:30:00.000Z",
    );
  });

  test("a time that happens twice is the earlier one", () => {
    // Berlin: 2027-10-31 03:00 CEST → 02:00 CET. 02:30 CEST = 00:30Z.
    expect(wallClockToInstant("2027-10-31", "02:30", "Europe/Berlin").toISOString()).toBe(
      "2027-10-31T00:30:00.000Z",
    );
  });

  test("round trips the wall clock", () => {
    for (const zone of [
      "Europe/Berlin",
      "America/Los_Angeles",
      "Australia/Lord_Howe",
      "Pacific/Kiritimati",
    ]) {
      const at = wallClockToInstant("2027-06-15", "18:45", zone);
      expect(instantToWallClock(at, zone)).toEqual({ date: "2027-06-15", time: "18:45" });
    }
  });

  test("invalid input is NaN", () => {
    expect(Number.isNaN(wallClockToInstant("2027-02-30", "09:00", "UTC").getTime())).toBe(true);
    expect(Number.isNaN(wallClockToInstant("2027-02-03", "9am", "UTC").getTime())).toBe(true);
  });

  test("today in a zone", () => {
    const at = Date.parse("2027-01-05T16:00:00Z");
    expect(todayIn("Asia/Tokyo", at)).toBe("2027-01-06");
    expect(todayIn("America/New_York", at)).toBe("2027-01-05");
  });
});

describe("calendar dates", () => {
  test("arithmetic", () => {
    expect(addDays("2027-12-31", 1)).toBe("2028-01-01");
    expect(addDays("2028-03-01", -1)).toBe("2028-02-29");
    expect(addMonths("2027-01-31", 1)).toBe("2027-02-28");
    expect(addMonths("2028-01-31", 1)).toBe("2028-02-29");
    expect(addMonths("2027-01-15", -1)).toBe("2026-12-15");
    expect(daysInMonth(2027, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2027, 12)).toBe(31);
    expect(weekdayOf("2027-01-04")).toBe(1);
  });
  test("validation", () => {
    expect(isDate("2027-02-29")).toBe(false);
    expect(isDate("2028-02-29")).toBe(true);
    expect(isTime("23:59")).toBe(true);
    expect(isTime("24:00")).toBe(false);
  });
});

test("zones and offsets", () => {
  expect(timeZones()).toContain("UTC");
  expect(timeZones()).toContain("Europe/Berlin");
  expect(formatOffset("Asia/Kolkata", Date.parse("2027-01-01T00:00:00Z"))).toBe("UTC+05:30");
  expect(formatOffset("America/New_York", Date.parse("2027-01-01T00:00:00Z"))).toBe("UTC−05:00");
});
