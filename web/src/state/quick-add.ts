/**
 * What the quick-add box understood, in the app's own terms, and the CreateTask request built from
 * it. The parsing itself is `parseQuickAdd` of `@todo/language` (shared with the assistant), loaded
 * on demand by state/language.ts; this module is the small, pure part the box and its tests need.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  Priority,
  RecurrenceAnchor,
  type Reminder,
  ReminderSchema,
  type Task,
  TaskSchema,
} from "@todo/gen/todo/task/v1/task_pb";

/** A reminder as understood: at a moment, or some time before the due time. */
export type ParsedReminder = { readonly at: Date } | { readonly beforeDueMs: number };

/** Which part of the text produced a field (offsets into the text, end exclusive). */
export interface ParsedSpan {
  readonly field: "due" | "recurrence" | "priority" | "tag" | "reminder" | "timeZone" | string;
  readonly start: number;
  readonly end: number;
}

/** What the quick-add parser understood from one line of text. */
export interface QuickAddParsed {
  /** The text left for the title once dates, tags and the like were taken out. */
  readonly title: string;
  readonly priority?: Priority | undefined;
  readonly tags: readonly string[];
  /** The due moment, and whether the text gave a time of day (else it is a whole day). */
  readonly due?: { readonly at: Date; readonly hasTime: boolean } | undefined;
  /** The zone the due time and recurrence are meant in. */
  readonly timeZone: string;
  readonly recurrence?: { readonly rrule: string; readonly anchor: RecurrenceAnchor } | undefined;
  readonly reminders: readonly ParsedReminder[];
  readonly spans: readonly ParsedSpan[];
}

/** A parse function (the real one, or a stub in tests). */
export type QuickAddParseFn = (text: string, options: { now: Date; timeZone: string }) => QuickAddParsed;

/** Whether the parse found anything besides a title (so the preview is worth showing). */
export function hasExtras(p: QuickAddParsed): boolean {
  return Boolean(
    p.due ||
      p.recurrence ||
      (p.priority !== undefined && p.priority !== Priority.UNSPECIFIED) ||
      p.tags.length ||
      p.reminders.length,
  );
}

/** The task to create from a parse. An empty title falls back to the raw text. */
export function toNewTask(p: QuickAddParsed, rawText: string): Task {
  const reminders: Reminder[] = p.reminders.map((r) =>
    create(
      ReminderSchema,
      "at" in r
        ? { trigger: { case: "at", value: timestampFromDate(r.at) } }
        : { trigger: { case: "beforeDue", value: durationFromMs(r.beforeDueMs) } },
    ),
  );
  return create(TaskSchema, {
    title: (p.title.trim() || rawText.trim()).slice(0, 500),
    priority: p.priority ?? Priority.UNSPECIFIED,
    tags: [...p.tags],
    ...(p.due ? { dueTime: timestampFromDate(p.due.at) } : {}),
    timeZone: p.timeZone,
    ...(p.recurrence
      ? {
          recurrence: {
            rrule: p.recurrence.rrule,
            anchor: p.recurrence.anchor || RecurrenceAnchor.SCHEDULE,
          },
        }
      : {}),
    reminders,
  });
}

/** A new idempotency key for one submit (crypto.randomUUID needs a secure context; this does not). */
export function newRequestId(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") {
    try {
      return c.randomUUID();
    } catch {
      // Not a secure context: fall through.
    }
  }
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
