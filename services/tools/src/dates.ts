/**
 * Reading the dates and repetitions typed to a tool: ISO 8601 or plain English, in the user's time
 * zone, by `@todo/language` (the parser the web app's quick-add box and the assistant share). An
 * argument that cannot be read throws {@link ToolInputError} with a message the caller can act on.
 *
 * Two readings exist because two surfaces promise them: MCP takes an RFC 3339 instant with an offset
 * as is and reads everything else as words ({@link parseDueChange}); the language model's tools take
 * any ISO 8601 date or date-time first ({@link readIsoDue}) and words after that, with the assistant's
 * own reader of words.
 */
import { DEFAULT_DATE_ONLY_TIME, parseQuickAdd } from "@todo/language";
import { Temporal } from "temporal-polyfill";
import { ToolInputError } from "./errors";
import type { Repetition } from "./messages";

/** Where and when a date is typed: "tomorrow" counts from `now` in `timeZone`. */
export interface WhenContext {
  readonly now: Date;
  readonly timeZone: string;
}

/** A due instant (ISO 8601, UTC) and whether a time of day was given. */
export interface DueSpec {
  readonly time: string;
  readonly hasTime: boolean;
}

const RFC3339_INSTANT = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;
const RRULE = /^(RRULE:)?FREQ=/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function quickAdd(text: string, ctx: WhenContext, field: string) {
  const parsed = parseQuickAdd(text, { now: ctx.now, timeZone: ctx.timeZone });
  const understood =
    parsed.title === "" && parsed.spans.every((s) => s.kind === "due" || s.kind === "recurrence");
  if (!understood)
    throw new ToolInputError(
      `${field}: could not read ${JSON.stringify(text)} as a date; use ISO-8601 (2026-05-07T17:00:00+02:00, 2026-05-07) or plain English ("tomorrow 5pm", "next friday")`,
    );
  return parsed;
}

/**
 * Reads a due date: an RFC 3339 instant with an offset is taken as is; anything else (a date, a
 * date-time without offset, "tomorrow 5pm", "in 2 hours") is read by `@todo/language` as wall-clock
 * time in the user's time zone, a date alone meaning the end of that day. A repetition is refused
 * here (it belongs in `repeat`), so a due date never silently makes a task recur.
 */
export function parseDue(text: string, ctx: WhenContext, field = "due"): Date {
  return parseDueChange(text, ctx, field).time;
}

/**
 * {@link parseDue}, also saying whether a time of day was given (`hasTime` false for "friday" or
 * "2026-05-07"), which a move of an existing task needs: such a move keeps the task's time of day
 * (`movedDue` of `@todo/language/due-move`).
 */
export function parseDueChange(
  text: string,
  ctx: WhenContext,
  field = "due",
): { time: Date; hasTime: boolean } {
  const trimmed = text.trim();
  if (RFC3339_INSTANT.test(trimmed)) {
    const date = new Date(trimmed);
    if (!Number.isNaN(date.getTime())) return { time: date, hasTime: true };
  }
  const parsed = quickAdd(trimmed, ctx, field);
  if (parsed.recurrence)
    throw new ToolInputError(`${field}: ${JSON.stringify(text)} is a repetition; put it in "repeat"`);
  if (!parsed.due) throw new ToolInputError(`${field}: could not read ${JSON.stringify(text)} as a date`);
  return parsed.due;
}

/**
 * Reads a repetition: an RFC 5545 RRULE (`FREQ=WEEKLY;BYDAY=MO`, counted from the due time) or plain
 * English ("every Monday at 9am", "every 3 days after I finish"), which also gives the first
 * occurrence, used as the due time when the task has none.
 */
export function parseRepeat(text: string, ctx: WhenContext): { repetition: Repetition; firstDue?: Date } {
  const trimmed = text.trim();
  if (RRULE.test(trimmed))
    return { repetition: { rrule: trimmed.replace(/^RRULE:/i, "").toUpperCase(), anchor: "schedule" } };
  const parsed = quickAdd(trimmed, ctx, "repeat");
  if (!parsed.recurrence)
    throw new ToolInputError(
      `repeat: ${JSON.stringify(text)} does not say how the task repeats (try "every Monday" or FREQ=WEEKLY;BYDAY=MO)`,
    );
  return { repetition: parsed.recurrence, firstDue: parsed.due?.time };
}

/** Whether `text` is written as an ISO 8601 date or date-time (the forms {@link readIsoDue} reads). */
export function isIsoDate(text: string): boolean {
  const t = text.trim();
  return ISO_DATE.test(t) || ISO_DATE_TIME.test(t);
}

/**
 * Reads an ISO 8601 date (that day at the date-only time, 23:59, `hasTime` false) or date-time
 * (wall-clock in `timeZone` unless it has an offset); undefined when `text` is not written so, for
 * the caller to read as words. A date that is written so but does not exist throws.
 */
export function readIsoDue(text: string, timeZone: string, field: string): DueSpec | undefined {
  const t = text.trim();
  try {
    if (ISO_DATE.test(t)) {
      const day = Temporal.PlainDate.from(t).toPlainDateTime({
        hour: DEFAULT_DATE_ONLY_TIME.hour,
        minute: DEFAULT_DATE_ONLY_TIME.minute,
      });
      const at = day.toZonedDateTime(timeZone).epochMilliseconds;
      return { time: new Date(at).toISOString(), hasTime: false };
    }
    const iso = t.match(ISO_DATE_TIME);
    if (iso) {
      const normal = t.replace(" ", "T");
      const ms = iso[1]
        ? Temporal.Instant.from(normal).epochMilliseconds
        : Temporal.PlainDateTime.from(normal).toZonedDateTime(timeZone).epochMilliseconds;
      return { time: new Date(ms).toISOString(), hasTime: true };
    }
  } catch {
    throw new ToolInputError(`${field}: ${JSON.stringify(text)} is not a valid date`);
  }
  return undefined;
}
