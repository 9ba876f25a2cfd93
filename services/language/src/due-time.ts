/**
 * Turning the phrases read into instants: an hour without am/pm made 24-hour, a rule's first
 * occurrence (daily and longer, or hourly), a typed day folded into a rule without one, and whether
 * a time sits next to a date. All wall-clock arithmetic happens in the user's zone.
 */
import { civilDate, dayNumber, instantAt, type TimeOfDay, wallClockAt, weekdayOf } from "./calendar.ts";
import { DEFAULT_DATE_ONLY_TIME } from "./quick-add-types.ts";
import { matchesDate, type RuleSpec } from "./rule.ts";
import type { DateAtom, InstantAtom, Scanner, TimeAtom } from "./scanner.ts";

/** How far ahead the first occurrence of a rule is looked for (29 February needs up to 8 years). */
const SEARCH_DAYS = 366 * 9;

/**
 * A rule with no day of its own takes the one typed with it, so that it survives "every!" restarts
 * and reads back fully: "Friday every week" → BYDAY=FR, "on the 25th every month" → BYMONTHDAY=25,
 * "Dec 24 every year" → BYMONTH=12;BYMONTHDAY=24.
 */
export function foldDay(spec: RuleSpec, date: DateAtom): void {
  const noDay = !spec.byDay && !spec.byMonthDay && !spec.byMonth && !spec.bySetPos;
  if (!noDay) return;
  const c = civilDate(date.day);
  if (spec.freq === "WEEKLY" && date.named === "weekday") spec.byDay = [{ weekday: weekdayOf(date.day) }];
  else if (spec.freq === "MONTHLY" && (date.named === "monthday" || date.named === "date"))
    spec.byMonthDay = [c.day];
  else if (spec.freq === "YEARLY" && date.named === "date") {
    spec.byMonth = [c.month];
    spec.byMonthDay = [c.day];
  }
}

/** The local date of an instant, as a day number. */
export function dayOf(at: Date, tz: string): number {
  const w = wallClockAt(at, tz);
  return dayNumber(w.year, w.month, w.day);
}

/** Whether a time sits right before or after a date, with at most connectors between ("3pm on Friday"). */
export function adjacent(s: Scanner, t: TimeAtom, d: DateAtom | InstantAtom): boolean {
  const [from, to] = t.end <= d.start ? [t.end, d.start] : [d.end, t.start];
  if (from > to) return false;
  for (let k = from; k < to; k++) {
    const tok = s.tokens[k];
    if (!tok || s.used[k] || !["on", ",", "at", "@"].includes(tok.lower)) return false;
  }
  return true;
}

/**
 * The 24-hour time of a time atom. An hour typed without am/pm ("at 6", "6:30") follows a part of
 * the day next to it ("tomorrow morning at 6" → 06:00); alone, 1–6 are afternoon (18:00 for "at 6")
 * and 7–12 are as written — people rarely mean 6 in the morning, and often mean 9.
 */
export function resolveTime(t: TimeAtom, pm?: boolean): TimeOfDay {
  if (!t.ambiguous) return { hour: t.hour, minute: t.minute };
  if (pm !== undefined) {
    const h = t.hour % 12;
    return { hour: pm ? h + 12 : t.hour === 12 ? 12 : h, minute: t.minute };
  }
  return { hour: t.hour >= 1 && t.hour <= 6 ? t.hour + 12 : t.hour, minute: t.minute };
}

/** The first slot of the rule on or after `start.day` that is not before `start.notBefore`. */
export function firstOccurrence(
  spec: RuleSpec,
  start: { day: number; notBefore: Date },
  slots: TimeOfDay[],
  tz: string,
): Date {
  const notBefore = start.notBefore.getTime();
  for (let day = start.day; day < start.day + SEARCH_DAYS; day++) {
    if (!matchesDate(spec, day)) continue;
    for (const slot of slots) {
      const at = instantAt(civilDate(day), slot, tz);
      if (at.getTime() >= notBefore) return at;
    }
  }
  return instantAt(civilDate(start.day), slots[0] ?? DEFAULT_DATE_ONLY_TIME, tz);
}

/** An hourly series starts at the typed time (stepping by the interval past now) or the next whole hour. */
export function firstHourly(
  spec: RuleSpec,
  start: { day: number; notBefore: Date },
  clock: TimeOfDay | undefined,
  date: DateAtom | InstantAtom | undefined,
  now: Date,
  tz: string,
): Date {
  if (date && !("day" in date)) return date.at;
  if (clock) {
    let at = instantAt(civilDate(start.day), clock, tz).getTime();
    const step = spec.interval * 3_600_000;
    if (at < now.getTime()) at += Math.ceil((now.getTime() - at) / step) * step;
    return new Date(at);
  }
  const w = wallClockAt(now, tz);
  const exact = now.getTime() % 60_000 === 0 && w.minute === 0;
  if (exact && start.day === dayNumber(w.year, w.month, w.day)) return now;
  if (start.day > dayNumber(w.year, w.month, w.day))
    return instantAt(civilDate(start.day), { hour: 0, minute: 0 }, tz);
  const hour = w.hour + 1;
  const day = dayNumber(w.year, w.month, w.day) + (hour === 24 ? 1 : 0);
  return instantAt(civilDate(day), { hour: hour % 24, minute: 0 }, tz);
}
