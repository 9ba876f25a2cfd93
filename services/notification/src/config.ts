/**
 * The notification service's settings, from the environment (in addition to the common ones read by
 * `runService`). Every variable is optional:
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `NOTIFY_ALLOW_PRIVATE_TARGETS` | `true`: webhooks may target loopback/private addresses and plain http | `false` |
 * | `NOTIFY_ALLOW_HTTP_TARGETS` | `true`: plain `http://` webhooks on public addresses | as above |
 * | `SMTP_URL` | `smtp://user:pass@host:port` or `smtps://…`; without it e-mail channels are refused | – |
 * | `SMTP_FROM` | the From address of e-mail notifications | `Todo <todo@localhost>` |
 * | `NOTIFY_KEEPALIVE_MS` | WatchNotifications keep-alive interval | 15000 |
 * | `NOTIFY_WEBHOOK_TIMEOUT_MS` | how long one webhook request may take | 10000 |
 * | `NOTIFY_MAX_ATTEMPTS` | attempts per delivery before FAILED | 6 |
 * | `NOTIFY_RETRY_BASE_MS` | wait before the first retry, doubling each time | 10000 |
 * | `NOTIFY_RETRY_MAX_MS` | longest wait between attempts | 3600000 |
 */
import { envBool, envInt, envString } from "@todo/platform";

/** The settings of the notification service. */
export interface NotificationConfig {
  readonly allowPrivateTargets: boolean;
  readonly allowHttpTargets: boolean;
  readonly smtpUrl: string | undefined;
  readonly smtpFrom: string;
  readonly keepAliveMs: number;
  readonly webhookTimeoutMs: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** Reads the settings; throws naming the variable when one is malformed. */
export function notificationConfigFromEnv(): NotificationConfig {
  const allowPrivateTargets = envBool("NOTIFY_ALLOW_PRIVATE_TARGETS", false);
  const smtpUrl = envString("SMTP_URL");
  if (smtpUrl !== undefined && !/^smtps?:\/\//i.test(smtpUrl)) {
    throw new Error("SMTP_URL must look like smtp://user:pass@host:port or smtps://user:pass@host:port");
  }
  return {
    allowPrivateTargets,
    allowHttpTargets: envBool("NOTIFY_ALLOW_HTTP_TARGETS", allowPrivateTargets),
    smtpUrl,
    smtpFrom: envString("SMTP_FROM", "Todo <todo@localhost>"),
    keepAliveMs: envInt("NOTIFY_KEEPALIVE_MS", 15_000, 100),
    webhookTimeoutMs: envInt("NOTIFY_WEBHOOK_TIMEOUT_MS", 10_000, 100),
    maxAttempts: envInt("NOTIFY_MAX_ATTEMPTS", 6, 1, 100),
    retryBaseMs: envInt("NOTIFY_RETRY_BASE_MS", 10_000, 1),
    retryMaxMs: envInt("NOTIFY_RETRY_MAX_MS", 3_600_000, 1),
  };
}
