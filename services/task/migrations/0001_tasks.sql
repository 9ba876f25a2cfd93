-- Tasks, their idempotency keys, and the word list behind typo-tolerant search.
create extension if not exists pg_trgm;

create table task.tasks (
  id uuid primary key,
  user_id uuid not null,
  title text not null,
  description text not null default '',
  status smallint not null default 1,          -- todo.task.v1.TaskStatus
  priority smallint not null default 0,        -- todo.task.v1.Priority
  tags text[] not null default '{}',           -- as the user spelled them
  tag_keys text[] not null default '{}',       -- lower-cased, same order: what filters match
  due_time timestamptz,
  time_zone text not null,
  rrule text,
  recurrence_anchor smallint not null default 0,
  reminders jsonb not null default '[]',       -- [{id, at?: RFC 3339, before_due_ms?: number}]
  series_id uuid,
  create_time timestamptz not null,
  update_time timestamptz not null,
  complete_time timestamptz,
  version bigint not null default 1,           -- the etag
  title_key text generated always as (lower(title)) stored,
  search tsvector generated always as (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', description), 'B')
  ) stored
);

-- Every list is scoped by user; these back the sorts (keyset order ends with id) and the filters.
create index tasks_user_create on task.tasks (user_id, create_time, id);
create index tasks_user_update on task.tasks (user_id, update_time, id);
create index tasks_user_priority on task.tasks (user_id, priority, id);
create index tasks_user_due on task.tasks (user_id, due_time, id);
create index tasks_user_title on task.tasks (user_id, title_key collate "C", id);
create index tasks_user_status_complete on task.tasks (user_id, status, complete_time);
create index tasks_tag_keys on task.tasks using gin (tag_keys);
create index tasks_search on task.tasks using gin (search);
create index tasks_title_trgm on task.tasks using gin (title_key gin_trgm_ops);

-- CreateTask idempotency: a repeated request_id returns the task the first call created.
create table task.create_requests (
  user_id uuid not null,
  request_id text not null,
  task_id uuid not null,
  create_time timestamptz not null default now(),
  primary key (user_id, request_id)
);

-- Every word a user has written in a title or description, for "did you mean" expansion of search
-- terms (`meetnig` finds `meeting`). Per user, so nobody's vocabulary crowds out anybody else's
-- corrections (or reveals it).
create table task.search_words (
  user_id uuid not null,
  word text not null,
  primary key (user_id, word)
);
create index search_words_trgm on task.search_words using gin (word gin_trgm_ops);

create function task.remember_words() returns trigger language plpgsql as $$
begin
  insert into task.search_words (user_id, word)
  select new.user_id, w from unnest(tsvector_to_array(new.search)) as w
  where char_length(w) between 3 and 40
  on conflict do nothing;
  return null;
end
$$;

create trigger tasks_remember_words after insert or update of title, description on task.tasks
  for each row execute function task.remember_words();
