/**
 * The recurrence phrases of quick add: "every …" in its many forms, the adverbs ("daily",
 * "weekly on Monday"), "on Mondays", "the 1st of every month", "every!". Each reads tokens from a
 * {@link Scanner} and returns a {@link RuleSpec} with the token range it covers. The parts that end
 * or anchor a series ("until Dec 31", "10 times", "after I finish") are `recurrence-bounds.ts`.
 */
import { ordinalList, weekdayList } from "./day-lists.ts";
import { monthWord, ordinalWord, unitWord } from "./lexicon.ts";
import type { RuleSpec } from "./rule.ts";
import type { Scanner, TimeAtom } from "./scanner.ts";
import { wordTable } from "./word-table.ts";

/** A recurrence phrase: the rule, and the default time it implies ("every morning" → 09:00). */
export interface RecurrencePhrase {
  readonly start: number;
  readonly end: number;
  readonly spec: RuleSpec;
  /** "every!": the next occurrence counts from the completion. */
  readonly completion: boolean;
  readonly time?: TimeAtom;
}

interface Body {
  readonly end: number;
  readonly spec: RuleSpec;
  readonly time?: TimeAtom;
}

const WORKDAYS = [1, 2, 3, 4, 5].map((weekday) => ({ weekday }));

/** Words after which a frequency word ("weekly") is still an adverb, not an adjective ("weekly report"). */
const FOLLOWERS = new Set([
  "at",
  "on",
  "in",
  "from",
  "starting",
  "beginning",
  "until",
  "till",
  "til",
  "through",
  "thru",
  "ending",
  "for",
  "by",
  "and",
  "&",
  "remind",
  "reminder",
  "alert",
  "notify",
  "after",
  "with",
  "priority",
  "prio",
  "p",
  "due",
  "except",
  "around",
  "@",
  "then",
]);

const DETERMINERS = new Set([
  "the",
  "a",
  "an",
  "my",
  "our",
  "your",
  "his",
  "her",
  "their",
  "this",
  "that",
  "its",
]);

/** A recurrence phrase starting at token `i`, if there is one. */
export function recurrenceAt(s: Scanner, i: number): RecurrencePhrase | undefined {
  const w = s.w(i);
  if (w === undefined) return undefined;
  // "ev" is Todoist's short form of "every"
  if (w === "every" || w === "each" || w === "ev" || w === "everyday") {
    let j = i + 1;
    let completion = false;
    if (w !== "everyday" && s.p(j) === "!" && s.glued(j)) {
      completion = true;
      j++;
    }
    if (w === "everyday") {
      return adverb(s, i, { end: i + 1, spec: { freq: "DAILY", interval: 1 } });
    }
    const body = everyBody(s, j);
    if (!body) return undefined;
    return { start: i, completion, ...body };
  }
  const simple = wordTable<RuleSpec>({
    daily: { freq: "DAILY", interval: 1 },
    nightly: { freq: "DAILY", interval: 1 },
    weekly: { freq: "WEEKLY", interval: 1 },
    biweekly: { freq: "WEEKLY", interval: 2 },
    fortnightly: { freq: "WEEKLY", interval: 2 },
    monthly: { freq: "MONTHLY", interval: 1 },
    quarterly: { freq: "MONTHLY", interval: 3 },
    semiannually: { freq: "MONTHLY", interval: 6 },
    "semi-annually": { freq: "MONTHLY", interval: 6 },
    "half-yearly": { freq: "MONTHLY", interval: 6 },
    yearly: { freq: "YEARLY", interval: 1 },
    annually: { freq: "YEARLY", interval: 1 },
    hourly: { freq: "HOURLY", interval: 1 },
  });
  const base = simple[w];
  if (base) {
    const body = continuation(s, i + 1, { ...base });
    const time = w === "nightly" ? s.partOfDay(i, i + 1, "night") : undefined;
    return adverb(s, i, time ? { ...body, time } : body);
  }
  // "once a week", "once per month"
  if (w === "once" && s.is(i + 1, "a", "per", "every")) {
    const body = unitBody(s, i + 2, 1);
    return body ? adverb(s, i, body) : undefined;
  }
  // "weekdays", "on weekdays", "on weekends", "on Mondays and Thursdays"
  const on = w === "on" ? i + 1 : i;
  const ww = s.w(on);
  if (ww === "weekdays" || ww === "workdays" || ww === "weekends") {
    const spec: RuleSpec = {
      freq: "WEEKLY",
      interval: 1,
      byDay: ww === "weekends" ? [{ weekday: 6 }, { weekday: 7 }] : WORKDAYS,
    };
    return adverb(s, i, withPartOfDay(s, { end: on + 1, spec }));
  }
  if (w === "on") {
    const list = weekdayList(s, i + 1);
    if (list?.plural) {
      const spec: RuleSpec = {
        freq: "WEEKLY",
        interval: 1,
        byDay: list.days.map((weekday) => ({ weekday })),
      };
      return { start: i, completion: false, ...withPartOfDay(s, { end: list.end, spec }) };
    }
  }
  // "(on) the 1st of every month", "the last Friday of each month", "the last day of every month"
  const the =
    w === "on" && s.is(i + 1, "the")
      ? i + 2
      : w === "the"
        ? i + 1
        : w === "last" || ordinalWord(w) !== undefined
          ? i
          : undefined;
  if (the !== undefined) {
    const monthly = monthlyOrdinals(s, the);
    if (monthly) {
      const every = ofEveryMonth(s, monthly.end);
      if (every) {
        return {
          start: i,
          completion: false,
          end: every.end,
          spec: { ...monthly.spec, interval: every.interval },
        };
      }
    }
  }
  return undefined;
}

