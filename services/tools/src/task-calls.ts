/**
 * The calls behind the operations, over the caller's Task and Tag clients: building a new task,
 * turning a change into an UpdateTask with its field mask, finding a task, renaming a tag. MCP's
 * handlers and the assistant's executor both write through these, so a change means the same thing
 * whichever surface asked for it.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Tag } from "@todo/gen/todo/tag/v1/tag_pb";
import { type Reminder, type Task, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { type PriorityName, priorityOf } from "@todo/language/priority";
import { type ReminderSpec, type Repetition, recurrenceMessage, reminderMessage } from "./messages";
import type { TaskClients } from "./operation";

/** The fields of a new task, already read and checked by the surface that asked. */
export interface NewTaskFields {
  readonly title: string;
  readonly description?: string;
  readonly priority?: PriorityName;
  /** Clean names (no #). */
  readonly tags: readonly string[];
  /** The IANA zone the due time and repetition are meant in. */
  readonly timeZone: string;
  readonly due?: Date;
  readonly recurrence?: Repetition;
  readonly reminders?: readonly ReminderSpec[];
}

/** A new task as the CreateTask message. */
export function newTaskMessage(fields: NewTaskFields): Task {
  const task = create(TaskSchema, {
    title: fields.title,
    description: fields.description ?? "",
    priority: priorityOf(fields.priority),
    tags: [...fields.tags],
    timeZone: fields.timeZone,
    reminders: (fields.reminders ?? []).map(reminderMessage),
  });
  if (fields.due) task.dueTime = timestampFromDate(fields.due);
  if (fields.recurrence) task.recurrence = recurrenceMessage(fields.recurrence);
  return task;
}

/** A change to a task: a field left out stays as it is; `null` (or "none") clears it. */
export interface TaskEdit {
  readonly title?: string;
  /** "" clears it. */
  readonly description?: string;
  readonly priority?: PriorityName | "none" | null;
  readonly timeZone?: string;
  readonly due?: Date | null;
  readonly recurrence?: Repetition | null;
  /** The tags: `replace` (or the task's own) minus `remove`, plus `add`, compared without case. */
  readonly tags?: {
    readonly replace?: readonly string[];
    readonly add?: readonly string[];
    readonly remove?: readonly string[];
  };
  /** The complete new list of reminders. */
  readonly reminders?: readonly Reminder[];
  /**
   * The etag the change is conditional on ("" for none). A change of tags is computed from the task
   * read, so without an etag it is made conditional on that task's.
   */
  readonly etag?: string;
}

/** The UpdateTask message and field mask for `edit` of `current`; no paths when nothing changes. */
export function editMessage(current: Task, edit: TaskEdit): { task: Task; paths: string[] } {
  const next = create(TaskSchema, { id: current.id, etag: edit.etag ?? "" });
  const paths: string[] = [];
  if (edit.title !== undefined) {
    next.title = edit.title;
    paths.push("title");
  }
  if (edit.description !== undefined) {
    next.description = edit.description;
    paths.push("description");
  }
  if (edit.priority !== undefined) {
    next.priority = priorityOf(edit.priority);
    paths.push("priority");
  }
  if (edit.timeZone !== undefined) {
    next.timeZone = edit.timeZone;
    paths.push("time_zone");
  }
  if (edit.due !== undefined) {
    if (edit.due) next.dueTime = timestampFromDate(edit.due);
    paths.push("due_time");
  }
  if (edit.recurrence !== undefined) {
    if (edit.recurrence) next.recurrence = recurrenceMessage(edit.recurrence);
    paths.push("recurrence");
  }
  if (edit.tags) {
    const remove = new Set((edit.tags.remove ?? []).map((t) => t.toLowerCase()));
    const merged = (edit.tags.replace ?? current.tags).filter((t) => !remove.has(t.toLowerCase()));
    for (const t of edit.tags.add ?? [])
      if (!merged.some((m) => m.toLowerCase() === t.toLowerCase())) merged.push(t);
    next.tags = merged;
    paths.push("tags");
    if (!next.etag) next.etag = current.etag;
  }
  if (edit.reminders !== undefined) {
    next.reminders = [...edit.reminders];
    paths.push("reminders");
  }
  return { task: next, paths };
}

/** Applies `edit` to `current`: the task after the change and the paths changed, or undefined when the edit changes nothing. */
export async function updateTask(
  c: TaskClients,
  current: Task,
  edit: TaskEdit,
): Promise<{ task: Task; paths: string[] } | undefined> {
  const { task, paths } = editMessage(current, edit);
  if (paths.length === 0) return undefined;
  const updated = (await c.tasks.updateTask({ task, updateMask: { paths } }, c.call)).task as Task;
  return { task: updated, paths };
}

/** The caller's task with this id, or undefined when there is none (or it is not theirs). */
export async function findTask(c: TaskClients, id: string): Promise<Task | undefined> {
  try {
    return (await c.tasks.getTask({ id }, c.call)).task;
  } catch (e) {
    if (e instanceof ConnectError && e.code === Code.NotFound) return undefined;
    throw e;
  }
}

/** Every tag of the caller (the tag service's largest page), with its task count. */
export async function allTags(c: TaskClients): Promise<Tag[]> {
  return (await c.tags.listTags({ pageSize: 1000 }, c.call)).tags;
}

/** Renames the caller's tag named `from` (any case) to `to`; undefined when there is no such tag. */
export async function renameTag(c: TaskClients, from: string, to: string): Promise<Tag | undefined> {
  const tag = (await allTags(c)).find((t) => t.name.toLowerCase() === from.toLowerCase());
  if (!tag) return undefined;
  await c.tags.updateTag({ tag: { id: tag.id, name: to }, updateMask: { paths: ["name"] } }, c.call);
  return tag;
}
