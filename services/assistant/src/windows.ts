/** The periods a question names ("this week", "overdue", "on Friday") as windows in the user's zone. */
import { Temporal } from "temporal-polyfill";
import { NUMBER_WORDS, WEEKDAY_INDEX } from "./fields";
import type { InterpretContext, NamedWindow } from "./intent";

const WEEKDAY_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
const MONTH_SHORT = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
] as const;

/** "Mon 8 Mar" (with the year when `year`). English names, whatever the process's locale. */
function dayName(date: Temporal.PlainDate, withMonth: boolean, year: boolean): string {
  const day = `${WEEKDAY_SHORT[date.dayOfWeek - 1]} ${date.day}`;
  if (!withMonth) return day;
  return `${day} ${MONTH_SHORT[date.month - 1]}${year ? ` ${date.year}` : ""}`;
}

/**
 * The days from `first` to `last` (inclusive), as short as is exact: "Mon 8 – Sun 14 Mar",
 * "Mon 29 Mar – Sun 4 Apr", "Mon 28 Dec 2026 – Sun 3 Jan 2027".
 */
export function daySpan(first: Temporal.PlainDate, last: Temporal.PlainDate): string {
  const sameYear = first.year === last.year;
  const sameMonth = sameYear && first.month === last.month;
  return `${dayName(first, !sameMonth, !sameYear)} – ${dayName(last, true, !sameYear)}`;
}

/** Day arithmetic in the user's zone. */
class Days {
  private readonly today: Temporal.PlainDate;
  constructor(private readonly ctx: InterpretContext) {
    this.today = Temporal.Instant.fromEpochMilliseconds(ctx.now.getTime())
      .toZonedDateTimeISO(ctx.timeZone)
      .toPlainDate();
  }
  /** The start of the day `offset` days from today, as an ISO instant. */
  start(offset: number): string {
    return this.at(this.today.add({ days: offset }));
  }
  at(date: Temporal.PlainDate): string {
    const zoned = date.toZonedDateTime({ timeZone: this.ctx.timeZone });
    return new Date(zoned.epochMilliseconds).toISOString();
  }
  /** Days from today to the first day of this week (≤ 0), by the user's week start. */
  weekStartOffset(): number {
    const first = this.ctx.weekStart ?? 1;
    return -((this.today.dayOfWeek - first + 7) % 7);
  }
  /** Days from today to this week's Monday (≤ 0): weekends are Saturday and Sunday whatever the week start. */
  mondayOffset(): number {
    return 1 - this.today.dayOfWeek;
  }
  monthStart(offset: number): string {
    return this.at(this.today.with({ day: 1 }).add({ months: offset }));
  }
  /** Days to the next `target` weekday (0 to 6: today counts). */
  weekday(target: number): number {
    return (target - this.today.dayOfWeek + 7) % 7;
  }
  /** Days back to the last `target` weekday (-6 to 0: today counts). */
  pastWeekday(target: number): number {
    return -((this.today.dayOfWeek - target + 7) % 7);
  }
  /** The days `from` to `to` (offsets, `to` exclusive) as a window labelled "`name` (Mon 8 – Sun 14 Mar)". */
  days(from: number, to: number, name: string): NamedWindow {
    const span = daySpan(this.today.add({ days: from }), this.today.add({ days: to - 1 }));
    return { window: { from: this.start(from), to: this.start(to) }, label: `${name} (${span})` };
  }
  /** One day as a window labelled "on Mon 15 Mar". */
  day(offset: number): NamedWindow {
    const date = this.today.add({ days: offset });
    return {
      window: { from: this.start(offset), to: this.start(offset + 1) },
      label: `on ${dayName(date, true, false)}`,
    };
  }
  now(): string {
    return this.ctx.now.toISOString();
  }
}

/** How a weekday named without "next" or "last" is read. */
export interface WindowOptions {
  /**
   * "on Monday" is the last Monday (today included) rather than the next: for questions about what
   * was completed, which can only be in the past.
   */
  readonly past?: boolean;
}

/**
 * The period a question names ("what's due this week?", "anything overdue?", "on Friday"), read in
 * the user's zone; undefined when it names none. Weeks run from the user's week start
 * ({@link InterpretContext.weekStart}) and their labels say which days they cover. Also reads the
 * `when` of the model's list tool.
 */
export function readWindow(
  text: string,
  ctx: InterpretContext,
  options: WindowOptions = {},
): NamedWindow | undefined {
  const d = new Days(ctx);
  const t = text.toLowerCase();
  const mon = d.mondayOffset();
  const week = d.weekStartOffset();
  if (/\b(?:overdue|late|past due|missed|behind)\b/.test(t))
    return { window: { to: d.now() }, label: "overdue", overdue: true };
  if (/\b(?:today|tonight|this evening)\b/.test(t))
    return { window: { from: d.start(0), to: d.start(1) }, label: "today" };
  if (/\btomorrow\b/.test(t)) return { window: { from: d.start(1), to: d.start(2) }, label: "tomorrow" };
  if (/\byesterday\b/.test(t)) return { window: { from: d.start(-1), to: d.start(0) }, label: "yesterday" };
  if (/\bthis weekend\b|\bthe weekend\b|\bon the weekend\b|\bover the weekend\b/.test(t))
    return d.days(mon + 5, mon + 7, "this weekend");
  if (/\bnext week\b/.test(t)) return d.days(week + 7, week + 14, "next week");
  if (/\blast week\b/.test(t)) return d.days(week - 7, week, "last week");
  if (/\bthis week\b|\bthe week\b|\bthis wk\b/.test(t)) return d.days(week, week + 7, "this week");
  if (/\bnext month\b/.test(t))
    return { window: { from: d.monthStart(1), to: d.monthStart(2) }, label: "next month" };
  if (/\blast month\b/.test(t))
    return { window: { from: d.monthStart(-1), to: d.monthStart(0) }, label: "last month" };
  if (/\bthis month\b/.test(t))
    return { window: { from: d.monthStart(0), to: d.monthStart(1) }, label: "this month" };
  const next = t.match(
    /\b(?:in the |within the |over the |for the )?(?:next|coming) (\d+|two|three|four|five|seven|ten) days\b/,
  );
  if (next?.[1]) {
    const n = /^\d+$/.test(next[1]) ? Number(next[1]) : (NUMBER_WORDS[next[1]] ?? 1);
    return { window: { from: d.now(), to: d.start(n + 1) }, label: `in the next ${n} days` };
  }
  if (/\b(?:soon|coming up|upcoming|next few days)\b/.test(t))
    return { window: { from: d.now(), to: d.start(4) }, label: "in the next few days" };
  const wd = t.match(
    /\b(?:(last|past|next|this) |on )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/,
  );
  if (wd?.[2]) {
    const target = WEEKDAY_INDEX[wd[2]] ?? 1;
    // "last Monday" is before today; "on Monday" of a completion, the last one up to today.
    const back = wd[1] === "last" || wd[1] === "past";
    const offset = back
      ? d.pastWeekday(target) || -7
      : options.past && wd[1] !== "next"
        ? d.pastWeekday(target)
        : d.weekday(target);
    return d.day(offset);
  }
  return undefined;
}
