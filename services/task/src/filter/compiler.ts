/**
 * Compiles a `ListTasks` filter to a parameterised PostgreSQL boolean expression over the task table's
 * columns (see docs/filtering.md for the language and its semantics).
 *
 * Safety: the SQL text is assembled only from this module's own fragments — column names from the
 * field whitelist, fixed operators and `$n` placeholders. Every value the user wrote travels in
 * `params`, never in the text.
 *
 * Missing values: a comparison with a NULL column (a task without a due time, say) is false, and every
 * fragment is written so that it is never NULL (`(due_time IS NOT NULL AND due_time < $1)`). Two-valued
 * logic then makes `NOT x` the exact complement of `x`, as the docs promise, while each comparison stays a
 * plain column-vs-parameter test that a B-tree (timestamps, enums), GIN (tag_keys) or trigram
 * (lower(title)) index can serve.
 */
import { Temporal } from "temporal-polyfill";
import type { FilterAst, FilterNode, RestrictionNode } from "./ast";
import { type Comparator, fieldSpec } from "./fields";
import { filterError, show } from "./filter-error";
import { parseFilter } from "./parser";
import { resolveTimeValue } from "./time-value";

/** What a filter needs to know about the caller to mean something precise. */
export interface FilterContext {
  /** The current instant, for `now` and `today`. */
  now: Date;
  /** The caller's IANA time zone, for `today` and date-only or offset-less values. */
  timeZone: string;
  /**
   * Set when the table has a column `title_key` holding `lower(title)` (a stored generated column with
   * a `gin_trgm_ops` index): title tests then read it, so that index serves them. Without it they read
   * `lower(title)`, which an expression index on `lower(title)` can serve. The results are the same.
   */
  titleKeyColumn?: boolean;
}

/**
 * A compiled filter: a boolean SQL expression using `$n` placeholders, and the values for them in
 * order. The expression is self-contained (safe to combine with `AND`), reads only the unqualified
 * columns status, priority, tag_keys, due_time, create_time, update_time, complete_time and title (or
 * title_key, see `FilterContext.titleKeyColumn`), and is never NULL. Timestamps are `Date`s, enum
 * values numbers, strings strings.
 */
export interface CompiledFilter {
  sql: string;
  params: unknown[];
}

