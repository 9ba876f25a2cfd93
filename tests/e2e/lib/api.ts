/**
 * Direct API access for the browser tests: set-up (users and tasks made through the API, so a
 * test drives the UI only for what it is about) and checks against the server's own view. Uses
 * Connect over the server's h2c port, one multiplexed HTTP/2 connection per client.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { type Task, TaskSchema } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";

/** The typed clients of one signed-in user. */
export interface UserApi {
  readonly email: string;
  readonly password: string;
  readonly token: string;
  readonly tasks: Client<typeof TaskService>;
  readonly tags: Client<typeof TagService>;
  readonly notifications: Client<typeof NotificationService>;
}

/** A fresh e-mail address, unique per call (tests never share users). */
export function uniqueEmail(prefix = "e2e"): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/** The password the tests use (long enough for any sensible password policy). */
export const testPassword = "correct horse battery staple";

/** Clients for `grpcUrl` (the h2c origin) carrying `token` (say, one read from the page's storage). */
export function clients(grpcUrl: string, token?: string) {
  const auth: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({
    baseUrl: grpcUrl,
    httpVersion: "2",
    useBinaryFormat: true,
    interceptors: [auth],
  });
  return {
    auth: createClient(AuthService, transport),
    tasks: createClient(TaskService, transport),
    tags: createClient(TagService, transport),
    notifications: createClient(NotificationService, transport),
  };
}

/** Signs a new user up through the API (time zone UTC unless given) and returns their clients. */
export async function signUpApi(
  grpcUrl: string,
  options: { email?: string; password?: string; displayName?: string; timeZone?: string } = {},
): Promise<UserApi> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? testPassword;
  const res = await clients(grpcUrl).auth.signUp({
    email,
    password,
    displayName: options.displayName ?? "",
    timeZone: options.timeZone ?? "UTC",
  });
  return { email, password, token: res.accessToken, ...clients(grpcUrl, res.accessToken) };
}

/** Signs an existing user in through the API. */
export async function signInApi(grpcUrl: string, email: string, password = testPassword): Promise<UserApi> {
  const res = await clients(grpcUrl).auth.signIn({ email, password });
  return { email, password, token: res.accessToken, ...clients(grpcUrl, res.accessToken) };
}

/** A task to create: the fields of `Task` a client may set. */
export type TaskInit = MessageInitShape<typeof TaskSchema>;

/** Creates one task and returns it as stored. */
export async function createTask(user: UserApi, task: TaskInit): Promise<Task> {
  const res = await user.tasks.createTask({ task: create(TaskSchema, task) });
  if (!res.task) throw new Error("CreateTask returned no task");
  return res.task;
}

/**
 * Creates `count` tasks made by `make(i)`, `concurrency` calls at a time; returns how long it took
 * in ms. Each call carries a request id so a retried call cannot create a duplicate.
 */
export async function createTasks(
  user: UserApi,
  count: number,
  make: (i: number) => TaskInit,
  concurrency = 32,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      await user.tasks.createTask({ task: create(TaskSchema, make(i)), requestId: crypto.randomUUID() });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return performance.now() - started;
}

/** All of the user's tasks matching `filter` (every page), newest first. */
export async function listAllTasks(user: UserApi, filter = ""): Promise<Task[]> {
  const out: Task[] = [];
  let pageToken = "";
  do {
    const res = await user.tasks.listTasks({ filter, pageSize: 1000, pageToken });
    out.push(...res.tasks);
    pageToken = res.nextPageToken;
  } while (pageToken);
  return out;
}
