-- The next instance is planned once per *completion*, not once per task: ReopenTask withdraws the
-- instance a completion generated (see docs/recurrence.md), so completing the task again must plan
-- a new one. `request_id` (`next:<task_id>:<complete time ms>`) names the completion.
alter table scheduler.recurrences drop constraint recurrences_pkey;
alter table scheduler.recurrences add primary key (task_id, request_id);
