/** A move to a day without a time keeps the task's time of day (the assistant and MCP both use it). */
import { expect, test } from "bun:test";
import { movedDue } from "./due-move.ts";

const NY = "America/New_York";
/** Friday 12 March 2027, as the quick-add parser reads "friday": 23:59 in New York. */
const FRIDAY = { time: "2027-03-13T04:59:00.000Z", hasTime: false };

test("a task due at 18:00 moved to Friday is due Friday 18:00, not 23:59", () => {
  const wednesday6pm = new Date("2027-03-10T23:00:00Z");
  expect(movedDue(FRIDAY, wednesday6pm, NY, NY).toISOString()).toBe("2027-03-12T23:00:00.000Z");
  // the change may come as a Date (parseQuickAdd's `due`) as well as an ISO string
  const asDate = { time: new Date(FRIDAY.time), hasTime: false };
  expect(movedDue(asDate, wednesday6pm, NY, NY).toISOString()).toBe("2027-03-12T23:00:00.000Z");
});

test("the time of day is kept in the task's own zone, across a DST change", () => {
  // 09:00 in New York on Friday 12 March (EST), moved to Monday 15 March (EDT): still 09:00 there
  const friday9am = new Date("2027-03-12T14:00:00Z");
  const monday = { time: "2027-03-16T03:59:00.000Z", hasTime: false };
  expect(movedDue(monday, friday9am, NY, NY).toISOString()).toBe("2027-03-15T13:00:00.000Z");
  // a task meant in Berlin at 08:00, moved by a New York user to Friday: Friday 08:00 in Berlin
  const berlin8am = new Date("2027-03-10T07:00:00Z");
  expect(movedDue(FRIDAY, berlin8am, "Europe/Berlin", NY).toISOString()).toBe("2027-03-12T07:00:00.000Z");
});

test("a move that also changes the task's zone keeps the clock time in the new zone", () => {
  // 18:00 in New York, moved to Friday and to Berlin: Friday 18:00 in Berlin
  const wednesday6pm = new Date("2027-03-10T23:00:00Z");
  const fridayInBerlin = { time: "2027-03-12T22:59:00.000Z", hasTime: false };
  expect(movedDue(fridayInBerlin, wednesday6pm, NY, "Europe/Berlin", "Europe/Berlin").toISOString()).toBe(
    "2027-03-12T17:00:00.000Z",
  );
});

test("a date-only task, a task without a due date, and a move with a time are taken as said", () => {
  const dateOnly = new Date("2027-03-11T04:59:00Z"); // Wednesday 23:59 in New York
  expect(movedDue(FRIDAY, dateOnly, NY, NY).toISOString()).toBe(FRIDAY.time);
  expect(movedDue(FRIDAY, undefined, NY, NY).toISOString()).toBe(FRIDAY.time);
  const friday3pm = { time: "2027-03-12T20:00:00.000Z", hasTime: true };
  expect(movedDue(friday3pm, new Date("2027-03-10T23:00:00Z"), NY, NY).toISOString()).toBe(friday3pm.time);
});
