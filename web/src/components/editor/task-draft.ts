/**
 * The task editor's form state and its mapping to the API: a {@link TaskDraft} is what the form
 * shows (wall-clock dates and times in the task's zone, a recurrence form, reminder rows); it turns
 * into a `Task` for CreateTask/UpdateTask, and {@link updateMask} names exactly the fields that
 * changed, so an update never overwrites a field someone else changed meanwhile. Pure functions, no
 * DOM: unit-tested on their own.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Priority, RecurrenceAnchor, type Task, type TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { UPDATABLE_TASK_FIELDS, type UpdatableTaskField } from "@todo/language/task-fields";
import { buildRrule, NO_RECURRENCE, parseRrule, type RecurrenceDraft, sameRule } from "./rrule-builder";
import { instantToWallClock, isDate, isTime, wallClockToInstant } from "./zoned-time";

/** The units a relative reminder is entered in. */
export type ReminderUnit = "minutes" | "hours" | "days";
/** Milliseconds per reminder unit. */
export const UNIT_MS: Record<ReminderUnit, number> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };

/**
 * One reminder row. `id` is the server's id (empty for a new reminder; sent back unchanged to keep
 * it); `key` is only for the form (stable list identity).
 */
export type ReminderDraft =
  | {
      readonly key: string;
      readonly id: string;
      readonly kind: "before";
      readonly amount: number;
      readonly unit: ReminderUnit;
    }
  | {
      readonly key: string;
      readonly id: string;
      readonly kind: "at";
      readonly date: string;
      readonly time: string;
    };

/** The editor's form state. `dueDate` is empty when the task has no due date. */
export interface TaskDraft {
  readonly title: string;
  readonly description: string;
  readonly priority: Priority;
  readonly tags: readonly string[];
  /** `YYYY-MM-DD` in `timeZone`, or empty. */
  readonly dueDate: string;
  /** `HH:MM` in `timeZone`. */
  readonly dueTime: string;
  /** IANA zone the due time, "at" reminders and recurrence are meant in. */
  readonly timeZone: string;
  readonly recurrence: RecurrenceDraft;
  readonly reminders: readonly ReminderDraft[];
}

/** The time of day a due date gets when none is chosen. */
export const DEFAULT_DUE_TIME = "09:00";

/** The fields UpdateTask can change, by proto name, in the order masks are written (the task service's list). */
export const MASKABLE = UPDATABLE_TASK_FIELDS;
/** One maskable field. */
export type MaskField = UpdatableTaskField;

let keySeq = 0;
/** A new form-only key for a reminder row. */
export function reminderKey(): string {
  keySeq += 1;
  return `r${keySeq}`;
}

/** Splits a duration into the largest unit that divides it (90 min → 90 minutes; 2 days → 2 days). */
export function splitDuration(ms: number): { amount: number; unit: ReminderUnit } {
  for (const unit of ["days", "hours", "minutes"] as const) {
    if (ms > 0 && ms % UNIT_MS[unit] === 0) return { amount: ms / UNIT_MS[unit], unit };
  }
  return { amount: Math.round(ms / UNIT_MS.minutes), unit: "minutes" };
}

/** The form state for `task` (undefined: a new task, in `defaultZone`). */
export function draftFromTask(task: Task | undefined, defaultZone: string): TaskDraft {
  const timeZone = task?.timeZone || defaultZone;
  const due = task?.dueTime ? instantToWallClock(timestampMs(task.dueTime), timeZone) : undefined;
  const anchor = task?.recurrence?.anchor === RecurrenceAnchor.COMPLETION ? "COMPLETION" : "SCHEDULE";
  const reminders: ReminderDraft[] = (task?.reminders ?? []).flatMap((r): ReminderDraft[] => {
    if (r.trigger.case === "at") {
      const wc = instantToWallClock(timestampMs(r.trigger.value), timeZone);
      return [{ key: reminderKey(), id: r.id, kind: "at", date: wc.date, time: wc.time }];
    }
    if (r.trigger.case === "beforeDue") {
      return [
        { key: reminderKey(), id: r.id, kind: "before", ...splitDuration(durationMs(r.trigger.value)) },
      ];
    }
    return [];
  });
  return {
    title: task?.title ?? "",
    description: task?.description ?? "",
    priority: task?.priority ?? Priority.UNSPECIFIED,
    tags: [...(task?.tags ?? [])],
    dueDate: due?.date ?? "",
    dueTime: due?.time ?? DEFAULT_DUE_TIME,
    timeZone,
    recurrence: task?.recurrence ? parseRrule(task.recurrence.rrule, anchor) : NO_RECURRENCE,
    reminders,
  };
}

