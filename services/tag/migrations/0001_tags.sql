-- The tag catalogue and what the tag service knows about tasks (learnt from `task-events` only).

-- One row per tag of a user. `name` is as the user spelled it; `name_key` is its lower-cased form
-- (JavaScript toLowerCase, the same folding the task service uses for `task.tasks.tag_keys`), unique
-- per user. `explicit` tags were created or edited through the API and stay; implicit ones were added
-- because a task used them and disappear when no task carries them any more.
create table tag.tags (
  id uuid primary key,
  user_id uuid not null,
  name text not null,
  name_key text not null,
  color text not null,
  explicit boolean not null,
  create_time timestamptz not null,
  update_time timestamptz not null,
  constraint tags_user_name_key unique (user_id, name_key)
);
-- ListTags pages by (name_key, id) in byte order.
create index tags_user_order on tag.tags (user_id, name_key collate "C", id);

-- Per task: its tag keys and whether it is open, as of the newest task event applied (`version`
-- from the etag, `update_time` from the snapshot), so stale events are ignored. A deleted task keeps
-- a tombstone (`deleted`, no keys) so a late event cannot bring it back.
create table tag.task_tags (
  task_id uuid primary key,
  user_id uuid not null,
  tag_keys text[] not null,
  open boolean not null,
  deleted boolean not null default false,
  version bigint,
  update_time timestamptz not null
);
create index task_tags_user on tag.task_tags (user_id);
create index task_tags_keys on tag.task_tags using gin (tag_keys);
