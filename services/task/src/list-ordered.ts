/**
 * Keyset paging in a total order (the sort keys, ending with the id): each page starts after the
 * last row of the previous one, whatever was inserted in between; a search in a non-relevance order
 * is one more condition. Searches in relevance order page through list-search.ts.
 */
import type { Sql } from "@todo/platform";
import { CursorError, iso, type ListedRow, type ListQuery, type ListResult, type Params } from "./list-query";
import type { SortKey } from "./order-by";
import type { CursorValueType } from "./page-token";
import { TASK_COLUMNS } from "./task-mapper";

/** One column of the total order, with the SQL cast of its cursor value. */
interface Component {
  readonly expr: string;
  readonly desc: boolean;
  readonly cast: CursorValueType;
  /** Reads the cursor value of this component from a result row. */
  readonly read: (row: ListedRow) => string | number | boolean | null;
  /** For due_time and complete_time: the value part is skipped when the row had no such time. */
  readonly nullableValue?: boolean;
}

function components(order: readonly SortKey[]): Component[] {
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
      case "complete_time": {
        // Tasks without the time (no due time; not completed) sort last in both directions.
        const f = key.field;
        out.push({ expr: `(${f} is null)`, desc: false, cast: "boolean", read: (r) => r[f] === null });
        out.push({
          expr: f,
          desc: key.desc,
          cast: "timestamptz",
          read: (r) => iso(r[f]),
          nullableValue: true,
        });
        break;
      }
      case "relevance":
        throw new Error("relevance is only ever the whole order (see searchPage)");
    }
  }
  out.push({ expr: "id", desc: false, cast: "uuid", read: (r) => r.id });
  return out;
}

/** The types of the cursor values of an order other than relevance. */
export function orderCursorTypes(order: readonly SortKey[]): CursorValueType[] {
  return components(order).map((c) => c.cast);
}

/**
 * A page in the order of `q.order` (sort keys ending with the id), with the count. With a search
 * (`widened`), the search is one more condition and the count stops after `window` matches.
 */
export async function orderedPage(
  sql: Sql,
  q: ListQuery,
  params: () => Params,
  filterSql: string,
  widened: string | undefined,
  window: number,
): Promise<ListResult> {
  const page = params();
  const count = params();
  const where = [filterSql];
  const countWhere = [filterSql];
  if (widened !== undefined) {
    where.push(`search @@ to_tsquery('simple', ${page.add(widened, "text")})`);
    countWhere.push(`search @@ to_tsquery('simple', ${count.add(widened, "text")})`);
  }
  const comps = components(q.order);
  if (q.cursor) {
    const values = q.cursor.values;
    if (values.length !== comps.length) throw new CursorError();
    const alternatives: string[] = [];
    const equalities: string[] = [];
    comps.forEach((c, i) => {
      const v = values[i] ?? null;
      if (c.nullableValue && v === null) return; // every row tied so far has no due time either
      const op = c.desc ? "<" : ">";
      alternatives.push([...equalities, `${c.expr} ${op} ${page.add(v, c.cast)}`].join(" and "));
      // The last component (the id) needs no equality: binding one anyway would leave an
      // unreferenced parameter, which PostgreSQL refuses ("could not determine data type").
      if (i < comps.length - 1) equalities.push(`${c.expr} = ${page.add(v, c.cast)}`);
    });
    where.push(`(${alternatives.map((a) => `(${a})`).join(" or ")})`);
  }
  const orderSql = comps.map((c) => `${c.expr} ${c.desc ? "desc" : "asc"}`).join(", ");
  const pageSql = `select ${TASK_COLUMNS}, title_key from task.tasks where ${where.join(" and ")}
    order by ${orderSql} limit ${q.pageSize + 1}`;
  // A search's count is bounded like its ranking; a plain list's count is exact (it is served by
  // the B-tree indexes and bounded by the size of one account).
  const countSql =
    widened === undefined
      ? `select count(*)::int as n from task.tasks where ${countWhere.join(" and ")}`
      : `select count(*)::int as n from (select 1 from task.tasks where ${countWhere.join(" and ")}
           limit ${window + 1}) as matches`;

  const [rows, counted] = await Promise.all([
    sql.unsafe<ListedRow[]>(pageSql, page.values as never[]),
    sql.unsafe<{ n: number }[]>(countSql, count.values as never[]),
  ]);
  const more = rows.length > q.pageSize;
  const shown = more ? rows.slice(0, q.pageSize) : rows;
  const last = shown[shown.length - 1];
  const n = counted[0]?.n ?? 0;
  const capped = widened !== undefined && n > window;
  return {
    rows: shown,
    nextValues: more && last ? comps.map((c) => c.read(last)) : undefined,
    total: capped ? window : n,
    totalCapped: capped,
  };
}