/** Accepts a bare frequency word only where it reads as an adverb: "report weekly", not "weekly report". */
function adverb(s: Scanner, i: number, body: Body): RecurrencePhrase | undefined {
  if (DETERMINERS.has(s.before(i) ?? "")) return undefined;
  const next = s.tokens[body.end];
  if (next && !s.used[body.end] && next.kind === "word") {
    const ok =
      FOLLOWERS.has(next.lower) ||
      s.time(body.end) !== undefined ||
      s.date(body.end) !== undefined ||
      s.instant(body.end) !== undefined ||
      recurrenceAt(s, body.end) !== undefined;
    if (!ok) return undefined;
  }
  return { start: i, completion: false, ...body };
}

/** What follows "every" (or "every!"). */
function everyBody(s: Scanner, j: number): Body | undefined {
  const w = s.w(j);
  if (w === undefined) return undefined;
  // "every other day|week|Monday"
  if (w === "other") {
    const unit = unitBody(s, j + 1, 2);
    if (unit) return unit;
    const list = weekdayList(s, j + 1);
    if (list) {
      return withPartOfDay(s, {
        end: list.end,
        spec: { freq: "WEEKLY", interval: 2, byDay: list.days.map((weekday) => ({ weekday })) },
      });
    }
    return undefined;
  }
  // "every 3 days", "every 2 weeks on Tuesday", "every 2 Mondays"
  const n = s.number(j, false);
  if (n && n.value >= 1) {
    const unit = unitBody(s, n.end, n.value);
    if (unit) return unit;
    const list = weekdayList(s, n.end);
    if (list?.plural) {
      return withPartOfDay(s, {
        end: list.end,
        spec: { freq: "WEEKLY", interval: n.value, byDay: list.days.map((weekday) => ({ weekday })) },
      });
    }
    // "every 5 March" falls through to the month-day forms below
  }
  // "every 2nd Friday", "every last day of the month", "every 1st and 15th", "every 5th of March"
  const ords = ordinalList(s, j);
  if (ords) {
    const single = ords.values.length === 1 ? ords.values[0] : undefined;
    // "every second day", "every 3rd week": an interval, unless it is "… day of the month"
    if (single !== undefined && single > 1) {
      const unitAt = s.w(ords.end);
      const unit = unitAt === undefined ? undefined : unitWord(unitAt);
      if (unit && unit !== "minute" && (unit !== "day" || !ofMonth(s, ords.end + 1))) {
        const body = unitBody(s, ords.end, single);
        if (body) return body;
      }
    }
    const monthly = monthlyOrdinals(s, j);
    if (!monthly) return undefined;
    // "every 4th Thursday of November", "every 5th of March": yearly, in that month
    const m = s.is(monthly.end, "of") ? monthWord(s.w(monthly.end + 1) ?? "") : undefined;
    if (m !== undefined) {
      return { end: monthly.end + 2, spec: { ...monthly.spec, freq: "YEARLY", byMonth: [m] } };
    }
    return withPartOfDay(s, { end: ofMonth(s, monthly.end) ?? monthly.end, spec: monthly.spec });
  }
  // "every end of the month"
  if (w === "end" && s.is(j + 1, "of")) {
    const k = s.is(j + 2, "the", "every", "each") ? j + 3 : j + 2;
    if (s.is(k, "month")) return { end: k + 1, spec: { freq: "MONTHLY", interval: 1, byMonthDay: [-1] } };
    return undefined;
  }
  // "every day", "every week on Monday", "every month on the 1st", "every year on March 5"
  const unit = unitBody(s, j, 1);
  if (unit) return unit;
  // "every weekday", "every workday", "every business day"
  const workdays = workdayWords(s, j);
  if (workdays !== undefined)
    return withPartOfDay(s, { end: workdays, spec: { freq: "WEEKLY", interval: 1, byDay: WORKDAYS } });
  // "every weekend" (Saturday), "every weekend day" (Saturday and Sunday)
  if (w === "weekend" || w === "weekends") {
    const both = w === "weekends" || s.is(j + 1, "day", "days");
    const end = s.is(j + 1, "day", "days") ? j + 2 : j + 1;
    return withPartOfDay(s, {
      end,
      spec: {
        freq: "WEEKLY",
        interval: 1,
        byDay: both ? [{ weekday: 6 }, { weekday: 7 }] : [{ weekday: 6 }],
      },
    });
  }
  // "every Monday", "every Mon, Wed and Fri", "every Tuesday and Thursday evening"
  const list = weekdayList(s, j);
  if (list) {
    return withPartOfDay(s, {
      end: list.end,
      spec: { freq: "WEEKLY", interval: 1, byDay: list.days.map((weekday) => ({ weekday })) },
    });
  }
  // "every March 5", "every 5 March", "every Dec 25th"
  const md = s.monthDay(j);
  if (md && md.year === undefined) {
    return { end: md.end, spec: { freq: "YEARLY", interval: 1, byMonth: [md.month], byMonthDay: [md.day] } };
  }
  const month = monthWord(w);
  if (month !== undefined) return { end: j + 1, spec: { freq: "YEARLY", interval: 1, byMonth: [month] } };
  // "every morning", "every evening", "every night", "every afternoon"
  if (w === "morning" || w === "afternoon" || w === "evening" || w === "night") {
    const time = s.partOfDay(j, j + 1, w);
    return time ? { end: j + 1, spec: { freq: "DAILY", interval: 1 }, time } : undefined;
  }
  return undefined;
}

