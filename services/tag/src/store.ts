/**
 * The tag service's data: the catalogue (`tag.tags`) and what it learnt about tasks from task events
 * (`tag.task_tags`). Every statement is scoped by the caller's user id. Writes to one user's tags
 * (API calls and task events alike) serialise on a per-user advisory lock, so an implicit tag cannot
 * be removed by one transaction while another starts using it.
 */
import { migrate, type Sql, type TxSql } from "@todo/platform";
import { ensureOutbox, ensureProcessedEvents } from "@todo/platform/events";
import { embedMigrations } from "@todo/platform/migrations-embed" with { type: "macro" };
import { defaultTagColor } from "./colors";
import { emitTagDeleted, emitTagRenamed } from "./tag-events";

/** A catalogue entry with its count of open tasks. */
export interface TagRow {
  id: string;
  user_id: string;
  name: string;
  name_key: string;
  color: string;
  explicit: boolean;
  create_time: Date;
  update_time: Date;
  task_count: number;
}

/** Where a ListTags page starts: after this (name_key, id). */
export interface TagCursor {
  readonly key: string;
  readonly id: string;
}

/** The changes of an UpdateTag; `color: null` means "the default colour of the (new) name". */
export interface TagPatch {
  readonly name?: string;
  readonly color?: string | null;
}

/** Result of an UpdateTag. */
export type UpdateResult =
  | { readonly row: TagRow; readonly renamed: boolean }
  | { readonly missing: true }
  | { readonly conflict: true };

/** Reads and writes a user's tags. */
export interface TagStore {
  readonly sql: Sql;
  /** Up to `limit` tags ordered by (name_key, id), after `cursor`. */
  list(userId: string, cursor: TagCursor | undefined, limit: number): Promise<TagRow[]>;
  /** Adds an explicit tag; undefined when the name is taken (ignoring case). */
  create(userId: string, name: string, color: string): Promise<TagRow | undefined>;
  /** Changes a tag and, on a rename, enqueues TagRenamed. */
  update(userId: string, id: string, patch: TagPatch): Promise<UpdateResult>;
  /** Deletes a tag and enqueues TagDeleted; false when the user has no such tag. */
  delete(userId: string, id: string): Promise<boolean>;
}

/** The lower-cased form tags are compared by (the task service folds `tag_keys` the same way). */
export function tagKey(name: string): string {
  return name.trim().toLowerCase();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a tag id at all (anything else is simply not found). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** Serialises writes to one user's tags until the transaction ends. */
export async function lockUser(tx: TxSql, userId: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('tag.user'), hashtext(${userId}))`;
}

/** The store's `unsafe` queries are fixed strings: prepare them once per connection and reuse them. */
const PREPARED = { prepare: true } as const;

const SELECT_TAG = `
  select t.id, t.user_id, t.name, t.name_key, t.color, t.explicit, t.create_time, t.update_time,
    (select count(*) from tag.task_tags u
      where u.user_id = t.user_id and u.open and u.tag_keys @> array[t.name_key])::int as task_count
  from tag.tags t`;

/** Applies the tag migrations, then the outbox and processed-events tables of schema `tag`. */
export async function migrateTags(sql: Sql): Promise<number[]> {
  const applied = await migrate(sql, "tag", embedMigrations("services/tag/migrations"));
  await ensureOutbox(sql, "tag");
  await ensureProcessedEvents(sql, "tag");
  return applied;
}

/** Creates the store on `sql`. */
export function createTagStore(sql: Sql): TagStore {
  const byId = async (tx: TxSql | Sql, userId: string, id: string) =>
    (
      await tx.unsafe<TagRow[]>(`${SELECT_TAG} where t.id = $1 and t.user_id = $2`, [id, userId], PREPARED)
    )[0];

  return {
    sql,

    list(userId, cursor, limit) {
      return cursor
        ? sql.unsafe<TagRow[]>(
            `${SELECT_TAG} where t.user_id = $1 and (t.name_key collate "C", t.id) > ($2 collate "C", $3::uuid)
             order by t.name_key collate "C", t.id limit $4`,
            [userId, cursor.key, cursor.id, limit],
            PREPARED,
          )
        : sql.unsafe<TagRow[]>(
            `${SELECT_TAG} where t.user_id = $1 order by t.name_key collate "C", t.id limit $2`,
            [userId, limit],
            PREPARED,
          );
    },

    async create(userId, name, color) {
      return sql.begin(async (tx) => {
        await lockUser(tx, userId);
        const inserted = await tx`
          insert into tag.tags (id, user_id, name, name_key, color, explicit, create_time, update_time)
          values (${Bun.randomUUIDv7()}, ${userId}, ${name}, ${tagKey(name)}, ${color}, true, now(), now())
          on conflict (user_id, name_key) do nothing
          returning id`;
        const id = inserted[0]?.id as string | undefined;
        return id ? byId(tx, userId, id) : undefined;
      });
    },

    async update(userId, id, patch) {
      if (!isUuid(id)) return { missing: true };
      return sql.begin(async (tx): Promise<UpdateResult> => {
        await lockUser(tx, userId);
        const [current] = await tx<{ name: string; name_key: string; color: string }[]>`
          select name, name_key, color from tag.tags where id = ${id} and user_id = ${userId} for update`;
        if (!current) return { missing: true };
        const name = patch.name ?? current.name;
        const key = tagKey(name);
        if (key !== current.name_key) {
          const taken = await tx`
            select 1 from tag.tags where user_id = ${userId} and name_key = ${key} and id <> ${id}`;
          if (taken.length > 0) return { conflict: true };
        }
        const color = patch.color === undefined ? current.color : (patch.color ?? defaultTagColor(name));
        const changed = name !== current.name || color !== current.color;
        await tx`
          update tag.tags
          set name = ${name}, name_key = ${key}, color = ${color}, explicit = true,
            update_time = case when ${changed} then now() else update_time end
          where id = ${id}`;
        const renamed = name !== current.name;
        if (renamed) {
          if (key !== current.name_key) {
            // What this service knows about tasks follows the rename at once, so the count stays
            // right; the task service renames the tasks themselves on TagRenamed.
            await tx`
              update tag.task_tags set tag_keys = array_replace(tag_keys, ${current.name_key}, ${key})
              where user_id = ${userId} and tag_keys @> array[${current.name_key}::text]`;
          }
          await emitTagRenamed(tx, { userId, tagId: id, oldName: current.name, newName: name });
        }
        const row = await byId(tx, userId, id);
        if (!row) throw new Error(`tag ${id} vanished inside its own transaction`);
        return { row, renamed };
      });
    },

    async delete(userId, id) {
      if (!isUuid(id)) return false;
      return sql.begin(async (tx) => {
        await lockUser(tx, userId);
        const [gone] = await tx<{ name: string; name_key: string }[]>`
          delete from tag.tags where id = ${id} and user_id = ${userId} returning name, name_key`;
        if (!gone) return false;
        await tx`
          update tag.task_tags set tag_keys = array_remove(tag_keys, ${gone.name_key})
          where user_id = ${userId} and tag_keys @> array[${gone.name_key}::text]`;
        await emitTagDeleted(tx, { userId, tagId: id, name: gone.name });
        return true;
      });
    },
  };
}
