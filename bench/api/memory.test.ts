import { describe, expect, test } from "bun:test";
import { minuteFloors, trendMibPerMinute } from "./memory";

const MiB = 1024 * 1024;

describe("the memory phase's verdict", () => {
  test("a steady rise is its slope in MiB per minute; a level series is 0", () => {
    const rising = Array.from({ length: 13 }, (_, i) => ({ atS: i * 10, bytes: (200 + i * 0.5) * MiB }));
    expect(trendMibPerMinute(rising)).toBeCloseTo(3, 6);
    const level = rising.map((s) => ({ ...s, bytes: 200 * MiB }));
    expect(trendMibPerMinute(level)).toBe(0);
    expect(trendMibPerMinute(rising.slice(0, 1))).toBe(0);
  });

  test("a collector's sawtooth over a level floor has no trend once each minute's floor is taken", () => {
    // Climbs 10 MiB within each minute and drops back to 250 MiB at the start of the next.
    const sawtooth = Array.from({ length: 60 }, (_, i) => ({
      atS: i * 10,
      bytes: (250 + (i % 6) * 2) * MiB,
    }));
    // A single late peak pulls a fit through every reading up, not the floors.
    const peaked = sawtooth.map((s) => (s.atS === 590 ? { ...s, bytes: 330 * MiB } : s));
    expect(trendMibPerMinute(peaked)).toBeGreaterThan(0.5);
    const floors = minuteFloors(peaked);
    expect(floors.map((s) => s.bytes / MiB)).toEqual(Array(10).fill(250));
    expect(trendMibPerMinute(floors)).toBe(0);
  });

  test("a rising floor is seen through the sawtooth", () => {
    const leaking = Array.from({ length: 60 }, (_, i) => ({
      atS: i * 10,
      bytes: (250 + Math.floor(i / 6) * 2 + (i % 6) * 3) * MiB,
    }));
    expect(trendMibPerMinute(minuteFloors(leaking))).toBeCloseTo(2, 6);
  });
});
