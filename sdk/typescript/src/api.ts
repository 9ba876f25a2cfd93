/**
 * The generated API (protoc-gen-es v2): every message, enum and service descriptor of the Todo API
 * services, re-exported so that `import { TaskSchema, Priority } from "@todo/sdk"` works. The
 * proto comments, carried into the generated TSDoc, are the reference.
 */

export {
  type BadRequest,
  type BadRequest_FieldViolation,
  BadRequest_FieldViolationSchema,
  BadRequestSchema,
  type RetryInfo,
  RetryInfoSchema,
} from "@todo/gen/google/rpc/error_details_pb";
export * from "@todo/gen/todo/assistant/v1/action_pb";
export * from "@todo/gen/todo/assistant/v1/assistant_service_pb";
export * from "@todo/gen/todo/identity/v1/auth_service_pb";
export * from "@todo/gen/todo/identity/v1/user_pb";
export * from "@todo/gen/todo/notification/v1/channel_pb";
export * from "@todo/gen/todo/notification/v1/notification_pb";
export * from "@todo/gen/todo/notification/v1/notification_service_pb";
export * from "@todo/gen/todo/scheduler/v1/reminder_pb";
export * from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
export * from "@todo/gen/todo/tag/v1/tag_pb";
export * from "@todo/gen/todo/tag/v1/tag_service_pb";
export * from "@todo/gen/todo/task/v1/task_change_pb";
export * from "@todo/gen/todo/task/v1/task_pb";
export * from "@todo/gen/todo/task/v1/task_service_pb";