/** "day", "2 weeks on Monday", "month on the 1st", "year on March 5", "hours" … with interval `n`. */
function unitBody(s: Scanner, j: number, n: number): Body | undefined {
  const w = s.w(j);
  if (w === undefined) return undefined;
  const unit = unitWord(w);
  if (!unit || unit === "minute") return undefined;
  // "every 2 days" but not "every 2 day" with n > 1 … both are accepted: people type either.
  switch (unit) {
    case "hour":
      return { end: j + 1, spec: { freq: "HOURLY", interval: n } };
    case "day":
      return { end: j + 1, spec: { freq: "DAILY", interval: n } };
    case "week":
      return continuation(s, j + 1, { freq: "WEEKLY", interval: n });
    case "fortnight":
      return continuation(s, j + 1, { freq: "WEEKLY", interval: 2 * n });
    case "month":
      return continuation(s, j + 1, { freq: "MONTHLY", interval: n });
    case "quarter":
      return continuation(s, j + 1, { freq: "MONTHLY", interval: 3 * n });
    case "year":
      return continuation(s, j + 1, { freq: "YEARLY", interval: n });
  }
  return undefined;
}

/** What may follow a unit: "on Monday" (weekly), "on the 1st" (monthly), "on March 5"/"in May" (yearly). */
function continuation(s: Scanner, j: number, spec: RuleSpec): Body {
  if (spec.freq === "WEEKLY" && s.is(j, "on")) {
    const list = weekdayList(s, j + 1);
    if (list)
      return withPartOfDay(s, {
        end: list.end,
        spec: { ...spec, byDay: list.days.map((weekday) => ({ weekday })) },
      });
    const workdays = workdayWords(s, j + 1);
    if (workdays !== undefined) return { end: workdays, spec: { ...spec, byDay: WORKDAYS } };
  }
  if (spec.freq === "MONTHLY" && s.is(j, "on")) {
    const k = s.is(j + 1, "the") ? j + 2 : j + 1;
    // "on day 15"
    if (s.is(k, "day")) {
      const d = /^\d{1,2}$/.test(s.w(k + 1) ?? "") ? Number(s.w(k + 1)) : undefined;
      if (d !== undefined && d >= 1 && d <= 31) return { end: k + 2, spec: { ...spec, byMonthDay: [d] } };
    }
    const monthly = monthlyOrdinals(s, k);
    if (monthly) {
      return withPartOfDay(s, { end: monthly.end, spec: { ...monthly.spec, interval: spec.interval } });
    }
  }
  if (spec.freq === "YEARLY" && s.is(j, "on")) {
    const md = s.monthDay(j + 1);
    if (md && md.year === undefined) {
      return { end: md.end, spec: { ...spec, byMonth: [md.month], byMonthDay: [md.day] } };
    }
    // "on the 4th Thursday of November"
    const k = s.is(j + 1, "the") ? j + 2 : j + 1;
    const monthly = monthlyOrdinals(s, k);
    if (monthly?.spec.byDay && s.is(monthly.end, "of")) {
      const m = monthWord(s.w(monthly.end + 1) ?? "");
      if (m !== undefined)
        return { end: monthly.end + 2, spec: { ...spec, byMonth: [m], byDay: monthly.spec.byDay } };
    }
  }
  if (spec.freq === "YEARLY" && s.is(j, "in")) {
    const m = monthWord(s.w(j + 1) ?? "");
    if (m !== undefined) return { end: j + 2, spec: { ...spec, byMonth: [m] } };
  }
  return { end: j, spec };
}

