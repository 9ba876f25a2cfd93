/** A list question as the ListTasks filter (docs/filtering.md), with instants written as RFC 3339. */
import { filterValue } from "@todo/tools";
import type { ListQuery } from "./intent";

/** The ListTasks filter for a query. */
export function listFilter(query: ListQuery, now: Date): string {
  const parts = [query.status === "completed" ? "status = COMPLETED" : "status = OPEN"];
  if (query.overdue) parts.push(`due_time < ${now.toISOString()}`);
  if (query.due?.from) parts.push(`due_time >= ${query.due.from}`);
  if (query.due?.to) parts.push(`due_time < ${query.due.to}`);
  if (query.completed?.from) parts.push(`complete_time >= ${query.completed.from}`);
  if (query.completed?.to) parts.push(`complete_time < ${query.completed.to}`);
  if (query.priority)
    parts.push(`priority ${query.priorityAtLeast ? ">=" : "="} ${query.priority.toUpperCase()}`);
  for (const tag of query.tags) parts.push(`tags:${filterValue(tag)}`);
  if (query.noDue) parts.push("NOT due_time:*");
  return parts.join(" AND ");
}
