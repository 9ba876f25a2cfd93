/**
 * The ListTasks query: the caller's filter compiled to parameterised SQL, an optional full-text
 * search, a total order ending with the id, and keyset paging. No value is ever spliced into the SQL
 * text: field names and operators come from whitelists, values travel as parameters.
 *
 * A search in relevance order (a `query` without `order_by`) does a bounded amount of work whatever
 * the number of matches: it ranks the *search window* — the newest `SEARCH_WINDOW` (1 000) matches
 * by creation time — with `ts_rank`, then lists any older matches newest first. Ranking every match
 * costs a heap visit and a `ts_rank` per match, which for an everyday word in a large account is tens
 * of thousands per keystroke; the window costs at most about a thousand. A search matching at most
 * `SEARCH_WINDOW` tasks is therefore in plain relevance order. The count of a search is bounded the
 * same way: exact up to `SEARCH_WINDOW`, otherwise reported as capped (docs/api.md).
 */
import type { Sql } from "@todo/platform";
import { compileFilter } from "./filter";
import { orderCursorTypes, orderedPage } from "./list-ordered";
import { isRelevance, type ListQuery, type ListResult, Params, SEARCH_WINDOW } from "./list-query";
import {
  creationSpan,
  estimateMatches,
  RELEVANCE_TYPES,
  searchPage,
  searchTsQueries,
  windowCut,
} from "./list-search";
import type { SortKey } from "./order-by";
import type { CursorValueType } from "./page-token";
import { buildTsQueries } from "./search-query";

export { CursorError, type ListQuery, type ListResult, SEARCH_WINDOW } from "./list-query";
export { searchTsQueries } from "./list-search";

/** The types of the cursor values of `order` (for decoding tokens). */
export function cursorTypes(order: readonly SortKey[]): CursorValueType[] {
  return isRelevance(order) ? [...RELEVANCE_TYPES] : orderCursorTypes(order);
}

/** Runs one page of a ListTasks query. */
export async function listTasks(sql: Sql, q: ListQuery): Promise<ListResult> {
  const compiled = compileFilter(q.filter, { now: q.now, timeZone: q.timeZone, titleKeyColumn: true }, 2);
  const params = () => new Params(q.userId, compiled.params);
  const filterSql = `user_id = $1 and (${compiled.sql})`;
  const window = q.searchWindow ?? SEARCH_WINDOW;
  if (q.terms.length === 0) return orderedPage(sql, q, params, filterSql, undefined, window);
  if (!isRelevance(q.order)) {
    const tsq = await searchTsQueries(sql, q.userId, q.terms);
    return orderedPage(sql, q, params, filterSql, tsq.widened, window);
  }
  if (q.cursor) {
    return searchPage(sql, q, params, filterSql, await searchTsQueries(sql, q.userId, q.terms), window);
  }
  // A first page also needs windowCut's figures. They are asked for alongside the typo lookup,
  // guessing that no word is a typo (the usual case): a guess proved wrong costs one more estimate.
  const probe = (tsquery: string) => {
    const p = params();
    return {
      where: `${filterSql} and search @@ to_tsquery('simple', ${p.add(tsquery, "text")})`,
      values: p.values,
    };
  };
  const guess = buildTsQueries(q.terms, new Map()).widened;
  const [tsq, guessed, span] = await Promise.all([
    searchTsQueries(sql, q.userId, q.terms),
    estimateMatches(sql, probe(guess)),
    creationSpan(sql, q.userId),
  ]);
  const estimate = tsq.widened === guess ? guessed : await estimateMatches(sql, probe(tsq.widened));
  return searchPage(sql, q, params, filterSql, tsq, window, windowCut(estimate, span, window));
}
