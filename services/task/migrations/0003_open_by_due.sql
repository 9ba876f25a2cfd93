-- The everyday view — open tasks by due time — reads this index in order and stops after a page,
-- instead of skipping completed tasks in (user_id, due_time, id).
create index tasks_user_status_due on task.tasks (user_id, status, due_time, id);
