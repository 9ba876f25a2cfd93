/**
 * The events of task changes. Each change writes, in its own transaction:
 * - its event on `task-events` (the full snapshot after the change and, for updates, the fields that
 *   changed), keyed by task id so one task's events stay in order;
 * - a `TaskChanged` on `task-updates`, which every task-service replica reads to feed WatchTasks;
 * - a history entry for ListTaskHistory.
 */
import { create, type DescMessage, isMessage, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  TaskCompletedSchema,
  TaskCreatedSchema,
  TaskDeletedSchema,
  TaskReopenedSchema,
  TaskUpdatedSchema,
} from "@todo/gen/todo/events/v1/task_events_pb";
import { TaskChangedSchema } from "@todo/gen/todo/events/v1/task_updates_pb";
import { ChangeType, TaskChangeSchema } from "@todo/gen/todo/task/v1/task_change_pb";
import { type Task, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import {
  type CloudEvent,
  EventTypes,
  fromCloudEvent,
  Topics,
  type TxSql,
  toCloudEvent,
} from "@todo/platform";
import { enqueueEvent } from "@todo/platform/outbox";
import type { EmitTaskEvent, TaskChange } from "./store";
import { rowToTask } from "./task-mapper";

/** The CloudEvents `source` of events the task service produces. */
export const TASK_EVENT_SOURCE = "todo/task";
/** The CloudEvents type of `TaskChanged` on `task-updates`. */
export const TASK_CHANGED_TYPE = "todo.task.v1.changed";

const CHANGE_TYPES: Record<TaskChange, ChangeType> = {
  created: ChangeType.CREATED,
  updated: ChangeType.UPDATED,
  completed: ChangeType.COMPLETED,
  reopened: ChangeType.REOPENED,
  deleted: ChangeType.DELETED,
};

function taskEvent(change: TaskChange, userId: string, task: Task, updateMask: string[]): CloudEvent {
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

/** Writes a task change's events and history entry, in the caller's transaction. */
export const emitTaskEvent: EmitTaskEvent = async (tx: TxSql, change, row, updateMask) => {
  const task = rowToTask(row);
  const mask = updateMask ?? [];
  const event = taskEvent(change, row.user_id, task, mask);

  const taskChange = create(TaskChangeSchema, {
    eventId: event.id,
    type: CHANGE_TYPES[change],
    task,
    updateMask: change === "updated" ? { paths: mask } : undefined,
    changeTime: timestampFromDate(event.time),
  });
  // The three writes are independent: issued together, postgres.js pipelines them in one round trip.
  await Promise.all([
    enqueueEvent(tx, "task", { topic: Topics.taskEvents, key: row.id, event }),
    tx`
    insert into task.history (event_id, user_id, task_id, change_time, change)
    values (${event.id}, ${row.user_id}, ${row.id}, ${event.time}, ${Buffer.from(toBinary(TaskChangeSchema, taskChange))})`,
    enqueueEvent(tx, "task", {
      topic: Topics.taskUpdates,
      key: row.id,
      event: toCloudEvent(
        TaskChangedSchema,
        { userId: row.user_id, change: taskChange },
        { source: TASK_EVENT_SOURCE, subject: row.id, type: TASK_CHANGED_TYPE, time: event.time },
      ),
    }),
  ]);
};

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
