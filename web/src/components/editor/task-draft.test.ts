import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Priority, RecurrenceAnchor, type Task, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { parseRrule } from "./rrule-builder";
import {
  applyFields,
  draftFromTask,
  draftProblems,
  fieldKeyOf,
  type MaskField,
  splitDuration,
  type TaskDraft,
  taskFromDraft,
  updateMask,
} from "./task-draft";

const BERLIN = "Europe/Berlin";

function sampleTask(): Task {
  return create(TaskSchema, {
    id: "11111111-1111-4111-8111-111111111111",
    etag: "e1",
    title: "Pay rent",
    description: "to the landlord",
    priority: Priority.HIGH,
    tags: ["home", "money"],
    dueTime: timestampFromMs(Date.parse("2027-02-01T08:00:00Z")), // 09:00 Berlin
    timeZone: BERLIN,
    recurrence: { rrule: "FREQ=MONTHLY;BYMONTHDAY=1", anchor: RecurrenceAnchor.SCHEDULE },
    reminders: [
      {
        id: "22222222-2222-4222-8222-222222222222",
        trigger: { case: "beforeDue", value: durationFromMs(3_600_000) },
      },
      {
        id: "33333333-3333-4333-8333-333333333333",
        trigger: { case: "at", value: timestampFromMs(Date.parse("2027-01-31T17:30:00Z")) },
      },
    ],
  });
}

describe("draftFromTask", () => {
  test("reads a task in its own zone", () => {
    const d = draftFromTask(sampleTask(), "America/New_York");
    expect(d.timeZone).toBe(BERLIN);
    expect(d.dueDate).toBe("2027-02-01");
    expect(d.dueTime).toBe("09:00");
    expect(d.priority).toBe(Priority.HIGH);
    expect(d.tags).toEqual(["home", "money"]);
    expect(d.recurrence.kind).toBe("monthly");
    expect(d.recurrence.monthly).toEqual({ mode: "day", day: 1 });
    expect(d.reminders.map((r) => r.kind)).toEqual(["before", "at"]);
    expect(d.reminders[0]).toMatchObject({ amount: 1, unit: "hours" });
    expect(d.reminders[1]).toMatchObject({ date: "2027-01-31", time: "18:30" });
  });

  test("a new task starts empty in the default zone", () => {
    const d = draftFromTask(undefined, "Asia/Tokyo");
    expect(d).toMatchObject({
      title: "",
      dueDate: "",
      timeZone: "Asia/Tokyo",
      priority: Priority.UNSPECIFIED,
    });
    expect(d.recurrence.kind).toBe("none");
  });

  test("splitDuration picks the largest exact unit", () => {
    expect(splitDuration(90 * 60_000)).toEqual({ amount: 90, unit: "minutes" });
    expect(splitDuration(2 * 86_400_000)).toEqual({ amount: 2, unit: "days" });
    expect(splitDuration(3 * 3_600_000)).toEqual({ amount: 3, unit: "hours" });
    expect(splitDuration(0)).toEqual({ amount: 0, unit: "minutes" });
  });
});

describe("taskFromDraft", () => {
  test("round-trips a task", () => {
    const task = sampleTask();
    const out = create(
      TaskSchema,
      taskFromDraft(draftFromTask(task, "UTC"), { id: task.id, etag: task.etag }),
    );
    expect(out.title).toBe(task.title);
    expect(out.etag).toBe("e1");
    expect(timestampMs(out.dueTime ?? timestampFromMs(0))).toBe(
      timestampMs(task.dueTime ?? timestampFromMs(1)),
    );
    expect(out.recurrence?.rrule).toBe("FREQ=MONTHLY;BYMONTHDAY=1");
    expect(out.reminders.map((r) => r.id)).toEqual(task.reminders.map((r) => r.id));
    const before = out.reminders[0]?.trigger;
    expect(before?.case === "beforeDue" && durationMs(before.value)).toBe(3_600_000);
    const at = out.reminders[1]?.trigger;
    expect(at?.case === "at" && timestampMs(at.value)).toBe(Date.parse("2027-01-31T17:30:00Z"));
  });

  test("no due date sends no due time; the anchor is mapped; the title is trimmed", () => {
    const d: TaskDraft = {
      ...draftFromTask(undefined, BERLIN),
      title: "  Water plants ",
      dueDate: "2027-03-28",
      dueTime: "02:30",
      recurrence: parseRrule("FREQ=DAILY;INTERVAL=3", "COMPLETION"),
    };
    const t = create(TaskSchema, taskFromDraft(d));
    expect(t.title).toBe("Water plants");
    expect(new Date(timestampMs(t.dueTime ?? timestampFromMs(0))).toISOString()).toBe(
      "2027-03-28T01:30:00.000Z",
    );
    expect(t.recurrence?.anchor).toBe(RecurrenceAnchor.COMPLETION);
    const none = create(TaskSchema, taskFromDraft({ ...d, dueDate: "", recurrence: parseRrule("") }));
    expect(none.dueTime).toBeUndefined();
    expect(none.recurrence).toBeUndefined();
  });
});

