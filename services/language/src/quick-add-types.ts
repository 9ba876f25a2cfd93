/**
 * What quick add reads and returns: the context a line is typed in, the result (title, priority,
 * tags, due time, recurrence, reminders) and the spans that produced it, and the default times a
 * date without a time of day is given.
 */
import type { TimeOfDay } from "./calendar.ts";
import type { PriorityName } from "./priority.ts";

/** Where and when the text is typed: every date is read as a wall-clock time in `timeZone`. */
export interface QuickAddContext {
  /** The moment of typing; "tomorrow", "in 2 hours" and "next 1st" count from it. */
  now: Date;
  /** The user's IANA time zone, e.g. "America/New_York". The process's own zone is never used. */
  timeZone: string;
  /**
   * The time of day given to a due date typed without one ("tomorrow", "every Monday"). Defaults to
   * {@link DEFAULT_DATE_ONLY_TIME}, 23:59: due *by the end of* that day, so a task added "today"
   * is never overdue before the day is over. `due.hasTime` is false for these.
   */
  dateOnlyTime?: TimeOfDay;
}

/** A priority by name (the vocabulary of `priority.ts`). */
export type QuickAddPriority = PriorityName;
/** Which field a span of the input produced. */
export type QuickAddSpanKind = "due" | "recurrence" | "priority" | "tag" | "reminder";

/** A part of the input that was understood and removed from the title. */
export interface QuickAddSpan {
  /** Offset of the first character in the input. */
  start: number;
  /** Offset just after the last character. */
  end: number;
  kind: QuickAddSpanKind;
  /** `text.slice(start, end)`. */
  text: string;
}

/** An absolute reminder, or one that moves with the due time. */
export type QuickAddReminder = { at: Date } | { beforeDueMs: number };

/** One line read: the task it describes, and where in the text each part came from. */
export interface QuickAddResult {
  /** The text with the recognised parts removed, tidied (spaces, dangling "at"/"on", stray commas). */
  title: string;
  priority?: QuickAddPriority;
  /** From `#tag`: letters, digits, `-`, `_`, `/`; at least one letter; unique ignoring case (first spelling wins). */
  tags: string[];
  /** The due instant. `hasTime` is false when only a date was typed (see {@link QuickAddContext.dateOnlyTime}). */
  due?: { time: Date; hasTime: boolean };
  /** RFC 5545 RRULE without `RRULE:` or DTSTART; the due time is the series' first occurrence. */
  recurrence?: { rrule: string; anchor: "schedule" | "completion" };
  reminders: QuickAddReminder[];
  /** What produced each field, in text order, never overlapping. */
  spans: QuickAddSpan[];
  /** The zone the due time and the rule are meant in (the context's): store it as the task's `time_zone`. */
  timeZone: string;
}

/** Due time for a date typed without a time: the end of that day. */
export const DEFAULT_DATE_ONLY_TIME: TimeOfDay = Object.freeze({ hour: 23, minute: 59 });
/** Time of a reminder given a date but no time ("remind me tomorrow"): 09:00. */
export const REMINDER_DEFAULT_TIME: TimeOfDay = Object.freeze({ hour: 9, minute: 0 });
