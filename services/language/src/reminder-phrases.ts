/**
 * Reminders in a quick-add line: "remind me to …" (at the due time), "remind me 30 minutes before",
 * "reminder at 8am", "alert me 1 hour and 10 minutes before", "the day before at 9", "remind me in 2
 * hours", and how each resolves to an instant or an offset before the due time.
 */
import { civilDate, instantAt } from "./calendar.ts";
import type { Take } from "./claims.ts";
import { REMINDER_CONNECTORS } from "./connectors.ts";
import { dayOf, resolveTime } from "./due-time.ts";
import { type QuickAddReminder, REMINDER_DEFAULT_TIME } from "./quick-add-types.ts";
import type { Duration, Scanner, TimeAtom } from "./scanner.ts";

const DAY_MS = 86_400_000;

/** A reminder as read, before the due time is known. */
export type ReminderItem =
  | { kind: "before"; ms: number }
  | { kind: "at"; at: Date }
  | { kind: "clock"; time: TimeAtom; day?: number; dayOffset?: number }
  | { kind: "day"; day: number };

/** Claims every reminder phrase in the line: "remind me to …" first, then the reminder phrases. */
export function readReminders(s: Scanner, take: Take): ReminderItem[] {
  const items: ReminderItem[] = [];
  const tokens = s.tokens;
  for (let i = 0; i < tokens.length; i++) {
    if (s.is(i, "remind") && s.is(i + 1, "me", "us") && s.is(i + 2, "to") && s.w(i + 3) !== undefined) {
      take(i, i + 3, "reminder", REMINDER_CONNECTORS);
      items.push({ kind: "before", ms: 0 });
    }
  }
  for (let i = 0; i < tokens.length; i++) {
    const r = reminderPhrase(s, i);
    if (r) {
      take(i, r.end, "reminder", REMINDER_CONNECTORS);
      items.push(...r.items);
      i = r.end - 1;
    }
  }
  return items;
}

const REMINDER_VERBS = new Set(["remind", "reminder", "reminders", "alert", "notify", "ping"]);

/** "remind me 30 minutes before", "reminder at 8am", "alert me 1 hour and 10 minutes before", "remind me". */
function reminderPhrase(s: Scanner, i: number): ReminderRead | undefined {
  const w = s.w(i);
  if (w === undefined || !REMINDER_VERBS.has(w)) return undefined;
  let k = i + 1;
  const me = s.is(k, "me", "us");
  if (me) k++;
  // "alert me", "notify me", "ping me": without "me" these are ordinary words ("fix alert system")
  else if (w === "alert" || w === "notify" || w === "ping") return undefined;
  if (s.is(k, "to")) return undefined; // "remind me to …" is the task itself
  if (s.p(k) === ":") k++;
  const items: ReminderItem[] = [];
  let end = k;
  for (;;) {
    const r = reminderItems(s, end);
    if (!r) break;
    items.push(...r.items);
    end = r.end;
    let m = end;
    if (s.p(m) === "," || s.p(m) === "&") m++;
    if (s.is(m, "and", "also", "plus", "then")) m++;
    if (m === end || !reminderItems(s, m)) break;
    end = m;
  }
  // "remind me in 2 hours to stretch": the "to" goes with the reminder
  if (w === "remind" && s.is(end, "to") && s.w(end + 1) !== undefined && items.length) end++;
  if (items.length === 0) {
    // "remind me", "with a reminder": a reminder at the due time; "remind John" is not one
    const withA = s.is(i - 1, "a") && s.is(i - 2, "with", "set", "add");
    return me || withA ? { end: k, items: [{ kind: "before", ms: 0 }] } : undefined;
  }
  return { end, items };
}

const BEFORE_WORDS = new Set(["before", "ahead", "earlier", "early", "prior"]);

/** What one reminder reader read: its items, up to token `end`. */
type ReminderRead = { end: number; items: ReminderItem[] };

/** One reminder item at `k`: "on time", "the day before", "30 minutes before", "in 2 hours", "at 8am tomorrow". */
function reminderItems(s: Scanner, k: number): ReminderRead | undefined {
  return atDueTime(s, k) ?? theDayBefore(s, k) ?? beforeDue(s, k) ?? reminderMoment(s, k);
}

/** "on time", "when due", "when it's due", "at the due time": a reminder at the due time. */
function atDueTime(s: Scanner, k: number): ReminderRead | undefined {
  const end =
    s.is(k, "on") && s.is(k + 1, "time")
      ? k + 2
      : s.is(k, "when") && s.is(k + 1, "due")
        ? k + 2
        : s.is(k, "when") && s.is(k + 1, "it's", "its") && s.is(k + 2, "due")
          ? k + 3
          : s.is(k, "at") && s.is(k + 1, "the") && s.is(k + 2, "due") && s.is(k + 3, "time")
            ? k + 4
            : undefined;
  return end === undefined ? undefined : { end, items: [{ kind: "before", ms: 0 }] };
}

