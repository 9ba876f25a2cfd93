/**
 * The filters of the ListTasks property test: random syntax trees, printed to filter text, and an
 * evaluator written from docs/filtering.md, not from the implementation.
 */
import fc from "fast-check";
import { Temporal } from "temporal-polyfill";
import { instantArb, type ModelTask, NOW, TAGS, WORDS, ZONE } from "./list-tasks-model";

export type TimeSpec =
  | { kind: "instant"; ms: number; offsetMinutes: number }
  | { kind: "date"; date: string }
  | { kind: "local"; dateTime: string; seconds: boolean }
  | {
      kind: "relative";
      base: "now" | "today";
      offset: { amount: number; unit: "s" | "m" | "h" | "d" | "w" } | null;
    };

export type Restriction =
  | { field: "status"; op: "=" | "!=" | ":"; value: 1 | 2; spelling: string }
  | { field: "priority"; op: Op; value: number; spelling: string }
  | { field: "tags"; op: "=" | "!=" | ":"; tag: string }
  | { field: "tags" | TimeField; op: ":"; presence: true }
  | { field: TimeField; op: Exclude<Op, ":">; time: TimeSpec; quoted: boolean }
  | { field: "title"; op: "=" | "!=" | ":"; text: string; quoted: boolean };

export type Op = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":";
export type TimeField = "due_time" | "complete_time" | "create_time" | "update_time";

export type Node =
  | { kind: "r"; r: Restriction; space: boolean }
  | { kind: "and"; operands: Node[]; implicit: boolean; parens: boolean }
  | { kind: "or"; operands: Node[]; parens: boolean }
  | { kind: "not"; operand: Node; dash: boolean };

export const STATUS_SPELLINGS: [string, 1 | 2][] = [
  ["OPEN", 1],
  ["open", 1],
  ["TASK_STATUS_OPEN", 1],
  ["COMPLETED", 2],
  ["Completed", 2],
  ["task_status_completed", 2],
];
export const PRIORITY_SPELLINGS: [string, number][] = [
  ["UNSPECIFIED", 0],
  ["PRIORITY_UNSPECIFIED", 0],
  ["LOW", 1],
  ["low", 1],
  ["MEDIUM", 2],
  ["PRIORITY_MEDIUM", 2],
  ["HIGH", 3],
  ["High", 3],
  ["URGENT", 4],
  ["priority_urgent", 4],
];

export const pad = (n: number, w = 2) => String(n).padStart(w, "0");

export const timeSpecArb: fc.Arbitrary<TimeSpec> = fc.oneof(
  fc.record({
    kind: fc.constant("relative" as const),
    base: fc.constantFrom("now" as const, "today" as const),
    offset: fc.option(
      fc.oneof(
        fc.record({ amount: fc.integer({ min: -999_999, max: 999_999 }), unit: fc.constant("s" as const) }),
        fc.record({ amount: fc.integer({ min: -50_000, max: 50_000 }), unit: fc.constant("m" as const) }),
        fc.record({ amount: fc.integer({ min: -800, max: 800 }), unit: fc.constant("h" as const) }),
        fc.record({ amount: fc.integer({ min: -25, max: 25 }), unit: fc.constant("d" as const) }),
        fc.record({ amount: fc.integer({ min: -4, max: 4 }), unit: fc.constant("w" as const) }),
      ),
      { nil: null },
    ),
  }),
  fc.integer({ min: -25, max: 25 }).map((d): TimeSpec => {
    const date = Temporal.Instant.fromEpochMilliseconds(NOW)
      .toZonedDateTimeISO(ZONE)
      .toPlainDate()
      .add({ days: d });
    return { kind: "date", date: date.toString() };
  }),
  fc
    .record({
      day: fc.integer({ min: -10, max: 10 }),
      hour: fc.constantFrom(0, 1, 2, 3, 9, 15, 23),
      minute: fc.constantFrom(0, 30, 59),
      seconds: fc.boolean(),
    })
    .map(({ day, hour, minute, seconds }): TimeSpec => {
      // Includes 2026-03-08T02:30, a wall-clock time that does not exist in New York.
      const date = Temporal.Instant.fromEpochMilliseconds(NOW)
        .toZonedDateTimeISO(ZONE)
        .toPlainDate()
        .add({ days: day });
      return {
        kind: "local",
        dateTime: `${date}T${pad(hour)}:${pad(minute)}${seconds ? ":00" : ""}`,
        seconds,
      };
    }),
  fc
    .record({ ms: instantArb, offsetMinutes: fc.constantFrom(0, 0, -300, -240, 330, 540) })
    .map(({ ms, offsetMinutes }): TimeSpec => ({ kind: "instant", ms, offsetMinutes })),
);

