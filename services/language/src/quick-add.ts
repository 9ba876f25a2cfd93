/**
 * Quick add: one line of text → a task. The phases run in a fixed order, each claiming the tokens
 * it understands so that later phases cannot read them twice: tags and priorities, reminders,
 * recurrence (with its end and anchor), then the due date and time. What nobody claimed is the
 * title. The grammar, with examples, is in docs/quick-add.md.
 */
import {
  addMonths,
  basicDate,
  checkTimeZone,
  civilDate,
  dayNumber,
  instantAt,
  type TimeOfDay,
  toDayNumber,
  wallClockAt,
  weekdayOf,
} from "./calendar.ts";
import { type PriorityName, priorityWord } from "./lexicon.ts";
import {
  completionAt,
  countAt,
  forDurationAt,
  type RecurrencePhrase,
  recurrenceAt,
  untilAt,
} from "./recurrence-grammar.ts";
import { formatRule, matchesDate, type RuleSpec } from "./rule.ts";
import { type DateAtom, type Duration, type InstantAtom, Scanner, type TimeAtom } from "./scanner.ts";
import { type Token, tokenize } from "./tokenize.ts";

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

export type QuickAddPriority = PriorityName;
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

/** The longest INTERVAL the task service accepts (`rruleProblem` of `@todo/recurrence`). */
const MAX_INTERVAL = 1000;

/** Due time for a date typed without a time: the end of that day. */
export const DEFAULT_DATE_ONLY_TIME: TimeOfDay = Object.freeze({ hour: 23, minute: 59 });
/** Time of a reminder given a date but no time ("remind me tomorrow"): 09:00. */
export const REMINDER_DEFAULT_TIME: TimeOfDay = Object.freeze({ hour: 9, minute: 0 });

const DAY_MS = 86_400_000;
/** How far ahead the first occurrence of a rule is looked for (29 February needs up to 8 years). */
const SEARCH_DAYS = 366 * 9;

const DUE_CONNECTORS = new Set([
  "on",
  "at",
  "@",
  "by",
  "due",
  "for",
  "before",
  "until",
  "till",
  "from",
  "starting",
  "beginning",
  "around",
]);
const RECURRENCE_CONNECTORS = new Set(["repeat", "repeats", "repeating", "recurring", "recurs", "and"]);
const REMINDER_CONNECTORS = new Set(["and", "with", "a", "an", "set", "add", "also", "plus"]);
const PRIORITY_CONNECTORS = new Set(["with", "at", "as"]);
const MULTI_TIME_CONNECTORS = new Set(["and", "&", ","]);
/** Words left dangling at the end of a title when what followed them was removed. */
const DANGLING = new Set([
  "at",
  "on",
  "by",
  "due",
  "for",
  "with",
  "and",
  "&",
  "from",
  "starting",
  "until",
  "till",
  "in",
  "every",
  "each",
  "or",
  "to",
]);
const SEPARATORS = new Set([",", ";", ":", "-", "–", "—", "|", "/"]);
const CLOSING = new Set([",", ".", "!", "?", ";", ":", ")", "]", "}"]);

type ReminderItem =
  | { kind: "before"; ms: number }
  | { kind: "at"; at: Date }
  | { kind: "clock"; time: TimeAtom; day?: number; dayOffset?: number }
  | { kind: "day"; day: number };

interface Claim {
  start: number;
  end: number;
  kind: QuickAddSpanKind;
}

/**
 * Reads a quick-add line: title, priority, tags, due date and time, recurrence, reminders, and the
 * spans that produced them (for a live preview). Pure and deterministic: the same text, `now` and
 * zone give the same result on any machine. Throws a RangeError for an unknown time zone.
 *
 * @example parseQuickAdd("Pay rent every month on the 1st at 9am #home !high", { now, timeZone: "Europe/Berlin" })
 *   // title "Pay rent", rrule "FREQ=MONTHLY;BYMONTHDAY=1", due the next 1st at 09:00 Berlin time, tags ["home"], priority "high"
 */
