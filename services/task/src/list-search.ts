/**
 * Search in relevance order: the newest `SEARCH_WINDOW` matches ranked with `ts_rank`, then the
 * older matches newest first (the reasons are in list-tasks.ts), with typo tolerance from the
 * caller's known words.
 */
import type { Sql } from "@todo/platform";
import { CursorError, iso, type ListedRow, type ListQuery, type ListResult, type Params } from "./list-query";
import type { CursorValueType, PageCursor } from "./page-token";
import { buildTsQueries } from "./search-query";
import { TASK_COLUMNS } from "./task-mapper";

/**
 * The cursor of a search in relevance order: `[phase, bound time, bound id, rank, create time, id]`.
 * Phase 1 is the ranked window, phase 2 the older matches after it. The bound is the oldest task of
 * the window as the first page found it (null when the window held every match): fixing it in the
 * token keeps the window's membership stable while tasks are added or deleted between pages, so no
 * task moves between the phases. The rank is null in phase 2.
 */
export const RELEVANCE_TYPES: readonly CursorValueType[] = [
  "smallint",
  "timestamptz",
  "uuid?",
  "real?",
  "timestamptz",
  "uuid",
];

/**
 * The similar known words of each search term, for typo tolerance. Only a term the user never wrote,
 * not even as the start of a word, is a likely typo.
 */
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
    -- A known word such as "meeting" must not also match everything similar ("marketing"). The
    -- first of the user's words at or after the term (an index range scan) starts with it if any does.
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

/**
 * The `to_tsquery('simple', …)` texts of a search: `exact` matches every term as a prefix, `widened`
 * also accepts the caller's known words close to a misspelt term. A task matches the search when it
 * matches `widened`. Exported for the benchmark, which counts matches the way the service does.
 */
export async function searchTsQueries(
  sql: Sql,
  userId: string,
  terms: readonly string[],
): Promise<{ exact: string; widened: string }> {
  return buildTsQueries(terms, await similarWords(sql, userId, terms));
}

/**
 * How many windows' worth of matches the first slice of a ranked search aims to hold (see
 * `windowCut`): more than one, so that a rough estimate still fills the window from one slice.
 */
const CUT_SLACK = 1.5;

/**
 * How many of the caller's tasks PostgreSQL expects to satisfy `match` (EXPLAIN: planned, not run).
 * Prepared, so it costs one round trip once a connection knows it: EXPLAIN plans afresh every time.
 */
export async function estimateMatches(
  sql: Sql,
  match: { where: string; values: unknown[] },
): Promise<number> {
  const [row] = await sql.unsafe<{ "QUERY PLAN": [{ Plan: { "Plan Rows": number } }] }[]>(
    `explain (format json) select 1 from task.tasks where ${match.where}`,
    match.values as never[],
    { prepare: true },
  );
  return row?.["QUERY PLAN"][0].Plan["Plan Rows"] ?? 0;
}

/** When the caller's newest and oldest tasks were created (two index probes). */
export async function creationSpan(
  sql: Sql,
  userId: string,
): Promise<{ newest: Date; oldest: Date } | undefined> {
  const [row] = await sql<{ newest: Date | null; oldest: Date | null }[]>`
    select max(create_time) as newest, min(create_time) as oldest from task.tasks where user_id = ${userId}`;
  return row?.newest && row.oldest ? { newest: row.newest, oldest: row.oldest } : undefined;
}

/**
 * Where the first page of a ranked search cuts the caller's creation times, or undefined for no cut.
 * The newest `window` matches are wanted; if matches are spread evenly over time, the newest
 * `CUT_SLACK × window / estimate` of the span of creation times holds them. Both figures are only a
 * guide to the work: a cut that proves too recent costs a second slice, never a wrong result.
 */
export function windowCut(
  estimate: number,
  span: { newest: Date; oldest: Date } | undefined,
  window: number,
): Date | undefined {
  const share = (CUT_SLACK * (window + 1)) / estimate;
  if (!span || !(share < 1)) return undefined;
  const newest = span.newest.getTime();
  return new Date(newest - Math.ceil((newest - span.oldest.getTime()) * share));
}

