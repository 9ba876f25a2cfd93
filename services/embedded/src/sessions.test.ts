/**
 * Session checks across services in the one-process server: a well-signed token is not enough, the
 * account and its session must exist (docs/identity.md).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, createClient } from "@connectrpc/connect";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTokenService } from "@todo/platform";
import { rejection, signUpUser, startTestApp, TEST_JWT_SECRET, type TestApp } from "@todo/testkit";

let server: TestApp;

beforeAll(async () => {
  server = await startTestApp("pglite");
}, 60_000);

afterAll(async () => {
  await server.close();
});

describe("sessions", () => {
  test("a token signed with the right key for a user that never existed cannot create tasks", async () => {
    const forger = createTokenService({
      secret: TEST_JWT_SECRET,
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: 600,
    });
    const { token } = await forger.issue({
      userId: Bun.randomUUIDv7(),
      email: "nobody@example.com",
      timeZone: "UTC",
    });
    for (const protocol of ["grpc", "connect"] as const) {
      const tasks = createClient(TaskService, server.transport(protocol, token));
      const err = await rejection(() => tasks.createTask({ task: { title: "should not exist" } }));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toContain("sign in again");
    }
  });

  test("after SignOut the token creates nothing; a fresh sign-in works", async () => {
    const user = await signUpUser(server, { protocol: "connect" });
    await user.tasks.createTask({ task: { title: "before signing out" } });
    expect((await user.auth.signOut({})).endedSessions).toBe(1);
    const err = await rejection(() => user.tasks.createTask({ task: { title: "after signing out" } }));
    expect(err.code).toBe(Code.Unauthenticated);
    const { accessToken } = await user.auth.signIn({ email: user.email, password: user.password });
    const tasks = createClient(TaskService, server.transport("connect", accessToken));
    const list = await tasks.listTasks({});
    expect(list.tasks.map((t) => t.title)).toEqual(["before signing out"]);
  });
});
