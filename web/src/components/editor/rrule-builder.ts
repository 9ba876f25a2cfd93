/**
 * The recurrence editor's model: a form state ({@link RecurrenceDraft}) and the RFC 5545 RRULE it
 * stands for, in both directions. `buildRrule(parseRrule(rule))` gives back `rule` (up to the order of
 * parts and weekdays) for every rule the form can show; any other rule — BYSETPOS, BYMONTH, WKST, … —
 * is kept verbatim as an "advanced" rule, so opening and saving a task never rewrites a rule the form
 * does not understand. The phrases follow docs/recurrence.md ("every month on the 2nd Friday" =
 * `FREQ=MONTHLY;BYDAY=2FR`); the first date and the time of day come from the task's due time.
 */

/** RRULE weekday codes, Monday first (the order the form shows and the builder writes). */
export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
/** One RRULE weekday code. */
export type Weekday = (typeof WEEKDAYS)[number];
/** The working days, as "every weekday" means them. */
export const WORKING_DAYS: readonly Weekday[] = ["MO", "TU", "WE", "TH", "FR"];

/** The repeat choices the form offers; `rrule` is a rule typed (or kept) as text. */
export type RepeatKind = "none" | "daily" | "weekdays" | "weekly" | "monthly" | "yearly" | "custom" | "rrule";
/** The unit of a custom interval: every N hours/days/weeks/months/years. */
export type RepeatUnit = "HOURLY" | "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY";
/** Which occurrence in the month an nth-weekday rule picks: 1st … 5th, or -1 for the last. */
export type Nth = 1 | 2 | 3 | 4 | 5 | -1;

/** How a monthly rule picks its day. */
export type MonthlyRule =
  /** On the due date's day of the month (`FREQ=MONTHLY`). */
  | { readonly mode: "due" }
  /** On a fixed day, 1–31 (`BYMONTHDAY=15`); months without it are skipped. */
  | { readonly mode: "day"; readonly day: number }
  /** On the nth weekday (`BYDAY=2FR`, `BYDAY=-1MO`). */
  | { readonly mode: "nth"; readonly nth: Nth; readonly weekday: Weekday }
  /** On the last day of the month (`BYMONTHDAY=-1`). */
  | { readonly mode: "last" };

/** When a series ends. */
export type RecurrenceEnd =
  | { readonly kind: "never" }
  /** After `count` occurrences in all (`COUNT=`). */
  | { readonly kind: "count"; readonly count: number }
  /**
   * On `date` (`YYYY-MM-DD`), inclusive (`UNTIL=YYYYMMDD`). `raw` keeps an UNTIL the rule had in
   * another form (`20271231T235959Z`) for as long as its date is unchanged.
   */
  | { readonly kind: "until"; readonly date: string; readonly raw?: string };

/** What the next occurrence is counted from: the due date ("every") or the completion ("every!"). */
export type Anchor = "SCHEDULE" | "COMPLETION";

/** The recurrence editor's form state. Fields that the current `kind` does not use are kept, so
 * switching back and forth between choices does not lose what was entered. */
export interface RecurrenceDraft {
  readonly kind: RepeatKind;
  /** The interval of a custom rule, at least 1. */
  readonly interval: number;
  /** The unit of a custom rule. */
  readonly unit: RepeatUnit;
  /** The days of a weekly rule (or a custom weekly one); empty = the due date's weekday. */
  readonly weekdays: readonly Weekday[];
  /** The day of a monthly rule (or a custom monthly one). */
  readonly monthly: MonthlyRule;
  readonly end: RecurrenceEnd;
  readonly anchor: Anchor;
  /** The rule's text when `kind` is `rrule`. */
  readonly rrule: string;
}

/** A draft that does not repeat. */
export const NO_RECURRENCE: RecurrenceDraft = {
  kind: "none",
  interval: 1,
  unit: "DAILY",
  weekdays: [],
  monthly: { mode: "due" },
  end: { kind: "never" },
  anchor: "SCHEDULE",
  rrule: "",
};

function sortDays(days: readonly Weekday[]): Weekday[] {
  return WEEKDAYS.filter((d) => days.includes(d));
}

function monthlyPart(m: MonthlyRule): string {
  switch (m.mode) {
    case "due":
      return "";
    case "day":
      return `;BYMONTHDAY=${m.day}`;
    case "nth":
      return `;BYDAY=${m.nth}${m.weekday}`;
    case "last":
      return ";BYMONTHDAY=-1";
  }
}

function endPart(end: RecurrenceEnd): string {
  switch (end.kind) {
    case "never":
      return "";
    case "count":
      return `;COUNT=${end.count}`;
    case "until": {
      const compact = end.date.replaceAll("-", "");
      return `;UNTIL=${end.raw?.startsWith(compact) ? end.raw : compact}`;
    }
  }
}

