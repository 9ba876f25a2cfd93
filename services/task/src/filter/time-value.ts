/**
 * Time values in filters: reading their text (`2026-12-01T09:00:00Z`, `2026-12-01`, `today+7d`, …) and
 * turning them into instants for one caller. All calendar math goes through the Temporal polyfill in the
 * caller's IANA time zone — never the process's own zone — so a server in UTC and a laptop in Tokyo give
 * the same answer.
 */
import { Temporal } from "temporal-polyfill";
import type { TimeUnit, TimeValue } from "./ast";
import { filterError, show } from "./filter-error";

const TIME_HINT =
  "use an RFC 3339 timestamp (2026-12-01T09:00:00Z), a date (2026-12-01), or now/today with an optional offset (today+7d, now-2h)";
const UNIT_HINT = "use s, m, h, d or w (e.g. today+7d); months and years are not supported";
const UNITS: readonly TimeUnit[] = ["s", "m", "h", "d", "w"];
/** Offsets are at most this many units: far beyond any useful filter, well inside Temporal's range. */
const MAX_OFFSET_DIGITS = 6;

const RELATIVE = /^(now|today)(?:([+-])(\d*)([A-Za-z]*))?$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})?$/;

function checkDate(text: string, y: string, m: string, d: string, offset: number): Temporal.PlainDate {
  const year = Number(y);
  if (year < 1) throw filterError(`${show(text)} is out of range`, offset, "years run from 0001 to 9999");
  try {
    return Temporal.PlainDate.from({ year, month: Number(m), day: Number(d) }, { overflow: "reject" });
  } catch {
    throw filterError(
      `${show(text)} is not a valid date`,
      offset,
      "write dates as YYYY-MM-DD, e.g. 2026-12-01",
    );
  }
}

/**
 * Reads a time value as written in a filter. `offset` is where the value starts in the filter and
 * `field` the field it is compared with, both for error messages. Throws FilterError when the text is not a time.
 */
export function parseTimeValue(text: string, offset: number, field = "the field"): TimeValue {
  const relative = RELATIVE.exec(text);
  if (relative) {
    const base = relative[1]?.toLowerCase() === "now" ? "now" : "today";
    const sign = relative[2];
    if (sign === undefined) return { kind: "relative", base, offset: null };
    const digits = relative[3] ?? "";
    const unit = relative[4] ?? "";
    const at = offset + base.length + 1;
    if (digits === "") throw filterError(`expected a number after "${base}${sign}"`, at, UNIT_HINT);
    if (digits.length > MAX_OFFSET_DIGITS) {
      throw filterError(
        `the offset "${sign}${digits}${unit}" is too large`,
        at,
        `use at most ${MAX_OFFSET_DIGITS} digits`,
      );
    }
    if (!UNITS.includes(unit as TimeUnit)) {
      const where = at + digits.length;
      if (unit === "") throw filterError(`missing unit after "${base}${sign}${digits}"`, where, UNIT_HINT);
      throw filterError(`unknown unit ${show(unit)}`, where, UNIT_HINT);
    }
    const amount = Number(digits) * (sign === "-" ? -1 : 1);
    return { kind: "relative", base, offset: { amount: amount === 0 ? 0 : amount, unit: unit as TimeUnit } };
  }

  const date = DATE.exec(text);
  if (date) {
    const [, y = "", m = "", d = ""] = date;
    return { kind: "date", date: checkDate(text, y, m, d, offset).toString() };
  }

  const dateTime = DATE_TIME.exec(text);
  if (dateTime) {
    const [, y = "", mo = "", d = "", h = "", mi = "", s = "00", fraction, zone] = dateTime;
    const plainDate = checkDate(text, y, mo, d, offset);
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
      throw filterError(
        `${show(text)} is not a valid time of day`,
        offset,
        "hours run 00–23, minutes and seconds 00–59",
      );
    }
    const clock = `${h}:${mi}:${s}${fraction ? `.${fraction}` : ""}`;
    if (zone === undefined) {
      return { kind: "local", dateTime: Temporal.PlainDateTime.from(`${plainDate}T${clock}`).toString() };
    }
    const normalizedZone = zone.toUpperCase();
    if (normalizedZone !== "Z" && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4, 6)) > 59)) {
      throw filterError(
        `${show(text)} has an invalid UTC offset`,
        offset,
        "offsets run from -23:59 to +23:59",
      );
    }
    const instant = Temporal.Instant.from(`${plainDate}T${clock}${normalizedZone}`);
    return { kind: "instant", epochMilliseconds: instant.epochMilliseconds };
  }

  const lower = text.toLowerCase();
  if (lower === "tomorrow" || lower === "yesterday") {
    throw filterError(
      `${show(text)} is not a time`,
      offset,
      `write ${lower === "tomorrow" ? "today+1d" : "today-1d"}`,
    );
  }
  if (lower === "null" || lower === "none" || lower === "nil") {
    throw filterError(
      `${show(text)} is not a time`,
      offset,
      `to find tasks without one write NOT ${field}:*`,
    );
  }
  if (/^(now|today)/i.test(text)) {
    throw filterError(
      `${show(text)} is not a time`,
      offset,
      "write one offset right after now/today, e.g. today+7d or now-2h",
    );
  }
  throw filterError(`${show(text)} is not a time`, offset, TIME_HINT);
}

