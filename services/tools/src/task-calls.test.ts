/** A change as an UpdateTask: the fields given and nothing else, tags merged without case. */
import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Priority, RecurrenceAnchor, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { editMessage, newTaskMessage } from "./task-calls";

const current = create(TaskSchema, { id: "t1", title: "report", tags: ["Work", "home"], etag: "e7" });

describe("editMessage", () => {
  test("nothing given, nothing to change", () => {
    expect(editMessage(current, {}).paths).toEqual([]);
  });

  test("only the fields given are in the mask, in a fixed order; null clears", () => {
    const { task, paths } = editMessage(current, {
      recurrence: null,
      due: null,
      priority: "high",
      title: "final report",
      timeZone: "Europe/Berlin",
    });
    expect(paths).toEqual(["title", "priority", "time_zone", "due_time", "recurrence"]);
    expect(task.title).toBe("final report");
    expect(task.priority).toBe(Priority.HIGH);
    expect(task.dueTime).toBeUndefined();
    expect(task.recurrence).toBeUndefined();
    expect(task.etag).toBe("");
  });

  test('"none" and null clear the priority', () => {
    expect(editMessage(current, { priority: "none" }).task.priority).toBe(Priority.UNSPECIFIED);
    expect(editMessage(current, { priority: null }).task.priority).toBe(Priority.UNSPECIFIED);
  });

  test("tags: removed and added without case, and the write is conditional on the task read", () => {
    const { task, paths } = editMessage(current, { tags: { remove: ["work"], add: ["HOME", "errands"] } });
    expect(paths).toEqual(["tags"]);
    expect(task.tags).toEqual(["home", "errands"]);
    expect(task.etag).toBe("e7");
    const replaced = editMessage(current, { tags: { replace: ["a", "b"], remove: ["B"] }, etag: "e9" });
    expect(replaced.task.tags).toEqual(["a"]);
    expect(replaced.task.etag).toBe("e9");
  });
});

describe("newTaskMessage", () => {
  test("carries the fields given; no priority is UNSPECIFIED", () => {
    const task = newTaskMessage({
      title: "water plants",
      tags: ["home"],
      timeZone: "Europe/Berlin",
      due: new Date("2026-05-07T15:00:00Z"),
      recurrence: { rrule: "FREQ=WEEKLY", anchor: "completion" },
      reminders: [{ beforeDueMs: 30 * 60_000 }, { at: "2026-05-07T14:00:00.000Z" }],
    });
    expect(task.priority).toBe(Priority.UNSPECIFIED);
    expect(task.description).toBe("");
    expect(task.dueTime && timestampDate(task.dueTime).toISOString()).toBe("2026-05-07T15:00:00.000Z");
    expect(task.recurrence?.anchor).toBe(RecurrenceAnchor.COMPLETION);
    expect(task.reminders.map((r) => r.trigger.case)).toEqual(["beforeDue", "at"]);
    expect(task.reminders[0]?.trigger.value).toMatchObject({ seconds: 1800n });
  });
});
