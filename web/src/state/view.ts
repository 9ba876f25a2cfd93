/**
 * The task view — search, filters and sort — and its three faces: the URL's query string (so a
 * view can be bookmarked and shared), the ListTasks request that fetches it (`filter`, `order_by`,
 * `query`), and a local matcher and comparator that let live changes land in the right place
 * without asking the server again.
 *
 * URL parameters (all optional; defaults are left out so links stay short):
 * `q` search text · `status` open|completed|all (open) · `priority` comma list of
 * urgent,high,medium,low,none · `tags` comma list (tags cannot contain commas) · `due`
 * overdue|today|week|none · `filter` an advanced filter (docs/filtering.md) · `sort`
 * relevance|priority|due|created|title · `dir` asc|desc (each sort has its natural direction).
 */
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { PRIORITY_ENUM_NAME } from "@todo/language/priority";
import { PRIORITIES, type PriorityKey, startOfDay } from "../lib/format";

/** Which tasks by status. */
export type StatusFilter = "open" | "completed" | "all";
/** The due-date buckets of the filter bar. */
export type DueBucket = "overdue" | "today" | "week" | "none";
/** The sort choices; `relevance` only means something while searching. */
export type SortKey = "relevance" | "priority" | "due" | "created" | "completed" | "title";
/** Sort direction. */
export type SortDir = "asc" | "desc";

/** Everything that decides which tasks the list shows, in which order. */
export interface TaskView {
  readonly q: string;
  readonly status: StatusFilter;
  readonly priorities: readonly PriorityKey[];
  readonly tags: readonly string[];
  readonly due: DueBucket | undefined;
  readonly filter: string;
  /** Undefined = the default: relevance while searching, otherwise newest first. */
  readonly sort: SortKey | undefined;
  /** Undefined = the sort's natural direction. */
  readonly dir: SortDir | undefined;
}

/** How many tasks the list asks for per page (the first page included). */
export const PAGE_SIZE = 50;

/** The view with nothing chosen: open tasks, newest first. */
export const DEFAULT_VIEW: TaskView = {
  q: "",
  status: "open",
  priorities: [],
  tags: [],
  due: undefined,
  filter: "",
  sort: undefined,
  dir: undefined,
};

const STATUSES: readonly StatusFilter[] = ["open", "completed", "all"];
const DUES: readonly DueBucket[] = ["overdue", "today", "week", "none"];
const SORTS: readonly SortKey[] = ["relevance", "priority", "due", "created", "completed", "title"];
const PRIORITY_KEYS = PRIORITIES.map((p) => p.key);

/** The natural direction of each sort: most important, soonest, newest, A→Z. */
export const NATURAL_DIR: Record<SortKey, SortDir> = {
  relevance: "desc",
  priority: "desc",
  due: "asc",
  created: "desc",
  completed: "desc",
  title: "asc",
};

/** Labels for the UI. */
export const SORT_LABELS: Record<SortKey, string> = {
  relevance: "Relevance",
  priority: "Priority",
  due: "Due date",
  created: "Created",
  completed: "Completed",
  title: "Title",
};
export const DUE_LABELS: Record<DueBucket, string> = {
  overdue: "Overdue",
  today: "Today",
  week: "Next 7 days",
  none: "No date",
};

type Params = Partial<Record<string, string | string[] | undefined>>;

const one = (v: string | string[] | undefined): string => (Array.isArray(v) ? (v[0] ?? "") : (v ?? ""));
const list = (v: string | string[] | undefined): string[] =>
  one(v)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Reads a view from URL search parameters (as `useSearchParams` or `URLSearchParams` give them).
 * Unknown values are dropped rather than refused, so an old or hand-edited link still opens.
 */
export function parseView(params: Params | URLSearchParams): TaskView {
  const get = (k: string) => (params instanceof URLSearchParams ? (params.get(k) ?? undefined) : params[k]);
  const status = one(get("status")) as StatusFilter;
  const due = one(get("due")) as DueBucket;
  const sort = one(get("sort")) as SortKey;
  const dir = one(get("dir")) as SortDir;
  const priorities = list(get("priority")).filter((p): p is PriorityKey =>
    (PRIORITY_KEYS as string[]).includes(p),
  );
  const seen = new Set<string>();
  const tags = list(get("tags")).filter((t) => !seen.has(t.toLowerCase()) && seen.add(t.toLowerCase()));
  return {
    q: one(get("q")),
    status: STATUSES.includes(status) ? status : "open",
    priorities: PRIORITY_KEYS.filter((p) => priorities.includes(p)),
    tags,
    due: DUES.includes(due) ? due : undefined,
    filter: one(get("filter")),
    sort: SORTS.includes(sort) ? sort : undefined,
    dir: dir === "asc" || dir === "desc" ? dir : undefined,
  };
}

