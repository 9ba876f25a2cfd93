/** Recurrence rules in plain English, for the task row and the quick-add preview. */
import { MONTH_NAMES, ordinalSuffix, WEEKDAY_NAMES } from "./lexicon.ts";
import { type ByDay, parseRule, type RuleSpec } from "./rule.ts";

/**
 * Says in English what an RRULE (without `RRULE:` and DTSTART, as Todo stores it) means: "every
 * Monday", "every 3 days after completion", "every month on the last day", "every weekday, 10
 * times", "every year on March 5, until Dec 31, 2027". Every form quick add produces has its own
 * wording; other valid rules get the nearest wording plus "(custom)", and text that is not a rule at
 * all comes back as `custom rule (…)` — never an exception, because this feeds a UI label.
 *
 * @param anchor "completion" adds "after completion" (the series restarts when a task is done).
 */
export function describeRecurrence(rrule: string, anchor: "schedule" | "completion" = "schedule"): string {
  const spec = parseRule(rrule);
  if (!spec) return `custom rule (${rrule})`;
  let text = base(spec);
  if (spec.byHour?.length) text += ` at ${times(spec)}`;
  if (spec.other?.length) text += " (custom)";
  if (anchor === "completion") text += " after completion";
  if (spec.count !== undefined) text += spec.count === 1 ? ", once" : `, ${spec.count} times`;
  else if (spec.until !== undefined) text += `, until ${untilText(spec.until)}`;
  return text;
}

/** "every day", "every other week", "every 3 months". */
function every(n: number, unit: string): string {
  if (n === 1) return `every ${unit}`;
  if (n === 2) return `every other ${unit}`;
  return `every ${n} ${unit}s`;
}

