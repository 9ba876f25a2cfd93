/**
 * The ListTasks query: the caller's filter compiled to parameterised SQL, an optional full-text
 * search, a total order ending with the id, and keyset paging. No value is ever spliced into the SQL
 * text: field names and operators come from whitelists, values travel as parameters.
 */
import type { Sql } from "@todo/platform";
import { compileFilter } from "./filter";
import type { SortKey } from "./order-by";
import type { CursorValueType, PageCursor } from "./page-token";
import { buildTsQueries } from "./search-query";
import { TASK_COLUMNS, type TaskRow } from "./task-mapper";

/** A normalised ListTasks request. */
export interface ListQuery {
  readonly userId: string;
  readonly timeZone: string;
  readonly filter: string;
  readonly order: readonly SortKey[];
  /** Search words (see search-query.ts); empty for no search. */
  readonly terms: readonly string[];
  readonly pageSize: number;
  readonly cursor?: PageCursor | undefined;
  /** The instant relative times in the filter mean. */
  readonly now: Date;
}

/** A page of tasks, the cursor values of its last row, and the total. */
export interface ListResult {
  readonly rows: TaskRow[];
  /** Cursor values after the last row when there is a next page. */
  readonly nextValues: PageCursor["values"] | undefined;
  readonly total: number;
}

/** One column of the total order, with the SQL cast of its cursor value. */
interface Component {
  readonly expr: string;
  readonly desc: boolean;
  readonly cast: CursorValueType;
  /** Reads the cursor value of this component from a result row. */
  readonly read: (row: ListedRow) => string | number | boolean | null;
  /** For due_time: the value part is skipped when the row had no due time. */
  readonly nullableValue?: boolean;
}

type ListedRow = TaskRow & { title_key: string; rank?: number };

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function components(order: readonly SortKey[], rankExpr: string | undefined): Component[] {
  const out: Component[] = [];
  for (const key of order) {
    switch (key.field) {
      case "priority":
        out.push({ expr: "priority", desc: key.desc, cast: "smallint", read: (r) => r.priority });
        break;
      case "create_time":
      case "update_time": {
        const f = key.field;
        out.push({ expr: f, desc: key.desc, cast: "timestamptz", read: (r) => iso(r[f]) });
        break;
      }
      case "title":
        out.push({ expr: `title_key collate "C"`, desc: key.desc, cast: "text", read: (r) => r.title_key });
        break;
      case "due_time":
        // Tasks without a due time sort last in both directions.
        out.push({
          expr: "(due_time is null)",
          desc: false,
          cast: "boolean",
          read: (r) => r.due_time === null,
        });
        out.push({
          expr: "due_time",
          desc: key.desc,
          cast: "timestamptz",
          read: (r) => iso(r.due_time),
          nullableValue: true,
        });
        break;
      case "relevance":
        if (!rankExpr) throw new Error("relevance order without a search");
        out.push({ expr: rankExpr, desc: true, cast: "real", read: (r) => r.rank ?? 0 });
        break;
    }
  }
  out.push({ expr: "id", desc: false, cast: "uuid", read: (r) => r.id });
  return out;
}

/** The types of the cursor values of `order` (for decoding tokens). */
export function cursorTypes(order: readonly SortKey[]): CursorValueType[] {
  return components(order, "rank").map((c) => c.cast);
}

