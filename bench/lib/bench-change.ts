/**
 * The payload the event benchmarks send: a real `task-updates` CloudEvent, built the way the task
 * service builds it, so sizes and encoding costs match production.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { TaskChangedSchema } from "@todo/gen/todo/events/v1/task_updates_pb";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { Priority, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { EventTypes, toCloudEvent } from "@todo/platform";

/** A realistic `task-updates` event (a TaskChanged with a full task snapshot, ~300 bytes of data). */
export function benchChange(key: string, i: number, now: Date) {
  return toCloudEvent(
    TaskChangedSchema,
    {
      userId: "0197a0b0-0000-7000-8000-000000000001",
      change: {
        eventId: crypto.randomUUID(),
        type: ChangeType.UPDATED,
        task: {
          id: key,
          title: `Review the quarterly report for the team #${i}`,
          description: "Check the numbers with Anna before Friday, then send the draft.",
          status: TaskStatus.OPEN,
          priority: Priority.HIGH,
          tags: ["work", "finance"],
          dueTime: timestampFromDate(new Date(now.getTime() + 86_400_000)),
          timeZone: "Europe/Berlin",
          createTime: timestampFromDate(now),
          updateTime: timestampFromDate(now),
          etag: `"${i}"`,
        },
        updateMask: { paths: ["title"] },
        changeTime: timestampFromDate(now),
      },
    },
    { source: "/todo/bench", type: EventTypes.taskChanged, subject: key },
  );
}
