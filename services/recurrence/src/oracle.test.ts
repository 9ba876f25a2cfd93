/**
 * Checks the recurrence engine against an independent oracle: python-dateutil's `rrulestr` with
 * `zoneinfo` (services/recurrence/test-oracle/expand.py), installed from PyPI by `beforeAll`.
 * Every case's expansion must be identical, instant for instant — also from starts that do not fit
 * the rule, where the series begins at the rule's first occurrence after the start; CreateTask must
 * move such a due time to exactly that occurrence (`fitRecurrence`). Then the series is replayed
 * instance by instance through `nextOccurrence` (the way the scheduler creates instances), on time
 * and overdue, and must give the same dues and COUNTs, each instance fitting its own rule (so
 * CreateTask keeps the scheduler's due time as it is).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { Temporal } from "temporal-polyfill";
import { ensureOracle, type OracleCase, runOracle } from "../test-oracle/oracle.ts";
import { fitRecurrence } from "./fit.ts";
import { nextOccurrence, previewOccurrences } from "./occurrences.ts";

const NY = "America/New_York";
const BERLIN = "Europe/Berlin";
const SYDNEY = "Australia/Sydney";

/** The instant of local wall-clock time `wall` (`2027-01-07T09:00`) in `timeZone`, as an oracle start. */
const local = (wall: string, timeZone: string) =>
  Temporal.PlainDateTime.from(wall).toZonedDateTime(timeZone).toInstant().toString();

/** A case whose start is a local wall-clock time. */
const at = (rule: string, wall: string, timeZone: string, count: number): OracleCase => ({
  rule,
  start: local(wall, timeZone),
  timeZone,
  count,
});

