/**
 * The words of a reminder notification: a title such as `Reminder: Pay rent` and a body such as
 * `Due tomorrow 09:00 (Europe/Berlin)`. Dates are written in the task's IANA time zone (never the
 * process's), and relative words ("today", "tomorrow", a weekday) are computed against the fire
 * time carried by the event, so a redelivered event always yields the same text.
 */
import { canonicalTimeZone } from "@todo/platform";

/** What a reminder notification is written from. */
export interface ReminderText {
  readonly taskTitle: string;
  /** When the reminder was meant to fire: "now" for the relative words. */
  readonly fireTime: Date;
  /** The task's due time, if it has one. */
  readonly dueTime?: Date | undefined;
  /** The task's IANA time zone; UTC when empty or unknown. */
  readonly timeZone?: string | undefined;
}

/** The longest task title quoted in a notification title, in characters. */
export const MAX_QUOTED_TITLE = 200;

/** `Reminder: <task title>` (a long title is cut with an ellipsis; an empty one is named). */
export function reminderTitle(taskTitle: string): string {
  const title = taskTitle.replace(/\s+/g, " ").trim();
  if (title === "") return "Reminder: (untitled task)";
  const chars = [...title];
  return `Reminder: ${chars.length > MAX_QUOTED_TITLE ? `${chars.slice(0, MAX_QUOTED_TITLE - 1).join("")}…` : title}`;
}

interface WallClock {
  /** Days since 1970-01-01 of the local calendar date. */
  readonly day: number;
  readonly year: number;
  readonly month: string;
  readonly monthDay: number;
  readonly weekday: string;
  readonly shortWeekday: string;
  readonly time: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      calendar: "gregory",
      numberingSystem: "latn",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      weekday: "long",
    });
    if (formatters.size < 1000) formatters.set(timeZone, f);
  }
  return f;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The wall-clock reading of `instant` in `timeZone`. */
function wallClock(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  const year = Number(parts.year);
  const month = Number(parts.month);
  const monthDay = Number(parts.day);
  const weekday = parts.weekday ?? "";
  return {
    day: Math.round(Date.UTC(year, month - 1, monthDay) / 86_400_000),
    year,
    month: MONTHS[month - 1] ?? "",
    monthDay,
    weekday,
    shortWeekday: weekday.slice(0, 3),
    time: `${parts.hour}:${parts.minute}`,
  };
}

/**
 * `today 09:00`, `tomorrow 09:00`, `yesterday 09:00`, a weekday within the coming week
 * (`Friday 09:00`), else a date (`Fri 12 Mar 09:00`, with the year when it differs from now's).
 */
export function relativeWhen(instant: Date, now: Date, timeZone: string): string {
  const at = wallClock(instant, timeZone);
  const ref = wallClock(now, timeZone);
  const days = at.day - ref.day;
  let date: string;
  if (days === 0) date = "today";
  else if (days === 1) date = "tomorrow";
  else if (days === -1) date = "yesterday";
  else if (days > 1 && days < 7) date = at.weekday;
  else {
    date = `${at.shortWeekday} ${at.monthDay} ${at.month}${at.year === ref.year ? "" : ` ${at.year}`}`;
  }
  return `${date} ${at.time}`;
}

/** A due time this much before the fire time already counts as overdue. */
const OVERDUE_AFTER_MS = 60_000;

/**
 * The body: `Due tomorrow 09:00 (Europe/Berlin)`; `Overdue since yesterday 17:00 (…)` when the
 * reminder fires after the due time; `Reminder set for today 20:00 (…)` for a task without one.
 */
export function reminderBody(r: ReminderText): string {
  const zone = (r.timeZone && canonicalTimeZone(r.timeZone)) || "UTC";
  if (!r.dueTime) return `Reminder set for ${relativeWhen(r.fireTime, r.fireTime, zone)} (${zone})`;
  const when = relativeWhen(r.dueTime, r.fireTime, zone);
  if (r.fireTime.getTime() - r.dueTime.getTime() >= OVERDUE_AFTER_MS) {
    return `Overdue since ${when} (${zone})`;
  }
  return `Due ${when} (${zone})`;
}
