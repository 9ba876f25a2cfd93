/**
 * Which RPCs the client repeats after a transient failure: those where a second attempt cannot do
 * anything the first did not — reads, MarkRead (read stays read), and CreateTask, whose
 * `request_id` makes a repeat return the task the first attempt created. Every other write is
 * sent once: a lost answer leaves its outcome unknown, so only the caller can decide (an
 * UpdateTask or DeleteTask with the `etag` it read is safe to repeat by hand).
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";

/** A method's full name, `todo.task.v1.TaskService.GetTask`. */
export function methodName(method: DescMethod): string {
  return `${method.parent.typeName}.${method.name}`;
}

/** The full names of the RPCs that are retried (see the module comment); AssistantService.Chat is not. */
export const RETRIED_METHODS: ReadonlySet<string> = new Set(
  [
    AuthService.method.getCurrentUser,
    TaskService.method.createTask,
    TaskService.method.getTask,
    TaskService.method.listTasks,
    TaskService.method.listTaskHistory,
    TagService.method.listTags,
    SchedulerService.method.previewRecurrence,
    SchedulerService.method.listUpcomingReminders,
    NotificationService.method.listNotifications,
    NotificationService.method.markRead,
    NotificationService.method.listChannels,
    NotificationService.method.listDeliveries,
  ].map(methodName),
);

/** `todo.task.v1.TaskService.CreateTask`, whose empty `request_id` the client fills in. */
export const CREATE_TASK = methodName(TaskService.method.createTask);
