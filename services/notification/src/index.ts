/** The notification service: the inbox fed by `reminders`, its live stream, and webhook/e-mail delivery. */
export { type NotificationConfig, notificationConfigFromEnv } from "./config";
export {
  createDeliveryWorker,
  type DeliveryWorker,
  type DeliveryWorkerOptions,
} from "./delivery-worker";
export { createSmtpMailer, type Mailer, type MailMessage, type SmtpOptions } from "./mailer";
export { toChannel, toDelivery, toNotification } from "./messages";
export {
  createNotificationHub,
  type NotificationHub,
  type NotificationHubOptions,
  type WatchMode,
  watchModeFor,
} from "./notification-hub";
export {
  createNotificationService,
  DEFAULT_KEEP_ALIVE_MS,
  type NotificationServiceDeps,
} from "./notification-service";
export { reminderBody, reminderTitle } from "./notification-text";
export {
  applyReminderEvent,
  createRemindersHandler,
  REMINDERS_CONSUMER,
  type RemindersHandlerDeps,
} from "./reminders-consumer";
export {
  createNotificationStore,
  migrateNotifications,
  NOTIFICATION_CHANNEL,
  type NotificationStore,
} from "./store";
export { notificationValidators } from "./validation";
export { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from "./webhook";
