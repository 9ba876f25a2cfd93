import { describe, expect, it } from "bun:test";
import { Priority, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import type { FilterNode, RestrictionNode } from "./ast";
import { FilterError } from "./filter-error";
import { MAX_FILTER_LENGTH, MAX_NESTING_DEPTH, MAX_RESTRICTIONS, parseFilter } from "./parser";

/** Renders a tree compactly: restrictions as their source text, groups as and(...), or(...), not(...). */
function render(filter: string): string {
  const { root } = parseFilter(filter);
  const go = (node: FilterNode): string => {
    switch (node.kind) {
      case "and":
        return `and(${node.operands.map(go).join(", ")})`;
      case "or":
        return `or(${node.operands.map(go).join(", ")})`;
      case "not":
        return `not(${go(node.operand)})`;
      case "restriction":
        return filter.slice(node.offset, node.end);
    }
  };
  return root ? go(root) : "<empty>";
}

function restriction(filter: string): RestrictionNode {
  const { root } = parseFilter(filter);
  if (root?.kind !== "restriction") throw new Error(`not a single restriction: ${filter}`);
  return root;
}

function parseError(filter: string): FilterError {
  try {
    parseFilter(filter);
  } catch (error) {
    if (error instanceof FilterError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(filter)} to fail`);
}

describe("empty filters", () => {
  it("gives no tree for empty or blank input", () => {
    expect(parseFilter("")).toEqual({ source: "", root: null });
    expect(parseFilter("   \t\n ").root).toBeNull();
  });
});

describe("precedence (AIP-160: NOT, then OR, then AND)", () => {
  it.each([
    [
      "status = open AND priority = HIGH OR priority = URGENT",
      "and(status = open, or(priority = HIGH, priority = URGENT))",
    ],
    [
      "priority = HIGH OR priority = URGENT AND status = open",
      "and(or(priority = HIGH, priority = URGENT), status = open)",
    ],
    ["tags:a tags:b OR tags:c", "and(tags:a, or(tags:b, tags:c))"],
    ["tags:a OR tags:b tags:c", "and(or(tags:a, tags:b), tags:c)"],
    ["NOT tags:a OR tags:b", "or(not(tags:a), tags:b)"],
    ["-tags:a tags:b", "and(not(tags:a), tags:b)"],
    ["(tags:a AND tags:b) OR tags:c", "or(and(tags:a, tags:b), tags:c)"],
    ["NOT (tags:a OR tags:b)", "not(or(tags:a, tags:b))"],
    ["tags:a AND tags:b AND tags:c", "and(tags:a, tags:b, tags:c)"],
    ["tags:a tags:b AND tags:c tags:d", "and(tags:a, tags:b, tags:c, tags:d)"],
    ["tags:a OR tags:b OR tags:c", "or(tags:a, tags:b, tags:c)"],
    ["((tags:a))", "tags:a"],
    ["(tags:a OR tags:b) (tags:c OR tags:d)", "and(or(tags:a, tags:b), or(tags:c, tags:d))"],
    [
      "(priority = URGENT OR due_time < now) AND status = open",
      "and(or(priority = URGENT, due_time < now), status = open)",
    ],
  ])("%s", (filter, tree) => {
    expect(render(filter)).toBe(tree);
  });
});

describe("spacing and tokens", () => {
  it.each([
    ["status=open", "status=open"],
    ["  status  =  open  ", "status  =  open"],
    ["priority>=high", "priority>=high"],
    ["status=open\tpriority>=high\n", "and(status=open, priority>=high)"],
    ["NOT(tags:*)", "not(tags:*)"],
    ["-(tags:a OR tags:b)", "not(or(tags:a, tags:b))"],
    ["(tags:a)(tags:b)", "and(tags:a, tags:b)"],
    ["tags:a AND(tags:b)", "and(tags:a, tags:b)"],
    ["due_time < 2026-12-01T09:00:00+02:00", "due_time < 2026-12-01T09:00:00+02:00"],
    ["due_time<today-7d", "due_time<today-7d"],
  ])("%j parses as %s", (filter, tree) => {
    expect(render(filter)).toBe(tree);
  });

  it("reads keywords as plain values where a value stands", () => {
    expect(restriction("title:AND").value).toMatchObject({ type: "text", text: "AND" });
    expect(render("title:OR tags:NOT")).toBe("and(title:OR, tags:NOT)");
  });

  it("records spans of every node", () => {
    const { root } = parseFilter("  NOT (tags:a OR title:b) ");
    expect(root).toMatchObject({ kind: "not", syntax: "NOT", offset: 2, end: 25 });
    if (root?.kind !== "not") throw new Error("not a NOT");
    expect(root.operand).toMatchObject({ kind: "or", offset: 7, end: 24 });
    const r = restriction('title = "a b"');
    expect(r).toMatchObject({ offset: 0, end: 13, value: { raw: '"a b"', offset: 8, end: 13, text: "a b" } });
  });

  it("marks - and NOT negations", () => {
    expect(parseFilter("-tags:*").root).toMatchObject({ kind: "not", syntax: "-" });
    expect(parseFilter("NOT tags:*").root).toMatchObject({ kind: "not", syntax: "NOT" });
  });
});

describe("fields and values", () => {
  it("resolves enum values by full or short name, case-insensitively", () => {
    for (const text of ["HIGH", "high", "High", "PRIORITY_HIGH", "priority_high"]) {
      expect(restriction(`priority >= ${text}`).value).toMatchObject({
        type: "enum",
        name: "PRIORITY_HIGH",
        number: Priority.HIGH,
      });
    }
    expect(restriction("status = TASK_STATUS_OPEN").value).toMatchObject({ number: TaskStatus.OPEN });
    expect(restriction("status = open").value).toMatchObject({ number: TaskStatus.OPEN });
    expect(restriction("status:Completed").value).toMatchObject({ number: TaskStatus.COMPLETED });
    expect(restriction('status = "open"').value).toMatchObject({ number: TaskStatus.OPEN });
    expect(restriction("priority = UNSPECIFIED").value).toMatchObject({ number: Priority.UNSPECIFIED });
    expect(restriction("priority = urgent").value).toMatchObject({ number: Priority.URGENT });
  });

  it("accepts every operator each field supports", () => {
    for (const op of ["=", "!=", ":"] as const) expect(restriction(`status ${op} open`).comparator).toBe(op);
    for (const op of ["=", "!=", "<", "<=", ">", ">=", ":"] as const) {
      expect(restriction(`priority ${op} low`).comparator).toBe(op);
    }
    for (const op of ["=", "!=", ":"] as const) {
      expect(restriction(`tags ${op} work`).comparator).toBe(op);
      expect(restriction(`title ${op} work`).comparator).toBe(op);
    }
    for (const field of ["due_time", "create_time", "update_time", "complete_time"]) {
      for (const op of ["=", "!=", "<", "<=", ">", ">="] as const) {
        expect(restriction(`${field} ${op} now`)).toMatchObject({ field, comparator: op });
      }
      expect(restriction(`${field}:*`).value.type).toBe("presence");
    }
  });

  it("normalises tags like the store does (trimmed, lower-case)", () => {
    expect(restriction("tags:Work").value).toMatchObject({ type: "text", text: "work" });
    expect(restriction('tags = "  Deep Work "').value).toMatchObject({ text: "deep work" });
    expect(restriction("tags:*").value.type).toBe("presence");
    expect(restriction('tags:"*"').value).toMatchObject({ type: "text", text: "*" });
  });

  it("keeps title text as written", () => {
    expect(restriction('title = "Buy Milk "').value).toMatchObject({ type: "text", text: "Buy Milk " });
    expect(restriction("title:50%_off").value).toMatchObject({ text: "50%_off" });
    expect(restriction('title:""').value).toMatchObject({ text: "" });
    expect(restriction('title:"a*b"').value).toMatchObject({ text: "a*b" });
    expect(restriction("title:it's").value).toMatchObject({ text: "it's" });
  });

  it("decodes escapes in quoted strings", () => {
    expect(restriction(String.raw`title = "say \"hi\" \\ \n\t\r \u00e9 \'"`).value).toMatchObject({
      text: 'say "hi" \\ \n\t\r \u00e9 \'',
    });
  });

  it("reads every form of time value", () => {
    const time = (text: string) => {
      const { value } = restriction(`due_time < ${text}`);
      if (value.type !== "time") throw new Error("not a time");
      return value.time;
    };
    expect(time("2026-12-01T09:00:00Z")).toEqual({
      kind: "instant",
      epochMilliseconds: Date.UTC(2026, 11, 1, 9),
    });
    expect(time("2026-12-01t09:00:00z")).toEqual({
      kind: "instant",
      epochMilliseconds: Date.UTC(2026, 11, 1, 9),
    });
    expect(time("2026-12-01T09:00:00+02:00")).toEqual({
      kind: "instant",
      epochMilliseconds: Date.UTC(2026, 11, 1, 7),
    });
    expect(time("2026-12-01T09:00:00-05:30")).toEqual({
      kind: "instant",
      epochMilliseconds: Date.UTC(2026, 11, 1, 14, 30),
    });
    expect(time("2026-12-01T09:00:00.25Z")).toEqual({
      kind: "instant",
      epochMilliseconds: Date.UTC(2026, 11, 1, 9, 0, 0, 250),
    });
    expect(time("2026-12-01T09:00Z")).toEqual({
      kind: "instant",
      epochMilliseconds: Date.UTC(2026, 11, 1, 9),
    });
    expect(time('"2026-12-01T09:00:00Z"')).toEqual({
      kind: "instant",
      epochMilliseconds: Date.UTC(2026, 11, 1, 9),
    });
    expect(time("2026-12-01")).toEqual({ kind: "date", date: "2026-12-01" });
    expect(time("2026-12-01T09:00")).toEqual({ kind: "local", dateTime: "2026-12-01T09:00:00" });
    expect(time("2026-12-01T09:00:30.5")).toEqual({ kind: "local", dateTime: "2026-12-01T09:00:30.5" });
    expect(time("now")).toEqual({ kind: "relative", base: "now", offset: null });
    expect(time("TODAY")).toEqual({ kind: "relative", base: "today", offset: null });
    expect(time("today+7d")).toEqual({ kind: "relative", base: "today", offset: { amount: 7, unit: "d" } });
    expect(time("now-2h")).toEqual({ kind: "relative", base: "now", offset: { amount: -2, unit: "h" } });
    expect(time("today-1w")).toEqual({ kind: "relative", base: "today", offset: { amount: -1, unit: "w" } });
    expect(time("now+30m")).toEqual({ kind: "relative", base: "now", offset: { amount: 30, unit: "m" } });
    expect(time("now+90s")).toEqual({ kind: "relative", base: "now", offset: { amount: 90, unit: "s" } });
    expect(time("now-0d")).toEqual({ kind: "relative", base: "now", offset: { amount: 0, unit: "d" } });
  });
});

describe("errors say what broke, where, and what to write", () => {
  it.each<[string, number, string]>([
    // [filter, offset, exact message]
    [
      "prio >= HIGH",
      0,
      'unknown field "prio" at column 1; did you mean "priority"? fields: status, priority, tags, due_time, create_time, update_time, complete_time, title',
    ],
    ["priority >=", 11, 'expected a value after ">=" at column 12'],
    [
      "priority >= HIGHEST",
      12,
      '"HIGHEST" is not a priority at column 13; use one of LOW, MEDIUM, HIGH, URGENT (or UNSPECIFIED)',
    ],
    [
      "status = (open",
      9,
      'expected a value after "=" at column 10; parentheses cannot group values; write (status = OPEN OR status = COMPLETED)',
    ],
    ["(tags:a OR tags:b", 0, 'unbalanced parenthesis at column 1; "(" is never closed'],
    ["tags:a) AND tags:b", 6, 'unbalanced parenthesis at column 7; ")" has no matching "("'],
    [")", 0, 'unbalanced parenthesis at column 1; ")" has no matching "("'],
    ["(", 0, 'unbalanced parenthesis at column 1; "(" is never closed'],
    ["tags:a ()", 7, "empty parentheses at column 8; put a restriction inside, e.g. (tags:work)"],
    [
      "meeting",
      0,
      '"meeting" has no field at column 1; a filter compares a field with a value (e.g. title:meeting); for free-text search use the query field of ListTasks instead',
    ],
    [
      '"buy milk"',
      0,
      '"buy milk" has no field at column 1; a filter compares a field with a value (e.g. title:meeting); for free-text search use the query field of ListTasks instead',
    ],
    [
      "title = Buy milk",
      12,
      '"milk" has no field at column 13; to match text with spaces, quote it: title = "Buy milk"',
    ],
    [
      "status = open and tags:x",
      14,
      '"and" is not an operator here at column 15; write AND, OR and NOT in capitals',
    ],
    ["not tags:x", 0, '"not" is not an operator here at column 1; write AND, OR and NOT in capitals'],
    [
      "status open",
      7,
      'expected an operator after "status" at column 8; status takes = != :, e.g. status = OPEN',
    ],
    ["tags:a AND", 10, 'expected a restriction after "AND" at column 11; e.g. status = OPEN'],
    ["tags:a OR", 9, 'expected a restriction after "OR" at column 10; e.g. status = OPEN'],
    ["NOT", 3, 'expected a restriction after "NOT" at column 4; e.g. status = OPEN'],
    ["(tags:a AND)", 11, 'expected a restriction after "AND" at column 12; e.g. status = OPEN'],
    ["AND tags:a", 0, 'unexpected "AND" at column 1; AND and OR go between two restrictions'],
    ["(-)", 2, 'expected a restriction right after "-" at column 3; write -tags:* with no space, or use NOT'],
    ["tags:a OR OR tags:b", 10, 'unexpected "OR" at column 11; expected a restriction after "OR"'],
    ["tags:a AND OR tags:b", 11, 'unexpected "OR" at column 12; expected a restriction after "AND"'],
    [
      "NOT NOT tags:a",
      4,
      'expected a restriction or "(" after "NOT" at column 5; a negation cannot be negated again directly; write NOT (NOT ...) if you mean it',
    ],
    [
      "--tags:a",
      1,
      'expected a restriction or "(" after "-" at column 2; a negation cannot be negated again directly; write NOT (NOT ...) if you mean it',
    ],
    [
      "- tags:*",
      1,
      'expected a restriction right after "-" at column 2; write -tags:* with no space, or use NOT',
    ],
    [
      "due_time < today -7d",
      17,
      'unexpected "-7d" at column 18; write time offsets without spaces, e.g. due_time < today-7d',
    ],
    [
      "due_time < today +7d",
      17,
      'unexpected "+7d" at column 18; write time offsets without spaces, e.g. due_time < today+7d',
    ],
    [
      "= open",
      0,
      'expected a field name before "=" at column 1; fields: status, priority, tags, due_time, create_time, update_time, complete_time, title',
    ],
    ["status == open", 7, 'unknown operator "==" at column 8; use ='],
    ["status <> open", 7, 'unknown operator "<>" at column 8; use !='],
    ["status ! open", 7, 'unknown operator "!" at column 8; use != (or NOT before a restriction)'],
    [
      "status < open",
      7,
      '"<" cannot be used with status at column 8; status takes = != :, e.g. status = OPEN',
    ],
    ["tags >= a", 5, '">=" cannot be used with tags at column 6; tags takes = != :, e.g. tags:work'],
    ["title > a", 6, '">" cannot be used with title at column 7; title takes = != :, e.g. title:meeting'],
    [
      "due_time:today",
      8,
      '":" cannot compare due_time with a value at column 9; use = != < <= > >= (e.g. due_time < today+7d), or due_time:* to test that it is set',
    ],
    ["status = UNSPECIFIED", 9, '"UNSPECIFIED" is not a status at column 10; use OPEN or COMPLETED'],
    ["status = PRIORITY_HIGH", 9, '"PRIORITY_HIGH" is not a status at column 10; use OPEN or COMPLETED'],
    [
      "priority = 3",
      11,
      '"3" is not a priority at column 12; use one of LOW, MEDIUM, HIGH, URGENT (or UNSPECIFIED)',
    ],
    [
      'priority = "hig h"',
      12,
      '"hig h" is not a priority at column 13; use one of LOW, MEDIUM, HIGH, URGENT (or UNSPECIFIED)',
    ],
    [
      "status:*",
      7,
      '"status:*" is not supported at column 8; every task has a status; the presence test works on tags, due_time, create_time, update_time, complete_time',
    ],
    [
      "due_time = *",
      11,
      '"*" can only follow ":" at column 12; write due_time:* to test that due_time is set',
    ],
    [
      "title:meet*",
      10,
      "wildcards are not supported at column 11; title:meet already matches any title containing that text; quote the value to match a literal *",
    ],
    [
      "tags:wo*k",
      7,
      "wildcards are not supported at column 8; tags:wok already matches that tag; quote the value to match a literal *",
    ],
    ['tags:"  "', 5, "a tag cannot be empty at column 6; to find tasks without tags write NOT tags:*"],
    ['title:"abc', 6, 'unterminated string at column 7; close it with "'],
    [
      String.raw`title:"a\qb"`,
      8,
      String.raw`unknown escape "\\q" at column 9; inside quotes write \" for a quote, \\ for a backslash, \n \t \r or \uXXXX`,
    ],
    ['title:"a"b', 9, "expected a space after the quoted value at column 10"],
    [
      'title:ab"c"',
      8,
      `unexpected '"' inside a value at column 9; quote the whole value, e.g. title:"say \\"hi\\""`,
    ],
    [
      "due_time < soon",
      11,
      '"soon" is not a time at column 12; use an RFC 3339 timestamp (2026-12-01T09:00:00Z), a date (2026-12-01), or now/today with an optional offset (today+7d, now-2h)',
    ],
    [
      "due_time = null",
      11,
      '"null" is not a time at column 12; to find tasks without one write NOT due_time:*',
    ],
    [
      "due_time < today+7x",
      18,
      'unknown unit "x" at column 19; use s, m, h, d or w (e.g. today+7d); months and years are not supported',
    ],
    [
      "due_time < today+1M",
      18,
      'unknown unit "M" at column 19; use s, m, h, d or w (e.g. today+7d); months and years are not supported',
    ],
    [
      "due_time < today+7",
      18,
      'missing unit after "today+7" at column 19; use s, m, h, d or w (e.g. today+7d); months and years are not supported',
    ],
    [
      "due_time < now+d",
      15,
      'expected a number after "now+" at column 16; use s, m, h, d or w (e.g. today+7d); months and years are not supported',
    ],
    ["due_time < now+1234567d", 15, 'the offset "+1234567d" is too large at column 16; use at most 6 digits'],
    [
      "due_time < now+1d2h",
      11,
      '"now+1d2h" is not a time at column 12; write one offset right after now/today, e.g. today+7d or now-2h',
    ],
    [
      "due_time < 2026-02-30",
      11,
      '"2026-02-30" is not a valid date at column 12; write dates as YYYY-MM-DD, e.g. 2026-12-01',
    ],
    ["due_time < 0000-01-01", 11, '"0000-01-01" is out of range at column 12; years run from 0001 to 9999'],
    [
      "due_time < 2026-12-01T24:00:00Z",
      11,
      '"2026-12-01T24:00:00Z" is not a valid time of day at column 12; hours run 00–23, minutes and seconds 00–59',
    ],
    [
      "due_time < 2026-12-01T09:00:00+24:00",
      11,
      '"2026-12-01T09:00:00+24:00" has an invalid UTC offset at column 12; offsets run from -23:59 to +23:59',
    ],
    ["due_time < tomorrow", 11, '"tomorrow" is not a time at column 12; write today+1d'],
    ['due_time > "yesterday"', 12, '"yesterday" is not a time at column 13; write today-1d'],
    ["tags:a\u0000", 6, "unexpected NUL character at column 7"],
    [String.raw`title:"\u0000"`, 7, "unexpected NUL character at column 8"],
    [
      "tag:work",
      0,
      'unknown field "tag" at column 1; did you mean "tags"? fields: status, priority, tags, due_time, create_time, update_time, complete_time, title',
    ],
    [
      "dueTime < now",
      0,
      'unknown field "dueTime" at column 1; did you mean "due_time"? fields: status, priority, tags, due_time, create_time, update_time, complete_time, title',
    ],
    [
      "task.title:x",
      0,
      'unknown field "task.title" at column 1; fields: status, priority, tags, due_time, create_time, update_time, complete_time, title',
    ],
  ])("%j", (filter, offset, message) => {
    const error = parseError(filter);
    expect(error).toBeInstanceOf(FilterError);
    expect(error.name).toBe("FilterError");
    expect(error.message).toBe(message);
    expect(error.offset).toBe(offset);
  });

  it("cuts long user text short in messages", () => {
    const word = "x".repeat(500);
    const error = parseError(word);
    expect(error.message.startsWith(`"${"x".repeat(37)}..." has no field at column 1`)).toBe(true);
    expect(error.message.length).toBeLessThan(200);
  });

  it("escapes user text quoted in messages", () => {
    expect(parseError('priority = "a\\"b"').message).toStartWith(String.raw`"a\"b" is not a priority`);
  });
});