/** Loads the similar known words of each search term, for typo tolerance. */
async function similarWords(
  sql: Sql,
  userId: string,
  terms: readonly string[],
): Promise<Map<string, string[]>> {
  const candidates = terms.filter((t) => [...t].length >= 4);
  const out = new Map<string, string[]>();
  if (candidates.length === 0) return out;
  const rows = await sql<{ term: string; word: string }[]>`
    select t.term, w.word
    from unnest(${candidates}::text[]) as t(term)
    -- Only a term the user never wrote, not even as the start of a word, is a likely typo: a known
    -- word such as "meeting" must not also match everything similar ("marketing"). The first of the
    -- user's words at or after the term (an index range scan) starts with it if any does.
    left join lateral (
      select k.word as next_word from task.search_words k
      where k.user_id = ${userId} and k.word >= t.term
      order by k.word limit 1
    ) as known on true
    cross join lateral (
      select word from task.search_words
      where user_id = ${userId} and word % t.term and word <> t.term and not starts_with(word, t.term)
      order by word <-> t.term limit 3
    ) as w
    where known.next_word is null or not starts_with(known.next_word, t.term)`;
  for (const { term, word } of rows) out.set(term, [...(out.get(term) ?? []), word]);
  return out;
}

/** Runs one page of a ListTasks query. */
export async function listTasks(sql: Sql, q: ListQuery): Promise<ListResult> {
  const params: unknown[] = [q.userId];
  const compiled = compileFilter(q.filter, { now: q.now, timeZone: q.timeZone, titleKeyColumn: true }, 2);
  params.push(...compiled.params);
  const p = (value: unknown, cast: string) => {
    params.push(value);
    return `$${params.length}::${cast}`;
  };
  const where = [`user_id = $1`, `(${compiled.sql})`];
  let rankExpr: string | undefined;
  let countSnapshot: unknown[] | undefined;
  if (q.terms.length > 0) {
    const { exact, widened } = buildTsQueries(q.terms, await similarWords(sql, q.userId, q.terms));
    const widenedQ = `to_tsquery('simple', ${p(widened, "text")})`;
    where.push(`search @@ ${widenedQ}`);
    // The count query must not carry the exact query's parameter: PostgreSQL cannot type an
    // unreferenced parameter. So it is added after the count's parameters are taken.
    countSnapshot = [...params];
    const exactQ = `to_tsquery('simple', ${p(exact, "text")})`;
    // Title hits weigh more (weight A vs B); exact prefix hits rank above typo-corrected ones.
    rankExpr = `(ts_rank(search, ${widenedQ}) + ts_rank(search, ${exactQ}))`;
  }
  const countSql = `select count(*)::int as n from task.tasks where ${where.join(" and ")}`;
  const countParams = countSnapshot ?? [...params];

  const comps = components(q.order, rankExpr);
  if (q.cursor) {
    const values = q.cursor.values;
    const alternatives: string[] = [];
    const equalities: string[] = [];
    comps.forEach((c, i) => {
      const v = values[i] ?? null;
      if (c.nullableValue && v === null) return; // every row tied so far has no due time either
      const op = c.desc ? "<" : ">";
      alternatives.push([...equalities, `${c.expr} ${op} ${p(v, c.cast)}`].join(" and "));
      // The last component (the id) needs no equality: binding one anyway would leave an
      // unreferenced parameter, which PostgreSQL refuses ("could not determine data type").
      if (i < comps.length - 1) equalities.push(`${c.expr} = ${p(v, c.cast)}`);
    });
    where.push(`(${alternatives.map((a) => `(${a})`).join(" or ")})`);
  }
  const orderSql = comps.map((c) => `${c.expr} ${c.desc ? "desc" : "asc"}`).join(", ");
  const pageSql = `select ${TASK_COLUMNS}, title_key${rankExpr ? `, ${rankExpr} as rank` : ""}
    from task.tasks where ${where.join(" and ")}
    order by ${orderSql} limit ${q.pageSize + 1}`;

  const [rows, count] = await Promise.all([
    sql.unsafe<ListedRow[]>(pageSql, params as never[]),
    sql.unsafe<{ n: number }[]>(countSql, countParams as never[]),
  ]);
  const more = rows.length > q.pageSize;
  const page = more ? rows.slice(0, q.pageSize) : rows;
  const last = page[page.length - 1];
  return {
    rows: page,
    nextValues: more && last ? comps.map((c) => c.read(last)) : undefined,
    total: count[0]?.n ?? 0,
  };
}