/** The due instant of a draft in epoch ms, undefined without a due date, NaN when unreadable. */
export function dueMs(d: TaskDraft): number | undefined {
  if (d.dueDate === "") return undefined;
  return wallClockToInstant(d.dueDate, d.dueTime || DEFAULT_DUE_TIME, d.timeZone).getTime();
}

/** A reminder's trigger in comparable form: `at:<ms>` or `before:<ms>`. */
function reminderTrigger(r: ReminderDraft, zone: string): string {
  return r.kind === "at"
    ? `at:${wallClockToInstant(r.date, r.time, zone).getTime()}`
    : `before:${r.amount * UNIT_MS[r.unit]}`;
}

/** The reminders as sent: one init object per row, ids kept. */
function remindersInit(d: TaskDraft): NonNullable<MessageInitShape<typeof TaskSchema>["reminders"]> {
  return d.reminders.map((r) =>
    r.kind === "at"
      ? {
          id: r.id,
          trigger: {
            case: "at",
            value: timestampFromMs(wallClockToInstant(r.date, r.time, d.timeZone).getTime()),
          },
        }
      : { id: r.id, trigger: { case: "beforeDue", value: durationFromMs(r.amount * UNIT_MS[r.unit]) } },
  );
}

/**
 * The task a draft stands for (for CreateTask, or UpdateTask with `id` and `etag` set). The title is
 * trimmed; a draft without a due date sends no due time.
 */
