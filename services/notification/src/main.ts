/**
 * The notification service as its own process (see runService; `KAFKA_BROKERS` selects the Kafka
 * bus; the NOTIFY_* and SMTP_* settings are in services/notification/README.md).
 */
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { defineService, runService, Topics } from "@todo/platform";
import { createEventBus } from "@todo/platform/adapters";
import { notificationConfigFromEnv } from "./config";
import { createDeliveryWorker } from "./delivery-worker";
import { createSmtpMailer } from "./mailer";
import { createNotificationHub } from "./notification-hub";
import { createNotificationService } from "./notification-service";
import { createRemindersHandler } from "./reminders-consumer";
import { createNotificationStore, migrateNotifications } from "./store";
import { notificationValidators } from "./validation";

await runService("notification", {
  migrate: migrateNotifications,
  build: async ({ sql }) => {
    const cfg = notificationConfigFromEnv();
    const bus = await createEventBus(process.env, { clientId: "notification" });
    // Replicas share the inbox through PostgreSQL LISTEN/NOTIFY.
    const hub = createNotificationHub({ sql, mode: "listen" });
    const mailer = cfg.smtpUrl ? createSmtpMailer({ url: cfg.smtpUrl, from: cfg.smtpFrom }) : undefined;
    const worker = createDeliveryWorker({
      sql,
      mailer,
      allowPrivateTargets: cfg.allowPrivateTargets,
      maxAttempts: cfg.maxAttempts,
      backoffBaseMs: cfg.retryBaseMs,
      backoffMaxMs: cfg.retryMaxMs,
      timeoutMs: cfg.webhookTimeoutMs,
    });
    const subscription = await bus.subscribe(
      Topics.reminders,
      "notification",
      createRemindersHandler({ sql, hub, afterCommit: () => worker.wake() }),
    );
    worker.start();
    const service = createNotificationService({
      store: createNotificationStore(sql),
      hub,
      allowPrivateTargets: cfg.allowPrivateTargets,
      allowHttpTargets: cfg.allowHttpTargets,
      emailEnabled: mailer !== undefined,
      keepAliveMs: cfg.keepAliveMs,
    });
    return {
      services: [defineService(NotificationService, service, notificationValidators)],
      beforeClose: () => hub.close(),
      async close() {
        await subscription.unsubscribe();
        await worker.stop();
        await bus.close();
        mailer?.close();
      },
    };
  },
});
