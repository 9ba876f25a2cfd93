/**
 * Every rule quick add writes is one the task service accepts (its strict `rruleProblem` check),
 * and every first due time is what the scheduler's recurrence engine — itself checked against
 * python-dateutil — gives as the first occurrence at or after "now". The due time fits its rule, so
 * CreateTask stores it unchanged (it moves a due time that does not fit to the rule's first
 * occurrence). The engine is also run from a start the day before, so the due time has to be a
 * genuine occurrence of the rule.
 */
import { describe, expect, test } from "bun:test";
import { previewOccurrences, rruleProblem } from "@todo/recurrence";
import { Temporal } from "temporal-polyfill";
import { NOW, ZONE } from "../test/fixtures.ts";
import { CASES } from "./phrase-table.ts";
import { parseQuickAdd } from "./quick-add.ts";

/** The day before `now` at the due's local time of day, in the zone. */
function dayBeforeAt(due: Date, now: Date, zone: string): Date {
  const dueZ = Temporal.Instant.fromEpochMilliseconds(due.getTime()).toZonedDateTimeISO(zone);
  const nowZ = Temporal.Instant.fromEpochMilliseconds(now.getTime()).toZonedDateTimeISO(zone);
  const start = nowZ
    .toPlainDate()
    .subtract({ days: 1 })
    .toPlainDateTime({ hour: dueZ.hour, minute: dueZ.minute })
    .toZonedDateTime(zone, { disambiguation: "compatible" });
  return new Date(start.epochMilliseconds);
}

const recurring = CASES.filter((c) => c.rrule);

describe("rules against the task service and the scheduler", () => {
  for (const c of recurring) {
    test(c.text, () => {
      const r = parseQuickAdd(c.text, { now: NOW, timeZone: ZONE });
      const rrule = r.recurrence?.rrule as string;
      const due = r.due?.time as Date;
      expect(rruleProblem(rrule)).toBeUndefined();
      // The due fits the rule: it is the series' first occurrence, and CreateTask keeps it.
      expect(previewOccurrences(rrule, due, ZONE, 2)[0]).toEqual(due);
      if (/starting|every hour|every \d+ hours/.test(c.text)) return; // a chosen start, or hourly from now
      // INTERVAL counts from DTSTART, COUNT and UNTIL end the series: none of them decides which
      // dates can hold an occurrence, so they are left out for this question.
      const pattern = rrule
        .split(";")
        .filter((p) => !/^(INTERVAL|COUNT|UNTIL)=/.test(p))
        .join(";");
      // A weekly, monthly or yearly rule without BY-parts takes its day from DTSTART: any date can
      // start it, and today's is the first one not past (checked in the phrase table).
      if (!/BY/.test(pattern) && !/FREQ=DAILY/.test(pattern)) return;
      const occurrences = previewOccurrences(pattern, dayBeforeAt(due, NOW, ZONE), ZONE, 800);
      expect(occurrences.find((o) => o.getTime() >= NOW.getTime())).toEqual(due);
    });
  }

  test("the table covers every frequency and anchor", () => {
    const freqs = new Set(recurring.map((c) => /FREQ=(\w+)/.exec(c.rrule as string)?.[1]));
    expect([...freqs].sort()).toEqual(["DAILY", "HOURLY", "MONTHLY", "WEEKLY", "YEARLY"]);
    expect(recurring.some((c) => c.anchor === "completion")).toBe(true);
  });
});