/**
 * The URL parameters of `view`, every parameter present (undefined = remove it), for
 * `setSearchParams`: defaults are left out so `/` is the default view.
 */
export function viewToParams(view: TaskView): Record<string, string | undefined> {
  const sort = effectiveSort(view);
  const explicitSort = view.sort && view.sort !== defaultSort(view) ? view.sort : undefined;
  return {
    q: view.q || undefined,
    status: view.status === "open" ? undefined : view.status,
    priority: view.priorities.length ? view.priorities.join(",") : undefined,
    tags: view.tags.length ? view.tags.join(",") : undefined,
    due: view.due,
    filter: view.filter || undefined,
    sort: explicitSort,
    dir: view.dir && view.dir !== NATURAL_DIR[sort] ? view.dir : undefined,
  };
}

/** The query string of `view` (`?due=today&tags=work`), or "" for the default view. */
export function viewToSearch(view: TaskView): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(viewToParams(view))) if (v !== undefined) out.set(k, v);
  const s = out.toString();
  return s ? `?${s}` : "";
}

/** Relevance while searching; the Completed view most recently completed first; else newest first. */
function defaultSort(view: TaskView): SortKey {
  if (view.q.trim()) return "relevance";
  return view.status === "completed" ? "completed" : "created";
}

/**
 * The sort in force: the chosen one, or the default. Relevance is only possible while searching,
 * completion time only in a view that shows completed tasks.
 */
export function effectiveSort(view: TaskView): SortKey {
  const s = view.sort ?? defaultSort(view);
  if (s === "relevance" && !view.q.trim()) return "created";
  // Open tasks have no completion time to sort by.
  return s === "completed" && view.status === "open" ? "created" : s;
}

/** The direction in force. Relevance is always best first. */
export function effectiveDir(view: TaskView): SortDir {
  const sort = effectiveSort(view);
  return sort === "relevance" ? "desc" : (view.dir ?? NATURAL_DIR[sort]);
}

/** Whether the view differs from the default in anything but its sort. */
export function isFiltered(view: TaskView): boolean {
  return Boolean(
    view.q.trim() ||
      view.status !== "open" ||
      view.priorities.length ||
      view.tags.length ||
      view.due ||
      view.filter.trim(),
  );
}

/** A filter-language string literal: always quoted, `"` and `\` escaped. */
export function quoteValue(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The restrictions of the view's controls (not the advanced box), joined by AND. Each bucket
 * follows docs/filtering.md: overdue is `due_time < now`, today is `due_time >= today AND
 * due_time < today+1d`, the next 7 days include today, "no date" is `NOT due_time:*`.
 */
export function controlsFilter(view: TaskView): string {
  const parts: string[] = [];
  if (view.status === "open") parts.push("status = OPEN");
  else if (view.status === "completed") parts.push("status = COMPLETED");
  if (view.priorities.length === 1)
    parts.push(`priority = ${PRIORITY_ENUM_NAME[view.priorities[0] as PriorityKey]}`);
  else if (view.priorities.length > 1)
    parts.push(`(${view.priorities.map((p) => `priority = ${PRIORITY_ENUM_NAME[p]}`).join(" OR ")})`);
  for (const tag of view.tags) parts.push(`tags:${quoteValue(tag)}`);
  switch (view.due) {
    case "overdue":
      parts.push("due_time < now");
      break;
    case "today":
      parts.push("due_time >= today AND due_time < today+1d");
      break;
    case "week":
      parts.push("due_time >= today AND due_time < today+7d");
      break;
    case "none":
      parts.push("NOT due_time:*");
      break;
  }
  return parts.join(" AND ");
}

/** The `filter`, `order_by` and `query` of the ListTasks request for `view`. */
export interface ListQuery {
  readonly filter: string;
  readonly orderBy: string;
  readonly query: string;
}

/**
 * Builds the ListTasks fields for `view`. The advanced filter comes first and is joined with a
 * bare AND: AND binds loosest in this language, so no parentheses are needed and the column
 * numbers in the server's error messages match what the person typed.
 */
export function buildListQuery(view: TaskView): ListQuery {
  const advanced = view.filter.trim();
  const controls = controlsFilter(view);
  const filter = advanced && controls ? `${advanced} AND ${controls}` : advanced || controls;
  return { filter, orderBy: orderByOf(view), query: view.q.trim() };
}

/** The `order_by` of `view`; ties are broken by a sensible second key, then by id on the server. */
export function orderByOf(view: TaskView): string {
  const sort = effectiveSort(view);
  const dir = effectiveDir(view);
  switch (sort) {
    case "relevance":
      return "";
    case "priority":
      return `priority ${dir}, due_time asc`;
    case "due":
      return `due_time ${dir}, priority desc`;
    case "created":
      return `create_time ${dir}`;
    case "completed":
      return `complete_time ${dir}`;
    case "title":
      return `title ${dir}`;
  }
}

/** What the matcher needs to know besides the task: the moment and the account's time zone. */
export interface MatchContext {
  readonly now: Date;
  readonly timeZone: string;
}

const ms = (t: { seconds: bigint; nanos: number } | undefined): number | undefined =>
  t === undefined ? undefined : Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);

