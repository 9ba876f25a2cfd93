import { describe, expect, it } from "bun:test";
import { Priority, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import fc from "fast-check";
import { type CompiledFilter, compileFilter, compileFilterAst, type FilterContext } from "./compiler";
import { FilterError } from "./filter-error";
import { parseFilter } from "./parser";

const ctx: FilterContext = { now: new Date("2026-11-26T10:00:00Z"), timeZone: "Europe/Berlin" };
const TODAY = new Date("2026-11-25T23:00:00Z"); // start of 2026-11-26 in Berlin (CET)

/**
 * Everything the compiler may write: whitelisted columns, fixed keywords, operators, casts and
 * placeholders. A test fails if any other character sequence shows up in the SQL text.
 */
const SQL_TOKEN =
  /\s+|\(|\)|\[|\]|\$\d+|::(?:smallint|text|timestamptz)|<>|<=|>=|[<>=]|@>|\b(?:AND|OR|NOT|IS|NULL|TRUE|LIKE|ARRAY|lower|cardinality|status|priority|tag_keys|due_time|create_time|update_time|complete_time|title|title_key|0)\b/y;

function assertWhitelisted(sql: string): void {
  let pos = 0;
  while (pos < sql.length) {
    SQL_TOKEN.lastIndex = pos;
    const match = SQL_TOKEN.exec(sql);
    if (!match) throw new Error(`unexpected SQL text at ${pos}: ${sql.slice(pos)}`);
    pos += match[0].length;
  }
}

function compile(filter: string, first = 1, context: FilterContext = ctx): CompiledFilter {
  const compiled = compileFilter(filter, context, first);
  assertWhitelisted(compiled.sql);
  return compiled;
}

describe("compileFilter", () => {
  it("compiles an empty or blank filter to TRUE", () => {
    expect(compile("")).toEqual({ sql: "TRUE", params: [] });
    expect(compile("  \n")).toEqual({ sql: "TRUE", params: [] });
    expect(compile("", 5)).toEqual({ sql: "TRUE", params: [] });
  });

  it.each<[string, string, unknown[]]>([
    ["status = OPEN", "status = $1::smallint", [TaskStatus.OPEN]],
    ["status:completed", "status = $1::smallint", [TaskStatus.COMPLETED]],
    ["status != TASK_STATUS_OPEN", "status <> $1::smallint", [TaskStatus.OPEN]],
    ["priority = high", "priority = $1::smallint", [Priority.HIGH]],
    ["priority:urgent", "priority = $1::smallint", [Priority.URGENT]],
    ["priority != LOW", "priority <> $1::smallint", [Priority.LOW]],
    ["priority < MEDIUM", "priority < $1::smallint", [Priority.MEDIUM]],
    ["priority <= MEDIUM", "priority <= $1::smallint", [Priority.MEDIUM]],
    ["priority > UNSPECIFIED", "priority > $1::smallint", [Priority.UNSPECIFIED]],
    ["priority >= PRIORITY_HIGH", "priority >= $1::smallint", [Priority.HIGH]],
    ["tags:Work", "tag_keys @> ARRAY[$1::text]", ["work"]],
    ["tags = work", "tag_keys @> ARRAY[$1::text]", ["work"]],
    ["tags != work", "NOT (tag_keys @> ARRAY[$1::text])", ["work"]],
    ["tags:*", "cardinality(tag_keys) > 0", []],
    ["title:Meet", "lower(title) LIKE lower($1::text)", ["%Meet%"]],
    ['title = "Buy milk"', "lower(title) = lower($1::text)", ["Buy milk"]],
    ['title != "Buy milk"', "lower(title) <> lower($1::text)", ["Buy milk"]],
    ["due_time:*", "due_time IS NOT NULL", []],
    ["complete_time:*", "complete_time IS NOT NULL", []],
    ["create_time:*", "create_time IS NOT NULL", []],
    ["due_time < today", "(due_time IS NOT NULL AND due_time < $1::timestamptz)", [TODAY]],
    ["due_time <= today", "(due_time IS NOT NULL AND due_time <= $1::timestamptz)", [TODAY]],
    ["due_time > today", "(due_time IS NOT NULL AND due_time > $1::timestamptz)", [TODAY]],
    ["due_time >= today", "(due_time IS NOT NULL AND due_time >= $1::timestamptz)", [TODAY]],
    ["due_time = today", "(due_time IS NOT NULL AND due_time = $1::timestamptz)", [TODAY]],
    ["due_time != today", "(due_time IS NOT NULL AND due_time <> $1::timestamptz)", [TODAY]],
    ["complete_time >= today", "(complete_time IS NOT NULL AND complete_time >= $1::timestamptz)", [TODAY]],
    ["create_time >= today", "create_time >= $1::timestamptz", [TODAY]],
    ["update_time < now", "update_time < $1::timestamptz", [ctx.now]],
  ])("%s", (filter, sql, params) => {
    expect(compile(filter)).toEqual({ sql, params });
  });

  it("compiles AND, OR, NOT and - with explicit grouping", () => {
    expect(compile("status = OPEN AND priority >= HIGH")).toEqual({
      sql: "(status = $1::smallint AND priority >= $2::smallint)",
      params: [TaskStatus.OPEN, Priority.HIGH],
    });
    expect(compile("tags:work AND NOT tags:waiting").sql).toBe(
      "(tag_keys @> ARRAY[$1::text] AND NOT (tag_keys @> ARRAY[$2::text]))",
    );
    expect(compile("NOT due_time:*").sql).toBe("NOT (due_time IS NOT NULL)");
    expect(compile("-tags:*").sql).toBe("NOT (cardinality(tag_keys) > 0)");
    expect(compile("NOT tags != a").sql).toBe("NOT (NOT (tag_keys @> ARRAY[$1::text]))");
    expect(compile("NOT (tags:a OR tags:b)").sql).toBe(
      "NOT (tag_keys @> ARRAY[$1::text] OR tag_keys @> ARRAY[$2::text])",
    );
    expect(compile("(priority = URGENT OR due_time < now) AND status = open")).toEqual({
      sql: "((priority = $1::smallint OR (due_time IS NOT NULL AND due_time < $2::timestamptz)) AND status = $3::smallint)",
      params: [Priority.URGENT, ctx.now, TaskStatus.OPEN],
    });
    expect(compile("status = open AND priority = HIGH OR priority = URGENT").sql).toBe(
      "(status = $1::smallint AND (priority = $2::smallint OR priority = $3::smallint))",
    );
  });

  it("makes NOT of a missing-value comparison the exact complement", () => {
    // Inside NOT the comparison is guarded, so a task without a due time is matched by the NOT.
    expect(compile("NOT due_time < today").sql).toBe(
      "NOT (due_time IS NOT NULL AND due_time < $1::timestamptz)",
    );
  });

  it("numbers placeholders from firstParam", () => {
    const { sql, params } = compile("status = OPEN AND (tags:a OR title:b) AND due_time < today+7d", 4);
    expect(sql).toBe(
      "(status = $4::smallint AND (tag_keys @> ARRAY[$5::text] OR lower(title) LIKE lower($6::text)) AND (due_time IS NOT NULL AND due_time < $7::timestamptz))",
    );
    expect(params).toEqual([TaskStatus.OPEN, "a", "%b%", new Date("2026-12-02T23:00:00Z")]);
  });

  it("reads title_key when the table has it", () => {
    const keyed = { ...ctx, titleKeyColumn: true };
    expect(compile("title:Meet", 1, keyed)).toEqual({
      sql: "title_key LIKE lower($1::text)",
      params: ["%Meet%"],
    });
    expect(compile("title = X", 1, keyed).sql).toBe("title_key = lower($1::text)");
    expect(compile("title != X", 1, keyed).sql).toBe("title_key <> lower($1::text)");
  });

  it("compiles a parsed tree the same way", () => {
    const filter = "tags:a OR due_time < today";
    expect(compileFilterAst(parseFilter(filter), ctx, 3)).toEqual(compileFilter(filter, ctx, 3));
  });

  it("refuses a bad context or firstParam as a programming error, not a FilterError", () => {
    expect(() => compileFilter("tags:a", { ...ctx, timeZone: "Mars/Olympus" })).toThrow(RangeError);
    expect(() => compileFilter("tags:a", { ...ctx, now: new Date(Number.NaN) })).toThrow(RangeError);
    for (const first of [0, -1, 1.5]) expect(() => compileFilter("tags:a", ctx, first)).toThrow(RangeError);
  });

  it("reports parse errors as FilterError", () => {
    expect(() => compileFilter("prio >= HIGH", ctx)).toThrow(FilterError);
  });
});

describe("values never reach the SQL text", () => {
  const hostile = [
    `'; DROP TABLE tasks; --`,
    `" OR 1=1 --`,
    "$1",
    "$2::text",
    "a;b",
    "100%",
    "under_score",
    "back\\slash",
    "O'Brien",
    "\u2028\u00e9\u{1F600}",
    ") OR TRUE OR (",
  ];

  it.each(hostile)("title/tags value %j ends up only in params", (value) => {
    const quoted = JSON.stringify(value);
    const { sql, params } = compile(
      `title:${quoted} OR title = ${quoted} OR tags:${quoted} OR tags != ${quoted}`,
    );
    expect(sql).toBe(
      "(lower(title) LIKE lower($1::text) OR lower(title) = lower($2::text) OR tag_keys @> ARRAY[$3::text] OR NOT (tag_keys @> ARRAY[$4::text]))",
    );
    const likeEscaped = value.replace(/[\\%_]/g, (c) => `\\${c}`);
    expect(params).toEqual([
      `%${likeEscaped}%`,
      value,
      value.trim().toLowerCase(),
      value.trim().toLowerCase(),
    ]);
  });

  it("escapes LIKE wildcards and the escape character in substring tests", () => {
    expect(compile("title:50%_off").params).toEqual(["%50\\%\\_off%"]);
    expect(compile(String.raw`title:"C:\\temp"`).params).toEqual([String.raw`%C:\\temp%`]);
    // Equality is not a LIKE: the value goes through untouched.
    expect(compile("title = 50%_off").params).toEqual(["50%_off"]);
  });

  it("takes unquoted punctuation as part of the value", () => {
    expect(compile("tags:a;b").params).toEqual(["a;b"]);
    expect(compile("tags:$1").params).toEqual(["$1"]);
    expect(compile("title:it's").params).toEqual(["%it's%"]);
  });

  it("rejects hostile field names and operators instead of passing them on", () => {
    for (const filter of [
      "title; DROP TABLE tasks:x",
      "status) OR (TRUE = open",
      "id = 1",
      "user_id:x",
      "title ~ x",
      "pg_sleep(10):x",
      "status = open; DELETE FROM tasks",
    ]) {
      expect(() => compileFilter(filter, ctx)).toThrow(FilterError);
    }
  });
});

describe("robustness on arbitrary input", () => {
  function checkCompiled(compiled: CompiledFilter, first: number): void {
    assertWhitelisted(compiled.sql);
    const placeholders = [...compiled.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
    expect(placeholders).toEqual(compiled.params.map((_, i) => first + i));
  }

  // Well-formed filters: deep and varied trees must always compile.
  const restriction = fc.constantFrom(
    ...[
      "status = open",
      "status != COMPLETED",
      "priority >= HIGH",
      "priority < low",
      "tags:work",
      "tags != x",
    ],
    ...[
      "tags:*",
      "title:meet",
      'title = "a \\"b\\" %_"',
      "due_time < today+7d",
      "due_time:*",
      "complete_time >= now-1w",
    ],
    ...["create_time > 2026-12-01", "update_time <= 2026-12-01T09:00:00+01:00", "NOT tags:a", "-due_time:*"],
  );
  const { expression } = fc.letrec<{ expression: string }>((tie) => ({
    expression: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      restriction,
      fc
        .tuple(tie("expression"), fc.constantFrom(" AND ", " OR ", " "), tie("expression"))
        .map((p) => p.join("")),
      tie("expression").map((e) => `NOT (${e})`),
      tie("expression").map((e) => `-(${e})`),
      tie("expression").map((e) => `(${e})`),
    ),
  }));

  it("compiles every well-formed filter to whitelisted SQL with one parameter per placeholder", () => {
    fc.assert(
      fc.property(expression, fc.integer({ min: 1, max: 9 }), (filter, first) => {
        // Within the limits: at most ~70 restrictions and 20 parentheses in all.
        fc.pre(filter.length <= 500 && (filter.match(/\(/g)?.length ?? 0) <= 20);
        checkCompiled(compileFilter(filter, ctx, first), first);
      }),
      { numRuns: 1000 },
    );
  });

  // Pieces of the language and of its near misses, so random text gets deep into the parser.
  const piece = fc.constantFrom(
    ...[
      "status",
      "priority",
      "tags",
      "due_time",
      "complete_time",
      "title",
      "prio",
      "AND",
      "OR",
      "NOT",
      "and",
    ],
    ...["-", "(", ")", " ", "  ", "=", "!=", "<", "<=", ">", ">=", ":", "*", "==", "!", '"', "\\"],
    ...[
      "open",
      "HIGH",
      "PRIORITY_LOW",
      "work",
      "today",
      "now-2h",
      "today+7d",
      "2026-12-01",
      "2026-12-01T09:00:00Z",
    ],
    ...["'; DROP TABLE tasks; --", "$1", "%", "_", "\u0000", "x\ty", "\u00e9"],
  );
  const junk = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.array(piece, { maxLength: 25 }).map((parts) => parts.join("")),
    fc.array(piece, { maxLength: 25 }).map((parts) => parts.join(" ")),
  );

  it("either compiles arbitrary text safely or throws a FilterError pointing into it", () => {
    fc.assert(
      fc.property(junk, fc.integer({ min: 1, max: 9 }), (filter, first) => {
        let compiled: CompiledFilter;
        try {
          compiled = compileFilter(filter, ctx, first);
        } catch (error) {
          if (!(error instanceof FilterError)) throw error;
          expect(error.offset).toBeGreaterThanOrEqual(0);
          expect(error.offset).toBeLessThanOrEqual(filter.length);
          expect(error.message).toContain(`at column ${error.offset + 1}`);
          return;
        }
        checkCompiled(compiled, first);
      }),
      { numRuns: 3000 },
    );
  });
});
