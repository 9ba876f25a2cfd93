-- Sessions: every access token from SignUp/SignIn names one (its `sid` claim). A token is accepted
-- only while its session row exists: SignOut deletes it, and deleting an account deletes its
-- sessions. Rows past their expiry are swept (identity-service.ts).
create table identity.sessions (
  id uuid primary key,
  user_id uuid not null references identity.users (id) on delete cascade,
  create_time timestamptz not null default now(),
  expire_time timestamptz not null
);
create index sessions_user_id on identity.sessions (user_id);
create index sessions_expire_time on identity.sessions (expire_time);

-- Fixed-window attempt counters for the sign-in and sign-up rate limits (rate-limit.ts), one row per
-- key (`signin-account:<email>`, `signin-address:<ip>`, `signup-address:<ip>`). In PostgreSQL, so
-- every replica counts against the same numbers. Rows whose window ended are swept.
create table identity.rate_limits (
  key text primary key,
  window_start timestamptz not null,
  hits integer not null
);
create index rate_limits_window_start on identity.rate_limits (window_start);
