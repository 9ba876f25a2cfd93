/**
 * How the tag service learns about tasks: it consumes `task-events` (every event carries the owner and
 * the full task snapshot) and keeps, per task, its tag keys and whether it is open. Events older than
 * what is stored (by the etag's version, else `update_time`) are ignored; a deleted task leaves a
 * tombstone so nothing late revives it. A tag a task uses that is not in the catalogue is added as an
 * implicit tag; an implicit tag that no task carries any more is removed, so stale in-flight events
 * (say, from before a rename reached the task service) cannot leave ghosts behind.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { decodeTaskEvent, etagVersion } from "@todo/events";
import { TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import type { CloudEvent, EventHandler, Sql, TxSql } from "@todo/platform";
import { idempotentHandler } from "@todo/platform/events";
import { defaultTagColor } from "./colors";
import { lockUser, tagKey } from "./store";

/** The consumer name under which processed task events are recorded. */
export const TASK_EVENTS_CONSUMER = "tag.task-events";

/** What the handler needs. */
export interface TaskEventsHandlerDeps {
  readonly sql: Sql;
}

interface StoredTask {
  user_id: string;
  tag_keys: string[];
  deleted: boolean;
  version: string | null;
  update_time: Date;
}

/** Whether an event at (version, updateTime) is newer than what is stored. */
function isNewer(version: bigint | undefined, updateTime: Date, stored: StoredTask): boolean {
  if (version !== undefined && stored.version !== null) return version > BigInt(stored.version);
  return updateTime.getTime() > stored.update_time.getTime();
}

/** Applies one task event inside `tx` (the idempotent consumer's transaction). */
export async function applyTaskEvent(tx: TxSql, event: CloudEvent): Promise<void> {
  const snapshot = decodeTaskEvent(event);
  if (!snapshot) return;
  const { userId, task } = snapshot;
  const deleted = snapshot.kind === "deleted";
  // Issued together (postgres.js pipelines them; PostgreSQL runs them in order, under the lock).
  const [, [stored]] = await Promise.all([
    lockUser(tx, userId),
    tx<StoredTask[]>`
      select user_id, tag_keys, deleted, version::text as version, update_time
      from tag.task_tags where task_id = ${task.id} for update`,
  ]);
  if (stored && (stored.deleted || stored.user_id !== userId)) return;
  const version = etagVersion(task.etag);
  const updateTime = task.updateTime ? timestampDate(task.updateTime) : new Date(0);
  if (stored && !deleted && !isNewer(version, updateTime, stored)) return;

  const names = new Map<string, string>();
  if (!deleted) {
    for (const raw of task.tags) {
      const name = raw.trim();
      if (name !== "" && !names.has(tagKey(name))) names.set(tagKey(name), name);
    }
  }
  const keys = [...names.keys()];
  const open = !deleted && task.status !== TaskStatus.COMPLETED;
  // The row first, then the user's tags: sent together, run in this order.
  const recorded = tx`
    insert into tag.task_tags (task_id, user_id, tag_keys, open, deleted, version, update_time)
    values (${task.id}, ${userId}, ${keys}::text[], ${open}, ${deleted}, ${version?.toString() ?? null}::bigint,
      ${updateTime})
    on conflict (task_id) do update set tag_keys = excluded.tag_keys, open = excluded.open,
      deleted = excluded.deleted, version = excluded.version, update_time = excluded.update_time`.execute();
  const spelled = [...names.values()];
  const named =
    keys.length === 0
      ? undefined
      : tx`
          insert into tag.tags (id, user_id, name, name_key, color, explicit, create_time, update_time)
          select n.id, ${userId}, n.name, n.key, n.color, false, now(), now()
          from unnest(${keys.map(() => Bun.randomUUIDv7())}::uuid[], ${spelled}::text[], ${keys}::text[],
            ${spelled.map(defaultTagColor)}::text[]) as n(id, name, key, color)
          on conflict (user_id, name_key) do nothing`.execute();
  // Implicit tags no task has any more; after the row's update, which it reads.
  const removed = (stored?.tag_keys ?? []).filter((k) => !names.has(k));
  const cleaned =
    removed.length === 0
      ? undefined
      : tx`
          delete from tag.tags t
          where t.user_id = ${userId} and not t.explicit and t.name_key = any(${removed}::text[])
            and not exists (
              select 1 from tag.task_tags u where u.user_id = ${userId} and u.tag_keys @> array[t.name_key])`.execute();
  await Promise.all([recorded, named, cleaned]);
}

/** The `task-events` handler of the tag service (subscribe it in group `tag`). */
export function createTaskEventsHandler(deps: TaskEventsHandlerDeps): EventHandler {
  // Tag counts are per user: different users' events go together, one user's in order.
  return idempotentHandler(deps.sql, "tag", TASK_EVENTS_CONSUMER, applyTaskEvent, {
    chainOf: (e) => decodeTaskEvent(e)?.userId ?? "",
  });
}
