/**
 * Shared set-up of the notification tests (not part of the package's API): tokens and callers,
 * ReminderDue events as the scheduler publishes them, an in-memory Connect client with the same
 * interceptors as the real server, and a small poller for "eventually" assertions.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { ReminderDueSchema } from "@todo/gen/todo/events/v1/reminder_events_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import {
  type CloudEvent,
  createAuthInterceptor,
  createErrorInterceptor,
  createTokenService,
  createValidationInterceptor,
  type TokenService,
  toCloudEvent,
} from "@todo/platform";
import { createNotificationService, type NotificationServiceDeps } from "../src/notification-service";
import { notificationValidators } from "../src/validation";

/** The token service every test uses. */
export const tokens: TokenService = createTokenService({
  secret: "notification-test-secret-0123456789abcdef",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 3600,
});

export const ALICE = "0190a000-0000-7000-8000-00000000000a";
export const BOB = "0190b000-0000-7000-8000-00000000000b";

/** Call options carrying `userId`'s access token. */
export type CallAuth = { headers: { authorization: string } };

/** Call options authenticating as `userId`. */
export async function authFor(userId: string, name: string): Promise<CallAuth> {
  const { token } = await tokens.issue({ userId, email: `${name}@example.com`, timeZone: "UTC" });
  return { headers: { authorization: `Bearer ${token}` } };
}

/** A NotificationService client over an in-memory transport with the server's interceptors. */
export function serviceClient(deps: NotificationServiceDeps): Client<typeof NotificationService> {
  const service = createNotificationService(deps);
  const transport = createRouterTransport((router) => router.service(NotificationService, service), {
    router: {
      interceptors: [
        createErrorInterceptor("test"),
        createAuthInterceptor(tokens, []),
        createValidationInterceptor(new Map([[NotificationService, notificationValidators]])),
      ],
    },
  });
  return createClient(NotificationService, transport);
}

/** What a test ReminderDue carries. */
export interface ReminderInit {
  userId?: string;
  taskId?: string;
  reminderId?: string;
  occurrenceKey?: string;
  fireTime?: Date;
  dueTime?: Date;
  taskTitle?: string;
  timeZone?: string;
  eventId?: string;
}

let seq = 0;

/** A ReminderDue CloudEvent as the scheduler publishes it; each call is a new occurrence by default. */
export function reminderDue(init: ReminderInit = {}): CloudEvent {
  seq++;
  const taskId = init.taskId ?? `0190c000-0000-7000-8000-${seq.toString().padStart(12, "0")}`;
  const reminderId = init.reminderId ?? "r1";
  const fireTime = init.fireTime ?? new Date(Date.UTC(2031, 2, 10, 19, 0, 0));
  return toCloudEvent(
    ReminderDueSchema,
    {
      userId: init.userId ?? ALICE,
      taskId,
      reminderId,
      occurrenceKey: init.occurrenceKey ?? `${taskId}/${reminderId}/${fireTime.toISOString()}`,
      fireTime: timestampFromDate(fireTime),
      taskTitle: init.taskTitle ?? `Task ${seq}`,
      ...(init.dueTime ? { dueTime: timestampFromDate(init.dueTime) } : {}),
      timeZone: init.timeZone ?? "UTC",
    },
    {
      source: "todo/scheduler",
      type: "todo.scheduler.v1.reminder_due",
      subject: taskId,
      ...(init.eventId ? { id: init.eventId } : {}),
    },
  );
}

/** The ConnectError a call failed with; throws when it succeeded. */
export async function rejection(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}
