/**
 * The call policy through a real (in-memory) Connect transport: tokens, retries of the idempotent
 * RPCs only, CreateTask's request_id, and deadlines that cover every attempt of a unary call but
 * leave streams alone.
 */
import { describe, expect, test } from "bun:test";
import { Code, ConnectError, type ConnectRouter, createRouterTransport } from "@connectrpc/connect";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { rejection } from "@todo/testkit";
import { isTransient } from "./call-policy.js";
import { createTodoClient } from "./index.js";

const fast = { initialDelayMs: 2, maxDelayMs: 4 };
const unavailable = () => new ConnectError("try again", Code.Unavailable);

/** A client on an in-memory server made of `routes`. */
function clientOn(
  routes: (router: ConnectRouter) => void,
  options: Parameters<typeof createTodoClient>[0] = {},
) {
  return createTodoClient({ retry: fast, ...options, transport: createRouterTransport(routes) });
}

describe("authorization", () => {
  test("sends the token as a bearer header, asking getToken again on every attempt", async () => {
    const seen: (string | null)[] = [];
    let n = 0;
    const client = clientOn(
      (r) =>
        r.service(TaskService, {
          getTask(_req, ctx) {
            seen.push(ctx.requestHeader.get("authorization"));
            if (seen.length === 1) throw unavailable();
            return { task: { id: "t1" } };
          },
        }),
      { getToken: () => `token-${++n}` },
    );
    await client.tasks.getTask({ id: "t1" });
    expect(seen).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  test("a fixed token, no header when getToken returns nothing, and the caller's own header wins", async () => {
    const seen: (string | null)[] = [];
    const routes = (r: ConnectRouter) =>
      r.service(AuthService, {
        getCurrentUser(_req, ctx) {
          seen.push(ctx.requestHeader.get("authorization"));
          return {};
        },
      });
    await clientOn(routes, { token: "abc" }).auth.getCurrentUser({});
    await clientOn(routes, { getToken: () => undefined }).auth.getCurrentUser({});
    await clientOn(routes, { token: "abc" }).auth.getCurrentUser(
      {},
      { headers: { authorization: "Bearer mine" } },
    );
    expect(seen).toEqual(["Bearer abc", null, "Bearer mine"]);
  });

  test("a getToken that throws is UNAUTHENTICATED, and the call is not sent", async () => {
    let calls = 0;
    const client = clientOn(
      (r) =>
        r.service(AuthService, {
          getCurrentUser() {
            calls++;
            return {};
          },
        }),
      {
        getToken: () => {
          throw new Error("session store offline");
        },
      },
    );
    const error = await rejection(() => client.auth.getCurrentUser({}));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toBe("getToken failed: session store offline");
    expect(calls).toBe(0);
  });

  test("token and getToken together are refused", () => {
    expect(() => createTodoClient({ baseUrl: "http://x", token: "a", getToken: () => "b" })).toThrow(
      "give `token` or `getToken`, not both",
    );
  });
});

describe("retries", () => {
  test("an idempotent read is retried on UNAVAILABLE up to maxAttempts, then the last error is thrown", async () => {
    let calls = 0;
    const client = clientOn(
      (r) =>
        r.service(TaskService, {
          listTasks() {
            calls++;
            throw new ConnectError(`down ${calls}`, Code.Unavailable);
          },
        }),
      { retry: { ...fast, maxAttempts: 4 } },
    );
    const error = await rejection(() => client.tasks.listTasks({}));
    expect(calls).toBe(4);
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toBe("down 4");
  });

  test("a read that succeeds on a later attempt returns its answer", async () => {
    let calls = 0;
    const client = clientOn((r) =>
      r.service(TaskService, {
        getTask() {
          if (++calls < 3) throw unavailable();
          return { task: { id: "t1", title: "third time" } };
        },
      }),
    );
    expect((await client.tasks.getTask({ id: "t1" })).task?.title).toBe("third time");
    expect(calls).toBe(3);
  });

  test("writes other than CreateTask are sent once", async () => {
    let calls = 0;
    const client = clientOn((r) =>
      r.service(TaskService, {
        updateTask() {
          calls++;
          throw unavailable();
        },
        completeTask() {
          calls++;
          throw unavailable();
        },
      }),
    );
    expect((await rejection(() => client.tasks.updateTask({ task: { id: "t1" } }))).code).toBe(
      Code.Unavailable,
    );
    expect((await rejection(() => client.tasks.completeTask({ id: "t1" }))).code).toBe(Code.Unavailable);
    expect(calls).toBe(2);
  });

  test("errors other than UNAVAILABLE are not retried, and retry: false sends every call once", async () => {
    let calls = 0;
    const routes = (r: ConnectRouter) =>
      r.service(TaskService, {
        getTask(req) {
          calls++;
          throw req.id === "bad" ? new ConnectError("id: bad", Code.InvalidArgument) : unavailable();
        },
      });
    expect((await rejection(() => clientOn(routes).tasks.getTask({ id: "bad" }))).code).toBe(
      Code.InvalidArgument,
    );
    expect(calls).toBe(1);
    expect((await rejection(() => clientOn(routes, { retry: false }).tasks.getTask({ id: "x" }))).code).toBe(
      Code.Unavailable,
    );
    expect(calls).toBe(2);
  });

  test("a failed fetch (UNKNOWN caused by a TypeError) is transient; an UNKNOWN from the server is not", () => {
    expect(
      isTransient(new ConnectError("fetch failed", Code.Unknown, undefined, undefined, new TypeError())),
    ).toBe(true);
    expect(isTransient(new ConnectError("boom", Code.Unknown))).toBe(false);
    expect(isTransient(new ConnectError("busy", Code.ResourceExhausted))).toBe(false);
    expect(isTransient(unavailable())).toBe(true);
  });
});

describe("CreateTask's request_id", () => {
  test("filled in when empty, the same on every attempt, fresh for every call, the caller's object untouched", async () => {
    const ids: string[] = [];
    const client = clientOn((r) =>
      r.service(TaskService, {
        createTask(req) {
          ids.push(req.requestId);
          if (ids.length === 1) throw unavailable();
          return { task: { id: `t${ids.length}`, title: req.task?.title ?? "" } };
        },
      }),
    );
    const request = { task: { title: "once" } };
    await client.tasks.createTask(request);
    await client.tasks.createTask(request);
    expect(ids).toHaveLength(3);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).toBe(ids[0] as string);
    expect(ids[2]).not.toBe(ids[0] as string);
    expect(request).toEqual({ task: { title: "once" } });
  });

  test("the caller's own request_id is sent as it is", async () => {
    const ids: string[] = [];
    const client = clientOn((r) =>
      r.service(TaskService, {
        createTask(req) {
          ids.push(req.requestId);
          return {};
        },
      }),
    );
    await client.tasks.createTask({ task: { title: "x" }, requestId: "import-row-17" });
    expect(ids).toEqual(["import-row-17"]);
  });
});

describe("deadlines", () => {
  test("a unary call gets the default deadline, and each retry carries only what is left of it", async () => {
    const budgets: (number | undefined)[] = [];
    const client = clientOn(
      (r) =>
        r.service(TaskService, {
          async getTask(_req, ctx) {
            budgets.push(ctx.timeoutMs());
            await Bun.sleep(30);
            throw unavailable();
          },
        }),
      { timeoutMs: 1_000, retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 20 } },
    );
    await rejection(() => client.tasks.getTask({ id: "t" }));
    expect(budgets).toHaveLength(2);
    const [first, second] = budgets as [number, number];
    expect(first).toBeLessThanOrEqual(1_000);
    expect(first).toBeGreaterThan(900);
    // The second attempt started after ~30 ms of work and a ≥10 ms wait.
    expect(second).toBeLessThanOrEqual(first - 40);
  });

  test("a call slower than its deadline is DEADLINE_EXCEEDED at the deadline", async () => {
    const client = clientOn(
      (r) =>
        r.service(TaskService, {
          async getTask(_req, ctx) {
            await Bun.sleep(2_000);
            ctx.signal.throwIfAborted();
            return {};
          },
        }),
      { timeoutMs: 5_000 },
    );
    const started = performance.now();
    const error = await rejection(() => client.tasks.getTask({ id: "t" }, { timeoutMs: 100 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  test("no retry is started that could not end before the deadline: the last error is thrown at once", async () => {
    let calls = 0;
    const client = clientOn(
      (r) =>
        r.service(TaskService, {
          listTasks() {
            calls++;
            throw unavailable();
          },
        }),
      { timeoutMs: 100, retry: { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 500 } },
    );
    const started = performance.now();
    expect((await rejection(() => client.tasks.listTasks({}))).code).toBe(Code.Unavailable);
    expect(calls).toBe(1);
    expect(performance.now() - started).toBeLessThan(90);
  });

  test("a stream outlives the unary deadline", async () => {
    const client = clientOn(
      (r) =>
        r.service(TaskService, {
          async *watchTasks() {
            yield {};
            await Bun.sleep(250);
            yield { change: { eventId: "late" } };
          },
        }),
      { timeoutMs: 50 },
    );
    const ids: string[] = [];
    for await (const res of client.tasks.watchTasks({})) if (res.change) ids.push(res.change.eventId);
    expect(ids).toEqual(["late"]);
  });
});