export function parseQuickAdd(text: string, ctx: QuickAddContext): QuickAddResult {
  checkTimeZone(ctx.timeZone);
  const tz = ctx.timeZone;
  const now = ctx.now;
  const tokens = tokenize(text);
  const s = new Scanner(text, tokens, wallClockAt(now, tz), now);
  const claims: Claim[] = [];
  const take = (start: number, end: number, kind: QuickAddSpanKind, connectors?: Set<string>) => {
    let first = start;
    while (connectors && first > 0 && !s.used[first - 1] && connectors.has(tokens[first - 1]?.lower ?? ""))
      first--;
    s.claim(first, end);
    claims.push({ start: first, end, kind });
  };

  // 1. tags and priorities
  const tags = readTags(tokens, take);
  const priority = readPriority(s, take);

  // 2. reminders: "remind me to …" (a reminder at the due time) and "remind me 30 minutes before"
  const reminderItems: ReminderItem[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (s.is(i, "remind") && s.is(i + 1, "me", "us") && s.is(i + 2, "to") && s.w(i + 3) !== undefined) {
      take(i, i + 3, "reminder", REMINDER_CONNECTORS);
      reminderItems.push({ kind: "before", ms: 0 });
    }
  }
  for (let i = 0; i < tokens.length; i++) {
    const r = reminderPhrase(s, i);
    if (r) {
      take(i, r.end, "reminder", REMINDER_CONNECTORS);
      reminderItems.push(...r.items);
      i = r.end - 1;
    }
  }

  // 3. recurrence, with its end and anchor
  let phrase: RecurrencePhrase | undefined;
  for (let i = 0; i < tokens.length && !phrase; i++) {
    phrase = recurrenceAt(s, i);
    // "every 1500 days" is not a rule the task service stores (INTERVAL 1..1000): it stays in the title.
    if (phrase && phrase.spec.interval > MAX_INTERVAL) phrase = undefined;
    if (phrase) take(phrase.start, phrase.end, "recurrence", RECURRENCE_CONNECTORS);
  }
  const spec: RuleSpec | undefined = phrase ? { ...phrase.spec } : undefined;
  let completion = phrase?.completion ?? false;
  let untilDay: number | undefined;
  let runFor: Duration | undefined;
  if (spec) {
    for (let i = 0; i < tokens.length; i++) {
      const anchorEnd = completionAt(s, i);
      if (anchorEnd !== undefined) {
        take(i, anchorEnd, "recurrence");
        completion = true;
        continue;
      }
      const bounded = spec.count !== undefined || untilDay !== undefined || runFor !== undefined;
      if (bounded) continue;
      const count = countAt(s, i);
      if (count) {
        take(i, count.end, "recurrence");
        spec.count = count.count;
        continue;
      }
      const lasting = forDurationAt(s, i);
      if (lasting) {
        take(i, lasting.end, "recurrence");
        runFor = lasting.duration;
        continue;
      }
      const dateAt = untilAt(s, i);
      const until = dateAt === undefined ? undefined : s.date(dateAt);
      if (until && dateAt !== undefined) {
        take(i, until.end, "recurrence");
        untilDay = until.day;
      }
    }
  }

  // 4. the due date and time: the last date typed, and the time next to it (or else the first time)
  const dates: (DateAtom | InstantAtom)[] = [];
  const times: TimeAtom[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (s.used[i]) continue;
    const atom = s.instant(i) ?? s.date(i);
    if (atom) {
      dates.push(atom);
      i = atom.end - 1;
      continue;
    }
    const time = s.time(i);
    if (time) {
      times.push(time);
      i = time.end - 1;
    }
  }
  const date = dates[dates.length - 1];
  const dateTime = date && "day" in date ? date.time : undefined;
  let time: TimeAtom | undefined = (date && times.find((t) => adjacent(s, t, date))) ?? times[0];
  if (dateTime && time && !adjacent(s, time, date as DateAtom)) time = undefined;
  if (date && !("day" in date)) time = undefined; // "in 2 hours" is a moment already
  if (date) take(date.start, date.end, "due", DUE_CONNECTORS);
  if (time) take(time.start, time.end, "due", DUE_CONNECTORS);
  // "every day at 9am and 5pm": more times of day for the rule
  const extraTimes: TimeAtom[] = [];
  if (spec && time && spec.freq !== "HOURLY") {
    let k = time.end;
    for (;;) {
      let m = k;
      while (MULTI_TIME_CONNECTORS.has(tokens[m]?.lower ?? "") && !s.used[m]) m++;
      const next = m > k ? s.time(m, true) : undefined;
      if (!next) break;
      extraTimes.push(next);
      k = next.end;
    }
    const minute = resolveTime(time).minute;
    if (extraTimes.length && extraTimes.every((t) => resolveTime(t).minute === minute)) {
      let from = time.end;
      for (const t of extraTimes) {
        take(from, t.end, "due");
        from = t.end;
      }
    } else extraTimes.length = 0;
  }

  // 5. resolve
  const dateOnly = ctx.dateOnlyTime ?? DEFAULT_DATE_ONLY_TIME;
  const vague = time?.vague ? time : (dateTime ?? phrase?.time);
  const hint = vague?.pm;
  const clock = time
    ? resolveTime(time, hint)
    : dateTime
      ? resolveTime(dateTime)
      : phrase?.time
        ? resolveTime(phrase.time)
        : undefined;
  let due: { time: Date; hasTime: boolean } | undefined;
  let recurrence: QuickAddResult["recurrence"];
  if (spec) {
    const hasTime = clock !== undefined || (date !== undefined && !("day" in date)) || spec.freq === "HOURLY";
    let start: { day: number; notBefore: Date };
    if (date && !("day" in date)) {
      const w = wallClockAt(date.at, tz);
      start = { day: dayNumber(w.year, w.month, w.day), notBefore: date.at };
    } else start = { day: date?.day ?? s.today, notBefore: now };
    if (date && "day" in date) foldDay(spec, date);
    let dueAt: Date;
    if (spec.freq === "HOURLY") dueAt = firstHourly(spec, start, clock, date, now, tz);
    else {
      const slots = [clock ?? dateOnly, ...extraTimes.map((t) => resolveTime(t, hint))].sort(
        (a, b) => a.hour * 60 + a.minute - (b.hour * 60 + b.minute),
      );
      if (slots.length > 1) {
        spec.byHour = [...new Set(slots.map((t) => t.hour))];
        spec.byMinute = [slots[0]?.minute ?? 0];
      }
      const clockAt = date && !("day" in date) ? wallClockAt(date.at, tz) : undefined;
      dueAt = firstOccurrence(spec, start, clockAt ? [clockAt] : slots, tz);
    }
    // A first occurrence moved forward by a daylight-saving gap (02:30 → 03:30) must not carry
    // 03:30 into the series: spell the time of day out, as the scheduler does for later instances.
    const dueWall = wallClockAt(dueAt, tz);
    if (
      spec.freq !== "HOURLY" &&
      !spec.byHour &&
      clock &&
      (dueWall.hour !== clock.hour || dueWall.minute !== clock.minute)
    ) {
      spec.byHour = [clock.hour];
      spec.byMinute = [clock.minute];
    }
    const dueDay = dayOf(dueAt, tz);
    if (untilDay !== undefined) spec.until = basicDate(civilDate(untilDay));
    else if (runFor) {
      let end = dueDay + runFor.days;
      if (runFor.months) end = toDayNumber(addMonths(civilDate(end), runFor.months));
      spec.until = basicDate(civilDate(end - 1));
    }
    due = { time: dueAt, hasTime };
    recurrence = { rrule: formatRule(spec), anchor: completion ? "completion" : "schedule" };
  } else if (date && !("day" in date)) {
    due = { time: date.at, hasTime: true };
  } else if (date || clock) {
    let day = date?.day ?? s.today;
    let at = instantAt(civilDate(day), clock ?? dateOnly, tz);
    if (clock && at < now && (!date || (date.weekly && day === s.today))) {
      day += date ? 7 : 1;
      at = instantAt(civilDate(day), clock, tz);
    }
    due = { time: at, hasTime: clock !== undefined };
  }

  const reminders = resolveReminders(reminderItems, due, recurrence !== undefined, s, tz);
  const { title, spans } = tidy(text, tokens, claims);
  const result: QuickAddResult = { title, tags, reminders, spans, timeZone: tz };
  if (priority) result.priority = priority;
  if (due) result.due = due;
  if (recurrence) result.recurrence = recurrence;
  return result;
}

