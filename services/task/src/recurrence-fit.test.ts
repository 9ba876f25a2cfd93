/**
 * Issue 13 §1: a rule that can never repeat is refused — at CreateTask, and at UpdateTask when the
 * rule, due time or zone changes — while the last instance of a series (COUNT=1, the final day
 * before UNTIL) is still accepted, as the scheduler creates it.
 * Issue 13 §2: a due time that does not fit its rule is moved to the rule's first occurrence at or
 * after it, by CreateTask and by UpdateTask when the rule, due time or zone changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { fitRecurrence, neverRepeatsProblem } from "@todo/recurrence";
import { createTaskTestEnv, expectInvalid, type TaskTestEnv } from "../test/task-env";

const due = new Date("2027-01-04T09:00:00Z");

describe("neverRepeatsProblem", () => {
  test.each([
    ["FREQ=DAILY;UNTIL=20270103T090000Z", /UNTIL is before the rule's first date at or after the due time/],
    ["FREQ=DAILY;UNTIL=20270103", /UNTIL is before the rule's first date/],
    // The first Friday after Monday 4 January is the 8th: an UNTIL of the 7th ends it before it begins.
    ["FREQ=WEEKLY;BYDAY=FR;UNTIL=20270107", /UNTIL is before the rule's first date .*2027-01-08 10:00/],
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", /no date matches this rule at or after the due time/],
    ["FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31", /no date matches/],
    ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", /no date matches/],
    ["FREQ=HOURLY;BYMONTH=11;BYMONTHDAY=31", /no date matches/],
  ])("%s never repeats", (rule, message) => {
    expect(neverRepeatsProblem(rule, due, "Europe/Berlin")).toMatch(message);
  });

  test.each([
    "FREQ=DAILY",
    "FREQ=DAILY;COUNT=1", // the last instance of a series: its due time is its only occurrence
    "FREQ=DAILY;UNTIL=20270104T090000Z", // likewise, ending on its due time
    "FREQ=WEEKLY;UNTIL=20270105",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", // leap days come every 4 (or 8) years
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=HOURLY;INTERVAL=5;BYHOUR=9",
  ])("%s can repeat", (rule) => {
    expect(neverRepeatsProblem(rule, due, "Europe/Berlin")).toBeUndefined();
  });

  test("UNTIL is compared in the task's zone: a local-date UNTIL of the due's local day is fine", () => {
    // 23:30 on 3 January in New York is 04:30Z on the 4th.
    const late = new Date("2027-01-04T04:30:00Z");
    expect(neverRepeatsProblem("FREQ=DAILY;UNTIL=20270103", late, "America/New_York")).toBeUndefined();
    expect(neverRepeatsProblem("FREQ=DAILY;UNTIL=20270103", late, "UTC")).toMatch(/UNTIL is before/);
  });
});

describe("fitRecurrence", () => {
  const first = (rrule: string, at: string, timeZone = "Europe/Berlin") => {
    const fit = fitRecurrence(rrule, new Date(at), timeZone);
    return "first" in fit ? { first: fit.first.toISOString(), rrule: fit.rrule } : fit;
  };

  test("a due time that fits is kept, to the millisecond", () => {
    expect(first("FREQ=DAILY", "2027-01-04T08:00:30.250Z")).toEqual({
      first: "2027-01-04T08:00:30.250Z",
      rrule: "FREQ=DAILY",
    });
  });

  test.each([
    // rule, due, first occurrence (Berlin: 09:00 CET is 08:00Z)
    ["FREQ=MONTHLY;BYDAY=-1FR", "2027-01-28T08:00:00Z", "2027-01-29T08:00:00.000Z"], // Thursday → last Friday
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2027-01-01T08:00:00Z", "2028-02-29T08:00:00.000Z"],
    ["FREQ=MONTHLY;BYMONTHDAY=31", "2027-04-30T07:00:00Z", "2027-05-31T07:00:00.000Z"],
    ["FREQ=MONTHLY;BYDAY=2FR", "2027-01-09T08:00:00Z", "2027-02-12T08:00:00.000Z"],
    ["FREQ=DAILY;BYHOUR=9", "2027-01-04T09:00:00Z", "2027-01-05T08:00:00.000Z"], // 10:00 is after 09:00
  ])("%s from %s starts at %s", (rrule, due, expected) => {
    expect(first(rrule, due)).toEqual({ first: expected, rrule });
  });

  test("a first occurrence in a DST gap spells its time of day out, so the series stays at 02:30", () => {
    // Thursday 25 March 2027 02:30 → Sunday 28 March 02:30, which is 03:30 CEST (01:30Z).
    expect(first("FREQ=WEEKLY;BYDAY=SU", "2027-03-25T01:30:00Z")).toEqual({
      first: "2027-03-28T01:30:00.000Z",
      rrule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30;BYSECOND=0",
    });
    // That stored instance fits its rule as it is: fitting it again changes nothing.
    expect(first("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30;BYSECOND=0", "2027-03-28T01:30:00Z")).toEqual({
      first: "2027-03-28T01:30:00.000Z",
      rrule: "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30;BYSECOND=0",
    });
  });
});

describe("TaskService", () => {
  let env: TaskTestEnv;
  beforeAll(async () => {
    env = await createTaskTestEnv({ now: "2027-01-01T12:00:00Z" });
  });
  afterAll(async () => {
    await env?.close();
  });
  const task = (rrule: string) => ({
    title: "repeats?",
    dueTime: timestampFromDate(due),
    timeZone: "Europe/Berlin",
    recurrence: { rrule },
  });

  test("CreateTask refuses a rule that can never repeat, naming the rule", async () => {
    await expectInvalid(
      env.alice.client.createTask({ task: task("FREQ=DAILY;UNTIL=20261231T000000Z") }),
      "task.recurrence.rrule",
      /UNTIL is before the rule's first date at or after the due time/,
    );
    await expectInvalid(
      env.alice.client.createTask({ task: task("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30") }),
      "task.recurrence.rrule",
      /BYMONTH=2;BYMONTHDAY=30, for one, never happens/,
    );
    expect(await env.countTasks(env.alice.principal.userId)).toBe(0);
  });

  test("UpdateTask refuses a change that leaves the rule unable to repeat; other edits pass", async () => {
    const created = await env.alice.client.createTask({ task: task("FREQ=DAILY;UNTIL=20270110T090000Z") });
    const id = created.task?.id ?? "";
    await expectInvalid(
      env.alice.client.updateTask({
        task: { id, dueTime: timestampFromDate(new Date("2027-02-01T09:00:00Z")) },
        updateMask: { paths: ["due_time"] },
      }),
      "task.recurrence.rrule",
      /UNTIL is before the rule's first date/,
    );
    await expectInvalid(
      env.alice.client.updateTask({
        task: { id, recurrence: { rrule: "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31" } },
        updateMask: { paths: ["recurrence"] },
      }),
      "task.recurrence.rrule",
      /would never happen/,
    );
    const renamed = await env.alice.client.updateTask({
      task: { id, title: "renamed" },
      updateMask: { paths: ["title"] },
    });
    expect(renamed.task?.title).toBe("renamed");
  });

  test("CreateTask moves a due time that does not fit its rule to the rule's first occurrence", async () => {
    // Thursday 28 January 2027, 09:00 Berlin, "monthly on the last Friday": Friday the 29th.
    const res = await env.alice.client.createTask({
      task: {
        ...task("FREQ=MONTHLY;BYDAY=-1FR"),
        dueTime: timestampFromDate(new Date("2027-01-28T08:00:00Z")),
        reminders: [{ trigger: { case: "beforeDue", value: { seconds: 3600n } } }],
      },
    });
    expect(timestampDate(res.task?.dueTime as Timestamp).toISOString()).toBe("2027-01-29T08:00:00.000Z");
    expect(res.task?.recurrence?.rrule).toBe("FREQ=MONTHLY;BYDAY=-1FR");
    // Stored so: a read gives the same due time (and the relative reminder moves with it).
    const read = await env.alice.client.getTask({ id: res.task?.id ?? "" });
    expect(read.task?.dueTime).toEqual(res.task?.dueTime);
    expect(read.task?.reminders[0]?.trigger.case).toBe("beforeDue");
  });

  test("CreateTask spells out the time of day when the first occurrence falls in a DST gap", async () => {
    const res = await env.alice.client.createTask({
      task: { ...task("FREQ=WEEKLY;BYDAY=SU"), dueTime: timestampFromDate(new Date("2027-03-25T01:30:00Z")) },
    });
    expect(timestampDate(res.task?.dueTime as Timestamp).toISOString()).toBe("2027-03-28T01:30:00.000Z");
    expect(res.task?.recurrence?.rrule).toBe("FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30;BYSECOND=0");
  });

  test("UpdateTask moves the due time when the rule or the due time changes, not on other edits", async () => {
    const created = await env.alice.client.createTask({ task: task("FREQ=WEEKLY;BYDAY=MO") });
    const id = created.task?.id ?? "";
    const dueOf = (t: { dueTime?: Timestamp } | undefined) =>
      timestampDate(t?.dueTime as Timestamp).toISOString();
    expect(dueOf(created.task)).toBe("2027-01-04T09:00:00.000Z"); // Monday: fits
    // A new rule: Monday 4 January → yearly on 29 February.
    const leap = await env.alice.client.updateTask({
      task: { id, recurrence: { rrule: "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29" } },
      updateMask: { paths: ["recurrence"] },
    });
    expect(dueOf(leap.task)).toBe("2028-02-29T09:00:00.000Z");
    // A title edit leaves the due time alone.
    const renamed = await env.alice.client.updateTask({
      task: { id, title: "leap" },
      updateMask: { paths: ["title"] },
    });
    expect(dueOf(renamed.task)).toBe("2028-02-29T09:00:00.000Z");
    // A new due time (1 March 2028) moves to the next 29 February.
    const moved = await env.alice.client.updateTask({
      task: { id, dueTime: timestampFromDate(new Date("2028-03-01T09:00:00Z")) },
      updateMask: { paths: ["due_time"] },
    });
    expect(dueOf(moved.task)).toBe("2032-02-29T09:00:00.000Z");
  });
});
