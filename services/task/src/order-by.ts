/**
 * `ListTasks.order_by`: comma-separated keys, each optionally followed by `asc` or `desc`
 * (`"priority desc, due_time"`). Every order ends with the task id, so it is total and keyset paging
 * is exact. Tasks without a due time (or, for `complete_time`, open tasks) sort last whatever the
 * direction.
 */
import type { FieldViolation } from "@todo/platform";

/** A sortable field. */
export type SortField = "priority" | "due_time" | "create_time" | "update_time" | "complete_time" | "title";
/** One key of an order. */
export interface SortKey {
  readonly field: SortField | "relevance";
  readonly desc: boolean;
}

const FIELDS: readonly SortField[] = [
  "priority",
  "due_time",
  "create_time",
  "update_time",
  "complete_time",
  "title",
];

/** The order when none is given: relevance for a search, newest first otherwise. */
export function defaultOrder(searching: boolean): SortKey[] {
  return searching ? [{ field: "relevance", desc: true }] : [{ field: "create_time", desc: true }];
}

/** Parses `order_by`; returns the keys or a violation naming the problem. */
export function parseOrderBy(orderBy: string): SortKey[] | FieldViolation {
  const keys: SortKey[] = [];
  const seen = new Set<string>();
  for (const raw of orderBy.split(",")) {
    const words = raw.trim().split(/\s+/).filter(Boolean);
    const [name, dir, extra] = words;
    if (!name)
      return { field: "order_by", description: 'has an empty key; write e.g. "priority desc, due_time"' };
    const field = name.toLowerCase();
    if (!(FIELDS as readonly string[]).includes(field)) {
      return { field: "order_by", description: `cannot sort by "${name}"; use ${FIELDS.join(", ")}` };
    }
    if (extra !== undefined || (dir !== undefined && !/^(asc|desc)$/i.test(dir))) {
      return { field: "order_by", description: `"${raw.trim()}": a key may only be followed by asc or desc` };
    }
    if (seen.has(field)) return { field: "order_by", description: `"${field}" is given twice` };
    seen.add(field);
    keys.push({ field: field as SortField, desc: dir?.toLowerCase() === "desc" });
  }
  return keys;
}