function weeklyPart(days: readonly Weekday[]): string {
  return days.length > 0 ? `;BYDAY=${sortDays(days).join(",")}` : "";
}

/**
 * The RRULE of a draft (no `RRULE:` prefix, no DTSTART), or undefined when it does not repeat. A rule
 * of kind `rrule` is returned trimmed, as typed; the server checks it (PreviewRecurrence shows why a
 * rule is refused).
 */
export function buildRrule(d: RecurrenceDraft): string | undefined {
  let rule: string;
  switch (d.kind) {
    case "none":
      return undefined;
    case "rrule":
      return d.rrule.trim().replace(/^RRULE:/i, "");
    case "daily":
      rule = "FREQ=DAILY";
      break;
    case "weekdays":
      rule = `FREQ=WEEKLY;BYDAY=${WORKING_DAYS.join(",")}`;
      break;
    case "weekly":
      rule = `FREQ=WEEKLY${weeklyPart(d.weekdays)}`;
      break;
    case "monthly":
      rule = `FREQ=MONTHLY${monthlyPart(d.monthly)}`;
      break;
    case "yearly":
      rule = "FREQ=YEARLY";
      break;
    case "custom": {
      const interval = d.interval > 1 ? `;INTERVAL=${d.interval}` : "";
      const by =
        d.unit === "WEEKLY" ? weeklyPart(d.weekdays) : d.unit === "MONTHLY" ? monthlyPart(d.monthly) : "";
      rule = `FREQ=${d.unit}${interval}${by}`;
      break;
    }
  }
  return rule + endPart(d.end);
}

/** A rule's parts by upper-case name, or undefined when it is not `NAME=VALUE;…` with unique names. */
function ruleParts(rule: string): Map<string, string> | undefined {
  const parts = new Map<string, string>();
  for (const part of rule
    .trim()
    .replace(/^RRULE:/i, "")
    .split(";")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) return undefined;
    const name = part.slice(0, eq).trim().toUpperCase();
    if (parts.has(name)) return undefined;
    parts.set(
      name,
      part
        .slice(eq + 1)
        .trim()
        .toUpperCase(),
    );
  }
  return parts;
}

