import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { TaskCreatedSchema } from "@todo/gen/todo/events/v1/task_events_pb";
import { TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { EventTypes, toCloudEvent } from "@todo/platform";
import { decodeTaskEvent, encodeTaskEvent, TASK_EVENT_SOURCE, type TaskChange } from "./task-events";

const task = create(TaskSchema, { id: "0193-task", title: "water plants", etag: '"3"' });

describe("task-events codec", () => {
  for (const kind of [
    "created",
    "updated",
    "completed",
    "reopened",
    "deleted",
  ] as const satisfies TaskChange[]) {
    test(`a ${kind} event decodes to its owner, snapshot and kind`, () => {
      const event = encodeTaskEvent(kind, "user-1", task, ["title"]);
      expect(event.source).toBe(TASK_EVENT_SOURCE);
      expect(event.subject).toBe(task.id);
      const decoded = decodeTaskEvent(event);
      expect(decoded?.kind).toBe(kind);
      expect(decoded?.userId).toBe("user-1");
      expect(decoded?.task.title).toBe("water plants");
    });
  }

  test("events of other types are not task events", () => {
    const other = toCloudEvent(TaskSchema, task, {
      source: "elsewhere",
      subject: task.id,
      type: "todo.other",
    });
    expect(decodeTaskEvent(other)).toBeUndefined();
  });

  test("a task event without its snapshot or owner is refused, for the dead-letter topic", () => {
    const bare = toCloudEvent(
      TaskCreatedSchema,
      { userId: "user-1" },
      { source: TASK_EVENT_SOURCE, subject: task.id, type: EventTypes.taskCreated },
    );
    expect(() => decodeTaskEvent(bare)).toThrow(/no task snapshot or owner/);
    const ownerless = toCloudEvent(
      TaskCreatedSchema,
      { task },
      { source: TASK_EVENT_SOURCE, subject: task.id, type: EventTypes.taskCreated },
    );
    expect(() => decodeTaskEvent(ownerless)).toThrow(/no task snapshot or owner/);
  });
});
