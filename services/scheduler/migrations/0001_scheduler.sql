-- The scheduler's own data, learnt from `task-events` only. The durable timers themselves live in
-- `scheduler.jobs` (created by the platform's ensureJobs), next to these tables so that a job and the
-- rows describing it change in one transaction.

-- Per task: the newest version applied (`version` from the etag, `update_time` from the snapshot),
-- so stale events are ignored. A deleted task keeps a tombstone so nothing late revives it.
create table scheduler.tasks (
  task_id uuid primary key,
  user_id uuid not null,
  version bigint,
  update_time timestamptz not null,
  deleted boolean not null default false
);

-- One row per (task, reminder): its current occurrence and what ListUpcomingReminders shows. While
-- `fired` is false a job `reminder/<task_id>/<reminder_id>` is scheduled for `fire_time`; once it
-- fired the row stays (until the reminder moves to another occurrence or the task is deleted), so the
-- same occurrence is never scheduled twice — not even after the task is completed and reopened.
-- `occurrence_key` is `<task_id>/<reminder_id>/<fire time, RFC 3339>`, the key notifications are
-- deduplicated by.
create table scheduler.reminders (
  task_id uuid not null,
  reminder_id text collate "C" not null,
  user_id uuid not null,
  occurrence_key text not null,
  fire_time timestamptz not null,
  task_title text not null,
  due_time timestamptz,
  time_zone text not null,
  fired boolean not null default false,
  primary key (task_id, reminder_id)
);
-- ListUpcomingReminders pages by (fire_time, task_id, reminder_id) per user.
create index reminders_upcoming on scheduler.reminders (user_id, fire_time, task_id, reminder_id)
  where not fired;

-- The next instance of each completed recurring task, at most one per completed task, ever: a row
-- is written (with the job `next/<task_id>` that creates the instance through TaskService) the first
-- time the task is completed, so completing it again after a reopen creates nothing more.
-- `next_task_id` is set once TaskService answered; `last_error` when it refused for good.
create table scheduler.recurrences (
  task_id uuid primary key,
  user_id uuid not null,
  series_id uuid not null,
  request_id text not null,
  next_due_time timestamptz not null,
  next_task_id uuid,
  create_time timestamptz not null default now(),
  done_time timestamptz,
  last_error text
);
