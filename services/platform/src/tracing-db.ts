/**
 * Database spans (docs/tracing.md, "Database"): one CLIENT span per SQL statement issued inside a
 * traced operation — an RPC, an event being processed, a job firing, a delivery — after the database
 * semantic conventions: `db.system.name` `postgresql`, `db.operation.name` (the first SQL verb),
 * `db.query.summary` (verbs and the tables they touch, `INSERT task.outbox`, which is also the span's
 * name), `db.query.text`, `db.namespace` and `server.*`, and on failure the SQLSTATE in
 * `db.response.status_code` and `error.type`. No parameter value is ever recorded. The text is
 * recorded as the convention asks: a parameterized statement (a tagged template, whose values all
 * travel as `$n`, or `unsafe` with parameters) as it is — "parameterized query text SHOULD NOT be
 * sanitized" — and any other `unsafe` text with its literals (strings, numbers) replaced by `?`.
 *
 * Statements with no recording span around them — the outbox relay's and the job scheduler's polls,
 * the metrics gauges — make no span: they would be a root trace each, every second, about nothing.
 *
 * postgres.js has no query hook; like metrics-db.ts, `tracePostgres` wraps `Query.prototype.handle`
 * (once per process), and on a traced statement's first run puts two shared functions in front of
 * its `resolve`/`reject`, which end the span. While tracing is off the wrapper is one boolean check.
 */
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Sql } from "./db";
import { operationName, type QueryLike, queryPrototype } from "./metrics-db";
import { LEADING_VERBS, STATEMENT_VERBS } from "./sql-verbs";
import { platformTracer, tracingEnabled } from "./tracing";

/** Database span attribute keys (checked against the conventions by tracing-names.test.ts). */
export const DbSpanAttributes = {
  systemName: "db.system.name",
  operationName: "db.operation.name",
  querySummary: "db.query.summary",
  queryText: "db.query.text",
  namespace: "db.namespace",
  responseStatusCode: "db.response.status_code",
  serverAddress: "server.address",
  serverPort: "server.port",
} as const;

const A = DbSpanAttributes;

/** Keywords after which the next name is a table. */
const TARGET_BEFORE = new Set(["FROM", "JOIN", "INTO", "UPDATE", "TABLE", "LOCK"]);
/** Words that may sit between such a keyword and the table. */
const SKIPPED = new Set(["ONLY", "LATERAL", "IF", "NOT", "EXISTS"]);

const TOKEN =
  /'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"]|"")+"(?:\s*\.\s*"(?:[^"]|"")+"|\.[A-Za-z_][\w$]*)*|[A-Za-z_][\w$]*(?:\.(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))*|\(/g;
const MAX_SUMMARY = 255;

/** An identifier as written, unquoted (`"task"."outbox"` → `task.outbox`). */
function unquote(name: string): string {
  return name
    .replace(/\s*\.\s*/g, ".")
    .replace(/"((?:[^"]|"")+)"/g, (_, inner: string) => inner.replace(/""/g, '"'));
}

/**
 * The `db.query.summary` of a statement: its verbs and the tables they act on, in order
 * (`SELECT task.tasks`, `INSERT task.outbox SELECT added`, `UPDATE notification.deliveries`), at
 * most 255 characters. Literals, comments, columns and values never appear.
 */
export function querySummary(text: string): string {
  const parts: string[] = [];
  let length = 0;
  const push = (part: string) => {
    if (parts[parts.length - 1] === part || length + part.length + 1 > MAX_SUMMARY) return;
    parts.push(part);
    length += part.length + 1;
  };
  const tokens = text.match(TOKEN) ?? [];
  let first = true;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const c = token[0];
    if (c === "'" || c === "(" || token.startsWith("--") || token.startsWith("/*")) continue;
    const word = c === '"' ? "" : token.toUpperCase();
    if (STATEMENT_VERBS.has(word) || (first && LEADING_VERBS.has(word))) push(word);
    first = false;
    if (!TARGET_BEFORE.has(word)) continue;
    let j = i + 1;
    while (j < tokens.length && SKIPPED.has((tokens[j] as string).toUpperCase())) j++;
    const target = tokens[j];
    // A table, not a subquery, a function call (`unnest(…)`) or a keyword (`UPDATE … SET`); after
    // INTO a parenthesis is the column list (`INSERT INTO t (a, b)`), not a call.
    const call = tokens[j + 1] === "(" && word !== "INTO";
    if (!target || target === "(" || target[0] === "'" || call) continue;
    const upper = target.toUpperCase();
    if (STATEMENT_VERBS.has(upper) || upper === "SET") continue;
    push(unquote(target));
    i = j;
  }
  return parts.length > 0 ? parts.join(" ") : "_OTHER";
}

