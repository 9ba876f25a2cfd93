/** Quick add against the phrase table (phrase-table.ts), plus the spans of a few phrases in detail. */
import { describe, expect, test } from "bun:test";
import { local, NOW, reminderText, spanProblems, ZONE } from "../test/fixtures.ts";
import { describeRecurrence } from "./describe.ts";
import { CASES } from "./phrase-table.ts";
import { parseQuickAdd } from "./quick-add.ts";

describe("the phrase table", () => {
  test("has at least 80 phrases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
  });

  for (const c of CASES) {
    test(c.text, () => {
      const r = parseQuickAdd(c.text, { now: NOW, timeZone: ZONE });
      const got = {
        title: r.title,
        due: r.due ? (r.due.hasTime ? local(r.due.time) : local(r.due.time).slice(0, 10)) : undefined,
        rrule: r.recurrence?.rrule,
        anchor: r.recurrence?.anchor === "completion" ? "completion" : undefined,
        priority: r.priority,
        tags: r.tags,
        reminders: r.reminders.map((x) => reminderText(x)),
      };
      expect(got).toEqual({
        title: c.title,
        due: c.due,
        rrule: c.rrule,
        anchor: c.anchor,
        priority: c.priority,
        tags: c.tags ?? [],
        reminders: c.reminders ?? [],
      });
      // a date without a time is due at the end of that day
      if (r.due && !r.due.hasTime) expect(local(r.due.time).slice(11)).toBe("23:59");
      if (r.recurrence) expect(r.recurrence.anchor).toBe(c.anchor ?? "schedule");
      expect(r.timeZone).toBe(ZONE);
      expect(spanProblems(c.text, r)).toEqual([]);
    });
  }
});

describe("spans", () => {
  test("name what produced each field", () => {
    const r = parseQuickAdd("Pay rent every month on the 1st at 9am #home !high", {
      now: NOW,
      timeZone: ZONE,
    });
    expect(r.spans.map((s) => [s.kind, s.text, s.start, s.end])).toEqual([
      ["recurrence", "every month on the 1st", 9, 31],
      ["due", "at 9am", 32, 38],
      ["tag", "#home", 39, 44],
      ["priority", "!high", 45, 50],
    ]);
  });

  test("a date and its time make one span; connectors go with them", () => {
    const r = parseQuickAdd("Meet John at 5pm on Friday about the budget", { now: NOW, timeZone: ZONE });
    expect(r.title).toBe("Meet John about the budget");
    expect(r.spans.map((s) => [s.kind, s.text])).toEqual([["due", "at 5pm on Friday"]]);
  });

  test("reminders and recurrence ends are spans of their own kinds", () => {
    const text = "Standup every weekday at 9:30 until Mar 31, remind me 10 minutes before #work";
    const r = parseQuickAdd(text, { now: NOW, timeZone: ZONE });
    expect(r.spans.map((s) => [s.kind, s.text])).toEqual([
      ["recurrence", "every weekday"],
      ["due", "at 9:30"],
      ["recurrence", "until Mar 31"],
      ["reminder", "remind me 10 minutes before"],
      ["tag", "#work"],
    ]);
    expect(r.title).toBe("Standup");
  });
});

describe("rules the task service would refuse are not made", () => {
  // Found by quick-add.fuzz.test.ts: "every 1530 mondays" gave INTERVAL=1530, which CreateTask
  // refuses (INTERVAL 1..1000), so the quick add failed as a whole.
  test("an interval over 1000 stays in the title", () => {
    const r = parseQuickAdd("water plants every 1001 days", { now: NOW, timeZone: ZONE });
    expect(r.recurrence).toBeUndefined();
    expect(r.title).toBe("water plants every 1001 days");
    expect(parseQuickAdd("every 1000 days", { now: NOW, timeZone: ZONE }).recurrence?.rrule).toBe(
      "FREQ=DAILY;INTERVAL=1000",
    );
  });
});

describe("describeRecurrence of the table's rules", () => {
  test("every rule the table produces has English words, never the raw rule", () => {
    for (const c of CASES) {
      if (!c.rrule) continue;
      const text = describeRecurrence(c.rrule, c.anchor ?? "schedule");
      expect(text.startsWith("every ")).toBe(true);
      expect(text).not.toContain("custom");
      if (c.anchor) expect(text).toContain("after completion");
    }
  });
});

describe("words that every JavaScript object has", () => {
  // Object.prototype's keys are not words of any table (word-table.ts): "constructor" once lost its
  // place in the title and came back as a function for a priority.
  for (const word of ["constructor", "toString", "valueOf", "hasOwnProperty", "__proto__", "isPrototypeOf"]) {
    test(`"fix ${word} bug" keeps every word of its title`, () => {
      const r = parseQuickAdd(`fix ${word} bug`, { now: NOW, timeZone: ZONE });
      expect(r.title).toBe(`fix ${word} bug`);
      expect(r.priority).toBeUndefined();
      expect(r.due).toBeUndefined();
      expect(r.tags).toEqual([]);
      expect(r.recurrence).toBeUndefined();
    });
  }

  test("a real marker beside one is still read", () => {
    const r = parseQuickAdd("constructor review p1 tomorrow", { now: NOW, timeZone: ZONE });
    expect(r.title).toBe("constructor review");
    expect(r.priority).toBe("urgent");
    expect(r.due?.hasTime).toBe(false);
  });
});