export function taskFromDraft(
  d: TaskDraft,
  ids: { id?: string; etag?: string } = {},
): MessageInitShape<typeof TaskSchema> {
  const due = dueMs(d);
  const rrule = buildRrule(d.recurrence);
  return {
    id: ids.id ?? "",
    etag: ids.etag ?? "",
    title: d.title.trim(),
    description: d.description,
    priority: d.priority,
    tags: [...d.tags],
    dueTime: due === undefined ? undefined : timestampFromMs(due),
    timeZone: d.timeZone,
    recurrence:
      rrule === undefined
        ? undefined
        : {
            rrule,
            anchor:
              d.recurrence.anchor === "COMPLETION" ? RecurrenceAnchor.COMPLETION : RecurrenceAnchor.SCHEDULE,
          },
    reminders: remindersInit(d),
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameRecurrence(a: RecurrenceDraft, b: RecurrenceDraft): boolean {
  const ra = buildRrule(a);
  const rb = buildRrule(b);
  if (ra === undefined || rb === undefined) return ra === rb;
  return (ra === rb || sameRule(ra, rb)) && a.anchor === b.anchor;
}

/**
 * The UpdateTask mask: the proto names of the fields that differ between the draft the editor
 * opened with and the current one, in {@link MASKABLE} order. Values are compared as the API sees
 * them — the due instant, not its wall-clock text; reminders by id and instant/offset; rules part for
 * part — so a form that was touched but ends up equal sends nothing.
 */
export function updateMask(initial: TaskDraft, current: TaskDraft): MaskField[] {
  const changed = new Set<MaskField>();
  if (initial.title.trim() !== current.title.trim()) changed.add("title");
  if (initial.description !== current.description) changed.add("description");
  if (initial.priority !== current.priority) changed.add("priority");
  if (!sameList(initial.tags, current.tags)) changed.add("tags");
  if (dueMs(initial) !== dueMs(current)) changed.add("due_time");
  if (initial.timeZone !== current.timeZone) changed.add("time_zone");
  if (!sameRecurrence(initial.recurrence, current.recurrence)) changed.add("recurrence");
  const reminders = (d: TaskDraft) => d.reminders.map((r) => `${r.id}|${reminderTrigger(r, d.timeZone)}`);
  if (!sameList(reminders(initial), reminders(current))) changed.add("reminders");
  return MASKABLE.filter((f) => changed.has(f));
}

/** Copies the fields named in `mask` from `from` onto `onto` (re-applying edits onto a reloaded task). */
export function applyFields(onto: TaskDraft, from: TaskDraft, mask: readonly MaskField[]): TaskDraft {
  const out: { -readonly [K in keyof TaskDraft]: TaskDraft[K] } = { ...onto };
  for (const f of mask) {
    if (f === "title") out.title = from.title;
    else if (f === "description") out.description = from.description;
    else if (f === "priority") out.priority = from.priority;
    else if (f === "tags") out.tags = from.tags;
    else if (f === "due_time") {
      out.dueDate = from.dueDate;
      out.dueTime = from.dueTime;
    } else if (f === "time_zone") out.timeZone = from.timeZone;
    else if (f === "recurrence") out.recurrence = from.recurrence;
    else out.reminders = from.reminders;
  }
  return out;
}

/** Form keys errors are shown beside: `title`, `due`, `recurrence`, `reminders.<i>`, … */
export type FieldKey = string;

/**
 * Problems the form can see before asking the server (so a typo is caught at once). Keys are the
 * {@link FieldKey}s the form shows errors beside; the server's own checks still run on save.
 */
export function draftProblems(d: TaskDraft): Record<FieldKey, string> {
  const out: Record<FieldKey, string> = {};
  if (d.title.trim() === "") out.title = "Give the task a title.";
  else if ([...d.title.trim()].length > 500) out.title = "The title can have at most 500 characters.";
  if (d.dueDate !== "" && !isDate(d.dueDate)) out.due = "Pick a valid date.";
  else if (d.dueDate !== "" && !isTime(d.dueTime)) out.due = "Enter a time such as 09:30.";
  if (d.recurrence.kind !== "none") {
    if (d.dueDate === "") out.recurrence = "A repeating task needs a due date to start from.";
    else if (
      d.recurrence.kind === "custom" &&
      !(Number.isInteger(d.recurrence.interval) && d.recurrence.interval >= 1)
    )
      out.recurrence = "The interval must be a whole number of at least 1.";
    else if (
      d.recurrence.end.kind === "count" &&
      !(Number.isInteger(d.recurrence.end.count) && d.recurrence.end.count >= 1)
    )
      out.recurrence = "The number of times must be at least 1.";
    else if (d.recurrence.end.kind === "until" && !isDate(d.recurrence.end.date))
      out.recurrence = "Pick the date the series ends on.";
  }
  if (d.reminders.length > 10) out.reminders = "A task can have at most 10 reminders.";
  d.reminders.forEach((r, i) => {
    if (r.kind === "before") {
      if (d.dueDate === "") out[`reminders.${i}`] = "Set a due date for reminders before it.";
      else if (!(Number.isInteger(r.amount) && r.amount >= 0))
        out[`reminders.${i}`] = "Enter a whole number.";
      else if (r.amount * UNIT_MS[r.unit] > 366 * UNIT_MS.days)
        out[`reminders.${i}`] = "At most 366 days before.";
    } else if (!isDate(r.date) || !isTime(r.time)) out[`reminders.${i}`] = "Enter a date and a time.";
  });
  return out;
}

/**
 * The form key for a server field path (`task.reminders[1].before_due` → `reminders.1`,
 * `task.recurrence.rrule` → `recurrence`, `task.due_time` → `due`); `form` for anything else.
 */
export function fieldKeyOf(path: string): FieldKey {
  const p = path.replace(/^task\./, "");
  const reminder = /^reminders\[(\d+)\]/.exec(p);
  if (reminder) return `reminders.${reminder[1]}`;
  const head = p.split(/[.[]/)[0] ?? "";
  const map: Record<string, FieldKey> = {
    title: "title",
    description: "description",
    priority: "priority",
    tags: "tags",
    due_time: "due",
    time_zone: "timeZone",
    recurrence: "recurrence",
    reminders: "reminders",
  };
  return map[head] ?? "form";
}
