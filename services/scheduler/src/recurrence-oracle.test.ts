/**
 * Checks the recurrence engine against an independent oracle: python-dateutil's `rrulestr` with
 * `zoneinfo` (services/scheduler/test-oracle/expand.py), installed from PyPI by `beforeAll`.
 * Every case's expansion must be identical, instant for instant; then the series is replayed
 * instance by instance through `nextOccurrence` (the way the scheduler creates instances), on time
 * and overdue, and must give the same dues and COUNTs.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { RecurrenceAnchor } from "@todo/gen/todo/task/v1/task_pb";
import { ensureOracle, type OracleCase, runOracle } from "../test-oracle/oracle.ts";
import { nextOccurrence, previewOccurrences } from "./recurrence.ts";

const NY = "America/New_York";
const BERLIN = "Europe/Berlin";

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

describe("nextOccurrence (SCHEDULE) replays the oracle's series instance by instance", () => {
  CASES.forEach((c, i) => {
    test(`${c.rule} from ${c.start} in ${c.timeZone}`, () => {
      const dues = instances(expected[i] as string[]);
      const complete = (expected[i] as string[]).length < c.count; // COUNT or UNTIL ended it
      let rule = c.rule;
      const chain = [Date.parse(c.start)];
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
      const next = nextOccurrence({
        rrule: c.rule,
        anchor: RecurrenceAnchor.UNSPECIFIED,
        timeZone: c.timeZone,
        due: new Date(c.start),
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
