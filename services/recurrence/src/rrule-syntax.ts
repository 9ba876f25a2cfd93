/**
 * A strict check of RFC 5545 RRULE syntax. The `rrule` package parses leniently (`FREQ=SOMETIMES`
 * and `BYDAY=XX` pass silently), so rules are checked here, part by part, before they are stored.
 */

const FREQS = new Set(["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"]);
const WEEKDAYS = "(MO|TU|WE|TH|FR|SA|SU)";
const BYDAY = new RegExp(`^([+-]?(\\d{1,2}))?${WEEKDAYS}$`);
const UNTIL = /^(\d{4})(\d{2})(\d{2})(T(\d{2})(\d{2})(\d{2})Z?)?$/;

/** True when an UNTIL match names a real calendar date (and time of day). */
function realDateTime(m: RegExpExecArray): boolean {
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return false;
  if (m[4] === undefined) return true;
  return Number(m[5]) <= 23 && Number(m[6]) <= 59 && Number(m[7]) <= 59;
}

function intList(value: string, min: number, max: number, allowNegative: boolean): string | undefined {
  for (const part of value.split(",")) {
    if (!/^[+-]?\d{1,6}$/.test(part)) return `"${part}" is not a number`;
    const n = Number(part);
    if (n === 0 && min > 0) return `${part} is out of range`;
    if (n < 0 && !allowNegative) return `${part} must not be negative`;
    if (Math.abs(n) < min || Math.abs(n) > max)
      return `${part} is out of range ${allowNegative ? "±" : ""}${min}..${max}`;
  }
  return undefined;
}

/**
 * Describes the first problem with `rule` (without `RRULE:` prefix or DTSTART), or returns undefined
 * when it is a valid rule Todo can run. Sub-hourly frequencies are refused: tasks repeat at most
 * hourly.
 */
export function rruleProblem(rule: string): string | undefined {
  if (rule.length > 500) return "must be at most 500 characters";
  if (/^(RRULE:|DTSTART)/i.test(rule))
    return "give the rule alone, without RRULE: or DTSTART (the due time starts it)";
  const parts = new Map<string, string>();
  const seen = { has: (k: string) => parts.has(k) };
  for (const part of rule.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) return `"${part}" is not a NAME=VALUE part`;
    const name = part.slice(0, eq).toUpperCase();
    const value = part.slice(eq + 1).toUpperCase();
    if (parts.has(name)) return `${name} is given twice`;
    parts.set(name, value);
    if (value === "") return `${name} has no value`;
    let problem: string | undefined;
    switch (name) {
      case "FREQ":
        if (!FREQS.has(value)) {
          problem = ["MINUTELY", "SECONDLY"].includes(value)
            ? "tasks repeat at most hourly"
            : `"${value}" is not one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY`;
        }
        break;
      case "INTERVAL":
        problem = intList(value, 1, 1000, false);
        if (!problem && value.includes(",")) problem = "takes one number";
        break;
      case "COUNT":
        problem = intList(value, 1, 10000, false);
        if (!problem && value.includes(",")) problem = "takes one number";
        break;
      case "UNTIL": {
        const m = UNTIL.exec(value);
        if (!m) problem = `"${value}" is not a date (20271231) or UTC date-time (20271231T235959Z)`;
        else if (!realDateTime(m)) problem = `"${value}" is not a real date and time`;
        break;
      }
      case "BYDAY":
        for (const d of value.split(",")) {
          const m = BYDAY.exec(d);
          if (!m) problem = `"${d}" is not a weekday such as MO, 2FR or -1SU`;
          else if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 53))
            problem = `${d}: ordinal out of range`;
          if (problem) break;
        }
        break;
      case "BYMONTHDAY":
        problem = intList(value, 1, 31, true);
        break;
      case "BYYEARDAY":
        problem = intList(value, 1, 366, true);
        break;
      case "BYWEEKNO":
        problem = intList(value, 1, 53, true);
        break;
      case "BYMONTH":
        problem = intList(value, 1, 12, false);
        break;
      case "BYSETPOS":
        problem = intList(value, 1, 366, true);
        break;
      case "BYHOUR":
        problem = intList(value, 0, 23, false);
        break;
      case "BYMINUTE":
        problem = intList(value, 0, 59, false);
        break;
      case "BYSECOND":
        problem = intList(value, 0, 59, false);
        break;
      case "WKST":
        if (!new RegExp(`^${WEEKDAYS}$`).test(value)) problem = `"${value}" is not a weekday`;
        break;
      default:
        problem = `unknown part ${name}`;
    }
    if (problem) return `${name}: ${problem}`;
  }
  if (!seen.has("FREQ")) return "FREQ is required, for example FREQ=WEEKLY;BYDAY=MO";
  const freq = parts.get("FREQ") as string;
  // RFC 5545 §3.3.10: which BYxxx parts each frequency allows.
  if (
    parts.has("BYDAY") &&
    !["MONTHLY", "YEARLY"].includes(freq) &&
    /\d/.test(parts.get("BYDAY") as string)
  ) {
    return "BYDAY: a numbered weekday (2FR, -1SU) needs FREQ=MONTHLY or FREQ=YEARLY";
  }
  if (parts.has("BYWEEKNO") && freq !== "YEARLY") return "BYWEEKNO: only allowed with FREQ=YEARLY";
  if (parts.has("BYMONTHDAY") && freq === "WEEKLY") return "BYMONTHDAY: not allowed with FREQ=WEEKLY";
  if (parts.has("BYYEARDAY") && ["DAILY", "WEEKLY", "MONTHLY"].includes(freq)) {
    return "BYYEARDAY: not allowed with FREQ=DAILY, WEEKLY or MONTHLY";
  }
  if (parts.has("BYSETPOS") && ![...parts.keys()].some((k) => k.startsWith("BY") && k !== "BYSETPOS")) {
    return "BYSETPOS: needs another BYxxx part to pick from";
  }
  if (seen.has("COUNT") && seen.has("UNTIL")) return "COUNT and UNTIL cannot both be given";
  return undefined;
}
