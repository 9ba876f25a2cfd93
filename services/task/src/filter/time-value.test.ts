/**
 * Time-zone math of filter values. Every expectation is an absolute instant worked out by hand from the
 * zone's rules, so the tests mean the same under any process time zone; the last test proves it by
 * switching the process zone and comparing.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { compileFilter, type FilterContext } from "./compiler";
import { FilterError } from "./filter-error";
import { parseTimeValue, resolveTimeValue } from "./time-value";

/** The instant `due_time < <value>` compiles to, as an ISO string. */
function instant(value: string, ctx: FilterContext): string {
  const { params } = compileFilter(`due_time < ${value}`, ctx);
  const [param] = params;
  if (!(param instanceof Date)) throw new Error(`not a Date: ${String(param)}`);
  return param.toISOString();
}

const at = (iso: string, timeZone: string): FilterContext => ({ now: new Date(iso), timeZone });

describe("now and today", () => {
  it("now is the context's instant, whatever the zone", () => {
    for (const zone of ["UTC", "America/Los_Angeles", "Asia/Tokyo"]) {
      expect(instant("now", at("2026-12-01T20:15:30.123Z", zone))).toBe("2026-12-01T20:15:30.123Z");
    }
  });

  it("today is the start of the caller's current day, not the server's", () => {
    const now = "2026-12-01T20:00:00Z"; // 05:00 on Dec 2 in Tokyo, 12:00 on Dec 1 in Los Angeles
    expect(instant("today", at(now, "UTC"))).toBe("2026-12-01T00:00:00.000Z");
    expect(instant("today", at(now, "Asia/Tokyo"))).toBe("2026-12-01T15:00:00.000Z");
    expect(instant("today", at(now, "America/Los_Angeles"))).toBe("2026-12-01T08:00:00.000Z");
    expect(instant("today", at(now, "Asia/Kolkata"))).toBe("2026-12-01T18:30:00.000Z");
  });

  it("exact offsets: s, m, h", () => {
    const ctx = at("2026-12-01T20:00:00Z", "Europe/Berlin");
    expect(instant("now+30m", ctx)).toBe("2026-12-01T20:30:00.000Z");
    expect(instant("now-2h", ctx)).toBe("2026-12-01T18:00:00.000Z");
    expect(instant("now+45s", ctx)).toBe("2026-12-01T20:00:45.000Z");
    expect(instant("today+9h", ctx)).toBe("2026-12-01T08:00:00.000Z"); // midnight CET is 23:00Z
  });

  it("calendar offsets: d and w", () => {
    const ctx = at("2026-12-01T20:00:00Z", "Europe/Berlin");
    expect(instant("today+7d", ctx)).toBe("2026-12-07T23:00:00.000Z");
    expect(instant("today-1w", ctx)).toBe("2026-11-23T23:00:00.000Z");
    expect(instant("now+1d", ctx)).toBe("2026-12-02T20:00:00.000Z");
    expect(instant("today+0d", ctx)).toBe("2026-11-30T23:00:00.000Z");
  });
});

describe("daylight saving time", () => {
  // Los Angeles springs forward on 2026-03-08 at 02:00 (PST -08:00 → PDT -07:00)
  // and falls back on 2026-11-01 at 02:00.
  const beforeSpring = at("2026-03-07T20:00:00Z", "America/Los_Angeles"); // 12:00 PST on Mar 7

  it("today+Nd is a start of day even across the change (the step is 23 or 25 hours)", () => {
    expect(instant("today", beforeSpring)).toBe("2026-03-07T08:00:00.000Z");
    expect(instant("today+1d", beforeSpring)).toBe("2026-03-08T08:00:00.000Z"); // 00:00 PST
    expect(instant("today+2d", beforeSpring)).toBe("2026-03-09T07:00:00.000Z"); // 00:00 PDT: 23 h later
    expect(instant("today+1w", beforeSpring)).toBe("2026-03-14T07:00:00.000Z");
  });

  it("today-Nd across the autumn change in Europe", () => {
    // Berlin falls back on 2026-10-25 (CEST +02:00 → CET +01:00).
    const ctx = at("2026-10-27T10:00:00Z", "Europe/Berlin");
    expect(instant("today", ctx)).toBe("2026-10-26T23:00:00.000Z");
    expect(instant("today-7d", ctx)).toBe("2026-10-19T22:00:00.000Z");
    expect(instant("today-1w", ctx)).toBe("2026-10-19T22:00:00.000Z");
    expect(instant("today-168h", ctx)).toBe("2026-10-19T23:00:00.000Z"); // exact hours do shift
  });

  it("now+1d keeps the wall-clock time; now+24h does not", () => {
    const ctx = at("2026-03-08T09:00:00Z", "America/Los_Angeles"); // 01:00 PST, an hour before the change
    expect(instant("now+1d", ctx)).toBe("2026-03-09T08:00:00.000Z"); // 01:00 PDT
    expect(instant("now+24h", ctx)).toBe("2026-03-09T09:00:00.000Z"); // 02:00 PDT
  });

  it("hour offsets from today are exact durations from the start of the day", () => {
    const ctx = at("2026-03-08T20:00:00Z", "America/Los_Angeles");
    expect(instant("today", ctx)).toBe("2026-03-08T08:00:00.000Z");
    expect(instant("today+3h", ctx)).toBe("2026-03-08T11:00:00.000Z"); // 04:00 PDT on the wall
  });

  it("a day whose midnight does not exist starts when the clocks resume", () => {
    // São Paulo skipped 2018-11-04 00:00–01:00 (DST then began at midnight).
    const ctx = at("2018-11-04T15:00:00Z", "America/Sao_Paulo");
    expect(instant("today", ctx)).toBe("2018-11-04T03:00:00.000Z"); // 01:00 -02:00
    expect(instant("2018-11-04", at("2026-01-01T00:00:00Z", "America/Sao_Paulo"))).toBe(
      "2018-11-04T03:00:00.000Z",
    );
  });
});

