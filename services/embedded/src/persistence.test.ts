/**
 * The embedded store keeps its data on disk: an app started again on the same data directory sees
 * the accounts and tasks of the previous run (issue 2 §4, "data survives a restart").
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { Priority, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { rejection, removeDir, signUpUser, startTestApp, tempDir, untilPasses } from "@todo/testkit";

const dataDir = tempDir("todo-persistence");
afterAll(() => removeDir(dataDir));

test("accounts, tasks and tags survive a restart on the same data directory", async () => {
  const first = await startTestApp("pglite", { dataDir });
  expect(first.app.databaseKind).toBe("pglite");
  const user = await signUpUser(first, {
    protocol: "connect",
    name: "persist",
    timeZone: "Australia/Sydney",
  });
  const titles = ["Renew passport", "Book dentist", "Call the plumber"];
  const ids: string[] = [];
  for (const [i, title] of titles.entries()) {
    const { task } = await user.tasks.createTask({
      task: { title, priority: Priority.LOW + i, tags: ["errand"] },
      requestId: `persist-${i}`,
    });
    ids.push(task?.id as string);
  }
  await user.tasks.completeTask({ id: ids[1] as string });
  await first.close();
  expect(existsSync(join(dataDir, "pg"))).toBe(true);

  const second = await startTestApp("pglite", { dataDir });
  try {
    const auth = createClient(AuthService, second.transport("grpc"));
    const wrong = await rejection(() => auth.signIn({ email: user.email, password: "wrong password" }));
    expect(wrong.code).toBe(Code.Unauthenticated);
    const session = await auth.signIn({ email: user.email, password: user.password });
    expect(session.user?.id).toBe(user.id);
    expect(session.user?.timeZone).toBe("Australia/Sydney");

    const tasks = createClient(TaskService, second.transport("grpc", session.accessToken));
    const { tasks: listed, totalSize } = await tasks.listTasks({ orderBy: "priority" });
    expect(totalSize).toBe(3);
    expect(listed.map((t) => [t.id, t.title, t.tags, t.timeZone])).toEqual(
      titles.map((title, i) => [ids[i] as string, title, ["errand"], "Australia/Sydney"]),
    );
    expect(listed.map((t) => t.status)).toEqual([TaskStatus.OPEN, TaskStatus.COMPLETED, TaskStatus.OPEN]);

    // The token from before the restart is still valid (same signing key), and a repeated
    // request_id still returns the task the first run created.
    const old = createClient(TaskService, second.transport("connect", user.token));
    const again = await old.createTask({ task: { title: "Renew passport" }, requestId: "persist-0" });
    expect(again.task?.id).toBe(ids[0] as string);
    expect((await old.listTasks({})).totalSize).toBe(3);

    // Tag counts (of open tasks: one of the three is completed) were kept too. The tasks were written
    // just before the stop, so their events may still have been in the outbox: shutting down must
    // keep them there (not drop them), and the restarted relay must deliver them.
    const tags = createClient(TagService, second.transport("grpc", session.accessToken));
    await untilPasses(
      async () =>
        expect((await tags.listTags({})).tags.map((t) => [t.name, t.taskCount])).toEqual([["errand", 2]]),
      { timeoutMs: 10_000 },
    );

    // And the database keeps taking writes.
    await old.createTask({ task: { title: "After the restart" } });
    expect((await tasks.listTasks({ filter: 'title = "After the restart"' })).tasks).toHaveLength(1);
  } finally {
    await second.close();
  }
}, 60_000);
