/**
 * Carrying out changes to one task found already: an update (title, description, priority, due date
 * or a shift of it, tags, repetition) and a new reminder, written through the catalogue's
 * `updateTask` — conditional on the etag read, so a change made meanwhile is not overwritten — and
 * worded for the reply.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ActionType } from "@todo/gen/todo/assistant/v1/action_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { movedDue } from "@todo/language/due-move";
import { reminderMessage, type TaskEdit, updateTask } from "@todo/tools";
import type { ReminderSpec, TaskChanges } from "./interpreter";
import { action, type Outcome, type Turn, touched } from "./turn";
import { formatDuration, quote } from "./wording";

/** Applies `changes` to `task` and says what changed. */
export async function applyChanges(turn: Turn, task: Task, changes: TaskChanges): Promise<Outcome> {
  const { timeZone, words } = turn;
  const edit: { -readonly [K in keyof TaskEdit]: TaskEdit[K] } = { etag: task.etag };
  const said: string[] = [];
  if (changes.title !== undefined) {
    edit.title = changes.title;
    said.push(`renamed to ${quote(changes.title)}`);
  }
  if (changes.description !== undefined) {
    edit.description = changes.description;
    said.push(changes.description === "" ? "no description" : "new description");
  }
  if (changes.priority !== undefined) {
    edit.priority = changes.priority;
    said.push(changes.priority ? `priority ${changes.priority}` : "no priority");
  }
  if (changes.due !== undefined || changes.shiftMs !== undefined) {
    let due: Date | undefined;
    if (changes.due)
      due = movedDue(
        changes.due,
        task.dueTime ? timestampDate(task.dueTime) : undefined,
        task.timeZone || timeZone,
        timeZone,
      );
    else if (changes.shiftMs !== undefined) {
      if (!task.dueTime)
        return {
          status: "not_done",
          reply: `${quote(task.title)} has no due date to move; tell me when it is due instead.`,
        };
      due = new Date(timestampDate(task.dueTime).getTime() + changes.shiftMs);
    }
    if (due) {
      edit.due = due;
      if (task.timeZone === "") edit.timeZone = timeZone;
      said.push(`due ${words.when(due)}`);
    } else {
      edit.due = null;
      said.push("no due date");
    }
  }
  if (changes.addTags || changes.removeTags) {
    edit.tags = { add: changes.addTags ?? [], remove: changes.removeTags ?? [] };
    if (changes.addTags?.length) said.push(`tagged ${changes.addTags.map((t) => `#${t}`).join(" ")}`);
    if (changes.removeTags?.length) said.push(`untagged ${changes.removeTags.map((t) => `#${t}`).join(" ")}`);
  }
  if (changes.recurrence !== undefined) {
    edit.recurrence = changes.recurrence;
    said.push(changes.recurrence ? "repeating" : "not repeating");
  }
  const written = await updateTask(turn.clients, task, edit);
  if (!written) return { status: "not_done", reply: `Nothing to change on ${quote(task.title)}.` };
  touched(turn, [written.task]);
  const summary = `Updated ${quote(written.task.title)}: ${said.join(", ")}`;
  return {
    status: "done",
    reply: `${summary}.`,
    action: action(ActionType.UPDATE_TASK, [written.task], summary),
  };
}

/** Adds `reminder` to `task` (a reminder before the due time needs a due time). */
export async function addReminder(turn: Turn, task: Task, reminder: ReminderSpec): Promise<Outcome> {
  if ("beforeDueMs" in reminder && !task.dueTime)
    return {
      status: "not_done",
      reply: `${quote(task.title)} has no due date, so a reminder before it cannot fire. Give it a due date first.`,
    };
  const written = await updateTask(turn.clients, task, {
    etag: task.etag,
    reminders: [...task.reminders, reminderMessage(reminder)],
  });
  const updated = written?.task as Task;
  touched(turn, [updated]);
  const what =
    "at" in reminder
      ? `at ${turn.words.when(new Date(reminder.at))}`
      : reminder.beforeDueMs === 0
        ? "at the due time"
        : `${formatDuration(reminder.beforeDueMs)} before it is due`;
  const summary = `Added a reminder to ${quote(updated.title)} ${what}`;
  return { status: "done", reply: `${summary}.`, action: action(ActionType.UPDATE_TASK, [updated], summary) };
}
