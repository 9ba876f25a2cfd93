/**
 * Webhook requests. Each delivery is one JSON POST
 * `{"id": <delivery id>, "type": "notification", "notification": {…}, "sent_at": <RFC 3339>}` with
 *
 * - `x-todo-timestamp`: the send time in unix seconds, and
 * - `x-todo-signature`: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`, keyed with the channel's
 *   signing secret (the UTF-8 bytes of the whole secret string).
 *
 * - `traceparent`: the W3C trace context of the attempt's span, when the service traces
 *   (docs/tracing.md, "Deliveries"): a receiver that traces can continue it, so its own spans join
 *   the reminder's trace. It is not signed; treat it as a hint, never as input to trust.
 *
 * A receiver recomputes the HMAC over the raw body, compares in constant time and rejects stale
 * timestamps (a few minutes), which defeats replay. The `id` stays the same across retries, so a
 * receiver can drop a repeat. The request goes to the addresses checked by `checkTarget`, pinned for
 * the connection (no second DNS lookup), never follows redirects and is bounded by a timeout.
 */
import { createHmac } from "node:crypto";
import type { LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { checkTarget, type ResolvedAddress } from "./webhook-targets";

/** The header carrying the unix-seconds timestamp that is part of the signed text. */
export const TIMESTAMP_HEADER = "x-todo-timestamp";
/** The header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`. */
export const SIGNATURE_HEADER = "x-todo-signature";
/** The header carrying the delivery id (also in the body). */
export const DELIVERY_HEADER = "x-todo-delivery";

/** `sha256=<hex>`: the signature of `body` sent at unix second `timestamp`. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** A fresh signing secret: `whsec_` and 32 random bytes in base64url. */
export function newSigningSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
}

/** One webhook request to make. */
export interface WebhookRequest {
  readonly url: string;
  readonly secret: string;
  readonly deliveryId: string;
  /** The JSON form of the notification (proto field names). */
  readonly notification: unknown;
  readonly timeoutMs: number;
  /** Skip the address checks (private targets allowed). */
  readonly allowPrivate: boolean;
  /** The send time; defaults to now. */
  readonly now?: Date;
  /** The W3C `traceparent` to send (the attempt's span), when tracing is on. */
  readonly traceparent?: string | undefined;
}

/** What the target answered. */
export interface WebhookResponse {
  readonly status: number;
  /** The start of the response body (for the delivery log). */
  readonly bodyStart: string;
}

/** How much of a response body is kept for the delivery log. */
const KEPT_BODY_BYTES = 200;

/** The JSON body of a webhook request. */
export function webhookBody(deliveryId: string, notification: unknown, sentAt: Date): string {
  return JSON.stringify({
    id: deliveryId,
    type: "notification",
    notification,
    sent_at: sentAt.toISOString(),
  });
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for `http.request` that answers only with `addresses` (already checked). */
function pinnedLookup(addresses: readonly ResolvedAddress[]) {
  return (_host: string, options: { all?: boolean } | number | undefined, callback: LookupCallback) => {
    const first = addresses[0];
    if (!first) return callback(new Error("no address to connect to"), "", 4);
    if (typeof options === "object" && options?.all) {
      return callback(
        null,
        addresses.map((a) => ({ address: a.address, family: a.family })),
      );
    }
    return callback(null, first.address, first.family);
  };
}

/**
 * Sends one signed webhook request and resolves with the answer's status (any status: the caller
 * decides what counts as success). Rejects when the target is refused, unreachable or too slow.
 */
export async function sendWebhook(req: WebhookRequest): Promise<WebhookResponse> {
  const url = new URL(req.url);
  const addresses = await checkTarget(url, req.allowPrivate);
  const sentAt = req.now ?? new Date();
  const timestamp = Math.floor(sentAt.getTime() / 1000);
  const body = webhookBody(req.deliveryId, req.notification, sentAt);
  const client = url.protocol === "https:" ? https : http;
  return new Promise<WebhookResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, value?: WebhookResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as WebhookResponse);
    };
    const request = client.request(
      url,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "user-agent": "todo-notification/1",
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(req.secret, timestamp, body),
          [DELIVERY_HEADER]: req.deliveryId,
          ...(req.traceparent ? { traceparent: req.traceparent } : {}),
        },
        lookup: pinnedLookup(addresses) as never,
        timeout: req.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on("data", (chunk: Buffer) => {
          if (kept < KEPT_BODY_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on("end", () =>
          finish(undefined, {
            status: res.statusCode ?? 0,
            bodyStart: Buffer.concat(chunks).subarray(0, KEPT_BODY_BYTES).toString("utf8"),
          }),
        );
        res.on("error", (err) => finish(err));
      },
    );
    const timer = setTimeout(() => {
      const err = new Error(`no answer within ${req.timeoutMs} ms`);
      request.destroy(err);
      finish(err);
    }, req.timeoutMs);
    request.on("timeout", () => request.destroy(new Error(`no answer within ${req.timeoutMs} ms`)));
    request.on("error", (err) => finish(err));
    request.end(body);
  });
}
