-- The first day of the user's week (ISO 8601: 1 = Monday … 7 = Sunday), set with
-- AuthService.UpdateUser and carried in access tokens (`wk` claim) for the assistant's "this week".
alter table identity.users
  add column week_start smallint not null default 1 check (week_start between 1 and 7);