export function printTime(t: TimeSpec): string {
  switch (t.kind) {
    case "relative": {
      if (!t.offset) return t.base;
      const { amount, unit } = t.offset;
      return `${t.base}${amount < 0 ? "-" : "+"}${Math.abs(amount)}${unit}`;
    }
    case "date":
      return t.date;
    case "local":
      return t.dateTime;
    case "instant": {
      const shifted = new Date(t.ms + t.offsetMinutes * 60_000).toISOString().slice(0, 23);
      if (t.offsetMinutes === 0) return `${shifted}Z`;
      const sign = t.offsetMinutes < 0 ? "-" : "+";
      const abs = Math.abs(t.offsetMinutes);
      return `${shifted}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
    }
  }
}

/** The instant a time value means for a caller in ZONE at NOW (docs/filtering.md, "Times"). */
export function resolveTime(t: TimeSpec): number {
  const now = Temporal.Instant.fromEpochMilliseconds(NOW).toZonedDateTimeISO(ZONE);
  const startOf = (d: Temporal.PlainDate) => d.toZonedDateTime({ timeZone: ZONE }).epochMilliseconds;
  switch (t.kind) {
    case "instant":
      return t.ms;
    case "date":
      return startOf(Temporal.PlainDate.from(t.date));
    case "local":
      // A skipped wall-clock time moves forward by the gap; a repeated one takes the earlier instant.
      return Temporal.PlainDateTime.from(t.dateTime).toZonedDateTime(ZONE, { disambiguation: "compatible" })
        .epochMilliseconds;
    case "relative": {
      const base = t.base === "now" ? now.epochMilliseconds : startOf(now.toPlainDate());
      if (!t.offset) return base;
      const { amount, unit } = t.offset;
      if (unit === "d" || unit === "w") {
        const days = unit === "w" ? amount * 7 : amount;
        // Calendar days: today+Nd is the start of that day; now+Nd the same wall-clock time.
        return t.base === "today"
          ? startOf(now.toPlainDate().add({ days }))
          : now.add({ days }).epochMilliseconds;
      }
      return base + amount * { s: 1000, m: 60_000, h: 3_600_000 }[unit];
    }
  }
}

export const FIELD_TIME: Record<TimeField, (t: ModelTask) => number | null> = {
  due_time: (t) => t.due,
  complete_time: (t) => t.complete,
  create_time: (t) => t.create,
  update_time: (t) => t.update,
};

export function compare(op: Exclude<Op, ":">, a: number, b: number): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

export function evalRestriction(r: Restriction, t: ModelTask): boolean {
  if ("presence" in r) {
    if (r.field === "tags") return t.tags.length > 0;
    return FIELD_TIME[r.field](t) !== null;
  }
  switch (r.field) {
    case "status":
      return r.op === "!=" ? t.status !== r.value : t.status === r.value;
    case "priority":
      return compare(r.op === ":" ? "=" : r.op, t.priority, r.value);
    case "tags": {
      const has = t.tags.some((tag) => tag.toLowerCase() === r.tag.trim().toLowerCase());
      return r.op === "!=" ? !has : has;
    }
    case "title": {
      const title = t.title.toLowerCase();
      const text = r.text.toLowerCase();
      if (r.op === ":") return title.includes(text);
      return r.op === "=" ? title === text : title !== text;
    }
    default: {
      const value = FIELD_TIME[r.field](t);
      // Every comparison with a missing value is false (even !=).
      return value !== null && compare(r.op, value, resolveTime(r.time));
    }
  }
}

export function evalNode(n: Node, t: ModelTask): boolean {
  switch (n.kind) {
    case "r":
      return evalRestriction(n.r, t);
    case "and":
      return n.operands.every((o) => evalNode(o, t));
    case "or":
      return n.operands.some((o) => evalNode(o, t));
    case "not":
      return !evalNode(n.operand, t);
  }
}

export const quote = (s: string) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

export function printRestriction(r: Restriction, space: boolean): string {
  const sp = space ? " " : "";
  let value: string;
  if ("presence" in r) return `${r.field}:*`;
  switch (r.field) {
    case "status":
    case "priority":
      value = r.spelling;
      break;
    case "tags":
      value = /^[a-z0-9]+$/i.test(r.tag) ? r.tag : quote(r.tag);
      break;
    case "title":
      value = r.quoted || !/^[A-Za-z0-9%_]+$/.test(r.text) ? quote(r.text) : r.text;
      break;
    default:
      value = r.quoted ? quote(printTime(r.time)) : printTime(r.time);
  }
  return `${r.field}${sp}${r.op}${sp}${value}`;
}

/**
 * Prints a tree with AIP-160 precedence (NOT tightest, then OR, then AND): an OR inside an AND needs
 * no parentheses, an AND inside an OR does, and a negation applies to one restriction or group.
 */
export function printNode(n: Node, context: "top" | "and" | "or" | "not"): string {
  switch (n.kind) {
    case "r":
      return printRestriction(n.r, n.space);
    case "and": {
      const text = n.operands.map((o) => printNode(o, "and")).join(n.implicit ? " " : " AND ");
      return n.parens || context === "or" || context === "not" ? `(${text})` : text;
    }
    case "or": {
      const text = n.operands.map((o) => printNode(o, "or")).join(" OR ");
      return n.parens || context === "not" ? `(${text})` : text;
    }
    case "not": {
      const inner = printNode(n.operand, "not");
      const text = n.dash ? `-${inner}` : `NOT ${inner}`;
      return context === "not" ? `(${text})` : text;
    }
  }
}

export const timeFieldArb = fc.constantFrom<TimeField>(
  "due_time",
  "complete_time",
  "create_time",
  "update_time",
);

export const restrictionArb: fc.Arbitrary<Restriction> = fc.oneof(
  fc
    .record({
      field: fc.constant("status" as const),
      op: fc.constantFrom("=" as const, "!=" as const, ":" as const),
      s: fc.constantFrom(...STATUS_SPELLINGS),
    })
    .map(({ field, op, s }): Restriction => ({ field, op, spelling: s[0], value: s[1] })),
  fc
    .record({
      field: fc.constant("priority" as const),
      op: fc.constantFrom<Op>("=", "!=", "<", "<=", ">", ">=", ":"),
      s: fc.constantFrom(...PRIORITY_SPELLINGS),
    })
    .map(({ field, op, s }): Restriction => ({ field, op, spelling: s[0], value: s[1] })),
  {
    weight: 2,
    arbitrary: fc.record({
      field: fc.constant("tags" as const),
      op: fc.constantFrom("=" as const, "!=" as const, ":" as const),
      // Any case; "nope" is on no task.
      tag: fc.constantFrom(...TAGS, "WORK", "home", "nope"),
    }),
  },
  fc.record({
    field: fc.constantFrom<"tags" | TimeField>(
      "tags",
      "due_time",
      "complete_time",
      "create_time",
      "update_time",
    ),
    op: fc.constant(":" as const),
    presence: fc.constant(true as const),
  }),
  {
    weight: 4,
    arbitrary: fc.record({
      field: timeFieldArb,
      op: fc.constantFrom<Exclude<Op, ":">>("=", "!=", "<", "<=", ">", ">="),
      time: timeSpecArb,
      quoted: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      field: fc.constant("title" as const),
      op: fc.constantFrom("=" as const, "!=" as const, ":" as const),
      text: fc.oneof(
        fc.constantFrom(...WORDS, "0%", "_", "x_", "meet", "MILK BUY", "ILK"),
        fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 2 }).map((w) => w.join(" ")),
      ),
      quoted: fc.boolean(),
    }),
  },
);

export const { node: nodeArb } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant("r" as const), r: restrictionArb, space: fc.boolean() }),
    },
    fc.record({
      kind: fc.constant("and" as const),
      operands: fc.array(tie("node"), { minLength: 2, maxLength: 3 }),
      implicit: fc.boolean(),
      parens: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant("or" as const),
      operands: fc.array(tie("node"), { minLength: 2, maxLength: 3 }),
      parens: fc.boolean(),
    }),
    fc.record({ kind: fc.constant("not" as const), operand: tie("node"), dash: fc.boolean() }),
  ),
}));

export const filterArb = fc.option(nodeArb, { nil: undefined, freq: 8 });
