/**
 * The notification service's data (schema `notification`): the inbox, channels and the delivery log.
 * Every API statement is scoped by the caller's user id, so another user's id simply matches nothing.
 * Inbox rows are written only by the `reminders` consumer (`insertReminderNotification`), which also
 * queues one delivery per enabled channel and, on real PostgreSQL, `pg_notify`s the new row's id to
 * every replica's WatchNotifications hub — all in the consumer's transaction.
 */
import { migrate, type Sql, type TxSql } from "@todo/platform";
import { ensureProcessedEvents } from "@todo/platform/events";
import { embedMigrations } from "@todo/platform/migrations-embed" with { type: "macro" };
import { traceparentOf, tracingEnabled } from "@todo/platform/telemetry";

/** The LISTEN/NOTIFY channel announcing new inbox rows; the payload is `{"u": user id, "id": id}`. */
export const NOTIFICATION_CHANNEL = "notification_created";

/** One inbox entry. */
export interface NotificationRow {
  id: string;
  user_id: string;
  occurrence_key: string;
  task_id: string;
  reminder_id: string;
  title: string;
  body: string;
  fire_time: Date;
  create_time: Date;
  read_time: Date | null;
  /** `create_time` at full (microsecond) precision, for page tokens. */
  create_key: string;
}

/** A delivery channel (the signing secret is never read back through the API). */
export interface ChannelRow {
  id: string;
  user_id: string;
  kind: "webhook" | "email";
  target: string;
  enabled: boolean;
  create_time: Date;
  update_time: Date;
}

/** A delivery's state, as stored. */
export type DeliveryStateName = "pending" | "succeeded" | "failed";

/** One delivery of one notification to one channel. */
export interface DeliveryRow {
  id: string;
  channel_id: string;
  notification_id: string;
  state: DeliveryStateName;
  attempts: number;
  last_status_code: number;
  last_error: string;
  next_attempt_time: Date | null;
  create_time: Date;
  update_time: Date;
  create_key: string;
}

/** Where a newest-first page starts: after this (create_time, id). */
export interface PageCursor {
  /** `create_time` as written by `create_key` (exact). */
  readonly time: string;
  readonly id: string;
}

/** A new inbox entry made from a ReminderDue. */
export interface NewNotification {
  readonly userId: string;
  readonly occurrenceKey: string;
  readonly taskId: string;
  readonly reminderId: string;
  readonly title: string;
  readonly body: string;
  readonly fireTime: Date;
}