/**
 * A rule with no day of its own takes the one typed with it, so that it survives "every!" restarts
 * and reads back fully: "Friday every week" → BYDAY=FR, "on the 25th every month" → BYMONTHDAY=25,
 * "Dec 24 every year" → BYMONTH=12;BYMONTHDAY=24.
 */
function foldDay(spec: RuleSpec, date: DateAtom): void {
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
function dayOf(at: Date, tz: string): number {
  const w = wallClockAt(at, tz);
  return dayNumber(w.year, w.month, w.day);
}

/** Whether a time sits right before or after a date, with at most connectors between ("3pm on Friday"). */
function adjacent(s: Scanner, t: TimeAtom, d: DateAtom | InstantAtom): boolean {
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
function resolveTime(t: TimeAtom, pm?: boolean): TimeOfDay {
  if (!t.ambiguous) return { hour: t.hour, minute: t.minute };
  if (pm !== undefined) {
    const h = t.hour % 12;
    return { hour: pm ? h + 12 : t.hour === 12 ? 12 : h, minute: t.minute };
  }
  return { hour: t.hour >= 1 && t.hour <= 6 ? t.hour + 12 : t.hour, minute: t.minute };
}

/** The first slot of the rule on or after `start.day` that is not before `start.notBefore`. */
function firstOccurrence(
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
function firstHourly(
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

// ------------------------------------------------------------------ tags and priorities

function readTags(
  tokens: readonly Token[],
  take: (start: number, end: number, kind: QuickAddSpanKind) => void,
): string[] {
  const tags: string[] = [];
  const seen = new Set<string>();
  tokens.forEach((t, i) => {
    if (t.kind !== "tag") return;
    const name = t.text.slice(1).replace(/^[-/_]+|[-/_]+$/g, "");
    if (!/\p{L}/u.test(name) || name.length > 64) return;
    take(i, i + 1, "tag");
    const key = name.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      tags.push(name);
    }
  });
  return tags;
}

const BANGS: Record<string, PriorityName> = { "!!": "medium", "!!!": "high", "!!!!": "urgent" };

/** Todoist's numbered priorities, a word of their own: p1 is the most urgent, p4 the least. */
const TODOIST: Record<string, PriorityName> = { p1: "urgent", p2: "high", p3: "medium", p4: "low" };

/**
 * Priorities: by name ("!high", "!!!", "p:high", "priority: high", "high priority") and Todoist's
 * "p1"–"p4" (p1 urgent, p2 high, p3 medium, p4 low), which Todoist users type out of habit. Other
 * numbers ("!1", "p5", "priority 1") stay in the title: apps number priorities in opposite
 * directions, and only Todoist's spelling is unambiguous. The last one typed wins.
 */
function readPriority(
  s: Scanner,
  take: (start: number, end: number, kind: QuickAddSpanKind, connectors?: Set<string>) => void,
): PriorityName | undefined {
  let priority: PriorityName | undefined;
  const tokens = s.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t || s.used[i]) continue;
    if (t.kind === "bang") {
      const p = BANGS[t.lower] ?? priorityWord(t.lower.slice(1));
      if (p && /^!(!{1,3}|[a-z]+)$/.test(t.lower)) {
        take(i, i + 1, "priority");
        priority = p;
      }
      continue;
    }
    const w = s.w(i);
    if (w === undefined) continue;
    const numbered = TODOIST[w];
    if (numbered) {
      take(i, i + 1, "priority");
      priority = numbered;
      continue;
    }
    const glued = /^(p|pri|prio|priority):([a-z]+)$/.exec(w);
    if (glued) {
      const p = priorityWord(glued[2] ?? "");
      if (p) {
        take(i, i + 1, "priority");
        priority = p;
      }
      continue;
    }
    if (w === "p" || w === "pri" || w === "prio" || w === "priority") {
      const colon = s.p(i + 1) === ":" ? 1 : 0;
      if (colon || w !== "p") {
        const p = priorityWord(s.w(i + 1 + colon) ?? "");
        if (p) {
          take(i, i + 2 + colon, "priority", PRIORITY_CONNECTORS);
          priority = p;
          i += 1 + colon;
          continue;
        }
      }
    }
    const named = priorityWord(w);
    if (named && s.is(i + 1, "priority", "prio")) {
      take(i, i + 2, "priority", PRIORITY_CONNECTORS);
      priority = named;
      i++;
    }
  }
  return priority;
}

// ------------------------------------------------------------------ reminders

const REMINDER_VERBS = new Set(["remind", "reminder", "reminders", "alert", "notify", "ping"]);

/** "remind me 30 minutes before", "reminder at 8am", "alert me 1 hour and 10 minutes before", "remind me". */
function reminderPhrase(s: Scanner, i: number): { end: number; items: ReminderItem[] } | undefined {
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

function reminderItems(s: Scanner, k: number): { end: number; items: ReminderItem[] } | undefined {
  // "on time", "when due", "at the due time"
  if (s.is(k, "on") && s.is(k + 1, "time")) return { end: k + 2, items: [{ kind: "before", ms: 0 }] };
  if (s.is(k, "when") && s.is(k + 1, "due")) return { end: k + 2, items: [{ kind: "before", ms: 0 }] };
  if (s.is(k, "when") && s.is(k + 1, "it's", "its") && s.is(k + 2, "due")) {
    return { end: k + 3, items: [{ kind: "before", ms: 0 }] };
  }
  if (s.is(k, "at") && s.is(k + 1, "the") && s.is(k + 2, "due") && s.is(k + 3, "time")) {
    return { end: k + 4, items: [{ kind: "before", ms: 0 }] };
  }
  // "the day before", "the night before", "the evening before"
  if (s.is(k, "the") && s.is(k + 1, "day", "night", "evening", "morning") && s.is(k + 2, "before")) {
    const part = s.w(k + 1) as string;
    const at = s.time(k + 3);
    if (at) return { end: at.end, items: [{ kind: "clock", time: at, dayOffset: -1 }] };
    if (part === "day") return { end: k + 3, items: [{ kind: "before", ms: DAY_MS }] };
    const time = s.partOfDay(k + 1, k + 2, part) as TimeAtom;
    return { end: k + 3, items: [{ kind: "clock", time, dayOffset: -1 }] };
  }
  // "30 minutes before", "1 hour and 1 day before", "2 days before at 9am"
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
  if (durations.length && durations.every((d) => d.months === 0)) {
    let end = m;
    if (BEFORE_WORDS.has(s.w(end) ?? "")) end++;
    else if (s.is(end, "in") && s.is(end + 1, "advance")) end += 2;
    else end = -1;
    if (end > 0) {
      if (s.is(end, "it", "that", "due", "deadline", "hand")) end++;
      else if (s.is(end, "the") && s.is(end + 1, "due", "deadline"))
        end += s.is(end + 2, "time", "date") ? 3 : 2;
      const single = durations.length === 1 ? durations[0] : undefined;
      const at = single?.wholeDays ? s.time(end) : undefined;
      if (single && at) return { end: at.end, items: [{ kind: "clock", time: at, dayOffset: -single.days }] };
      return { end, items: durations.map((d) => ({ kind: "before", ms: d.ms })) };
    }
  }
  // "in 2 hours", "in 3 days"
  const instant = s.instant(k);
  if (instant) return { end: instant.end, items: [{ kind: "at", at: instant.at }] };
  // "at 8am", "at 8am tomorrow", "tomorrow at 8", "on Friday at 9am", "Dec 23"
  const time = s.time(k);
  if (time) {
    const on = s.is(time.end, "on") ? time.end + 1 : time.end;
    const date = s.date(on);
    if (date) return { end: date.end, items: [{ kind: "clock", time, day: date.day }] };
    return { end: time.end, items: [{ kind: "clock", time }] };
  }
  const on = s.is(k, "on") ? k + 1 : k;
  const date = s.date(on);
  if (date) {
    const at = s.time(date.end);
    if (at) return { end: at.end, items: [{ kind: "clock", time: at, day: date.day }] };
    if (date.time) return { end: date.end, items: [{ kind: "clock", time: date.time, day: date.day }] };
    return { end: date.end, items: [{ kind: "day", day: date.day }] };
  }
  return undefined;
}

/**
 * Reminder instants. "at 8am" with no date is the last 08:00 at or before the due time (the due
 * day's morning), or the next 08:00 when there is no due time. On a recurring task such a reminder
 * is stored as an offset before the due time, so it repeats with every instance.
 */
function resolveReminders(
  items: ReminderItem[],
  due: { time: Date; hasTime: boolean } | undefined,
  recurring: boolean,
  s: Scanner,
  tz: string,
): QuickAddReminder[] {
  const out: QuickAddReminder[] = [];
  const seen = new Set<string>();
  const push = (r: QuickAddReminder) => {
    const key = "at" in r ? `at${r.at.getTime()}` : `before${r.beforeDueMs}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(r);
    }
  };
  const dueDay = due ? dayOf(due.time, tz) : undefined;
  for (const item of items) {
    switch (item.kind) {
      case "before":
        push({ beforeDueMs: item.ms });
        break;
      case "at":
        push({ at: item.at });
        break;
      case "day":
        push({ at: instantAt(civilDate(item.day), REMINDER_DEFAULT_TIME, tz) });
        break;
      case "clock": {
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
          push({ beforeDueMs: due.time.getTime() - at.getTime() });
        } else push({ at });
        break;
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ title and spans

/**
 * The title (every unclaimed token, with the original spacing, minus what removing the claimed
 * parts left dangling) and the spans (claims as character ranges; neighbouring due/recurrence/
 * reminder parts merged, dangling words given to the span that followed them).
 */
function tidy(
  text: string,
  tokens: readonly Token[],
  claims: Claim[],
): { title: string; spans: QuickAddSpan[] } {
  const owner: (Claim | undefined)[] = tokens.map(() => undefined);
  for (const c of claims) for (let k = c.start; k < c.end; k++) owner[k] = c;
  let kept = tokens.map((_, k) => k).filter((k) => owner[k] === undefined);
  const removedBetween = (a: number, b: number) => {
    for (let k = a + 1; k < b; k++) if (owner[k] !== undefined) return true;
    return false;
  };
  const claimAfter = (k: number) => {
    for (let j = k + 1; j < tokens.length; j++) if (owner[j] !== undefined) return owner[j];
    return undefined;
  };
  let changed = true;
  while (changed) {
    changed = false;
    // a connector left at the very end, or at the end of a clause, by a removed part after it
    for (let n = kept.length - 1; n >= 0; n--) {
      const k = kept[n] as number;
      const tok = tokens[k] as Token;
      const next = kept[n + 1];
      const endsClause =
        next === undefined ||
        SEPARATORS.has(tokens[next]?.text ?? "") ||
        CLOSING.has(tokens[next]?.text ?? "");
      if (
        tok.kind === "word" &&
        DANGLING.has(tok.lower) &&
        endsClause &&
        removedBetween(k, next ?? tokens.length)
      ) {
        const c = claimAfter(k);
        // "Go to #gym" keeps its "to": tags and priorities are not part of the sentence's grammar
        if (c && c.kind !== "tag" && c.kind !== "priority") {
          for (let j = k; j < c.start; j++)
            if (owner[j] === undefined && tokens[j]?.kind === "word") owner[j] = c;
          c.start = Math.min(c.start, k);
          for (let j = c.start; j < c.end; j++) owner[j] = c;
          kept = kept.filter((x) => owner[x] === undefined);
          changed = true;
          break;
        }
      }
    }
  }
  // separators at either end, doubled separators, and empty brackets left by a removal
  const drop = new Set<number>();
  for (let n = 0; n < kept.length; n++) {
    const k = kept[n] as number;
    const tok = tokens[k] as Token;
    if (tok.kind !== "punct") continue;
    const prev = kept[n - 1];
    const next = kept[n + 1];
    const lonely = SEPARATORS.has(tok.text) || tok.text === ",";
    if (
      lonely &&
      (prev === undefined || next === undefined) &&
      (removedBetween(prev ?? -1, k) || removedBetween(k, next ?? tokens.length))
    ) {
      drop.add(k);
    } else if (
      lonely &&
      prev !== undefined &&
      tokens[prev]?.kind === "punct" &&
      SEPARATORS.has(tokens[prev]?.text ?? "") &&
      removedBetween(prev, k)
    ) {
      drop.add(k);
    } else if (["(", "[", "{"].includes(tok.text) && next !== undefined && removedBetween(k, next)) {
      const close = { "(": ")", "[": "]", "{": "}" }[tok.text];
      if (tokens[next]?.text === close) {
        drop.add(k);
        drop.add(next);
      }
    }
  }
  kept = kept.filter((k) => !drop.has(k));
  // leading separators after the drop above (", call mom")
  while (
    kept.length &&
    SEPARATORS.has(tokens[kept[0] as number]?.text ?? "") &&
    removedBetween(-1, kept[0] as number)
  )
    kept.shift();
  let title = "";
  let prev: number | undefined;
  for (const k of kept) {
    const tok = tokens[k] as Token;
    if (prev !== undefined) {
      let gapRemoved = removedBetween(prev, k);
      for (let x = prev + 1; x < k && !gapRemoved; x++) gapRemoved = drop.has(x);
      if (gapRemoved) title += CLOSING.has(tok.text) && !/\s/.test(text[tok.start - 1] ?? "") ? "" : " ";
      else title += /\s/.test(text.slice((tokens[prev] as Token).end, tok.start)) ? " " : "";
    }
    title += tok.text;
    prev = k;
  }
  title = title.trim();
  // spans: claims as character ranges in text order, neighbours of one kind merged
  const sorted = [...new Set(owner.filter((c): c is Claim => c !== undefined))].sort(
    (a, b) => a.start - b.start,
  );
  const spans: QuickAddSpan[] = [];
  for (const c of sorted) {
    const start = (tokens[c.start] as Token).start;
    const end = (tokens[c.end - 1] as Token).end;
    const last = spans[spans.length - 1];
    if (
      last &&
      last.kind === c.kind &&
      c.kind !== "tag" &&
      c.kind !== "priority" &&
      /^\s*$/.test(text.slice(last.end, start))
    ) {
      last.end = end;
      last.text = text.slice(last.start, end);
    } else spans.push({ start, end, kind: c.kind, text: text.slice(start, end) });
  }
  return { title, spans };
}