/** A position in a relevance-ordered search (see RELEVANCE_TYPES). */
interface SearchCursor {
  readonly phase: 1 | 2;
  /** The oldest task of the window (create time, id); undefined when the window held every match. */
  readonly bound: readonly [string, string] | undefined;
  readonly rank: number | null;
  readonly createTime: string;
  readonly id: string;
}

function searchCursor(values: PageCursor["values"]): SearchCursor {
  const [phase, boundTime, boundId, rank, createTime, id] = values;
  const bound =
    typeof boundTime === "string" && typeof boundId === "string"
      ? ([boundTime, boundId] as const)
      : undefined;
  const valid =
    values.length === RELEVANCE_TYPES.length &&
    (phase === 1 || phase === 2) &&
    (boundTime === null) === (boundId === null) &&
    typeof createTime === "string" &&
    typeof id === "string" &&
    (phase === 1 ? typeof rank === "number" : rank === null && bound !== undefined);
  if (!valid) throw new CursorError();
  return { phase, bound, rank: rank as number | null, createTime: createTime as string, id: id as string };
}

type RankedRow = ListedRow & { rank: number };
/** A row of the window statements: the window's figures, and a task unless nothing matched. */
type WindowRow = Partial<RankedRow> & { matched: number; bound_time?: Date | null; bound_id?: string | null };

/**
 * A page of a search in relevance order: the window's matches by `ts_rank` (ties: newest first),
 * then the older matches newest first. Title words weigh more than description words (weights A and
 * B of the stored `search` vector) and, when a term was widened for a typo, exact prefix hits rank
 * above corrected ones (the exact query's rank is added).
 */
