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
import { enqueueEvents, type PublishEntry } from "@todo/platform/events";
import type { EmitTaskEvents } from "./store";

const CHANGE_TYPES: Record<TaskChange, ChangeType> = {
  created: ChangeType.CREATED,
  updated: ChangeType.UPDATED,
  completed: ChangeType.COMPLETED,
  reopened: ChangeType.REOPENED,
  deleted: ChangeType.DELETED,
};

/**
 * Writes the events and history entries of task changes, in the caller's transaction and in the
 * order given. Each `task` is `rowToTask(row)`; every message built from it is serialized here, so
 * the caller may return it. Two statements, however many changes: the outbox rows, and the history.
 */
export const emitTaskEvents: EmitTaskEvents = async (tx: TxSql, changes) => {
  if (changes.length === 0) return;
  const outbox: PublishEntry[] = [];
  const history: HistoryInsert[] = [];
  for (const { change, row, task, updateMask } of changes) {
    const mask = updateMask ?? [];
    const event = encodeTaskEvent(change, row.user_id, task, mask);
    const taskChange = create(TaskChangeSchema, {
      eventId: event.id,
      type: CHANGE_TYPES[change],
      task,
      updateMask: change === "updated" ? { paths: mask } : undefined,
      changeTime: timestampFromDate(event.time),
    });
    outbox.push(
      { topic: Topics.taskEvents, key: row.id, event },
      {
        topic: Topics.taskUpdates,
        key: row.id,
        event: toCloudEvent(
          TaskChangedSchema,
          { userId: row.user_id, change: taskChange },
          { source: TASK_EVENT_SOURCE, subject: row.id, type: EventTypes.taskChanged, time: event.time },
        ),
      },
    );
    history.push({
      event_id: event.id,
      user_id: row.user_id,
      task_id: row.id,
      change_time: event.time,
      change: Buffer.from(toBinary(TaskChangeSchema, taskChange)),
    });
  }
  // Independent: issued together, postgres.js pipelines them in one round trip.
  await Promise.all([
    enqueueEvents(tx, "task", outbox),
    tx`insert into task.history ${tx(history as never, "event_id", "user_id", "task_id", "change_time", "change")}`,
  ]);
};

/** A `task.history` row as `emitTaskEvents` inserts it. */
interface HistoryInsert {
  event_id: string;
  user_id: string;
  task_id: string;
  change_time: Date;
  change: Buffer;
}