/** "the day before", "the night before", "the evening before at 8". */
function theDayBefore(s: Scanner, k: number): ReminderRead | undefined {
  if (!(s.is(k, "the") && s.is(k + 1, "day", "night", "evening", "morning") && s.is(k + 2, "before")))
    return undefined;
  const part = s.w(k + 1) as string;
  const at = s.time(k + 3);
  if (at) return { end: at.end, items: [{ kind: "clock", time: at, dayOffset: -1 }] };
  if (part === "day") return { end: k + 3, items: [{ kind: "before", ms: DAY_MS }] };
  const time = s.partOfDay(k + 1, k + 2, part) as TimeAtom;
  return { end: k + 3, items: [{ kind: "clock", time, dayOffset: -1 }] };
}

/** "30 minutes before", "1 hour and 1 day before", "2 days before at 9am", "an hour in advance". */
function beforeDue(s: Scanner, k: number): ReminderRead | undefined {
  const durations: Duration[] = [];
  let m = k;
  for (;;) {
    const d = s.duration(m);
    if (!d) break;
    durations.push(d);
    m = d.end;
    let n = m;
    if (s.p(n) === ",") n++;
    if (s.is(n, "and", "or")) n++;
    if (n === m || !s.duration(n)) break;
    m = n;
  }
  if (!durations.length || !durations.every((d) => d.months === 0)) return undefined;
  let end = m;
  if (BEFORE_WORDS.has(s.w(end) ?? "")) end++;
  else if (s.is(end, "in") && s.is(end + 1, "advance")) end += 2;
  else return undefined;
  if (s.is(end, "it", "that", "due", "deadline", "hand")) end++;
  else if (s.is(end, "the") && s.is(end + 1, "due", "deadline")) end += s.is(end + 2, "time", "date") ? 3 : 2;
  const single = durations.length === 1 ? durations[0] : undefined;
  const at = single?.wholeDays ? s.time(end) : undefined;
  if (single && at) return { end: at.end, items: [{ kind: "clock", time: at, dayOffset: -single.days }] };
  return { end, items: durations.map((d) => ({ kind: "before", ms: d.ms })) };
}

/** "in 2 hours", "at 8am", "at 8am tomorrow", "tomorrow at 8", "on Friday at 9am", "Dec 23". */
function reminderMoment(s: Scanner, k: number): ReminderRead | undefined {
  const instant = s.instant(k);
  if (instant) return { end: instant.end, items: [{ kind: "at", at: instant.at }] };
  const time = s.time(k);
  if (time) {
    const on = s.is(time.end, "on") ? time.end + 1 : time.end;
    const date = s.date(on);
    if (date) return { end: date.end, items: [{ kind: "clock", time, day: date.day }] };
    return { end: time.end, items: [{ kind: "clock", time }] };
  }
  const date = s.date(s.is(k, "on") ? k + 1 : k);
  if (!date) return undefined;
  const at = s.time(date.end);
  if (at) return { end: at.end, items: [{ kind: "clock", time: at, day: date.day }] };
  if (date.time) return { end: date.end, items: [{ kind: "clock", time: date.time, day: date.day }] };
  return { end: date.end, items: [{ kind: "day", day: date.day }] };
}

/**
 * Reminder instants. "at 8am" with no date is the last 08:00 at or before the due time (the due
 * day's morning), or the next 08:00 when there is no due time. On a recurring task such a reminder
 * is stored as an offset before the due time, so it repeats with every instance.
 */
export function resolveReminders(
  items: ReminderItem[],
  due: { time: Date; hasTime: boolean } | undefined,
  recurring: boolean,
  s: Scanner,
  tz: string,
): QuickAddReminder[] {
  const out: QuickAddReminder[] = [];
  const seen = new Set<string>();
  const dueDay = due ? dayOf(due.time, tz) : undefined;
  for (const item of items) {
    const r = resolveReminder(item, due, dueDay, recurring, s, tz);
    const key = "at" in r ? `at${r.at.getTime()}` : `before${r.beforeDueMs}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}

/** One reminder item as an instant or an offset before the due time (see {@link resolveReminders}). */
function resolveReminder(
  item: ReminderItem,
  due: { time: Date; hasTime: boolean } | undefined,
  dueDay: number | undefined,
  recurring: boolean,
  s: Scanner,
  tz: string,
): QuickAddReminder {
  switch (item.kind) {
    case "before":
      return { beforeDueMs: item.ms };
    case "at":
      return { at: item.at };
    case "day":
      return { at: instantAt(civilDate(item.day), REMINDER_DEFAULT_TIME, tz) };
  }
  const clock = resolveTime(item.time, item.time.vague ? item.time.pm : undefined);
  let at: Date;
  if (item.day !== undefined) at = instantAt(civilDate(item.day), clock, tz);
  else if (item.dayOffset !== undefined) {
    at = instantAt(civilDate((dueDay ?? s.today) + item.dayOffset), clock, tz);
  } else if (due && dueDay !== undefined) {
    at = instantAt(civilDate(dueDay), clock, tz);
    if (at > due.time) at = instantAt(civilDate(dueDay - 1), clock, tz);
  } else {
    at = instantAt(civilDate(s.today), clock, tz);
    if (at < s.now) at = instantAt(civilDate(s.today + 1), clock, tz);
  }
  if (recurring && due && item.day === undefined && at <= due.time) {
    return { beforeDueMs: due.time.getTime() - at.getTime() };
  }
  return { at };
}
