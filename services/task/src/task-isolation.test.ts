/**
 * TaskService between users: nobody reads, changes or lists another user's tasks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import type { ListTasksRequest } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTokenService } from "@todo/platform";
import {
  createTaskTestEnv,
  expectCode,
  expectInvalid,
  listAll,
  type TaskClient,
  type TaskTestEnv,
  type TestUser,
} from "../test/task-env";
import { expectNothingWritten, fullTask, get, ids, make, START } from "../test/task-service-fixtures";

let env: TaskTestEnv;

beforeAll(async () => {
  env = await createTaskTestEnv({ now: START });
});

afterAll(async () => {
  await env?.close();
});

describe("multi-user isolation", () => {
  let owner: TestUser;
  let intruder: TestUser;
  let task: Task;

  beforeAll(async () => {
    owner = await env.addUser("UTC");
    intruder = await env.addUser("Asia/Tokyo");
    task = await make(owner, { ...fullTask(), title: "owner's secret plan" });
  });

  const attempts: [string, (c: TaskClient, t: Task) => Promise<unknown>][] = [
    ["GetTask", (c, t) => c.getTask({ id: t.id })],
    [
      "UpdateTask",
      (c, t) => c.updateTask({ task: { id: t.id, title: "hijacked" }, updateMask: { paths: ["title"] } }),
    ],
    [
      "UpdateTask with the right etag",
      (c, t) => c.updateTask({ task: { id: t.id, etag: t.etag, title: "hijacked" } }),
    ],
    ["DeleteTask", (c, t) => c.deleteTask({ id: t.id })],
    ["DeleteTask with the right etag", (c, t) => c.deleteTask({ id: t.id, etag: t.etag })],
    ["CompleteTask", (c, t) => c.completeTask({ id: t.id })],
    ["CompleteTask with the right etag", (c, t) => c.completeTask({ id: t.id, etag: t.etag })],
    ["ReopenTask", (c, t) => c.reopenTask({ id: t.id })],
    ["ReopenTask with the right etag", (c, t) => c.reopenTask({ id: t.id, etag: t.etag })],
    ["UndeleteTask", (c, t) => c.undeleteTask({ id: t.id })],
  ];

  for (const [name, attempt] of attempts) {
    test(`${name} on another user's task is NOT_FOUND and changes nothing`, async () => {
      await expectNothingWritten(env, async () => {
        const err = await expectCode(attempt(intruder.client, task), Code.NotFound);
        // Exactly the answer for an id that does not exist: nothing leaks.
        const missing = crypto.randomUUID();
        const other = await expectCode(
          attempt(intruder.client, { ...task, id: missing } as Task),
          Code.NotFound,
        );
        expect(err.rawMessage.replace(task.id, "ID")).toBe(other.rawMessage.replace(missing, "ID"));
      });
      expect(await get(owner, task.id)).toEqual(task);
    });
  }

  test("ReopenTask on another user's completed task is NOT_FOUND and keeps it completed", async () => {
    const done = (await owner.client.completeTask({ id: (await make(owner, { title: "done" })).id }))
      .task as Task;
    await expectNothingWritten(env, () =>
      expectCode(intruder.client.reopenTask({ id: done.id }), Code.NotFound),
    );
    expect(await get(owner, done.id)).toEqual(done);
  });

  test("ListTasks never shows another user's tasks, whatever the filter, query or order", async () => {
    await make(intruder, { title: "intruder's own" });
    const requests: Partial<ListTasksRequest>[] = [
      {},
      { filter: "status = OPEN OR status = COMPLETED" },
      { query: "secret plan" },
      { orderBy: "priority desc, due_time" },
      { filter: "tags:work", query: "plan" },
    ];
    for (const req of requests) {
      const seen = await listAll(intruder.client, req);
      expect(seen.tasks.every((t) => t.title === "intruder's own")).toBe(true);
      expect(ids(seen.tasks)).not.toContain(task.id);
      expect(seen.totalSize).toBe(seen.tasks.length);
    }
    expect(ids((await listAll(owner.client, { query: "secret plan" })).tasks)).toContain(task.id);
  });

  test("another user's page token is refused", async () => {
    await make(owner, { title: "second" });
    const page = await owner.client.listTasks({ pageSize: 1 });
    expect(page.nextPageToken).not.toBe("");
    await expectInvalid(
      intruder.client.listTasks({ pageSize: 1, pageToken: page.nextPageToken }),
      "page_token",
    );
  });

  const everyRpc: [string, (c: TaskClient) => Promise<unknown>][] = [
    ["CreateTask", (c) => c.createTask({ task: { title: "anonymous" } })],
    ["GetTask", (c) => c.getTask({ id: crypto.randomUUID() })],
    ["ListTasks", (c) => c.listTasks({})],
    ["UpdateTask", (c) => c.updateTask({ task: { id: crypto.randomUUID(), title: "x" } })],
    ["DeleteTask", (c) => c.deleteTask({ id: crypto.randomUUID() })],
    ["CompleteTask", (c) => c.completeTask({ id: crypto.randomUUID() })],
    ["ReopenTask", (c) => c.reopenTask({ id: crypto.randomUUID() })],
    ["UndeleteTask", (c) => c.undeleteTask({ id: crypto.randomUUID() })],
  ];

  test("every RPC without a token is UNAUTHENTICATED", async () => {
    await expectNothingWritten(env, async () => {
      for (const [, call] of everyRpc) await expectCode(call(env.anonymous), Code.Unauthenticated);
    });
  });

  test("every RPC with a bad token is UNAUTHENTICATED", async () => {
    const otherIssuer = createTokenService({
      secret: "a-different-secret-of-at-least-32-bytes!!",
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: 3600,
    });
    const expiredIssuer = createTokenService({
      secret: "task-service-tests-secret-0123456789abcdef",
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: -60,
    });
    const principal = owner.principal;
    const headers = [
      "Bearer garbage",
      "Bearer ",
      "Bearer a.b.c",
      `Bearer ${(await otherIssuer.issue(principal)).token}`,
      `Bearer ${(await expiredIssuer.issue(principal)).token}`,
      `Basic ${Buffer.from("alice:secret").toString("base64")}`,
      owner.token, // no scheme
      `Bearer ${owner.token.slice(0, -2)}xx`, // tampered signature
    ];
    await expectNothingWritten(env, async () => {
      for (const header of headers) {
        const client = env.clientWithAuthorization(header);
        for (const [name, call] of everyRpc) {
          const err = await expectCode(call(client), Code.Unauthenticated).catch((e: Error) => {
            throw new Error(`${name} with ${JSON.stringify(header.slice(0, 20))}: ${e.message}`);
          });
          expect(err.rawMessage).not.toContain("jws"); // no library internals in the message
        }
      }
    });
  });
});