describe("dates and local date-times", () => {
  it("a date is the start of that day in the caller's zone", () => {
    const now = "2026-06-01T00:00:00Z";
    expect(instant("2026-12-01", at(now, "UTC"))).toBe("2026-12-01T00:00:00.000Z");
    expect(instant("2026-12-01", at(now, "Asia/Tokyo"))).toBe("2026-11-30T15:00:00.000Z");
    expect(instant("2026-12-01", at(now, "America/Los_Angeles"))).toBe("2026-12-01T08:00:00.000Z");
    expect(instant("2026-07-01", at(now, "America/Los_Angeles"))).toBe("2026-07-01T07:00:00.000Z");
  });

  it("a date-time without an offset is wall-clock time in the caller's zone", () => {
    const ctx = at("2026-06-01T00:00:00Z", "America/Los_Angeles");
    expect(instant("2026-12-01T09:00", ctx)).toBe("2026-12-01T17:00:00.000Z");
    // Skipped by the spring change: moves forward by the gap (02:30 → 03:30 PDT).
    expect(instant("2026-03-08T02:30:00", ctx)).toBe("2026-03-08T10:30:00.000Z");
    // Repeated by the autumn change: the earlier of the two (01:30 PDT).
    expect(instant("2026-11-01T01:30:00", ctx)).toBe("2026-11-01T08:30:00.000Z");
  });

  it("a timestamp with Z or an offset ignores the caller's zone", () => {
    for (const zone of ["UTC", "Asia/Tokyo", "America/Los_Angeles"]) {
      const ctx = at("2026-06-01T00:00:00Z", zone);
      expect(instant("2026-12-01T09:00:00Z", ctx)).toBe("2026-12-01T09:00:00.000Z");
      expect(instant("2026-12-01T09:00:00+09:00", ctx)).toBe("2026-12-01T00:00:00.000Z");
      expect(instant("2026-12-01T09:00:00.123456789-01:00", ctx)).toBe("2026-12-01T10:00:00.123Z");
    }
  });
});

describe("ranges", () => {
  it("refuses instants outside the years 0001-9999", () => {
    const ctx = at("2026-06-01T00:00:00Z", "UTC");
    expect(instant("9999-12-31T23:59:59Z", ctx)).toBe("9999-12-31T23:59:59.000Z");
    expect(instant("0001-01-01", ctx)).toBe("0001-01-01T00:00:00.000Z");
    for (const [value, offset] of [
      ["now+999999w", 11],
      ["now-999999w", 11],
      ["9999-12-31T23:00:00-05:00", 11],
    ] as const) {
      try {
        compileFilter(`due_time < ${value}`, ctx);
        throw new Error(`${value} compiled`);
      } catch (error) {
        expect(error).toBeInstanceOf(FilterError);
        expect((error as FilterError).offset).toBe(offset);
        expect((error as Error).message).toBe(
          `"${value}" is out of range at column 12; times must fall in the years 0001–9999`,
        );
      }
    }
    // The start of 0001-01-01 in Tokyo is still in year 0000 in UTC.
    expect(() => compileFilter("due_time < 0001-01-01", at("2026-06-01T00:00:00Z", "Asia/Tokyo"))).toThrow(
      "out of range",
    );
  });

  it("resolveTimeValue reads the context, not the process clock", () => {
    const value = parseTimeValue("today", 0);
    const ctx = { now: new Date("2001-02-03T04:05:06Z"), timeZone: "UTC" };
    expect(resolveTimeValue(value, ctx).toString()).toBe("2001-02-03T00:00:00Z");
  });
});

describe("the process time zone has no influence", () => {
  const original = process.env.TZ;
  afterAll(() => {
    if (original === undefined) delete process.env.TZ;
    else process.env.TZ = original;
  });

  it("gives identical SQL parameters under UTC, Los Angeles and Tokyo", () => {
    const filter =
      "due_time >= today AND due_time < today+7d OR create_time > 2026-12-01 OR update_time < 2026-03-08T02:30 OR complete_time > now-1w";
    const ctx = at("2026-03-05T07:30:00Z", "Europe/Berlin");
    const results = ["UTC", "America/Los_Angeles", "Asia/Tokyo"].map((zone) => {
      process.env.TZ = zone;
      const offsetMinutes = new Date("2026-01-01T00:00:00Z").getTimezoneOffset();
      const { params } = compileFilter(filter, ctx);
      return { offsetMinutes, params: params.map((p) => (p as Date).toISOString()) };
    });
    // The switch really took effect in this process…
    expect(results.map((r) => r.offsetMinutes)).toEqual([0, 480, -540]);
    // …and changed nothing.
    const expected = [
      "2026-03-04T23:00:00.000Z",
      "2026-03-11T23:00:00.000Z",
      "2026-11-30T23:00:00.000Z",
      "2026-03-08T01:30:00.000Z",
      "2026-02-26T07:30:00.000Z",
    ];
    for (const r of results) expect(r.params).toEqual(expected);
  });
});
