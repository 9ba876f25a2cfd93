/** Windows named in questions: weeks by the user's week start, and labels that say which days. */
import { describe, expect, test } from "bun:test";
import { Temporal } from "temporal-polyfill";
import { interpret } from "./interpreter";
import { daySpan, readWindow } from "./windows";

/** Sunday 13 December 2026, 12:00 in Berlin. */
const SUNDAY = { now: new Date("2026-12-13T11:00:00Z"), timeZone: "Europe/Berlin" } as const;

describe("this week", () => {
  test("on a Sunday with weeks from Monday: Mon 7 – Sun 13 Dec, and the reply says so", () => {
    expect(readWindow("this week", SUNDAY)).toEqual({
      window: { from: "2026-12-06T23:00:00.000Z", to: "2026-12-13T23:00:00.000Z" },
      label: "this week (Mon 7 – Sun 13 Dec)",
    });
    const [intent] = interpret("what's due this week?", SUNDAY);
    expect(intent?.kind === "list" && intent.query.label).toBe("tasks due this week (Mon 7 – Sun 13 Dec)");
  });

  test("with weeks from Sunday, the same Sunday starts the week: Sun 13 – Sat 19 Dec", () => {
    const ctx = { ...SUNDAY, weekStart: 7 };
    expect(readWindow("this week", ctx)).toEqual({
      window: { from: "2026-12-12T23:00:00.000Z", to: "2026-12-19T23:00:00.000Z" },
      label: "this week (Sun 13 – Sat 19 Dec)",
    });
    expect(readWindow("next week", ctx)?.label).toBe("next week (Sun 20 – Sat 26 Dec)");
    expect(readWindow("last week", ctx)?.label).toBe("last week (Sun 6 – Sat 12 Dec)");
    expect(readWindow("this week", { ...SUNDAY, weekStart: 6 })?.label).toBe(
      "this week (Sat 12 – Fri 18 Dec)",
    );
  });

  test("the weekend is Saturday and Sunday whatever the week start", () => {
    expect(readWindow("this weekend", { ...SUNDAY, weekStart: 7 })?.label).toBe(
      "this weekend (Sat 12 – Sun 13 Dec)",
    );
  });
});

describe("weekdays", () => {
  test('"on Friday" is the next Friday for what is due, the last one for what was completed', () => {
    expect(readWindow("on friday", SUNDAY)?.label).toBe("on Fri 18 Dec");
    expect(readWindow("on friday", SUNDAY, { past: true })?.label).toBe("on Fri 11 Dec");
    expect(readWindow("on sunday", SUNDAY, { past: true })?.label).toBe("on Sun 13 Dec");
    expect(readWindow("last sunday", SUNDAY)?.label).toBe("on Sun 6 Dec");
    expect(readWindow("next friday", SUNDAY, { past: true })?.label).toBe("on Fri 18 Dec");
    const [done] = interpret("what did I finish on Friday?", SUNDAY);
    expect(done?.kind === "list" && done.query.completed).toEqual({
      from: "2026-12-10T23:00:00.000Z",
      to: "2026-12-11T23:00:00.000Z",
    });
  });
});

test("day spans are as short as is exact", () => {
  const d = (s: string) => Temporal.PlainDate.from(s);
  expect(daySpan(d("2026-12-07"), d("2026-12-13"))).toBe("Mon 7 – Sun 13 Dec");
  expect(daySpan(d("2026-11-30"), d("2026-12-06"))).toBe("Mon 30 Nov – Sun 6 Dec");
  expect(daySpan(d("2026-12-28"), d("2027-01-03"))).toBe("Mon 28 Dec 2026 – Sun 3 Jan 2027");
});