/** Edge cases; `start` is the first instance's due time. DST 2027: US Mar 14 / Nov 7, EU Mar 28 / Oct 31. */
const CASES: OracleCase[] = [
  // DST, both ways: wall-clock time survives; times in the spring gap move forward by the gap.
  { rule: "FREQ=DAILY", start: "2027-03-25T08:00:00Z", timeZone: BERLIN, count: 8 }, // 09:00
  { rule: "FREQ=DAILY", start: "2027-10-28T07:00:00Z", timeZone: BERLIN, count: 8 },
  { rule: "FREQ=DAILY", start: "2027-03-26T01:30:00Z", timeZone: BERLIN, count: 5 }, // 02:30, gap on 28th
  { rule: "FREQ=DAILY", start: "2027-10-29T00:30:00Z", timeZone: BERLIN, count: 5 }, // 02:30, twice on 31st
  { rule: "FREQ=DAILY", start: "2027-03-12T07:30:00Z", timeZone: NY, count: 5 }, // 02:30, gap on 14th
  { rule: "FREQ=DAILY", start: "2027-11-05T05:30:00Z", timeZone: NY, count: 5 }, // 01:30, twice on 7th
  { rule: "FREQ=WEEKLY;BYDAY=SU", start: "2027-03-07T07:30:00Z", timeZone: NY, count: 3 },
  { rule: "FREQ=WEEKLY;INTERVAL=34;BYDAY=SU", start: "2027-03-14T07:30:00Z", timeZone: NY, count: 3 },
  { rule: "FREQ=DAILY;BYHOUR=9,17", start: "2027-03-13T14:00:00Z", timeZone: NY, count: 8 },
  { rule: "FREQ=HOURLY", start: "2027-03-14T04:30:00Z", timeZone: NY, count: 6 }, // 23:30 EST
  { rule: "FREQ=HOURLY", start: "2027-11-07T04:30:00Z", timeZone: NY, count: 6 }, // 00:30 EDT
  { rule: "FREQ=HOURLY;INTERVAL=5", start: "2027-10-30T20:00:00Z", timeZone: BERLIN, count: 6 },
  {
    rule: "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;BYHOUR=2;BYMINUTE=30",
    start: "2027-01-01T08:00:00Z",
    timeZone: BERLIN,
    count: 4,
  },
  { rule: "FREQ=DAILY", start: "2027-04-01T14:00:00Z", timeZone: "Australia/Lord_Howe", count: 5 }, // 30-min DST
  { rule: "FREQ=WEEKLY;BYDAY=SA", start: "2027-03-20T00:00:00Z", timeZone: "Australia/Sydney", count: 4 },
  { rule: "FREQ=MONTHLY;BYMONTHDAY=1", start: "2027-01-01T00:00:00Z", timeZone: "Asia/Tokyo", count: 6 },
  // Nth weekday of the month.
  { rule: "FREQ=MONTHLY;BYDAY=2FR", start: "2027-01-08T17:00:00Z", timeZone: BERLIN, count: 14 },
  { rule: "FREQ=MONTHLY;BYDAY=-1MO", start: "2027-01-25T14:00:00Z", timeZone: NY, count: 14 },
  { rule: "FREQ=MONTHLY;BYDAY=2FR", start: "2027-01-04T17:00:00Z", timeZone: BERLIN, count: 4 }, // start not a 2FR
  { rule: "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO,-1FR", start: "2027-01-04T14:00:00Z", timeZone: NY, count: 10 },
  { rule: "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", start: "2027-11-25T17:00:00Z", timeZone: NY, count: 5 },
  { rule: "FREQ=YEARLY;BYDAY=20MO", start: "2027-05-17T07:00:00Z", timeZone: BERLIN, count: 4 },
  // Month ends (RFC 5545: no day-of-month overflow).
  { rule: "FREQ=MONTHLY;BYMONTHDAY=31", start: "2027-01-31T08:00:00Z", timeZone: BERLIN, count: 10 },
  { rule: "FREQ=MONTHLY;BYMONTHDAY=-1", start: "2027-01-31T08:00:00Z", timeZone: BERLIN, count: 14 },
  { rule: "FREQ=MONTHLY", start: "2027-01-31T08:00:00Z", timeZone: BERLIN, count: 8 },
  { rule: "FREQ=MONTHLY;BYMONTHDAY=30,-1", start: "2027-01-30T14:00:00Z", timeZone: NY, count: 8 },
  { rule: "FREQ=MONTHLY;BYMONTHDAY=-3", start: "2028-01-29T14:00:00Z", timeZone: NY, count: 4 },
  // 29 February.
  { rule: "FREQ=YEARLY", start: "2028-02-29T08:00:00Z", timeZone: BERLIN, count: 4 },
  { rule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", start: "2027-03-01T08:00:00Z", timeZone: BERLIN, count: 3 },
  { rule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", start: "2027-02-28T08:00:00Z", timeZone: BERLIN, count: 4 },
  // COUNT (the start counts, matching or not) and UNTIL (inclusive; UTC, date, floating).
  { rule: "FREQ=DAILY;COUNT=5", start: "2027-03-26T08:00:00Z", timeZone: BERLIN, count: 10 },
  { rule: "FREQ=WEEKLY;BYDAY=MO;COUNT=3", start: "2027-03-24T08:00:00Z", timeZone: BERLIN, count: 10 },
  {
    rule: "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20270412T070000Z",
    start: "2027-03-22T08:00:00Z",
    timeZone: BERLIN,
    count: 20,
  },
  { rule: "FREQ=DAILY;UNTIL=20271108T140000Z", start: "2027-11-04T13:00:00Z", timeZone: NY, count: 20 },
  { rule: "FREQ=DAILY;UNTIL=20271108", start: "2027-11-04T13:00:00Z", timeZone: NY, count: 20 },
  { rule: "FREQ=DAILY;UNTIL=20271108T090000", start: "2027-11-04T13:00:00Z", timeZone: NY, count: 20 },
  {
    rule: "FREQ=MONTHLY;BYMONTHDAY=31;UNTIL=20271231",
    start: "2027-01-31T23:00:00Z",
    timeZone: BERLIN,
    count: 20,
  },
  // BYSETPOS, WKST, multi-day weeks.
  {
    rule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    start: "2027-01-29T14:00:00Z",
    timeZone: NY,
    count: 14,
  },
  {
    rule: "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,3",
    start: "2027-01-01T14:00:00Z",
    timeZone: NY,
    count: 10,
  },
  { rule: "FREQ=MONTHLY;BYDAY=SA,SU;BYSETPOS=-2", start: "2027-01-30T09:00:00Z", timeZone: BERLIN, count: 6 },
  {
    rule: "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO",
    start: "1997-08-05T13:00:00Z",
    timeZone: NY,
    count: 10,
  },
  {
    rule: "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU",
    start: "1997-08-05T13:00:00Z",
    timeZone: NY,
    count: 10,
  },
  { rule: "FREQ=WEEKLY;BYDAY=TU,TH", start: "2027-03-09T14:00:00Z", timeZone: NY, count: 8 },
  {
    rule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR",
    start: "2027-10-25T07:00:00Z",
    timeZone: BERLIN,
    count: 12,
  },
  { rule: "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", start: "2027-10-29T07:00:00Z", timeZone: BERLIN, count: 8 },
  // Yearly.
  { rule: "FREQ=YEARLY", start: "2027-07-04T16:00:00Z", timeZone: NY, count: 5 },
  {
    rule: "FREQ=YEARLY;INTERVAL=2;BYMONTH=1,7;BYMONTHDAY=15",
    start: "2027-01-15T08:00:00Z",
    timeZone: BERLIN,
    count: 8,
  },
  { rule: "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO", start: "2027-01-04T08:00:00Z", timeZone: BERLIN, count: 5 },
  { rule: "FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH", start: "2026-12-31T08:00:00Z", timeZone: BERLIN, count: 3 },
  { rule: "FREQ=YEARLY;BYYEARDAY=1,100,-1", start: "2027-01-01T08:00:00Z", timeZone: BERLIN, count: 7 },
  // Starts that do not fit their rule (issue 13): the series begins at the rule's first occurrence.
  // Nth weekday (Thursday 7 January 2027; the second Friday is the 8th, the third Tuesday the 19th).
  at("FREQ=MONTHLY;BYDAY=2FR", "2027-01-07T09:00", NY, 6),
  at("FREQ=MONTHLY;BYDAY=3TU", "2027-01-20T18:30", BERLIN, 6), // the 3rd Tuesday has just passed
  at("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", "2027-01-01T12:00", NY, 4), // Thanksgiving
  at("FREQ=MONTHLY;INTERVAL=3;BYDAY=1MO", "2027-02-10T08:00", SYDNEY, 5),
  at("FREQ=DAILY;BYHOUR=9", "2027-01-07T10:00", BERLIN, 4), // 09:00 today has passed
  at("FREQ=WEEKLY;BYDAY=MO,WE", "2027-01-09T07:15", NY, 6), // a Saturday
  // Last weekday.
  at("FREQ=MONTHLY;BYDAY=-1FR", "2027-01-28T09:00", NY, 8), // a Thursday; the last Friday is the 29th
  at("FREQ=MONTHLY;BYDAY=-1FR", "2027-01-30T09:00", BERLIN, 8), // after it: 26 February
  at("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2027-01-30T17:00", NY, 6), // a Saturday
  at("FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO", "2027-06-01T10:00", NY, 4), // Memorial Day, next year
  // Month ends: the 31st from a 30-day month, the last day, 30 February never.
  at("FREQ=MONTHLY;BYMONTHDAY=31", "2027-04-30T09:00", BERLIN, 6),
  at("FREQ=MONTHLY;BYMONTHDAY=31", "2027-06-15T09:00", NY, 6),
  at("FREQ=MONTHLY;BYMONTHDAY=30", "2027-02-01T09:00", BERLIN, 6),
  at("FREQ=MONTHLY;BYMONTHDAY=-1", "2028-02-15T09:00", SYDNEY, 6),
  at("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3", "2027-09-01T09:00", NY, 6),
  // Leap days.
  at("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2027-01-01T09:00", BERLIN, 3),
  at("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2028-03-01T09:00", NY, 3),
  at("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3", "2027-06-01T09:00", SYDNEY, 4),
  at("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=-1", "2027-12-31T09:00", BERLIN, 4),
  // Zones with DST: the first occurrence lands on (or in) a transition.
  at("FREQ=WEEKLY;BYDAY=SU", "2027-03-11T02:30", NY, 4), // Sunday 14 March 02:30 does not exist
  at("FREQ=MONTHLY;BYDAY=-1SU", "2027-03-25T02:30", BERLIN, 4), // 28 March 02:30 does not exist
  at("FREQ=MONTHLY;BYDAY=-1SU", "2027-10-25T02:30", BERLIN, 4), // 31 October 02:30 happens twice
  at("FREQ=MONTHLY;BYDAY=1SU", "2027-10-01T02:30", SYDNEY, 4), // 3 October 02:30 does not exist
  at("FREQ=YEARLY;BYMONTH=4;BYDAY=1SU", "2027-01-01T02:30", SYDNEY, 3), // 4 April 02:30 twice
  at("FREQ=WEEKLY;BYDAY=SU", "2027-11-05T01:30", NY, 4), // 7 November 01:30 happens twice
  // HOURLY across spring-forward: the gap's 02:30 is 03:30, the same instant as the real 03:30,
  // and occurs once (…06:30Z, 07:30Z, 08:30Z…); COUNT counts instants.
  at("FREQ=HOURLY", "2027-03-14T00:30", NY, 6),
  at("FREQ=HOURLY;COUNT=5", "2027-03-14T00:30", NY, 8),
  at("FREQ=HOURLY", "2027-03-28T00:30", BERLIN, 6),
  at("FREQ=HOURLY", "2027-10-03T00:30", SYDNEY, 6),
  at("FREQ=HOURLY;BYMINUTE=30", "2027-03-14T00:40", NY, 5), // the start does not fit either
];

let expected: string[][] = [];

beforeAll(() => {
  expected = runOracle(ensureOracle(), CASES);
}, 300_000);

const iso = (d: Date) => d.toISOString().replace(".000Z", "Z");

describe("previewOccurrences agrees with python-dateutil", () => {
  CASES.forEach((c, i) => {
    test(`${c.rule} from ${c.start} in ${c.timeZone}`, () => {
      const ours = previewOccurrences(c.rule, new Date(c.start), c.timeZone, c.count).map(iso);
      expect(expected[i]?.length ?? 0).toBeGreaterThan(1);
      expect(ours).toEqual(expected[i] as string[]);
    });
  });
});

/** The oracle's series as the scheduler sees it: one instance per distinct instant, in order. */
function instances(oracle: readonly string[]): number[] {
  const out: number[] = [];
  for (const text of oracle) {
    const t = Date.parse(text);
    if (out.length === 0 || t > (out.at(-1) as number)) out.push(t);
  }
  return out;
}

/** The COUNT in a rule, or undefined. */
const countOf = (rule: string) => {
  const m = /COUNT=(\d+)/.exec(rule);
  return m ? Number(m[1]) : undefined;
};

/** The first instance as CreateTask stores it: checked to be the oracle's first occurrence. */
function firstInstance(c: OracleCase, i: number): { first: Date; rrule: string } {
  const fit = fitRecurrence(c.rule, new Date(c.start), c.timeZone);
  expect("first" in fit ? iso(fit.first) : fit.problem).toBe((expected[i] as string[])[0] as string);
  if (!("first" in fit)) throw new Error(fit.problem);
  return fit;
}

describe("fitRecurrence moves the start to the oracle's first occurrence, as CreateTask stores it", () => {
  CASES.forEach((c, i) => {
    test(`${c.rule} from ${c.start} in ${c.timeZone}`, () => {
      const fit = firstInstance(c, i);
      // Previewing the stored task (the moved due time, with its rule) gives the same series.
      const again = previewOccurrences(fit.rrule, fit.first, c.timeZone, c.count).map(iso);
      expect(again).toEqual(expected[i] as string[]);
    });
  });
});

describe("nextOccurrence (SCHEDULE) replays the oracle's series instance by instance", () => {
  CASES.forEach((c, i) => {
    test(`${c.rule} from ${c.start} in ${c.timeZone}`, () => {
      const dues = instances(expected[i] as string[]);
      const complete = (expected[i] as string[]).length < c.count; // COUNT or UNTIL ended it
      // The first instance is due at the rule's first occurrence (CreateTask moved it there).
      const first = firstInstance(c, i);
      let rule = first.rrule;
      const chain = [first.first.getTime()];
      while (chain.length < dues.length + (complete ? 1 : 0)) {
        const due = new Date(chain.at(-1) as number);
        const input = {
          rrule: rule,
          anchor: RecurrenceAnchor.SCHEDULE,
          timeZone: c.timeZone,
          due,
          completedAt: due,
        };
        const next = nextOccurrence({ ...input, now: due });
        if (!next) break;
        // The scheduler's CreateTask keeps the next instance's due time: it fits its own rule.
        const fit = fitRecurrence(next.rrule, next.due, c.timeZone);
        if ("first" in fit) expect(iso(fit.first)).toBe(iso(next.due));
        else expect(fit.problem).toMatch(/never repeat/); // only the last instance of a series
        const total = countOf(c.rule);
        const consumed = (expected[i] as string[]).indexOf(iso(next.due));
        expect(countOf(next.rrule)).toBe(total === undefined ? undefined : total - consumed);
        chain.push(next.due.getTime());
        rule = next.rrule;
      }
      expect(chain.map((t) => iso(new Date(t)))).toEqual(dues.map((t) => iso(new Date(t))));
    });
  });
});

describe("nextOccurrence (SCHEDULE) rolls an overdue series forward like the oracle", () => {
  CASES.forEach((c, i) => {
    test(`${c.rule} from ${c.start} in ${c.timeZone}`, () => {
      const dues = instances(expected[i] as string[]);
      expect(dues.length).toBeGreaterThan(2);
      const k = Math.min(3, dues.length - 1); // completed when instance k was already 1 ms away
      const now = new Date((dues[k] as number) - 1);
      const first = firstInstance(c, i);
      const next = nextOccurrence({
        rrule: first.rrule,
        anchor: RecurrenceAnchor.UNSPECIFIED,
        timeZone: c.timeZone,
        due: first.first,
        completedAt: now,
        now,
      });
      expect(next?.due.getTime()).toBe(dues[k] as number);
      // Consumed: the completed instance and the skipped ones (duplicates of one instant included).
      const consumed = (expected[i] as string[]).findIndex((t) => Date.parse(t) === dues[k]);
      const total = countOf(c.rule);
      expect(countOf(next?.rrule ?? "")).toBe(total === undefined ? undefined : total - consumed);
    });
  });
});
