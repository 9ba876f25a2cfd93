/**
 * The events of task changes: the full snapshot after the change (and, for updates, the fields that
 * changed), written to the task service's outbox inside the change's transaction and published on
 * `task-events` keyed by task id, so one task's events stay in order.
 */
import {
  TaskCompletedSchema,
  TaskCreatedSchema,
  TaskDeletedSchema,
  TaskReopenedSchema,
  TaskUpdatedSchema,
} from "@todo/gen/todo/events/v1/task_events_pb";
import { EventTypes, Topics, type TxSql, toCloudEvent } from "@todo/platform";
import { enqueueEvent } from "@todo/platform/outbox";
import type { EmitTaskEvent, TaskChange } from "./store";
import { rowToTask, type TaskRow } from "./task-mapper";

/** The CloudEvents `source` of events the task service produces. */
export const TASK_EVENT_SOURCE = "todo/task";

function cloudEvent(change: TaskChange, row: TaskRow, updateMask: string[] | undefined) {
  const attrs = { source: TASK_EVENT_SOURCE, subject: row.id };
  const base = { userId: row.user_id, task: rowToTask(row) };
  switch (change) {
    case "created":
      return toCloudEvent(TaskCreatedSchema, base, { ...attrs, type: EventTypes.taskCreated });
    case "updated":
      return toCloudEvent(
        TaskUpdatedSchema,
        { ...base, updateMask: { paths: updateMask ?? [] } },
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

/** Writes a task change's event to the outbox, in the caller's transaction. */
export const emitTaskEvent: EmitTaskEvent = async (tx: TxSql, change, row, updateMask) => {
  await enqueueEvent(tx, "task", {
    topic: Topics.taskEvents,
    key: row.id,
    event: cloudEvent(change, row, updateMask),
  });
};