describe("limits", () => {
  it(`accepts ${MAX_FILTER_LENGTH} characters and refuses more`, () => {
    const padded = (n: number) => `title:"${"a".repeat(n - 8)}"`;
    expect(padded(MAX_FILTER_LENGTH)).toHaveLength(MAX_FILTER_LENGTH);
    expect(parseFilter(padded(MAX_FILTER_LENGTH)).root?.kind).toBe("restriction");
    const error = parseError(padded(MAX_FILTER_LENGTH + 1));
    expect(error.offset).toBe(MAX_FILTER_LENGTH);
    expect(error.message).toBe(
      "the filter is too long (2001 characters) at column 2001; at most 2000 are allowed",
    );
  });

  it(`accepts ${MAX_NESTING_DEPTH} levels of parentheses and refuses more`, () => {
    const nested = (n: number) => `${"(".repeat(n)}tags:a${")".repeat(n)}`;
    expect(render(nested(MAX_NESTING_DEPTH))).toBe("tags:a");
    const error = parseError(nested(MAX_NESTING_DEPTH + 1));
    expect(error.offset).toBe(MAX_NESTING_DEPTH);
    expect(error.message).toBe(
      "parentheses are nested too deeply at column 21; at most 20 levels are allowed",
    );
    // Deep but sequential groups are fine: the limit is on depth, not on the number of groups.
    expect(parseFilter(Array.from({ length: 50 }, () => "(tags:a)").join(" ")).root?.kind).toBe("and");
  });

  it(`accepts ${MAX_RESTRICTIONS} restrictions and refuses more`, () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `tags:t${i}`).join(" OR ");
    const root = parseFilter(many(MAX_RESTRICTIONS)).root;
    expect(root?.kind === "or" && root.operands.length).toBe(MAX_RESTRICTIONS);
    const text = many(MAX_RESTRICTIONS + 1);
    const error = parseError(text);
    expect(error.offset).toBe(text.lastIndexOf("tags:"));
    expect(error.message).toStartWith("too many restrictions at column");
  });

  it("never overflows the stack on hostile input", () => {
    for (const hostile of [
      "(".repeat(1999),
      "NOT ".repeat(500),
      "-".repeat(2000),
      `${"(tags:a OR ".repeat(150)}`,
    ]) {
      expect(() => parseFilter(hostile)).toThrow(FilterError);
    }
  });
});
