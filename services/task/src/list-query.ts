/**
 * What the two ways of paging a ListTasks query share (list-tasks.ts): the normalised request, the
 * page it gives, the statement parameters, and the error of a forged page token.
 */
import type { SortKey } from "./order-by";
import type { PageCursor } from "./page-token";
import type { TaskRow } from "./task-mapper";

/**
 * How many of the newest matches a search ranks by relevance, and how far a search's `total_size`
 * is counted exactly.
 */
export const SEARCH_WINDOW = 1000;

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
  /** The search window (default `SEARCH_WINDOW`; smaller in tests). */
  readonly searchWindow?: number;
}

/** A page of tasks, the cursor values of its last row, and the total. */
export interface ListResult {
  readonly rows: TaskRow[];
  /** Cursor values after the last row when there is a next page. */
  readonly nextValues: PageCursor["values"] | undefined;
  /** How many tasks match; with `totalCapped`, more than this many match. */
  readonly total: number;
  /** A search matched more than the search window: `total` is the window, not the full count. */
  readonly totalCapped: boolean;
}

/** A page token whose values decode but cannot be a cursor of this order (a forged token). */
export class CursorError extends Error {
  constructor() {
    super("the page token's values do not describe a position in this listing");
    this.name = "CursorError";
  }
}

/** A listed row, with the sort key of its title. */
export type ListedRow = TaskRow & { title_key: string };

/** A timestamp as it is kept in a cursor. */
export const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Whether `order` is the relevance order of a search. */
export const isRelevance = (order: readonly SortKey[]) =>
  order.length === 1 && order[0]?.field === "relevance";

/** The parameters of one statement: `$1` is the user id, then the filter's, then any added. */
export class Params {
  readonly values: unknown[];
  constructor(userId: string, filterParams: readonly unknown[]) {
    this.values = [userId, ...filterParams];
  }
  /** Adds a value and returns its placeholder with a cast. */
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}
