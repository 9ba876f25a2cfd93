-- Every change of every task, for ListTaskHistory. Written in the same transaction as the change
-- (beside its outbox event), and kept after the task is deleted.
create table task.history (
  event_id uuid primary key,
  user_id uuid not null,
  task_id uuid not null,
  change_time timestamptz not null,
  change bytea not null            -- a serialized todo.task.v1.TaskChange
);
create index history_task on task.history (user_id, task_id, change_time desc, event_id desc);