export async function searchPage(
  sql: Sql,
  q: ListQuery,
  params: () => Params,
  filterSql: string,
  tsq: { exact: string; widened: string },
  window: number,
  cut?: Date,
): Promise<ListResult> {
  const cursor = q.cursor ? searchCursor(q.cursor.values) : undefined;
  const limit = q.pageSize + 1;
  const cols = TASK_COLUMNS.split(", ")
    .map((c) => `t.${c}`)
    .join(", ");
  /**
   * The match condition and the rank expression, with their parameters added to `p`. A statement
   * that does not rank says so: PostgreSQL refuses a parameter the text never uses.
   */
  const match = (p: Params, ranking = true) => {
    const widened = `to_tsquery('simple', ${p.add(tsq.widened, "text")})`;
    const exact =
      !ranking || tsq.exact === tsq.widened ? undefined : `to_tsquery('simple', ${p.add(tsq.exact, "text")})`;
    return {
      where: `${filterSql} and search @@ ${widened}`,
      rank: exact ? `ts_rank(search, ${widened}) + ts_rank(search, ${exact})` : `ts_rank(search, ${widened})`,
    };
  };

  const rows: ListedRow[] = [];
  let bound = cursor?.bound;
  let total: number;
  let capped: boolean;
  let next: PageCursor["values"] | undefined;
  const boundValues = (): [string | null, string | null] => (bound ? [bound[0], bound[1]] : [null, null]);

  if (!cursor || cursor.phase === 1) {
    const p = params();
    const m = match(p);
    let text: string;
    if (!cursor) {
      // The first page finds the window: the newest `window` matches (one more tells whether older
      // ones exist). One scan newest first through (user_id, create_time, id) costs `window` divided
      // by the share of tasks that match — 20 000 rows for a word in 5 % of 100 000 tasks — and
      // reading every match through the GIN index costs a heap visit per match. So the creation
      // times are cut where the newest matches should end (windowCut) and the two slices are read
      // newest first, the older one only when the newer holds too few matches. PostgreSQL plans
      // each slice with its bounds known: an early-stopping ordered scan when matches are common,
      // or the GIN index ANDed with the (user_id, create_time) range, which visits only the slice's
      // matches — about a window's worth either way.
      const bound0 = cut ? p.add(cut, "timestamptz") : undefined;
      const ranges = bound0 ? [`create_time >= ${bound0}`, `create_time < ${bound0}`] : ["true"];
      const slices = ranges.map(
        (range, i) => `slice${i} as materialized (
          select id, create_time, search from task.tasks
          where ${m.where} and ${range}${i > 0 ? ` and (select count(*) from slice0) <= ${window}` : ""}
          order by create_time desc, id desc limit ${window + 1}
        )`,
      );
      text = `
        with ${slices.join(", ")},
        numbered as materialized (
          select id, create_time, search, row_number() over (order by create_time desc, id desc) as pos
          from (${slices.map((_, i) => `select * from slice${i}`).join(" union all ")}) as candidates
        ), figures as (
          select count(*) filter (where pos <= ${window + 1})::int as matched,
            max(create_time) filter (where pos = ${window}) as bound_time,
            max(id::text) filter (where pos = ${window}) as bound_id
          from numbered
        ), ranked as (
          select id, create_time, ${m.rank} as rank from numbered where pos <= ${window}
          order by rank desc, create_time desc, id desc limit ${limit}
        )
        select f.matched, f.bound_time, f.bound_id, r.rank, ${cols}, t.title_key
        from figures f left join (ranked r join task.tasks t on t.id = r.id) on true
        order by r.rank desc, r.create_time desc, r.id desc`;
    } else {
      const within = bound
        ? ` and (create_time, id) >= (${p.add(bound[0], "timestamptz")}, ${p.add(bound[1], "uuid")})`
        : "";
      const after = `(rank, create_time, id) < (${p.add(cursor.rank, "real")}, ${p.add(cursor.createTime, "timestamptz")}, ${p.add(cursor.id, "uuid")})`;
      text = `
        with windowed as materialized (
          select id, create_time, search from task.tasks where ${m.where}${within}
        ), figures as (
          select count(*)::int as matched from windowed
        ), ranked as (
          select id, create_time, rank from (select id, create_time, ${m.rank} as rank from windowed) as w
          where ${after}
          order by rank desc, create_time desc, id desc limit ${limit}
        )
        select f.matched, r.rank, ${cols}, t.title_key
        from figures f left join (ranked r join task.tasks t on t.id = r.id) on true
        order by r.rank desc, r.create_time desc, r.id desc`;
    }
    const result = await sql.unsafe<WindowRow[]>(text, p.values as never[]);
    const first = result[0];
    const matched = first?.matched ?? 0;
    if (!cursor && first?.bound_time && first.bound_id && matched > window) {
      bound = [first.bound_time.toISOString(), first.bound_id];
    }
    // Without a bound the window is every match, so its size is the exact count.
    capped = bound !== undefined;
    total = capped ? window : matched;
    const ranked = result.filter((r): r is WindowRow & RankedRow => r.id !== undefined && r.id !== null);
    if (ranked.length > q.pageSize) {
      const last = ranked[q.pageSize - 1] as RankedRow;
      rows.push(...ranked.slice(0, q.pageSize));
      next = [1, ...boundValues(), last.rank, iso(last.create_time), last.id];
    } else {
      rows.push(...ranked);
    }
    if (next || !bound) {
      return { rows, nextValues: next, total, totalCapped: capped };
    }
  } else {
    capped = true;
    total = window;
  }

  // Phase 2: matches older than the window, newest first, after the cursor (or the window's end).
  if (!bound) throw new CursorError();
  const from: readonly [string, string] = cursor?.phase === 2 ? [cursor.createTime, cursor.id] : bound;
  const p = params();
  const m = match(p, false);
  const older = await sql.unsafe<ListedRow[]>(
    `select ${TASK_COLUMNS}, title_key from task.tasks
     where ${m.where} and (create_time, id) < (${p.add(from[0], "timestamptz")}, ${p.add(from[1], "uuid")})
     order by create_time desc, id desc limit ${limit - rows.length}`,
    p.values as never[],
  );
  const room = q.pageSize - rows.length;
  const shown = older.slice(0, room);
  rows.push(...shown);
  if (older.length > room) {
    // Continue after the last older task shown, or — when the page ended with the window — after
    // the window's oldest task.
    const last = shown[shown.length - 1];
    next = [2, ...boundValues(), null, ...(last ? [iso(last.create_time), last.id] : from)];
  }
  return { rows, nextValues: next, total, totalCapped: capped };
}
