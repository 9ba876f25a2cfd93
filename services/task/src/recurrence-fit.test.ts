/**
 * Issue 13 §1: a rule that can never repeat is refused — at CreateTask, and at UpdateTask when the
 * rule, due time or zone changes — while the last instance of a series (COUNT=1, the final day
 * before UNTIL) is still accepted, as the scheduler creates it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { neverRepeatsProblem } from "./recurrence-fit";
import { createTaskTestEnv, expectInvalid, type TaskTestEnv } from "./test-helpers";

const due = new Date("2027-01-04T09:00:00Z");

describe("neverRepeatsProblem", () => {
  test.each([
    ["FREQ=DAILY;UNTIL=20270103T090000Z", /UNTIL is before the due time/],
    ["FREQ=DAILY;UNTIL=20270103", /UNTIL is before the due time/],
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", /no date matches this rule after the due time/],
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
      /UNTIL is before the due time/,
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
      /UNTIL is before the due time/,
    );
    await expectInvalid(
      env.alice.client.updateTask({
        task: { id, recurrence: { rrule: "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31" } },
        updateMask: { paths: ["recurrence"] },
      }),
      "task.recurrence.rrule",
      /never repeat/,
    );
    const renamed = await env.alice.client.updateTask({
      task: { id, title: "renamed" },
      updateMask: { paths: ["title"] },
    });
    expect(renamed.task?.title).toBe("renamed");
  });
});