/** The due time of `task` in epoch milliseconds, if it has one. */
export function dueMs(task: Task): number | undefined {
  return ms(task.dueTime);
}

/**
 * Whether `task` belongs in `view`: true or false when the controls decide it, undefined when the
 * view has a search or an advanced filter, which only the server can evaluate.
 */
export function matchesView(task: Task, view: TaskView, ctx: MatchContext): boolean | undefined {
  if (view.status === "open" && task.status !== TaskStatus.OPEN) return false;
  if (view.status === "completed" && task.status !== TaskStatus.COMPLETED) return false;
  if (view.priorities.length > 0) {
    const key = PRIORITIES.find((p) => p.value === task.priority)?.key ?? "none";
    if (!view.priorities.includes(key)) return false;
  }
  if (view.tags.length > 0) {
    const have = new Set(task.tags.map((t) => t.toLowerCase()));
    if (!view.tags.every((t) => have.has(t.trim().toLowerCase()))) return false;
  }
  if (view.due) {
    const due = dueMs(task);
    const now = ctx.now.getTime();
    if (view.due === "none") {
      if (due !== undefined) return false;
    } else if (due === undefined) return false;
    else if (view.due === "overdue") {
      if (due >= now) return false;
    } else {
      const start = startOfDay(ctx.now, ctx.timeZone).getTime();
      const end = startOfDay(ctx.now, ctx.timeZone, view.due === "today" ? 1 : 7).getTime();
      if (due < start || due >= end) return false;
    }
  }
  if (view.q.trim() || view.filter.trim()) return undefined;
  return true;
}

/**
 * Compares two tasks in the order the server lists them for `view` (ending with the id, as the
 * server does), or returns undefined for relevance, which only the server knows.
 */
export function compareForView(view: TaskView): ((a: Task, b: Task) => number) | undefined {
  const sort = effectiveSort(view);
  if (sort === "relevance") return undefined;
  const sign = effectiveDir(view) === "desc" ? -1 : 1;
  const byId = (a: Task, b: Task) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const cmp = (x: number | string, y: number | string) => (x < y ? -1 : x > y ? 1 : 0);
  // A missing time (no due time; not completed) sorts last in both directions, as on the server.
  const timeCmp = (da: number | undefined, db: number | undefined, s: number) => {
    if (da === undefined || db === undefined) return da === db ? 0 : da === undefined ? 1 : -1;
    return s * cmp(da, db);
  };
  const dueCmp = (a: Task, b: Task, s: number) => timeCmp(dueMs(a), dueMs(b), s);
  switch (sort) {
    case "priority":
      return (a, b) => sign * cmp(a.priority, b.priority) || dueCmp(a, b, 1) || byId(a, b);
    case "due":
      return (a, b) => dueCmp(a, b, sign) || -cmp(a.priority, b.priority) || byId(a, b);
    case "created":
      return (a, b) => sign * cmp(ms(a.createTime) ?? 0, ms(b.createTime) ?? 0) || byId(a, b);
    case "completed":
      return (a, b) => timeCmp(ms(a.completeTime), ms(b.completeTime), sign) || byId(a, b);
    case "title":
      return (a, b) => sign * cmp(a.title.toLowerCase(), b.title.toLowerCase()) || byId(a, b);
  }
}