function list(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

function ordinal(n: number): string {
  if (n === -1) return "last";
  if (n < 0) return `${ordinalSuffix(-n)} to last`;
  return ordinalSuffix(n);
}

const isWorkdays = (days: readonly ByDay[] | undefined) =>
  days?.length === 5 && days.every((d, i) => d.weekday === i + 1 && d.n === undefined);

function weekdayNames(days: readonly ByDay[]): string[] {
  return [...days].sort((a, b) => a.weekday - b.weekday).map((d) => WEEKDAY_NAMES[d.weekday - 1] ?? "?");
}

/** "the 2nd Friday", "the 1st and 3rd Monday", "the last Monday and Friday". */
function nthWeekdays(days: readonly ByDay[]): string {
  const weekdays = [...new Set(days.map((d) => d.weekday))];
  const ordinals = [...new Set(days.map((d) => d.n ?? 0))];
  if (weekdays.length === 1)
    return `the ${list(ordinals.map(ordinal))} ${WEEKDAY_NAMES[(weekdays[0] ?? 1) - 1]}`;
  if (ordinals.length === 1) {
    return `the ${ordinal(ordinals[0] ?? 1)} ${list(weekdays.map((w) => WEEKDAY_NAMES[w - 1] ?? "?"))}`;
  }
  return list(days.map((d) => `the ${ordinal(d.n ?? 1)} ${WEEKDAY_NAMES[d.weekday - 1]}`));
}

/** What within a month: "on the 1st", "on the last day", "on the 2nd Friday", "on the last weekday". */
function inMonth(spec: RuleSpec): string | undefined {
  if (spec.bySetPos && spec.byDay && !spec.byMonthDay) {
    const what = isWorkdays(spec.byDay) ? "weekday" : `of ${list(weekdayNames(spec.byDay))}`;
    return `on the ${list(spec.bySetPos.map(ordinal))} ${what}`;
  }
  if (spec.byMonthDay && !spec.byDay && !spec.bySetPos) {
    const days = spec.byMonthDay;
    if (days.length === 1 && days[0] === -1) return "on the last day";
    // "on the 1st and 15th"; with days counted from the end: "on the 15th and last day"
    return `on the ${list(days.map(ordinal))}${days.some((d) => d < 0) ? " day" : ""}`;
  }
  if (spec.byDay && !spec.byMonthDay && !spec.bySetPos) {
    if (spec.byDay.every((d) => d.n !== undefined)) return `on ${nthWeekdays(spec.byDay)}`;
    if (spec.byDay.every((d) => d.n === undefined)) {
      return isWorkdays(spec.byDay)
        ? "on weekdays"
        : `on ${list(weekdayNames(spec.byDay).map((w) => `${w}s`))}`;
    }
  }
  if (!spec.byMonthDay && !spec.byDay && !spec.bySetPos) return "";
  return undefined;
}

function base(spec: RuleSpec): string {
  const n = spec.interval;
  switch (spec.freq) {
    case "HOURLY":
      return every(n, "hour") + (hasDateParts(spec) ? " (custom)" : "");
    case "DAILY":
      return every(n, "day") + (hasDateParts(spec) ? " (custom)" : "");
    case "WEEKLY": {
      const days = spec.byDay;
      const extra = spec.byMonth || spec.byMonthDay || spec.bySetPos ? " (custom)" : "";
      if (!days?.length) return every(n, "week") + extra;
      if (days.some((d) => d.n !== undefined)) return `${every(n, "week")} (custom)`;
      if (isWorkdays(days)) return (n === 1 ? "every weekday" : `${every(n, "week")} on weekdays`) + extra;
      const names = list(weekdayNames(days));
      if (n === 1) return `every ${names}${extra}`;
      if (n === 2 && days.length === 1) return `every other ${names}${extra}`;
      return `${every(n, "week")} on ${names}${extra}`;
    }
    case "MONTHLY": {
      const what = inMonth(spec);
      const extra = spec.byMonth ? ` in ${list(spec.byMonth.map((m) => MONTH_NAMES[m - 1] ?? "?"))}` : "";
      if (what === undefined) return `${every(n, "month")} (custom)`;
      return `${every(n, "month")}${what ? ` ${what}` : ""}${extra}`;
    }
    case "YEARLY": {
      const head = every(n, "year");
      const months = spec.byMonth ?? [];
      const monthNames = list(months.map((m) => MONTH_NAMES[m - 1] ?? "?"));
      if (months.length === 0) {
        return hasDateParts(spec) ? `${head} (custom)` : head;
      }
      if (months.length === 1 && spec.byMonthDay?.length === 1 && !spec.byDay && !spec.bySetPos) {
        const d = spec.byMonthDay[0] ?? 1;
        return d > 0 ? `${head} on ${monthNames} ${d}` : `${head} on the ${ordinal(d)} day of ${monthNames}`;
      }
      const what = inMonth(spec);
      if (what === undefined) return `${head} in ${monthNames} (custom)`;
      if (what === "") return `${head} in ${monthNames}`;
      // "on the 4th Thursday" + "of November"
      return `${head} ${what} of ${monthNames}`;
    }
  }
}

function hasDateParts(spec: RuleSpec): boolean {
  return Boolean(
    spec.byDay?.length || spec.byMonthDay?.length || spec.byMonth?.length || spec.bySetPos?.length,
  );
}

/** "09:00 and 17:00" from BYHOUR/BYMINUTE. */
function times(spec: RuleSpec): string {
  const minutes = spec.byMinute?.length ? spec.byMinute : [0];
  const out: string[] = [];
  for (const h of [...(spec.byHour ?? [])].sort((a, b) => a - b)) {
    for (const m of [...minutes].sort((a, b) => a - b)) {
      out.push(`${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
    }
  }
  return list(out);
}

/** "Dec 31, 2027", "Dec 31, 2027 23:59 UTC". */
function untilText(until: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(until);
  if (!m) return until;
  const month = (MONTH_NAMES[Number(m[2]) - 1] ?? "?").slice(0, 3);
  const date = `${month} ${Number(m[3])}, ${m[1]}`;
  if (m[4] === undefined) return date;
  return `${date} ${m[4]}:${m[5]}${m[7] ? " UTC" : ""}`;
}
