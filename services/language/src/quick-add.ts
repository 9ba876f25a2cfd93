/**
 * Quick add: one line of text → a task. The phases run in a fixed order, each claiming the tokens
 * it understands so that later phases cannot read them twice: tags and priorities (`markers.ts`),
 * reminders (`reminder-phrases.ts`), recurrence (with its end and anchor), then the due date and
 * time. What nobody claimed is the title (`title-tidy.ts`). The grammar, with examples, is in
 * docs/quick-add.md.
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
} from "./calendar.ts";
import { type Claim, claimer, type Take } from "./claims.ts";
import { DUE_CONNECTORS, MULTI_TIME_CONNECTORS, RECURRENCE_CONNECTORS } from "./connectors.ts";
import { adjacent, dayOf, firstHourly, firstOccurrence, foldDay, resolveTime } from "./due-time.ts";
import { readPriority, readTags } from "./markers.ts";
import { DEFAULT_DATE_ONLY_TIME, type QuickAddContext, type QuickAddResult } from "./quick-add-types.ts";
import { completionAt, countAt, forDurationAt, untilAt } from "./recurrence-bounds.ts";
import { type RecurrencePhrase, recurrenceAt } from "./recurrence-grammar.ts";
import { readReminders, resolveReminders } from "./reminder-phrases.ts";
import { formatRule, type RuleSpec } from "./rule.ts";
import { type DateAtom, type Duration, type InstantAtom, Scanner, type TimeAtom } from "./scanner.ts";
import { tidy } from "./title-tidy.ts";
import { tokenize } from "./tokenize.ts";

/** The types of the context and the result, and the default times (the package exports them). */
export * from "./quick-add-types.ts";

/** The longest INTERVAL the task service accepts (`rruleProblem` of `@todo/recurrence`). */
const MAX_INTERVAL = 1000;

/** The recurrence a line carries, with its end ("until", "10 times", "for 3 weeks") and anchor. */
interface RecurrenceRead {
  readonly phrase?: RecurrencePhrase;
  /** The rule being built; later phases fill in its days, times and end. */
  readonly spec?: RuleSpec;
  readonly completion: boolean;
  readonly untilDay?: number;
  readonly runFor?: Duration;
}

/** The due date and time chosen among those typed, and more times of day for a rule. */
interface DueRead {
  readonly date?: DateAtom | InstantAtom;
  /** A time that came with the date ("tonight", "Dec 24 at noon" from chrono). */
  readonly dateTime?: TimeAtom;
  readonly time?: TimeAtom;
  /** "every day at 9am and 5pm": the times after the first. */
  readonly extraTimes: readonly TimeAtom[];
}

type Due = NonNullable<QuickAddResult["due"]>;
type Recurrence = NonNullable<QuickAddResult["recurrence"]>;

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
  const tokens = tokenize(text);
  const s = new Scanner(text, tokens, wallClockAt(ctx.now, tz), ctx.now);
  const claims: Claim[] = [];
  const take = claimer(s, claims);

  // 1. tags and priorities
  const tags = readTags(tokens, take);
  const priority = readPriority(s, take);
  // 2. reminders: "remind me to …" (a reminder at the due time) and "remind me 30 minutes before"
  const reminderItems = readReminders(s, take);
  // 3. recurrence, with its end and anchor
  const rec = readRecurrence(s, take);
  // 4. the due date and time
  const read = readDue(s, take, rec.spec);
  // 5. resolve
  const { due, recurrence } = resolveDue(s, ctx, rec, read);

  const reminders = resolveReminders(reminderItems, due, recurrence !== undefined, s, tz);
  const { title, spans } = tidy(text, tokens, claims);
  const result: QuickAddResult = { title, tags, reminders, spans, timeZone: tz };
  if (priority) result.priority = priority;
  if (due) result.due = due;
  if (recurrence) result.recurrence = recurrence;
  return result;
}

