-- The notification service's data: the inbox, delivery channels and the delivery log. Rows are
-- created only from `reminders` events and the NotificationService API; every query is scoped by
-- the owner's user id.

-- The inbox: one entry per reminder occurrence. `occurrence_key` is ReminderDue.occurrence_key
-- (`<task_id>/<reminder_id>/<time>`), unique per user, so however often a ReminderDue is delivered
-- (redelivery, a duplicate publish, two consumers racing) it yields one row.
create table notification.notifications (
  id uuid primary key,
  user_id uuid not null,
  occurrence_key text not null,
  task_id text not null,
  reminder_id text not null,
  title text not null,
  body text not null,
  fire_time timestamptz not null,
  create_time timestamptz not null,
  read_time timestamptz,
  constraint notifications_occurrence unique (user_id, occurrence_key)
);
-- ListNotifications pages newest first by (create_time, id); the partial index serves `unread_only`
-- and the unread count.
create index notifications_user_page on notification.notifications (user_id, create_time desc, id desc);
create index notifications_user_unread on notification.notifications (user_id, create_time desc, id desc)
  where read_time is null;

-- Where notifications go beyond the inbox. `target` is the webhook URL or the e-mail address.
-- `signing_secret` is the webhook's HMAC-SHA256 key. It is stored as is, not hashed: the delivery
-- worker needs the key itself to sign every request (a hash could only verify). It is shown to the
-- user once, in the CreateChannel response, and never returned by any other call.
create table notification.channels (
  id uuid primary key,
  user_id uuid not null,
  kind text not null check (kind in ('webhook', 'email')),
  target text not null,
  signing_secret text,
  enabled boolean not null,
  create_time timestamptz not null,
  update_time timestamptz not null,
  constraint channels_webhook_secret check ((kind = 'webhook') = (signing_secret is not null))
);
create index channels_user on notification.channels (user_id, create_time, id);

-- The delivery log: one row per (notification, channel), with its attempts. PENDING rows are due at
-- `next_attempt_time`; a worker claims a due row (FOR UPDATE SKIP LOCKED) by setting `claim` and a
-- lease in `claimed_until`, sends without holding a transaction, then records the outcome only if it
-- still holds the claim. A worker that dies mid-send loses its lease and the row is sent again.
-- Deleting a channel deletes its deliveries (pending ones are dropped, as the API promises).
create table notification.deliveries (
  id uuid primary key,
  channel_id uuid not null references notification.channels (id) on delete cascade,
  notification_id uuid not null references notification.notifications (id) on delete cascade,
  user_id uuid not null,
  state text not null check (state in ('pending', 'succeeded', 'failed')),
  attempts integer not null default 0,
  last_status_code integer not null default 0,
  last_error text not null default '',
  next_attempt_time timestamptz,
  claim uuid,
  claimed_until timestamptz,
  create_time timestamptz not null,
  update_time timestamptz not null,
  constraint deliveries_once unique (notification_id, channel_id)
);
create index deliveries_due on notification.deliveries (next_attempt_time) where state = 'pending';
create index deliveries_channel_page on notification.deliveries (channel_id, create_time desc, id desc);
