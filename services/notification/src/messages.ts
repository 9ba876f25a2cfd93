/**
 * Rows to API messages, and the opaque page tokens of the two newest-first lists. A token carries
 * the (create_time, id) of the last entry of the previous page plus what the list was of (unread
 * filter, channel), so a token used with other parameters is refused instead of silently misread.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Channel,
  ChannelSchema,
  type Delivery,
  DeliverySchema,
  DeliveryState,
} from "@todo/gen/todo/notification/v1/channel_pb";
import { type Notification, NotificationSchema } from "@todo/gen/todo/notification/v1/notification_pb";
import { invalidArgument } from "@todo/platform";
import type { ChannelRow, DeliveryRow, DeliveryStateName, NotificationRow, PageCursor } from "./store";

/** The API form of an inbox row. */
export function toNotification(row: NotificationRow): Notification {
  return create(NotificationSchema, {
    id: row.id,
    title: row.title,
    body: row.body,
    taskId: row.task_id,
    reminderId: row.reminder_id,
    fireTime: timestampFromDate(row.fire_time),
    createTime: timestampFromDate(row.create_time),
    ...(row.read_time ? { readTime: timestampFromDate(row.read_time) } : {}),
  });
}

/** The API form of a channel (never with its secret). */
export function toChannel(row: ChannelRow): Channel {
  return create(ChannelSchema, {
    id: row.id,
    target:
      row.kind === "webhook"
        ? { case: "webhook", value: { url: row.target } }
        : { case: "email", value: { address: row.target } },
    enabled: row.enabled,
    createTime: timestampFromDate(row.create_time),
  });
}

const STATES: Record<DeliveryStateName, DeliveryState> = {
  pending: DeliveryState.PENDING,
  succeeded: DeliveryState.SUCCEEDED,
  failed: DeliveryState.FAILED,
};

/** The API form of a delivery-log row. */
export function toDelivery(row: DeliveryRow): Delivery {
  return create(DeliverySchema, {
    id: row.id,
    channelId: row.channel_id,
    notificationId: row.notification_id,
    state: STATES[row.state],
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    ...(row.state === "pending" && row.next_attempt_time
      ? { nextAttemptTime: timestampFromDate(row.next_attempt_time) }
      : {}),
    createTime: timestampFromDate(row.create_time),
    updateTime: timestampFromDate(row.update_time),
  });
}

/** What a page token is bound to: the list it came from. */
export type PageScope = string;

/** An opaque page token continuing after `cursor` in the list `scope`. */
export function encodePageToken(scope: PageScope, cursor: PageCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, s: scope, t: cursor.time, i: cursor.id })).toString("base64url");
}

const TIME_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads a page token of the list `scope`; INVALID_ARGUMENT naming `page_token` otherwise. */
export function decodePageToken(token: string, scope: PageScope, listName: string): PageCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (parsed && typeof parsed === "object") {
      const { v, s, t, i } = parsed as Record<string, unknown>;
      if (v === 1 && typeof t === "string" && TIME_KEY.test(t) && typeof i === "string" && ID.test(i)) {
        if (s !== scope) {
          throw invalidArgument({
            field: "page_token",
            description: `belongs to a ${listName} call with other parameters; repeat those or start again without it`,
          });
        }
        return { time: t, id: i };
      }
    }
  } catch (err) {
    if (err instanceof Error && err.name === "ConnectError") throw err;
  }
  throw invalidArgument({
    field: "page_token",
    description: `is not a page token from ${listName}; start again without it`,
  });
}
