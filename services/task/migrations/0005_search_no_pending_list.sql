-- Search reads the GIN indexes on every keystroke; writes add a task at a time. With `fastupdate`
-- (the default) new entries first go to an unsorted pending list of up to 4 MB that every search
-- scans in full until VACUUM merges it — measured at 1-5 ms per search on a 100 000-task account.
-- Inserting straight into the index costs a task write no measurable time, so the pending lists go.
alter index task.tasks_search set (fastupdate = off);
alter index task.search_words_trgm set (fastupdate = off);
select gin_clean_pending_list('task.tasks_search'::regclass);
select gin_clean_pending_list('task.search_words_trgm'::regclass);
