-- Each user's IANA time zone as their own sign-in last told it (the `tz` claim of the access token
-- they create or update tasks with), for the daily digest (docs/digest.md): a user gets their
-- digest in their local morning. Written only when it changes, in the task write's transaction.
create table task.user_zones (
  user_id uuid primary key,
  time_zone text not null,
  update_time timestamptz not null
);

-- The digest run looks for open tasks due before now across all users: this partial index keeps
-- that a range scan over open tasks with a due time, whatever the size of the table.
create index tasks_open_due on task.tasks (due_time) where status = 1 and due_time is not null;