/** The parts in a canonical form: weekday lists sorted, `INTERVAL=1` dropped. */
function canonical(rule: string): string | undefined {
  const parts = ruleParts(rule);
  if (!parts) return undefined;
  if (parts.get("INTERVAL") === "1") parts.delete("INTERVAL");
  const byday = parts.get("BYDAY");
  if (byday !== undefined) parts.set("BYDAY", byday.split(",").sort().join(","));
  return [...parts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(";");
}

/** True when two rules say the same thing part for part (order of parts and weekdays aside). */
export function sameRule(a: string, b: string): boolean {
  const ca = canonical(a);
  return ca !== undefined && ca === canonical(b);
}

const INT = /^\d{1,5}$/;
const NTH_DAY = /^([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)$/;

function parseEnd(parts: Map<string, string>): RecurrenceEnd | undefined {
  const count = parts.get("COUNT");
  const until = parts.get("UNTIL");
  if (count !== undefined && until !== undefined) return undefined;
  if (count !== undefined)
    return INT.test(count) && Number(count) > 0 ? { kind: "count", count: Number(count) } : undefined;
  if (until !== undefined) {
    const m = /^(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?$/.exec(until);
    if (!m) return undefined;
    const date = `${m[1]}-${m[2]}-${m[3]}`;
    return m[4] ? { kind: "until", date, raw: until } : { kind: "until", date };
  }
  return { kind: "never" };
}

function parseMonthly(parts: Map<string, string>): MonthlyRule | undefined {
  const monthDay = parts.get("BYMONTHDAY");
  const byday = parts.get("BYDAY");
  if (monthDay !== undefined && byday !== undefined) return undefined;
  if (monthDay !== undefined) {
    if (monthDay === "-1") return { mode: "last" };
    if (!INT.test(monthDay)) return undefined;
    const day = Number(monthDay);
    return day >= 1 && day <= 31 ? { mode: "day", day } : undefined;
  }
  if (byday !== undefined) {
    const m = NTH_DAY.exec(byday);
    if (!m?.[1]) return undefined;
    const nth = Number(m[1]);
    if (!(nth === -1 || (nth >= 1 && nth <= 5))) return undefined;
    return { mode: "nth", nth: nth as Nth, weekday: m[2] as Weekday };
  }
  return { mode: "due" };
}

function parseWeekdays(byday: string | undefined): Weekday[] | undefined {
  if (byday === undefined) return [];
  const days = byday.split(",");
  if (!days.every((d) => (WEEKDAYS as readonly string[]).includes(d))) return undefined;
  if (new Set(days).size !== days.length) return undefined;
  return sortDays(days as Weekday[]);
}

/** The form reading of a rule, or undefined when the form cannot show it exactly. */
function formReading(rule: string, anchor: Anchor): RecurrenceDraft | undefined {
  const parts = ruleParts(rule);
  if (!parts) return undefined;
  const known = new Set(["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL"]);
  if ([...parts.keys()].some((k) => !known.has(k))) return undefined;
  const freq = parts.get("FREQ");
  const intervalText = parts.get("INTERVAL") ?? "1";
  if (!INT.test(intervalText) || Number(intervalText) < 1) return undefined;
  const interval = Number(intervalText);
  const end = parseEnd(parts);
  if (!end) return undefined;
  const base = { ...NO_RECURRENCE, end, anchor, interval };
  const byday = parts.get("BYDAY");
  const hasMonthDay = parts.has("BYMONTHDAY");
  switch (freq) {
    case "HOURLY":
    case "DAILY":
    case "YEARLY": {
      if (byday !== undefined || hasMonthDay) return undefined;
      if (interval === 1 && freq === "DAILY") return { ...base, kind: "daily", unit: "DAILY" };
      if (interval === 1 && freq === "YEARLY") return { ...base, kind: "yearly", unit: "YEARLY" };
      return { ...base, kind: "custom", unit: freq };
    }
    case "WEEKLY": {
      if (hasMonthDay) return undefined;
      const weekdays = parseWeekdays(byday);
      if (!weekdays) return undefined;
      if (interval > 1) return { ...base, kind: "custom", unit: "WEEKLY", weekdays };
      const isWorkweek = weekdays.length === 5 && WORKING_DAYS.every((d) => weekdays.includes(d));
      return isWorkweek
        ? { ...base, kind: "weekdays", unit: "WEEKLY", weekdays }
        : { ...base, kind: "weekly", unit: "WEEKLY", weekdays };
    }
    case "MONTHLY": {
      const monthly = parseMonthly(parts);
      if (!monthly) return undefined;
      return { ...base, kind: interval > 1 ? "custom" : "monthly", unit: "MONTHLY", monthly };
    }
    default:
      return undefined;
  }
}

/**
 * The form state for `rule` (empty: no recurrence). A rule the form cannot show exactly becomes an
 * `rrule` draft that keeps the text, so `buildRrule` gives back an equivalent rule in every case.
 */
export function parseRrule(rule: string, anchor: Anchor = "SCHEDULE"): RecurrenceDraft {
  const text = rule.trim().replace(/^RRULE:/i, "");
  if (text === "") return { ...NO_RECURRENCE, anchor };
  const draft = formReading(text, anchor);
  if (draft) {
    const rebuilt = buildRrule(draft);
    if (rebuilt !== undefined && sameRule(rebuilt, text)) return { ...draft, rrule: text };
  }
  return { ...NO_RECURRENCE, kind: "rrule", anchor, rrule: text };
}

/**
 * Switches a draft to another repeat choice, filling in what the choice needs from the due date
 * (`YYYY-MM-DD`, if any) the way a person expects: "weekly" starts on the due date's weekday, a
 * custom rule starts every 2 of the current unit, and "advanced" starts from the current rule.
 */
export function withKind(d: RecurrenceDraft, kind: RepeatKind, dueDate?: string): RecurrenceDraft {
  const dueWeekday = dueDate ? weekdayCode(dueDate) : undefined;
  switch (kind) {
    case "weekly":
      return { ...d, kind, weekdays: d.weekdays.length > 0 ? d.weekdays : dueWeekday ? [dueWeekday] : [] };
    case "custom": {
      const unitFrom: Partial<Record<RepeatKind, RepeatUnit>> = {
        daily: "DAILY",
        weekdays: "WEEKLY",
        weekly: "WEEKLY",
        monthly: "MONTHLY",
        yearly: "YEARLY",
      };
      const unit = unitFrom[d.kind] ?? d.unit;
      return { ...d, kind, unit, interval: Math.max(2, d.interval) };
    }
    case "rrule":
      return { ...d, kind, rrule: buildRrule(d) ?? (d.rrule || "FREQ=DAILY") };
    default:
      return { ...d, kind };
  }
}

/** The RRULE weekday code of a `YYYY-MM-DD` date. */
export function weekdayCode(date: string): Weekday | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const day = new Date(Date.UTC(2000, 0, 1));
  day.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return WEEKDAYS[(day.getUTCDay() + 6) % 7];
}

/** Which nth weekday of its month a date is, as "last" when it is in the month's last 7 days. */
export function nthOfDate(date: string): { nth: Nth; weekday: Weekday; isLast: boolean } | undefined {
  const weekday = weekdayCode(date);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!weekday || !m) return undefined;
  const day = Number(m[3]);
  const end = new Date(Date.UTC(2000, 0, 1));
  end.setUTCFullYear(Number(m[1]), Number(m[2]), 0);
  const isLast = day + 7 > end.getUTCDate();
  return { nth: Math.min(5, Math.ceil(day / 7)) as Nth, weekday, isLast };
}
