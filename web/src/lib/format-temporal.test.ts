/**
 * lib/format.ts reads wall clocks with Temporal where the runtime has it (Chromium does, and so does
 * Bun, which runs this file) and with `Intl.DateTimeFormat` elsewhere (format.ct.tsx runs there, on
 * Node). This checks the Temporal path against `Intl` itself, across zones and DST changes, and the
 * hand-written full date against what `Intl`'s `en-GB` full style says.
 */
import { describe, expect, it } from "bun:test";
import { formatFull, intlWallClock, isValidTimeZone, wallClock } from "./format";

const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Asia/Kolkata",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
];

describe("wall clocks with Temporal", () => {
  it("runs on Temporal here", () => {
    expect(typeof (globalThis as { Temporal?: unknown }).Temporal).toBe("object");
  });

  it("agrees with Intl every 97 minutes through 2027, DST changes included, in every zone", () => {
    const start = Date.UTC(2027, 0, 1);
    const end = Date.UTC(2028, 0, 1);
    for (const zone of ZONES)
      for (let t = start; t < end; t += 97 * 60_000)
        expect(wallClock(new Date(t), zone)).toEqual(intlWallClock(new Date(t), zone));
  });

  it("falls back to UTC for a zone it does not know, and says which zones are valid", () => {
    const at = new Date("2027-03-28T01:30:00Z");
    expect(wallClock(at, "Mars/Olympus")).toEqual(intlWallClock(at, "UTC"));
    expect(isValidTimeZone("Europe/Berlin")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    expect(isValidTimeZone("")).toBe(false);
  });

  it("writes the full date as Intl's en-GB full style does", () => {
    for (const iso of ["2026-12-03T08:00:00Z", "2027-03-28T01:30:00Z", "2027-10-31T00:59:00Z"])
      for (const zone of ZONES) {
        const date = new Date(iso);
        const intl = (withTime: boolean) =>
          new Intl.DateTimeFormat("en-GB", {
            timeZone: zone,
            dateStyle: "full",
            ...(withTime ? { timeStyle: "short", hourCycle: "h23" } : {}),
          } as Intl.DateTimeFormatOptions).format(date);
        expect(formatFull(date, zone)).toBe(`${intl(true)} (${zone})`);
        expect(formatFull(date, zone, false)).toBe(`${intl(false)} (${zone})`);
      }
    expect(formatFull(new Date("2026-12-03T08:00:00Z"), "Europe/Berlin")).toBe(
      "Thursday, 3 December 2026 at 09:00 (Europe/Berlin)",
    );
  });
});