/**
 * Ordinals and what they count within a month: "2nd Friday", "1st and 3rd Monday", "last day",
 * "last weekday", "1st and 15th" — a MONTHLY rule (interval 1) and the index after it.
 */
function monthlyOrdinals(s: Scanner, j: number): Body | undefined {
  const ords = ordinalList(s, j);
  if (!ords) return undefined;
  const k = ords.end;
  const list = weekdayList(s, k);
  if (list && !list.plural) {
    const byDay = ords.values.flatMap((n) => list.days.map((weekday) => ({ weekday, n })));
    return { end: list.end, spec: { freq: "MONTHLY", interval: 1, byDay } };
  }
  if (s.is(k, "day")) return { end: k + 1, spec: { freq: "MONTHLY", interval: 1, byMonthDay: ords.values } };
  const workdays = workdayWords(s, k);
  if (workdays !== undefined) {
    return { end: workdays, spec: { freq: "MONTHLY", interval: 1, byDay: WORKDAYS, bySetPos: ords.values } };
  }
  // bare ordinals are days of the month, but "last" alone says too little
  if (ords.values.every((v) => v > 0)) {
    return { end: k, spec: { freq: "MONTHLY", interval: 1, byMonthDay: ords.values } };
  }
  return undefined;
}

/** "of the month", "of every month", "of each month", "of a month": the index after it, or undefined. */
function ofMonth(s: Scanner, j: number): number | undefined {
  if (!s.is(j, "of")) return undefined;
  const k = s.is(j + 1, "the", "every", "each", "a", "any") ? j + 2 : j + 1;
  return s.is(k, "month") ? k + 1 : undefined;
}

/** "of every month", "of each month", "of every 2 months", "of every other month". */
function ofEveryMonth(s: Scanner, j: number): { end: number; interval: number } | undefined {
  if (!s.is(j, "of") || !s.is(j + 1, "every", "each")) return undefined;
  if (s.is(j + 2, "month")) return { end: j + 3, interval: 1 };
  if (s.is(j + 2, "other") && s.is(j + 3, "month")) return { end: j + 4, interval: 2 };
  const n = s.number(j + 2, false);
  if (n && n.value >= 1 && s.is(n.end, "months", "month")) return { end: n.end + 1, interval: n.value };
  return undefined;
}

/** "weekday", "weekdays", "workday", "business day", "working day", "work day": the index after it. */
function workdayWords(s: Scanner, j: number): number | undefined {
  if (s.is(j, "weekday", "weekdays", "workday", "workdays")) return j + 1;
  if (s.is(j, "business", "working", "work") && s.is(j + 1, "day", "days")) return j + 2;
  return undefined;
}

/** "every Monday morning": a part of the day right after the phrase sets its default time. */
function withPartOfDay(s: Scanner, body: Body): Body {
  const w = s.w(body.end);
  if (w === "morning" || w === "afternoon" || w === "evening" || w === "night") {
    const time = s.partOfDay(body.end, body.end + 1, w);
    if (time) return { end: body.end + 1, spec: body.spec, time };
  }
  return body;
}
