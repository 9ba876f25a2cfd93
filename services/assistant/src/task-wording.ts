/** How replies show a task, its reminders and a numbered list of tasks, times in the caller's zone. */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { type Reminder, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { priorityName } from "@todo/language/priority";
import { formatDuration, quote } from "./wording";

/** The wording of tasks for one caller. */
export interface TaskWording {
  /** An instant as "Fri, Mar 12, 3:00 PM" in the caller's zone. */
  when(date: Date): string;
  /** One line about a task: title, due time, priority, tags, when it was completed. */
  describe(task: Task): string;
  /** "1. …\n2. …". */
  numbered(list: readonly Task[]): string;
  /** "reminder 30 minutes before", "reminder Fri, Mar 12, 9:00 AM". */
  reminder(r: Reminder): string;
}

/** The wording of tasks with times in `timeZone`. */
export function taskWording(timeZone: string): TaskWording {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
  });
  const when = (date: Date) => format.format(date);
  const describe = (task: Task): string => {
    const bits = [quote(task.title)];
    if (task.dueTime) bits.push(`due ${when(timestampDate(task.dueTime))}`);
    const p = priorityName(task.priority);
    if (p !== "none") bits.push(p);
    if (task.tags.length > 0) bits.push(task.tags.map((t) => `#${t}`).join(" "));
    if (task.status === TaskStatus.COMPLETED && task.completeTime)
      bits.push(`completed ${when(timestampDate(task.completeTime))}`);
    return bits.join(", ");
  };
  return {
    when,
    describe,
    numbered: (list) => list.map((t, i) => `${i + 1}. ${describe(t)}`).join("\n"),
    reminder(r) {
      if (r.trigger.case === "at") return `reminder ${when(timestampDate(r.trigger.value))}`;
      if (r.trigger.case === "beforeDue") {
        const ms = Number(r.trigger.value.seconds) * 1000;
        return ms === 0 ? "reminder at the due time" : `reminder ${formatDuration(ms)} before`;
      }
      return "reminder";
    },
  };
}