/** A channel to add; `secret` only for webhooks. */
export interface NewChannel {
  readonly kind: "webhook" | "email";
  readonly target: string;
  readonly secret?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be one of our ids at all (anything else is simply not found). */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** The fixed queries are prepared once per connection and reused. */
const PREPARED = { prepare: true } as const;

/** An exact, sortable text form of a timestamptz column (round-trips through `::timestamptz`). */
const createKey = (column: string) =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as create_key`;

const NOTIFICATION_COLUMNS = `id, user_id, occurrence_key, task_id, reminder_id, title, body, fire_time,
  create_time, read_time, ${createKey("create_time")}`;

const CHANNEL_COLUMNS = "id, user_id, kind, target, enabled, create_time, update_time";

const DELIVERY_COLUMNS = `id, channel_id, notification_id, state, attempts, last_status_code, last_error,
  next_attempt_time, create_time, update_time, ${createKey("create_time")}`;

/** Applies the notification migrations and creates `notification.processed_events`. */
export async function migrateNotifications(sql: Sql): Promise<number[]> {
  const applied = await migrate(sql, "notification", embedMigrations("services/notification/migrations"));
  await ensureProcessedEvents(sql, "notification");
  return applied;
}

/**
 * Writes the inbox entry for one reminder occurrence inside `tx`, with a pending delivery for each of
 * the user's enabled channels, and announces it on `NOTIFICATION_CHANNEL` (delivered at commit).
 * Each delivery stores the W3C `traceparent` of the active span (the `process reminders` span), so
 * its attempts continue the reminder's trace (delivery-tracing.ts); null while tracing is off.
 * Returns the new row, or undefined when this occurrence already has an entry — then nothing at all
 * is written. Concurrent writers of one occurrence serialise on the unique key.
 */
export async function insertReminderNotification(
  tx: TxSql,
  n: NewNotification,
): Promise<NotificationRow | undefined> {
  const [row] = await tx.unsafe<NotificationRow[]>(
    `insert into notification.notifications
       (id, user_id, occurrence_key, task_id, reminder_id, title, body, fire_time, create_time)
     values ($1, $2, $3, $4, $5, $6, $7, $8, now())
     on conflict (user_id, occurrence_key) do nothing
     returning ${NOTIFICATION_COLUMNS}`,
    [Bun.randomUUIDv7(), n.userId, n.occurrenceKey, n.taskId, n.reminderId, n.title, n.body, n.fireTime],
    PREPARED,
  );
  if (!row) return undefined;
  // Delivered to every listener when (and only if) the transaction commits.
  await tx`select pg_notify(${NOTIFICATION_CHANNEL}, ${JSON.stringify({ u: row.user_id, id: row.id })})`;
  const channels = await tx<{ id: string }[]>`
    select id from notification.channels where user_id = ${n.userId} and enabled order by create_time, id`;
  if (channels.length > 0) {
    const traceparent = tracingEnabled() ? (traceparentOf() ?? null) : null;
    await tx`
      insert into notification.deliveries
        (id, channel_id, notification_id, user_id, state, next_attempt_time, create_time, update_time,
         traceparent)
      select d.id, d.channel_id, ${row.id}, ${n.userId}, 'pending', now(), now(), now(), ${traceparent}
      from unnest(${channels.map(() => Bun.randomUUIDv7())}::uuid[], ${channels.map((c) => c.id)}::uuid[])
        as d(id, channel_id)`;
  }
  return row;
}

/** Reads and writes the caller's inbox and channels. */
export interface NotificationStore {
  readonly sql: Sql;
  /** Up to `limit` entries newest first, after `cursor`; only unread ones when `unreadOnly`. */
  listNotifications(
    userId: string,
    opts: { unreadOnly: boolean; cursor: PageCursor | undefined; limit: number },
  ): Promise<NotificationRow[]>;
  /** How many of the user's entries are unread. */
  unreadCount(userId: string): Promise<number>;
  /** One entry of the user's, or undefined. */
  getNotification(userId: string, id: string): Promise<NotificationRow | undefined>;
  /** Marks one entry read: 1 when it changed, 0 when it was read already, undefined when not the user's. */
  markRead(userId: string, id: string): Promise<number | undefined>;
  /** Marks all the user's entries read; returns how many changed. */
  markAllRead(userId: string): Promise<number>;
  /** Adds an enabled channel; undefined when the user already has `maxChannels`. */
  createChannel(userId: string, channel: NewChannel, maxChannels: number): Promise<ChannelRow | undefined>;
  /** The user's channels, oldest first. */
  listChannels(userId: string): Promise<ChannelRow[]>;
  /** One channel of the user's, or undefined. */
  getChannel(userId: string, id: string): Promise<ChannelRow | undefined>;
  /**
   * Enables or disables a channel; undefined when not the user's. Disabling fails the channel's
   * pending deliveries ("channel disabled"), so re-enabling it later does not send stale reminders.
   */
  setChannelEnabled(userId: string, id: string, enabled: boolean): Promise<ChannelRow | undefined>;
  /** Deletes a channel and its deliveries; false when not the user's. */
  deleteChannel(userId: string, id: string): Promise<boolean>;
  /** Up to `limit` deliveries of a channel (which the caller checked is the user's), newest first. */
  listDeliveries(channelId: string, cursor: PageCursor | undefined, limit: number): Promise<DeliveryRow[]>;
}

/** Creates the store on `sql`. */
export function createNotificationStore(sql: Sql): NotificationStore {
  return {
    sql,

    listNotifications(userId, { unreadOnly, cursor, limit }) {
      const unread = unreadOnly ? "and read_time is null" : "";
      return cursor
        ? sql.unsafe<NotificationRow[]>(
            `select ${NOTIFICATION_COLUMNS} from notification.notifications
             where user_id = $1 ${unread} and (create_time, id) < ($2::timestamptz, $3::uuid)
             order by create_time desc, id desc limit $4`,
            [userId, cursor.time, cursor.id, limit],
            PREPARED,
          )
        : sql.unsafe<NotificationRow[]>(
            `select ${NOTIFICATION_COLUMNS} from notification.notifications
             where user_id = $1 ${unread} order by create_time desc, id desc limit $2`,
            [userId, limit],
            PREPARED,
          );
    },

    async unreadCount(userId) {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from notification.notifications
        where user_id = ${userId} and read_time is null`;
      return row?.n ?? 0;
    },

    async getNotification(userId, id) {
      if (!isUuid(id)) return undefined;
      const [row] = await sql.unsafe<NotificationRow[]>(
        `select ${NOTIFICATION_COLUMNS} from notification.notifications where id = $1 and user_id = $2`,
        [id, userId],
        PREPARED,
      );
      return row;
    },

    async markRead(userId, id) {
      if (!isUuid(id)) return undefined;
      const [row] = await sql<{ changed: boolean }[]>`
        with target as (
          select id, read_time is null as unread from notification.notifications
          where id = ${id} and user_id = ${userId}),
        changed as (
          update notification.notifications n set read_time = now()
          from target where n.id = target.id and target.unread
          returning n.id)
        select exists (select 1 from changed) as changed from target`;
      if (!row) return undefined;
      return row.changed ? 1 : 0;
    },

    async markAllRead(userId) {
      const result = await sql`
        update notification.notifications set read_time = now()
        where user_id = ${userId} and read_time is null`;
      return result.count;
    },

    async createChannel(userId, channel, maxChannels) {
      return sql.begin(async (tx) => {
        // Serialises one user's channel creations, so the limit holds under concurrency.
        await tx`select pg_advisory_xact_lock(hashtext('notification.channels'), hashtext(${userId}))`;
        const [count] = await tx<{ n: number }[]>`
          select count(*)::int as n from notification.channels where user_id = ${userId}`;
        if ((count?.n ?? 0) >= maxChannels) return undefined;
        const [row] = await tx.unsafe<ChannelRow[]>(
          `insert into notification.channels
             (id, user_id, kind, target, signing_secret, enabled, create_time, update_time)
           values ($1, $2, $3, $4, $5, true, now(), now())
           returning ${CHANNEL_COLUMNS}`,
          [Bun.randomUUIDv7(), userId, channel.kind, channel.target, channel.secret ?? null],
          PREPARED,
        );
        return row;
      });
    },

    listChannels(userId) {
      return sql.unsafe<ChannelRow[]>(
        `select ${CHANNEL_COLUMNS} from notification.channels where user_id = $1 order by create_time, id`,
        [userId],
        PREPARED,
      );
    },

    async getChannel(userId, id) {
      if (!isUuid(id)) return undefined;
      const [row] = await sql.unsafe<ChannelRow[]>(
        `select ${CHANNEL_COLUMNS} from notification.channels where id = $1 and user_id = $2`,
        [id, userId],
        PREPARED,
      );
      return row;
    },

    async setChannelEnabled(userId, id, enabled) {
      if (!isUuid(id)) return undefined;
      return sql.begin(async (tx) => {
        const [row] = await tx.unsafe<ChannelRow[]>(
          `update notification.channels
           set enabled = $3, update_time = case when enabled = $3 then update_time else now() end
           where id = $1 and user_id = $2
           returning ${CHANNEL_COLUMNS}`,
          [id, userId, enabled],
          PREPARED,
        );
        if (row && !enabled) {
          await tx`
            update notification.deliveries
            set state = 'failed', last_error = 'channel disabled before delivery', next_attempt_time = null,
              claim = null, claimed_until = null, update_time = now()
            where channel_id = ${id} and state = 'pending'`;
        }
        return row;
      });
    },

    async deleteChannel(userId, id) {
      if (!isUuid(id)) return false;
      const result = await sql`
        delete from notification.channels where id = ${id} and user_id = ${userId}`;
      return result.count > 0;
    },

    listDeliveries(channelId, cursor, limit) {
      return cursor
        ? sql.unsafe<DeliveryRow[]>(
            `select ${DELIVERY_COLUMNS} from notification.deliveries
             where channel_id = $1 and (create_time, id) < ($2::timestamptz, $3::uuid)
             order by create_time desc, id desc limit $4`,
            [channelId, cursor.time, cursor.id, limit],
            PREPARED,
          )
        : sql.unsafe<DeliveryRow[]>(
            `select ${DELIVERY_COLUMNS} from notification.deliveries
             where channel_id = $1 order by create_time desc, id desc limit $2`,
            [channelId, limit],
            PREPARED,
          );
    },
  };
}
