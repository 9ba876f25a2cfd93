import { describe, expect, test } from "bun:test";
import { relativeWhen, reminderBody, reminderTitle } from "./notification-text";

const at = (iso: string) => new Date(iso);

describe("reminderTitle", () => {
  test("quotes the task title after `Reminder:`", () => {
    expect(reminderTitle("Pay rent")).toBe("Reminder: Pay rent");
    expect(reminderTitle("  Pay\n  rent ")).toBe("Reminder: Pay rent");
  });

  test("names an untitled task and cuts a very long title", () => {
    expect(reminderTitle("   ")).toBe("Reminder: (untitled task)");
    const long = reminderTitle("x".repeat(500));
    expect([...long].length).toBe("Reminder: ".length + 200);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("reminderBody", () => {
  test("says `Due tomorrow 09:00` in the task's time zone, relative to the fire time", () => {
    // 2031-03-10 20:00 in Berlin (UTC+1), due the next morning at 09:00 Berlin time.
    expect(
      reminderBody({
        taskTitle: "t",
        fireTime: at("2031-03-10T19:00:00Z"),
        dueTime: at("2031-03-11T08:00:00Z"),
        timeZone: "Europe/Berlin",
      }),
    ).toBe("Due tomorrow 09:00 (Europe/Berlin)");
  });

  test("the same instants read differently in another zone (the date changes there)", () => {
    // In Tokyo (UTC+9) the fire time is 2031-03-11 04:00 and the due time 17:00 the same day.
    expect(
      reminderBody({
        taskTitle: "t",
        fireTime: at("2031-03-10T19:00:00Z"),
        dueTime: at("2031-03-11T08:00:00Z"),
        timeZone: "Asia/Tokyo",
      }),
    ).toBe("Due today 17:00 (Asia/Tokyo)");
  });

  test("counts calendar days across a DST change, not 24-hour periods", () => {
    // Berlin springs forward on 2031-03-30. 22:30 on the 29th → 09:00 on the 30th is only 9.5 h.
    expect(
      reminderBody({
        taskTitle: "t",
        fireTime: at("2031-03-29T21:30:00Z"),
        dueTime: at("2031-03-30T07:00:00Z"),
        timeZone: "Europe/Berlin",
      }),
    ).toBe("Due tomorrow 09:00 (Europe/Berlin)");
  });

  test("a weekday within the week, a date beyond it, the year only when it differs", () => {
    const fire = at("2031-03-10T12:00:00Z"); // a Monday
    expect(relativeWhen(at("2031-03-14T09:30:00Z"), fire, "UTC")).toBe("Friday 09:30");
    expect(relativeWhen(at("2031-03-20T09:30:00Z"), fire, "UTC")).toBe("Thu 20 Mar 09:30");
    expect(relativeWhen(at("2032-01-02T23:05:00Z"), fire, "UTC")).toBe("Fri 2 Jan 2032 23:05");
    expect(relativeWhen(at("2031-03-09T09:30:00Z"), fire, "UTC")).toBe("yesterday 09:30");
  });

  test("a reminder after the due time says overdue", () => {
    expect(
      reminderBody({
        taskTitle: "t",
        fireTime: at("2031-03-11T08:00:00Z"),
        dueTime: at("2031-03-10T16:00:00Z"),
        timeZone: "America/New_York",
      }),
    ).toBe("Overdue since yesterday 12:00 (America/New_York)");
  });

  test("a task without a due time names the reminder time; a bad or missing zone means UTC", () => {
    expect(reminderBody({ taskTitle: "t", fireTime: at("2031-03-10T19:45:00Z"), timeZone: "" })).toBe(
      "Reminder set for today 19:45 (UTC)",
    );
    expect(
      reminderBody({
        taskTitle: "t",
        fireTime: at("2031-03-10T19:45:00Z"),
        dueTime: at("2031-03-10T20:00:00Z"),
        timeZone: "Not/AZone",
      }),
    ).toBe("Due today 20:00 (UTC)");
  });
});
