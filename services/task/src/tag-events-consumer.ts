/**
 * The task service's `tag-events` consumer: a tag renamed or deleted in the tag service is renamed on,
 * or removed from, every task of its owner that carries it (matched ignoring case through
 * `tag_keys`). Each changed task gets a new version and `update_time` and a TaskUpdated event (mask
 * `tags`) in the same transaction, so the tag service and every other consumer see the change too.
 * Idempotent: a redelivered event changes nothing.
 */
import { TagDeletedSchema, TagRenamedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import {
  type CloudEvent,
  type EventHandler,
  fromCloudEvent,
  isEventOf,
  type Sql,
  type TxSql,
} from "@todo/platform";
import { idempotentHandler } from "@todo/platform/events";
import { emitTaskEvents } from "./task-events";
import { rowToTask, TASK_COLUMNS, type TaskRow } from "./task-mapper";

/** The consumer name under which processed tag events are recorded. */
export const TAG_EVENTS_CONSUMER = "task.tag-events";

/** What the handler needs. */
export interface TagEventsHandlerDeps {
  readonly sql: Sql;
  /** Called after an event was applied and committed (wakes an in-process outbox relay). */
  readonly afterCommit?: () => void;
}

/** The consumer's queries are fixed strings: prepare them once per connection and reuse them. */
const PREPARED = { prepare: true } as const;

/** The new tag list of a task, or undefined when it does not change. */
type Rewrite = (row: TaskRow) => { tags: string[]; tagKeys: string[] } | undefined;

function renameTag(oldKey: string, newName: string): Rewrite {
  const newKey = newName.toLowerCase();
  return (row) => {
    const at = row.tag_keys.indexOf(oldKey);
    if (at < 0) return undefined;
    const tags = [...row.tags];
    const tagKeys = [...row.tag_keys];
    if (newKey !== oldKey && tagKeys.includes(newKey)) {
      // The task already carries the new name: just drop the old one.
      tags.splice(at, 1);
      tagKeys.splice(at, 1);
    } else {
      if (tags[at] === newName) return undefined;
      tags[at] = newName;
      tagKeys[at] = newKey;
    }
    return { tags, tagKeys };
  };
}

function removeTag(key: string): Rewrite {
  return (row) => {
    if (!row.tag_keys.includes(key)) return undefined;
    const keep = row.tag_keys.map((k) => k !== key);
    return { tags: row.tags.filter((_, i) => keep[i]), tagKeys: row.tag_keys.filter((_, i) => keep[i]) };
  };
}

/** Rewrites the tags of `userId`'s tasks carrying `key`, emitting TaskUpdated for each changed task. */
async function rewriteTasks(tx: TxSql, userId: string, key: string, rewrite: Rewrite): Promise<void> {
  const rows = await tx.unsafe<TaskRow[]>(
    `select ${TASK_COLUMNS} from task.tasks where user_id = $1 and tag_keys @> array[$2::text] order by id for update`,
    [userId, key],
    PREPARED,
  );
  for (const row of rows) {
    const next = rewrite(row);
    if (!next) continue;
    const [updated] = await tx.unsafe<TaskRow[]>(
      `update task.tasks set tags = $2::text[], tag_keys = $3::text[], version = version + 1, update_time = now()
       where id = $1 returning ${TASK_COLUMNS}`,
      [row.id, next.tags, next.tagKeys],
      PREPARED,
    );
    if (updated) {
      await emitTaskEvents(tx, [
        { change: "updated", row: updated, task: rowToTask(updated), updateMask: ["tags"] },
      ]);
    }
  }
}

/** Applies one tag event inside `tx` (the idempotent consumer's transaction). */
export async function applyTagEvent(tx: TxSql, event: CloudEvent): Promise<void> {
  if (isEventOf(TagRenamedSchema, event)) {
    const e = fromCloudEvent(TagRenamedSchema, event);
    const newName = e.newName.trim();
    if (e.userId === "" || newName === "")
      throw new Error(`TagRenamed ${event.id} lacks its owner or new name`);
    const oldKey = e.oldName.trim().toLowerCase();
    await rewriteTasks(tx, e.userId, oldKey, renameTag(oldKey, newName));
  } else if (isEventOf(TagDeletedSchema, event)) {
    const e = fromCloudEvent(TagDeletedSchema, event);
    if (e.userId === "") throw new Error(`TagDeleted ${event.id} lacks its owner`);
    const key = e.name.trim().toLowerCase();
    await rewriteTasks(tx, e.userId, key, removeTag(key));
  }
}

/** The `tag-events` handler of the task service (subscribe it in group `task`). */
export function createTagEventsHandler(deps: TagEventsHandlerDeps): EventHandler {
  const committed = deps.afterCommit ?? (() => {});
  return idempotentHandler(deps.sql, "task", TAG_EVENTS_CONSUMER, async (tx, event, afterCommit) => {
    await applyTagEvent(tx, event);
    afterCommit(committed);
  });
}