interface Described {
  readonly operation: string;
  readonly summary: string;
}

const LITERAL = /'(?:[^']|'')*'|\$\$[\s\S]*?\$\$|(?<![\w$.])\d+(?:\.\d+)?(?![\w$])/g;

/**
 * `text` with its string and numeric literals replaced by `?` (the convention's sanitization of a
 * statement that is not parameterized); identifiers, keywords and `$n` placeholders stay.
 */
export function sanitizeQueryText(text: string): string {
  return text.replace(LITERAL, "?");
}

/** Statements seen so far (their text carries no values: parameters are `$n`). */
const described = new Map<string, Described>();

function describe(text: string): Described {
  let d = described.get(text);
  if (!d) {
    d = { operation: operationName(text), summary: querySummary(text) };
    if (described.size < 2000) described.set(text, d);
  }
  return d;
}

const SPAN = Symbol("todo.tracing.span");
const RESOLVE = Symbol("todo.tracing.resolve");
const REJECT = Symbol("todo.tracing.reject");

/** A statement being traced: its span, its own resolve and reject, and (once built) its SQL. */
interface TracedQuery extends QueryLike {
  string?: string;
  /** A tagged template (every value a `$n` parameter). */
  tagged?: boolean;
  args?: readonly unknown[];
  [SPAN]?: Span | undefined;
  [RESOLVE]?: (value: unknown) => unknown;
  [REJECT]?: (err: unknown) => unknown;
}

let installed = false;
let fixed: Attributes = { [A.systemName]: "postgresql" };

/** Ends a traced statement's span once (postgres.js may settle a query more than once). */
function finish(q: TracedQuery, err: unknown): void {
  const span = q[SPAN];
  if (!span) return;
  q[SPAN] = undefined;
  const text = q.string ?? q.strings.join("?");
  const { operation, summary } = describe(text);
  span.updateName(summary);
  span.setAttribute(A.operationName, operation);
  span.setAttribute(A.querySummary, summary);
  span.setAttribute(A.queryText, q.tagged || (q.args?.length ?? 0) > 0 ? text : sanitizeQueryText(text));
  if (err !== undefined) {
    const code = (err as { code?: unknown }).code;
    const sqlState = typeof code === "string" && (err as Error).name === "PostgresError" ? code : undefined;
    span.setAttribute("error.type", sqlState ?? (err instanceof Error ? err.name : "_OTHER"));
    if (sqlState) span.setAttribute(A.responseStatusCode, sqlState);
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: sqlState ?? (err instanceof Error ? err.name : "query failed"),
    });
  }
  span.end();
}

function resolve(this: TracedQuery, value: unknown) {
  finish(this, undefined);
  return this[RESOLVE]?.(value);
}

function reject(this: TracedQuery, err: unknown) {
  finish(this, err ?? new Error("query failed"));
  return this[REJECT]?.(err);
}

/**
 * Makes a span for every statement postgres.js runs in this process inside a recording span (see
 * the file comment). Installed once per process (the first database's `db.namespace` and `server.*`
 * go on every span: a service talks to one database); inert while tracing is off.
 */
export function tracePostgres(
  sql: Sql,
  server: { readonly namespace?: string; readonly address?: string; readonly port?: number } = {},
): void {
  if (installed) return;
  installed = true;
  fixed = {
    [A.systemName]: "postgresql",
    ...(server.namespace ? { [A.namespace]: server.namespace } : {}),
    ...(server.address ? { [A.serverAddress]: server.address } : {}),
    ...(server.port ? { [A.serverPort]: server.port } : {}),
  };
  const proto = queryPrototype(sql);
  const original = proto.handle;
  proto.handle = function handle(this: TracedQuery) {
    // Cursors re-arm resolve/reject on every batch; they are left alone.
    if (tracingEnabled() && !this.executed && this.cursorRows === undefined && !this[SPAN]) {
      const parent = context.active();
      if (trace.getSpan(parent)?.isRecording()) {
        this[SPAN] = platformTracer().startSpan(
          "postgresql",
          { kind: SpanKind.CLIENT, attributes: fixed },
          parent,
        );
        this[RESOLVE] = this.resolve;
        this[REJECT] = this.reject;
        this.resolve = resolve;
        this.reject = reject;
      }
    }
    return original.call(this);
  };
}
