-- Conversations with the assistant. A conversation belongs to one user; every read is scoped by it,
-- so another user's conversation id is simply not found.

-- `context` is what follow-ups need, as JSON: the tasks last listed ("the second one"), the tasks
-- last touched ("make it urgent", "no, Friday") and an action waiting for the user to pick a task
-- after a clarifying question.
create table assistant.conversations (
  id uuid primary key,
  user_id uuid not null,
  context jsonb not null default '{}',
  create_time timestamptz not null,
  update_time timestamptz not null
);
create index conversations_user on assistant.conversations (user_id, update_time desc);

-- One row per message: what the user typed, the reply, and the actions taken (type, summary and the
-- ids of the tasks touched).
create table assistant.turns (
  conversation_id uuid not null references assistant.conversations (id) on delete cascade,
  seq integer not null,
  message text not null,
  reply text not null,
  actions jsonb not null,
  create_time timestamptz not null,
  primary key (conversation_id, seq)
);