describe("updateMask", () => {
  const initial = draftFromTask(sampleTask(), "UTC");

  test("nothing changed, nothing sent — even when the form was rewritten to equal values", () => {
    expect(updateMask(initial, { ...initial })).toEqual([]);
    expect(updateMask(initial, { ...initial, title: "Pay rent  " })).toEqual([]);
    expect(updateMask(initial, { ...initial, recurrence: parseRrule("BYMONTHDAY=1;FREQ=MONTHLY") })).toEqual(
      [],
    );
    // The same reminders as fresh rows with the same ids and triggers.
    expect(
      updateMask(initial, { ...initial, reminders: initial.reminders.map((r) => ({ ...r, key: "x" })) }),
    ).toEqual([]);
    // 60 minutes is 1 hour.
    const [first, second] = initial.reminders;
    if (!first || !second) throw new Error("sample has two reminders");
    const asMinutes = { ...first, kind: "before" as const, amount: 60, unit: "minutes" as const };
    expect(updateMask(initial, { ...initial, reminders: [asMinutes, second] })).toEqual([]);
  });

  test("each field alone", () => {
    const cases: Array<[Partial<TaskDraft>, MaskField[]]> = [
      [{ title: "Pay the rent" }, ["title"]],
      [{ description: "" }, ["description"]],
      [{ priority: Priority.URGENT }, ["priority"]],
      [{ tags: ["home"] }, ["tags"]],
      [{ tags: ["money", "home"] }, ["tags"]],
      [{ dueTime: "10:00" }, ["due_time"]],
      [{ dueDate: "2027-02-02" }, ["due_time"]],
      [{ dueDate: "", recurrence: parseRrule("") }, ["due_time", "recurrence"]],
      [{ recurrence: parseRrule("FREQ=MONTHLY;BYMONTHDAY=1", "COMPLETION") }, ["recurrence"]],
      [{ recurrence: parseRrule("FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12") }, ["recurrence"]],
      [{ reminders: initial.reminders.slice(0, 1) }, ["reminders"]],
    ];
    for (const [over, mask] of cases) expect(updateMask(initial, { ...initial, ...over })).toEqual(mask);
  });

  test("a new zone at the same wall-clock time moves the due instant and the absolute reminder", () => {
    expect(updateMask(initial, { ...initial, timeZone: "Asia/Tokyo" })).toEqual([
      "due_time",
      "time_zone",
      "reminders",
    ]);
  });

  test("several fields, in the contract's order", () => {
    expect(updateMask(initial, { ...initial, reminders: [], title: "x", tags: [] })).toEqual([
      "title",
      "tags",
      "reminders",
    ]);
  });

  test("applyFields re-applies edits onto a reloaded task", () => {
    const mine = { ...initial, title: "Mine", priority: Priority.LOW };
    const theirs = { ...initial, description: "Theirs", title: "Theirs" };
    const merged = applyFields(theirs, mine, updateMask(initial, mine));
    expect(merged).toMatchObject({ title: "Mine", priority: Priority.LOW, description: "Theirs" });
    expect(updateMask(theirs, merged)).toEqual(["title", "priority"]);
  });
});

describe("problems and field keys", () => {
  test("draftProblems catches what the form can see", () => {
    const d = draftFromTask(undefined, BERLIN);
    expect(draftProblems(d)).toEqual({ title: "Give the task a title." });
    const p = draftProblems({
      ...d,
      title: "ok",
      recurrence: parseRrule("FREQ=DAILY"),
      reminders: [{ key: "k", id: "", kind: "before", amount: 10, unit: "minutes" }],
    });
    expect(Object.keys(p).sort()).toEqual(["recurrence", "reminders.0"]);
  });

  test("fieldKeyOf maps server paths to form fields", () => {
    expect(fieldKeyOf("task.title")).toBe("title");
    expect(fieldKeyOf("task.due_time")).toBe("due");
    expect(fieldKeyOf("task.time_zone")).toBe("timeZone");
    expect(fieldKeyOf("task.recurrence.rrule")).toBe("recurrence");
    expect(fieldKeyOf("task.recurrence")).toBe("recurrence");
    expect(fieldKeyOf("task.reminders[1].before_due")).toBe("reminders.1");
    expect(fieldKeyOf("task.reminders")).toBe("reminders");
    expect(fieldKeyOf("task.tags[2]")).toBe("tags");
    expect(fieldKeyOf("update_mask")).toBe("form");
  });
});
