/**
 * Request validation for NotificationService, run by the platform's validation interceptor before
 * every unary handler (REQUIRED fields are checked there from the contract). These checks need no
 * configuration and no I/O; what does — whether plain http:// is allowed, where a webhook host
 * resolves, whether SMTP is configured — is checked by the handlers.
 */
import type { Message } from "@bufbuild/protobuf";
import type {
  CreateChannelRequest,
  ListDeliveriesRequest,
  ListNotificationsRequest,
  MarkReadRequest,
  UpdateChannelRequest,
} from "@todo/gen/todo/notification/v1/notification_service_pb";
import type { FieldViolation, ServiceValidators } from "@todo/platform";
import { webhookUrlProblem } from "./webhook-targets";

/** The largest page of ListNotifications and ListDeliveries; larger requests are cut to it. */
export const MAX_PAGE_SIZE = 1000;
/** The page size when the request gives none. */
export const DEFAULT_PAGE_SIZE = 50;
/** The longest e-mail address accepted (RFC 5321 path limit). */
export const MAX_EMAIL_ADDRESS = 254;
/** The fields UpdateChannel can change. */
export const UPDATABLE_CHANNEL_FIELDS = ["enabled"] as const;

/** The WHATWG HTML "valid e-mail address" (no display name, no comments, no quoted local part). */
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** The problem with an e-mail address, or undefined when it is fine. */
export function emailAddressProblem(raw: string): string | undefined {
  const address = raw.trim();
  if (address === "") return "is required";
  if (address.length > MAX_EMAIL_ADDRESS) return `must be at most ${MAX_EMAIL_ADDRESS} characters`;
  if (!EMAIL.test(address)) return "must be an e-mail address such as name@example.com";
  return undefined;
}

/** `page_size` clamped to [1, MAX_PAGE_SIZE], DEFAULT_PAGE_SIZE for 0. */
export function pageSize(requested: number): number {
  return requested === 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
}

function pageSizeViolations(size: number): FieldViolation[] {
  return size < 0 ? [{ field: "page_size", description: "must not be negative" }] : [];
}

function markRead(message: Message): FieldViolation[] {
  const req = message as MarkReadRequest;
  const hasId = req.id.trim() !== "";
  if (hasId === req.all) {
    return [
      {
        field: hasId ? "all" : "id",
        description: "set exactly one of `id` (one notification) and `all` (every notification)",
      },
    ];
  }
  return [];
}

function createChannel(message: Message): FieldViolation[] {
  const target = (message as CreateChannelRequest).channel?.target;
  switch (target?.case) {
    case "webhook": {
      const problem = webhookUrlProblem(target.value.url);
      return problem ? [{ field: "channel.webhook.url", description: problem }] : [];
    }
    case "email": {
      const problem = emailAddressProblem(target.value.address);
      return problem ? [{ field: "channel.email.address", description: problem }] : [];
    }
    default:
      return [{ field: "channel.target", description: "set exactly one of `webhook` and `email`" }];
  }
}

function updateChannel(message: Message): FieldViolation[] {
  const req = message as UpdateChannelRequest;
  const out: FieldViolation[] = [];
  if ((req.channel?.id ?? "").trim() === "") {
    out.push({ field: "channel.id", description: "is required: the id of the channel to change" });
  }
  const unknown = (req.updateMask?.paths ?? []).filter(
    (p) => !(UPDATABLE_CHANNEL_FIELDS as readonly string[]).includes(p),
  );
  if (unknown.length > 0) {
    out.push({
      field: "update_mask",
      description: `cannot update ${unknown.map((p) => JSON.stringify(p)).join(", ")}; the updatable field is enabled`,
    });
  }
  return out;
}

/** The NotificationService validators, by method. DeleteChannel needs only its REQUIRED `id`. */
export const notificationValidators: ServiceValidators = {
  ListNotifications: (m) => pageSizeViolations((m as ListNotificationsRequest).pageSize),
  MarkRead: markRead,
  CreateChannel: createChannel,
  UpdateChannel: updateChannel,
  ListDeliveries: (m) => pageSizeViolations((m as ListDeliveriesRequest).pageSize),
};
