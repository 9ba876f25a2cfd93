/**
 * The `task-events` topic's codec: one event per task change, carrying the owner and the full task
 * snapshot after the change (and, for updates, the fields that changed), keyed by task id so one
 * task's events stay in order. The task service encodes them; the tag and scheduler services (and
 * anyone else) decode them with {@link decodeTaskEvent}.
 */
import { type DescMessage, isMessage } from "@bufbuild/protobuf";
import {
  TaskCompletedSchema,
  TaskCreatedSchema,
  TaskDeletedSchema,
  TaskReopenedSchema,
  TaskUpdatedSchema,
} from "@todo/gen/todo/events/v1/task_events_pb";
import { type Task, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { type CloudEvent, EventTypes, fromCloudEvent, toCloudEvent } from "@todo/platform";

/** The CloudEvents `source` of events the task service produces. */
export const TASK_EVENT_SOURCE = "todo/task";

/** What happened to a task. */
export type TaskChange = "created" | "updated" | "completed" | "reopened" | "deleted";

/** The `task-events` event of `change` to `task` (owned by `userId`); `updateMask` for updates. */
export function encodeTaskEvent(
  change: TaskChange,
  userId: string,
  task: Task,
  updateMask: string[],
): CloudEvent {
  const attrs = { source: TASK_EVENT_SOURCE, subject: task.id };
  const base = { userId, task };
  switch (change) {
    case "created":
      return toCloudEvent(TaskCreatedSchema, base, { ...attrs, type: EventTypes.taskCreated });
    case "updated":
      return toCloudEvent(
        TaskUpdatedSchema,
        { ...base, updateMask: { paths: updateMask } },
        { ...attrs, type: EventTypes.taskUpdated },
      );
    case "completed":
      return toCloudEvent(TaskCompletedSchema, base, { ...attrs, type: EventTypes.taskCompleted });
    case "reopened":
      return toCloudEvent(TaskReopenedSchema, base, { ...attrs, type: EventTypes.taskReopened });
    case "deleted":
      return toCloudEvent(TaskDeletedSchema, base, { ...attrs, type: EventTypes.taskDeleted });
  }
}

const SNAPSHOT_EVENTS: ReadonlyMap<string, { schema: DescMessage; kind: TaskChange }> = new Map(
  (
    [
      [TaskCreatedSchema, "created"],
      [TaskUpdatedSchema, "updated"],
      [TaskCompletedSchema, "completed"],
      [TaskReopenedSchema, "reopened"],
      [TaskDeletedSchema, "deleted"],
    ] as const
  ).map(([schema, kind]) => [schema.typeName, { schema, kind }]),
);

/** A `task-events` event as its consumers need it: the owner, the task snapshot and what happened. */
export interface TaskSnapshotEvent {
  readonly userId: string;
  readonly task: Task;
  readonly kind: TaskChange;
}

/**
 * Decodes a `task-events` event; undefined for events of other types. Throws when a task event
 * lacks its snapshot or owner (a malformed event belongs in the dead-letter topic).
 */
export function decodeTaskEvent(event: CloudEvent): TaskSnapshotEvent | undefined {
  const known = SNAPSHOT_EVENTS.get(event.dataSchema);
  if (!known) return undefined;
  const message = fromCloudEvent(known.schema, event) as unknown as { userId: string; task?: unknown };
  if (!isMessage(message.task, TaskSchema) || message.task.id === "" || message.userId === "") {
    throw new Error(`task event ${event.id} has no task snapshot or owner`);
  }
  return { userId: message.userId, task: message.task, kind: known.kind };
}
