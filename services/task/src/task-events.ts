/**
 * The events of task changes. Each change writes, in its own transaction:
 * - its event on `task-events` (encoded by `@todo/events`: the full snapshot after the change and,
 *   for updates, the fields that changed), keyed by task id so one task's events stay in order;
 * - a `TaskChanged` on `task-updates`, which every task-service replica reads to feed WatchTasks;
 * - a history entry for ListTaskHistory.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { encodeTaskEvent, TASK_EVENT_SOURCE, type TaskChange } from "@todo/events";
import { TaskChangedSchema } from "@todo/gen/todo/events/v1/task_updates_pb";
import { ChangeType, TaskChangeSchema } from "@todo/gen/todo/task/v1/task_change_pb";
import { EventTypes, Topics, type TxSql, toCloudEvent } from "@todo/platform";
import { enqueueEvent } from "@todo/platform/events";
import type { EmitTaskEvent } from "./store";

const CHANGE_TYPES: Record<TaskChange, ChangeType> = {
  created: ChangeType.CREATED,
  updated: ChangeType.UPDATED,
  completed: ChangeType.COMPLETED,
  reopened: ChangeType.REOPENED,
  deleted: ChangeType.DELETED,
};

/**
 * Writes a task change's events and history entry, in the caller's transaction. `task` is
 * `rowToTask(row)`; every message built from it is serialized here, so the caller may return it.
 */
export const emitTaskEvent: EmitTaskEvent = async (tx: TxSql, change, row, task, updateMask) => {
  const mask = updateMask ?? [];
  const event = encodeTaskEvent(change, row.user_id, task, mask);

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
        { source: TASK_EVENT_SOURCE, subject: row.id, type: EventTypes.taskChanged, time: event.time },
      ),
    }),
  ]);
};
