-- Accounts. E-mail addresses are stored lower-cased and are unique.
create table identity.users (
  id uuid primary key,
  email text not null unique,
  password_hash text not null,
  display_name text not null,
  time_zone text not null,
  create_time timestamptz not null default now()
);