/** What a time value needs to become an instant. */
export interface TimeContext {
  /** The current instant. */
  readonly now: Date;
  /** The caller's IANA time zone, already checked to be valid. */
  readonly timeZone: string;
}

/**
 * The instant a time value denotes for this caller.
 *
 * - `now` is `ctx.now`; `today` is the start of the current day in `ctx.timeZone` (the first instant
 *   of that day, which is midnight except on the rare days a DST change skips midnight).
 * - `s`, `m`, `h` offsets are exact durations. `d` and `w` offsets move by calendar days in the time
 *   zone: `today+7d` is the start of the day a week from today even if a DST change lies between, and
 *   `now+1d` is the same wall-clock time tomorrow.
 * - A date is the start of that day in the time zone; a local date-time is that wall-clock time in the
 *   time zone (a time skipped by DST moves forward, a repeated one takes the earlier instant).
 *
 * Throws RangeError when the result is outside Temporal's range (the compiler reports that).
 */
export function resolveTimeValue(time: TimeValue, ctx: TimeContext): Temporal.Instant {
  switch (time.kind) {
    case "instant":
      return Temporal.Instant.fromEpochMilliseconds(time.epochMilliseconds);
    case "date":
      return Temporal.PlainDate.from(time.date).toZonedDateTime(ctx.timeZone).toInstant();
    case "local":
      return Temporal.PlainDateTime.from(time.dateTime)
        .toZonedDateTime(ctx.timeZone, { disambiguation: "compatible" })
        .toInstant();
    case "relative": {
      const current = Temporal.Instant.fromEpochMilliseconds(ctx.now.getTime()).toZonedDateTimeISO(
        ctx.timeZone,
      );
      const { offset } = time;
      if (time.base === "now") {
        return offset ? current.add(toDuration(offset.amount, offset.unit)).toInstant() : current.toInstant();
      }
      const today = current.toPlainDate();
      if (offset && (offset.unit === "d" || offset.unit === "w")) {
        return today.add(toDuration(offset.amount, offset.unit)).toZonedDateTime(ctx.timeZone).toInstant();
      }
      const startOfToday = today.toZonedDateTime(ctx.timeZone);
      return offset
        ? startOfToday.add(toDuration(offset.amount, offset.unit)).toInstant()
        : startOfToday.toInstant();
    }
  }
}

function toDuration(amount: number, unit: TimeUnit): Temporal.Duration {
  switch (unit) {
    case "s":
      return Temporal.Duration.from({ seconds: amount });
    case "m":
      return Temporal.Duration.from({ minutes: amount });
    case "h":
      return Temporal.Duration.from({ hours: amount });
    case "d":
      return Temporal.Duration.from({ days: amount });
    case "w":
      return Temporal.Duration.from({ days: amount * 7 });
  }
}