/** The first recurrence phrase, then its anchor ("after I finish") and at most one end. */
function readRecurrence(s: Scanner, take: Take): RecurrenceRead {
  let phrase: RecurrencePhrase | undefined;
  for (let i = 0; i < s.tokens.length && !phrase; i++) {
    phrase = recurrenceAt(s, i);
    // "every 1500 days" is not a rule the task service stores (INTERVAL 1..1000): it stays in the title.
    if (phrase && phrase.spec.interval > MAX_INTERVAL) phrase = undefined;
    if (phrase) take(phrase.start, phrase.end, "recurrence", RECURRENCE_CONNECTORS);
  }
  if (!phrase) return { completion: false };
  const spec: RuleSpec = { ...phrase.spec };
  let completion = phrase.completion;
  let untilDay: number | undefined;
  let runFor: Duration | undefined;
  for (let i = 0; i < s.tokens.length; i++) {
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
  return {
    phrase,
    spec,
    completion,
    ...(untilDay !== undefined ? { untilDay } : {}),
    ...(runFor ? { runFor } : {}),
  };
}

/** The due date and time: the last date typed, and the time next to it (or else the first time). */
function readDue(s: Scanner, take: Take, spec: RuleSpec | undefined): DueRead {
  const dates: (DateAtom | InstantAtom)[] = [];
  const times: TimeAtom[] = [];
  for (let i = 0; i < s.tokens.length; i++) {
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
  const extraTimes = spec && time && spec.freq !== "HOURLY" ? readExtraTimes(s, take, time) : [];
  return {
    ...(date ? { date } : {}),
    ...(dateTime ? { dateTime } : {}),
    ...(time ? { time } : {}),
    extraTimes,
  };
}

/**
 * "every day at 9am and 5pm": the times joined to the first one, claimed only when they all share
 * its minute (a rule has one BYMINUTE); otherwise none.
 */
function readExtraTimes(s: Scanner, take: Take, time: TimeAtom): TimeAtom[] {
  const extra: TimeAtom[] = [];
  let k = time.end;
  for (;;) {
    let m = k;
    while (MULTI_TIME_CONNECTORS.has(s.tokens[m]?.lower ?? "") && !s.used[m]) m++;
    const next = m > k ? s.time(m, true) : undefined;
    if (!next) break;
    extra.push(next);
    k = next.end;
  }
  const minute = resolveTime(time).minute;
  if (!extra.length || !extra.every((t) => resolveTime(t).minute === minute)) return [];
  let from = time.end;
  for (const t of extra) {
    take(from, t.end, "due");
    from = t.end;
  }
  return extra;
}

/** The due instant and the finished rule from what was read. */
function resolveDue(
  s: Scanner,
  ctx: QuickAddContext,
  rec: RecurrenceRead,
  read: DueRead,
): { due?: Due; recurrence?: Recurrence } {
  const { date, dateTime, time } = read;
  const phraseTime = rec.phrase?.time;
  const vague = time?.vague ? time : (dateTime ?? phraseTime);
  const hint = vague?.pm;
  const clock = time
    ? resolveTime(time, hint)
    : dateTime
      ? resolveTime(dateTime)
      : phraseTime
        ? resolveTime(phraseTime)
        : undefined;
  const dateOnly = ctx.dateOnlyTime ?? DEFAULT_DATE_ONLY_TIME;
  if (rec.spec) return resolveSeries(s, ctx, rec, rec.spec, read, clock, hint);
  if (date && !("day" in date)) return { due: { time: date.at, hasTime: true } };
  if (!date && !clock) return {};
  const tz = ctx.timeZone;
  let day = date?.day ?? s.today;
  let at = instantAt(civilDate(day), clock ?? dateOnly, tz);
  if (clock && at < ctx.now && (!date || (date.weekly && day === s.today))) {
    day += date ? 7 : 1;
    at = instantAt(civilDate(day), clock, tz);
  }
  return { due: { time: at, hasTime: clock !== undefined } };
}

/** A recurring task: its first occurrence is the due time, and the rule gets its days, times and end. */
function resolveSeries(
  s: Scanner,
  ctx: QuickAddContext,
  rec: RecurrenceRead,
  spec: RuleSpec,
  read: DueRead,
  clock: TimeOfDay | undefined,
  hint: boolean | undefined,
): { due: Due; recurrence: Recurrence } {
  const { date, extraTimes } = read;
  const tz = ctx.timeZone;
  const now = ctx.now;
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
    const slots = [
      clock ?? ctx.dateOnlyTime ?? DEFAULT_DATE_ONLY_TIME,
      ...extraTimes.map((t) => resolveTime(t, hint)),
    ];
    slots.sort((a, b) => a.hour * 60 + a.minute - (b.hour * 60 + b.minute));
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
  if (rec.untilDay !== undefined) spec.until = basicDate(civilDate(rec.untilDay));
  else if (rec.runFor) {
    let end = dueDay + rec.runFor.days;
    if (rec.runFor.months) end = toDayNumber(addMonths(civilDate(end), rec.runFor.months));
    spec.until = basicDate(civilDate(end - 1));
  }
  return {
    due: { time: dueAt, hasTime },
    recurrence: { rrule: formatRule(spec), anchor: rec.completion ? "completion" : "schedule" },
  };
}
