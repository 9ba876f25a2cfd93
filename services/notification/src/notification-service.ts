/**
 * `todo.notification.v1.NotificationService`: the caller's inbox (list, mark read, a live stream of
 * new entries) and delivery channels (webhooks, e-mail) with their delivery log. Everything is scoped
 * to the caller: another user's notification or channel id is NOT_FOUND and changes nothing.
 *
 * Webhook targets are checked when the channel is created (and again before every send by the
 * delivery worker): plain `http://` only when allowed, and no loopback, private, link-local,
 * unique-local or metadata address unless `allowPrivateTargets`. The signing secret is returned once,
 * by CreateChannel. E-mail channels need an SMTP server (`emailEnabled`), else FAILED_PRECONDITION.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Channel } from "@todo/gen/todo/notification/v1/channel_pb";
import type { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { invalidArgument, notFound, principalOf } from "@todo/platform";
import { decodePageToken, encodePageToken, toChannel, toDelivery, toNotification } from "./messages";
import type { NotificationHub } from "./notification-hub";
import type { NotificationStore } from "./store";
import { pageSize } from "./validation";
import { newSigningSecret } from "./webhook";
import { checkTarget, TargetRefusedError } from "./webhook-targets";

/** What the service needs. */
export interface NotificationServiceDeps {
  readonly store: NotificationStore;
  /** This replica's hub (WatchNotifications). */
  readonly hub: NotificationHub;
  /** Accept webhooks on loopback and private addresses (and plain http://); default false. */
  readonly allowPrivateTargets?: boolean;
  /** Accept plain `http://` webhooks on public addresses; default `allowPrivateTargets`. */
  readonly allowHttpTargets?: boolean;
  /** Whether an SMTP server is configured, so e-mail channels can be created; default false. */
  readonly emailEnabled?: boolean;
  /** Quiet time between WatchNotifications keep-alives; default 15 s. */
  readonly keepAliveMs?: number;
  /** Channels one user may have; default 20. */
  readonly maxChannelsPerUser?: number;
}

/** The default WatchNotifications keep-alive interval. */
export const DEFAULT_KEEP_ALIVE_MS = 15_000;

/** Creates the NotificationService implementation. */
export function createNotificationService(
  deps: NotificationServiceDeps,
): ServiceImpl<typeof NotificationService> {
  const { store, hub } = deps;
  const allowPrivate = deps.allowPrivateTargets ?? false;
  const allowHttp = deps.allowHttpTargets ?? allowPrivate;
  const keepAliveMs = deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  const maxChannels = deps.maxChannelsPerUser ?? 20;

  const tooManyChannels = () =>
    new ConnectError(
      `you have ${maxChannels} channels, the most allowed; delete one first`,
      Code.ResourceExhausted,
    );

  /** The caller's channel, or NOT_FOUND. */
  const ownChannel = async (userId: string, id: string) => {
    const row = await store.getChannel(userId, id.trim());
    if (!row) throw notFound("channel", id);
    return row;
  };

  /** The checked webhook URL (normalised by the URL parser), or INVALID_ARGUMENT saying why not. */
  const checkWebhookUrl = async (raw: string): Promise<string> => {
    const url = new URL(raw.trim());
    if (url.protocol === "http:" && !allowHttp) {
      throw invalidArgument({
        field: "channel.webhook.url",
        description: "must be an https:// URL (this server does not send webhooks over plain http)",
      });
    }
    try {
      await checkTarget(url, allowPrivate);
    } catch (err) {
      if (!(err instanceof TargetRefusedError)) throw err;
      throw invalidArgument({
        field: "channel.webhook.url",
        description: `is not allowed: ${err.message} (webhooks must reach a public address)`,
      });
    }
    return url.toString();
  };

  return {
    async listNotifications(req, ctx) {
      const { userId } = principalOf(ctx);
      const limit = pageSize(req.pageSize);
      const scope = req.unreadOnly ? "notifications:unread" : "notifications:all";
      const cursor =
        req.pageToken === "" ? undefined : decodePageToken(req.pageToken, scope, "ListNotifications");
      const [rows, unreadCount] = await Promise.all([
        store.listNotifications(userId, { unreadOnly: req.unreadOnly, cursor, limit: limit + 1 }),
        store.unreadCount(userId),
      ]);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        notifications: page.map(toNotification),
        nextPageToken:
          rows.length > limit && last ? encodePageToken(scope, { time: last.create_key, id: last.id }) : "",
        unreadCount,
      };
    },

    async markRead(req, ctx) {
      const { userId } = principalOf(ctx);
      if (req.all) return { markedCount: await store.markAllRead(userId) };
      const changed = await store.markRead(userId, req.id.trim());
      if (changed === undefined) throw notFound("notification", req.id);
      return { markedCount: changed };
    },

    async *watchNotifications(_req, ctx) {
      const { userId } = principalOf(ctx);
      for await (const row of hub.watch(userId, { signal: ctx.signal, keepAliveMs })) {
        yield row ? { notification: toNotification(row) } : {};
      }
    },

    async createChannel(req, ctx) {
      const { userId } = principalOf(ctx);
      const target = (req.channel as Channel).target;
      if (target.case === "webhook") {
        const url = await checkWebhookUrl(target.value.url);
        const secret = newSigningSecret();
        const row = await store.createChannel(userId, { kind: "webhook", target: url, secret }, maxChannels);
        if (!row) throw tooManyChannels();
        return { channel: toChannel(row), signingSecret: secret };
      }
      if (target.case === "email") {
        if (!deps.emailEnabled) {
          throw new ConnectError(
            "e-mail channels are not available: this server has no SMTP server configured (SMTP_URL)",
            Code.FailedPrecondition,
          );
        }
        const address = target.value.address.trim();
        const row = await store.createChannel(userId, { kind: "email", target: address }, maxChannels);
        if (!row) throw tooManyChannels();
        return { channel: toChannel(row), signingSecret: "" };
      }
      // The validator guarantees a target; this is only reached if it was bypassed.
      throw invalidArgument({
        field: "channel.target",
        description: "set exactly one of `webhook` and `email`",
      });
    },

    async listChannels(_req, ctx) {
      const { userId } = principalOf(ctx);
      return { channels: (await store.listChannels(userId)).map(toChannel) };
    },

    async updateChannel(req, ctx) {
      const { userId } = principalOf(ctx);
      const channel = req.channel as Channel;
      const row = await store.setChannelEnabled(userId, channel.id.trim(), channel.enabled);
      if (!row) throw notFound("channel", channel.id);
      return { channel: toChannel(row) };
    },

    async deleteChannel(req, ctx) {
      const { userId } = principalOf(ctx);
      if (!(await store.deleteChannel(userId, req.id.trim()))) throw notFound("channel", req.id);
      return {};
    },

    async listDeliveries(req, ctx) {
      const { userId } = principalOf(ctx);
      const channel = await ownChannel(userId, req.channelId);
      const limit = pageSize(req.pageSize);
      const scope = `deliveries:${channel.id}`;
      const cursor =
        req.pageToken === "" ? undefined : decodePageToken(req.pageToken, scope, "ListDeliveries");
      const rows = await store.listDeliveries(channel.id, cursor, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        deliveries: page.map(toDelivery),
        nextPageToken:
          rows.length > limit && last ? encodePageToken(scope, { time: last.create_key, id: last.id }) : "",
      };
    },
  };
}
