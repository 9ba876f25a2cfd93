/**
 * `TodoClient`: one generated Connect client per service of the Todo API on one transport with
 * the call policy applied (call-policy.ts), plus the two helpers that need more than one call.
 * The entry points (index.ts for Node and Bun, index.browser.ts for browsers) differ only in
 * which library makes the named transports.
 */
import {
  type CallOptions,
  type Client,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { AssistantService } from "@todo/gen/todo/assistant/v1/assistant_service_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { SchedulerService } from "@todo/gen/todo/scheduler/v1/scheduler_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import type { TaskChange } from "@todo/gen/todo/task/v1/task_change_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  type RetryOptions,
  type TokenSource,
  withCallPolicy,
} from "./call-policy.js";
import { type ListAllTasksRequest, listAllTasks } from "./list-all-tasks.js";
import { type WatchTasksOptions, watchTasks } from "./watch-tasks.js";

/** The wire protocols the server speaks. */
export type TransportName = "connect" | "grpc" | "grpc-web";

/** Options of `createTodoClient`. */
export interface TodoClientOptions {
  /**
   * The server's URL. For `connect` and `grpc-web`: the HTTP/1.1 port (`bun start`:
   * `http://127.0.0.1:8080`); for `grpc`: the HTTP/2 port (`http://127.0.0.1:50051`). Not used
   * when `transport` is a `Transport`.
   */
  readonly baseUrl?: string;
  /**
   * The protocol (default `connect`), or a Connect `Transport` of your own — for example
   * `createRouterTransport` in tests, or a transport with settings this client does not offer.
   * The policy below applies to either.
   */
  readonly transport?: TransportName | Transport;
  /** The access token to send as `authorization: Bearer <token>` on every call. */
  readonly token?: string;
  /**
   * Returns the access token for each call (each attempt, when a call is retried), or nothing to
   * send none. Use it instead of `token` when the token changes (after SignIn, after UpdateUser).
   */
  readonly getToken?: TokenSource;
  /**
   * The deadline of every unary call that sets no `timeoutMs` of its own (default 10 000 ms,
   * retries included); 0 for none. Streaming calls have no default deadline.
   */
  readonly timeoutMs?: number;
  /** How idempotent calls are retried (see RETRIED_METHODS); `false` sends every call once. */
  readonly retry?: RetryOptions | false;
  /** Interceptors for the named transports (logging, tracing); ignored for a `Transport`. */
  readonly interceptors?: Interceptor[];
}

/** The Todo API: one generated client per service, whose methods are the RPCs in lowerCamelCase. */
export interface TodoClient {
  /** `todo.identity.v1.AuthService`: SignUp, SignIn, GetCurrentUser, SignOut, UpdateUser. */
  readonly auth: Client<typeof AuthService>;
  /** `todo.task.v1.TaskService`: tasks, their history and the WatchTasks stream. */
  readonly tasks: Client<typeof TaskService>;
  /** `todo.tag.v1.TagService`: the tag catalogue. */
  readonly tags: Client<typeof TagService>;
  /** `todo.scheduler.v1.SchedulerService`: recurrence previews and upcoming reminders. */
  readonly scheduler: Client<typeof SchedulerService>;
  /** `todo.notification.v1.NotificationService`: the inbox, its stream and delivery channels. */
  readonly notifications: Client<typeof NotificationService>;
  /** `todo.assistant.v1.AssistantService`: the chat assistant. */
  readonly assistant: Client<typeof AssistantService>;
  /** The transport with the policy applied, for `createClient` of any other service. */
  readonly transport: Transport;
  /** Every task `request` matches, across all pages (ListTasks page after page). */
  listAllTasks(request?: ListAllTasksRequest, options?: CallOptions): AsyncGenerator<Task, void, undefined>;
  /** The caller's task changes as they happen, reconnecting with backoff (WatchTasks). */
  watchTasks(options?: WatchTasksOptions): AsyncGenerator<TaskChange, void, undefined>;
}

/** Makes the transport of a named protocol; each entry point has its own. */
export type TransportFactory = (
  name: TransportName,
  baseUrl: string,
  interceptors: Interceptor[],
) => Transport;

/** `createTodoClient` with the entry point's transport factory. */
export function buildTodoClient(options: TodoClientOptions, factory: TransportFactory): TodoClient {
  if (options.token !== undefined && options.getToken !== undefined) {
    throw new TypeError("createTodoClient: give `token` or `getToken`, not both");
  }
  const named = options.transport ?? "connect";
  let inner: Transport;
  if (typeof named === "string") {
    if (named !== "connect" && named !== "grpc" && named !== "grpc-web") {
      throw new TypeError(
        `createTodoClient: unknown transport ${JSON.stringify(named)} (connect, grpc, grpc-web)`,
      );
    }
    if (!options.baseUrl) {
      throw new TypeError(
        `createTodoClient: the ${named} transport needs a baseUrl such as http://127.0.0.1:8080`,
      );
    }
    inner = factory(named, options.baseUrl, options.interceptors ?? []);
  } else {
    inner = named;
  }
  const token = options.token;
  const transport = withCallPolicy(inner, {
    getToken: options.getToken ?? (token === undefined ? undefined : () => token),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retry:
      options.retry === false ? { ...DEFAULT_RETRY, maxAttempts: 1 } : { ...DEFAULT_RETRY, ...options.retry },
  });
  const tasks = createClient(TaskService, transport);
  return {
    auth: createClient(AuthService, transport),
    tasks,
    tags: createClient(TagService, transport),
    scheduler: createClient(SchedulerService, transport),
    notifications: createClient(NotificationService, transport),
    assistant: createClient(AssistantService, transport),
    transport,
    listAllTasks: (request, callOptions) => listAllTasks(tasks, request, callOptions),
    watchTasks: (watchOptions) => watchTasks(tasks, watchOptions),
  };
}