const SQL_OPERATOR: Record<Exclude<Comparator, ":">, string> = {
  "=": "=",
  "!=": "<>",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

/** The earliest and latest instants a filter may name: the years 0001–9999. */
const MIN_INSTANT = Temporal.Instant.from("0001-01-01T00:00:00Z");
const MAX_INSTANT = Temporal.Instant.from("9999-12-31T23:59:59.999Z");

/**
 * Parses and compiles a filter. `firstParam` is the number of the first placeholder (default 1), so the
 * caller can put its own parameters first (`WHERE user_id = $1 AND ${sql}` with `firstParam` 2). An
 * empty or blank filter compiles to `{ sql: "TRUE", params: [] }`.
 *
 * @throws FilterError when the filter is malformed (map it to INVALID_ARGUMENT with its message).
 * @throws RangeError when `ctx` is unusable (an unknown time zone, an invalid date) or `firstParam` is
 *   not a positive integer — a bug in the caller, not the user's input.
 */
export function compileFilter(filter: string, ctx: FilterContext, firstParam = 1): CompiledFilter {
  return compileFilterAst(parseFilter(filter), ctx, firstParam);
}

/** Compiles an already parsed filter; see `compileFilter`. */
export function compileFilterAst(ast: FilterAst, ctx: FilterContext, firstParam = 1): CompiledFilter {
  if (!Number.isSafeInteger(firstParam) || firstParam < 1) {
    throw new RangeError(`firstParam must be a positive integer, got ${firstParam}`);
  }
  if (!(ctx.now instanceof Date) || Number.isNaN(ctx.now.getTime())) {
    throw new RangeError("FilterContext.now must be a valid Date");
  }
  try {
    Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(ctx.timeZone);
  } catch {
    throw new RangeError(`FilterContext.timeZone is not a known time zone: ${JSON.stringify(ctx.timeZone)}`);
  }
  if (!ast.root) return { sql: "TRUE", params: [] };
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  return { sql: compileNode(ast.root, ctx, bind), params };
}

type Bind = (value: unknown) => string;

function compileNode(node: FilterNode, ctx: FilterContext, bind: Bind): string {
  switch (node.kind) {
    case "and":
      return `(${node.operands.map((o) => compileNode(o, ctx, bind)).join(" AND ")})`;
    case "or":
      return `(${node.operands.map((o) => compileNode(o, ctx, bind)).join(" OR ")})`;
    case "not":
      return `NOT ${wrap(compileNode(node.operand, ctx, bind))}`;
    case "restriction":
      return compileRestriction(node, ctx, bind);
  }
}

/** Parenthesises a fragment unless it already is one group. */
function wrap(sql: string): string {
  return sql.startsWith("(") && closingParen(sql) === sql.length - 1 ? sql : `(${sql})`;
}

function closingParen(sql: string): number {
  let depth = 0;
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] === "(") depth++;
    else if (sql[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

function compileRestriction(node: RestrictionNode, ctx: FilterContext, bind: Bind): string {
  const spec = fieldSpec(node.field);
  if (!spec) throw new Error(`unreachable: unknown field ${node.field}`);
  const column = spec.column;
  const { value, comparator } = node;

  if (value.type === "presence") {
    return spec.kind === "tags" ? `cardinality(${column}) > 0` : `${column} IS NOT NULL`;
  }

  switch (spec.kind) {
    case "enum": {
      if (value.type !== "enum") throw new Error("unreachable: enum field without an enum value");
      const op = comparator === ":" ? "=" : SQL_OPERATOR[comparator];
      return `${column} ${op} ${bind(value.number)}::smallint`;
    }
    case "tags": {
      if (value.type !== "text") throw new Error("unreachable: tags without a text value");
      // `@>` (array contains) is what a GIN index on tag_keys serves.
      const has = `${column} @> ARRAY[${bind(value.text)}::text]`;
      return comparator === "!=" ? `NOT (${has})` : has;
    }
    case "text": {
      if (value.type !== "text") throw new Error("unreachable: title without a text value");
      // Case-insensitive: both sides through PostgreSQL's lower(), which a trigram index serves.
      const key = ctx.titleKeyColumn ? "title_key" : `lower(${column})`;
      if (comparator === ":") {
        // A substring test; LIKE's wildcards and its escape character (backslash, the default) are
        // escaped so that they match literally.
        return `${key} LIKE lower(${bind(`%${value.text.replace(/[\\%_]/g, "\\$&")}%`)}::text)`;
      }
      return `${key} ${SQL_OPERATOR[comparator]} lower(${bind(value.text)}::text)`;
    }
    case "timestamp": {
      if (value.type !== "time" || comparator === ":")
        throw new Error("unreachable: timestamp without a time");
      const instant = resolveInstant(node, ctx);
      const test = `${column} ${SQL_OPERATOR[comparator]} ${bind(new Date(instant.epochMilliseconds))}::timestamptz`;
      return spec.nullable ? `(${column} IS NOT NULL AND ${test})` : test;
    }
  }
}

function resolveInstant(node: RestrictionNode, ctx: FilterContext): Temporal.Instant {
  const { value } = node;
  if (value.type !== "time") throw new Error("unreachable: not a time value");
  let instant: Temporal.Instant | undefined;
  try {
    instant = resolveTimeValue(value.time, ctx);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  if (
    !instant ||
    Temporal.Instant.compare(instant, MIN_INSTANT) < 0 ||
    Temporal.Instant.compare(instant, MAX_INSTANT) > 0
  ) {
    throw filterError(
      `${show(value.raw)} is out of range`,
      value.offset,
      "times must fall in the years 0001–9999",
    );
  }
  return instant;
}
