/**
 * End-to-end tests of the one-process server through real sockets, run twice: on the embedded
 * PGlite store and on a real PostgreSQL. Every client the contract promises is exercised: grpc-js
 * and `buf curl` over h2c, plain `curl` with Connect JSON and gRPC-web over HTTP/1.1, and
 * connect-node's own transports.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { Code, type ConnectError, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { Health, HealthCheckResponse_ServingStatus } from "@todo/gen/grpc/health/v1/health_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { Priority, RecurrenceAnchor, type Task, TaskStatus } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import {
  bufCurl,
  curlConnect,
  type DatabaseKind,
  type GrpcJsError,
  grpcJsClient,
  grpcJsUnary,
  rejection,
  signUpUser,
  startTestApp,
  type TestApp,
  type TestUser,
  untilPasses,
  violatedFields,
} from "@todo/testkit";

// Real sockets, subprocesses (buf curl, curl) and Argon2 hashing: give every test room on a busy machine.
setDefaultTimeout(30_000);

const kinds: DatabaseKind[] = ["pglite", "postgres"];

const inAWeek = () => ({ seconds: BigInt(Math.floor(Date.now() / 1000) + 7 * 86400), nanos: 0 });

for (const kind of kinds) {
  describe(`embedded server on ${kind}`, () => {
    let server: TestApp;
    let alice: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      server = await startTestApp(kind);
      alice = await signUpUser(server, { protocol: "grpc", name: "alice" });
      bob = await signUpUser(server, { protocol: "connect", name: "bob" });
    }, 60_000);

    afterAll(async () => {
      await server?.close();
    }, 30_000);

    test("reports which database it runs on", () => {
      expect(server.app.databaseKind).toBe(kind);
    });

    describe("interop", () => {
      test("@grpc/grpc-js: SignUp, SignIn, CreateTask and ListTasks over h2c", async () => {
        const client = grpcJsClient(server.grpcAddress);
        try {
          const email = `grpcjs-${crypto.randomUUID()}@example.com`;
          const up = await grpcJsUnary(client, AuthService, AuthService.method.signUp, {
            email,
            password: "grpc-js password",
            timeZone: "Asia/Tokyo",
          });
          expect(up.accessToken.split(".")).toHaveLength(3);
          expect(up.user?.email).toBe(email);
          expect(up.user?.timeZone).toBe("Asia/Tokyo");

          const inn = await grpcJsUnary(client, AuthService, AuthService.method.signIn, {
            email,
            password: "grpc-js password",
          });
          expect(inn.user?.id).toBe(up.user?.id as string);

          const created = await grpcJsUnary(
            client,
            TaskService,
            TaskService.method.createTask,
            { task: { title: "Sent by grpc-js", priority: Priority.HIGH, tags: ["interop"] } },
            inn.accessToken,
          );
          expect(created.task?.id).toMatch(/^[0-9a-f-]{36}$/);
          expect(created.task?.status).toBe(TaskStatus.OPEN);
          expect(created.task?.timeZone).toBe("Asia/Tokyo");

          const listed = await grpcJsUnary(
            client,
            TaskService,
            TaskService.method.listTasks,
            { filter: "tags:interop AND priority >= HIGH", orderBy: "create_time desc" },
            up.accessToken,
          );
          expect(listed.tasks.map((t) => t.title)).toEqual(["Sent by grpc-js"]);
          expect(listed.totalSize).toBe(1);
        } finally {
          client.close();
        }
      });

      test("@grpc/grpc-js: grpc.health.v1.Health/Check answers SERVING without a token", async () => {
        const client = grpcJsClient(server.grpcAddress);
        try {
          const all = await grpcJsUnary(client, Health, Health.method.check, { service: "" });
          expect(all.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
          for (const service of [AuthService, TaskService, TagService]) {
            const one = await grpcJsUnary(client, Health, Health.method.check, { service: service.typeName });
            expect(one.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
          }
          const err = await rejection<GrpcJsError>(() =>
            grpcJsUnary(client, Health, Health.method.check, { service: "no.such.Service" }),
          );
          expect(err.code).toBe(grpc.status.NOT_FOUND);
        } finally {
          client.close();
        }
      });

      test("@grpc/grpc-js: no token is UNAUTHENTICATED, bad input is INVALID_ARGUMENT naming the field", async () => {
        const client = grpcJsClient(server.grpcAddress);
        try {
          const noToken = await rejection<GrpcJsError>(() =>
            grpcJsUnary(client, TaskService, TaskService.method.listTasks, {}),
          );
          expect(noToken.code).toBe(grpc.status.UNAUTHENTICATED);

          const badZone = await rejection<GrpcJsError>(() =>
            grpcJsUnary(
              client,
              TaskService,
              TaskService.method.createTask,
              { task: { title: "zone", timeZone: "Mars/Olympus_Mons" } },
              alice.token,
            ),
          );
          expect(badZone.code).toBe(grpc.status.INVALID_ARGUMENT);
          expect(badZone.details).toContain("task.time_zone");
          // The BadRequest detail travels in the standard trailer.
          expect(badZone.metadata.get("grpc-status-details-bin")).toHaveLength(1);
        } finally {
          client.close();
        }
      });

      test("buf curl --protocol grpc --http2-prior-knowledge (schema from reflection)", async () => {
        const email = `bufcurl-${crypto.randomUUID()}@example.com`;
        const up = await bufCurl(server.grpcUrl, "todo.identity.v1.AuthService/SignUp", {
          email,
          password: "buf curl password",
          display_name: "Buf Curl",
        });
        expect(up.stderr).toBe("");
        expect(up.exitCode).toBe(0);
        const session = JSON.parse(up.stdout) as {
          accessToken: string;
          user: { email: string; timeZone: string };
        };
        expect(session.user.email).toBe(email);
        expect(session.user.timeZone).toBe("UTC");

        const created = await bufCurl(
          server.grpcUrl,
          "todo.task.v1.TaskService/CreateTask",
          { task: { title: "Sent by buf curl", priority: "PRIORITY_URGENT", tags: ["cli"] } },
          session.accessToken,
        );
        expect(created.exitCode).toBe(0);
        const task = (
          JSON.parse(created.stdout) as { task: { id: string; priority: string; status: string } }
        ).task;
        expect(task.priority).toBe("PRIORITY_URGENT");
        expect(task.status).toBe("TASK_STATUS_OPEN");

        const listed = await bufCurl(
          server.grpcUrl,
          "todo.task.v1.TaskService/ListTasks",
          { filter: "priority = URGENT", order_by: "title" },
          session.accessToken,
        );
        expect(listed.exitCode).toBe(0);
        const body = JSON.parse(listed.stdout) as {
          tasks: { id: string; title: string }[];
          totalSize: number;
        };
        expect(body.tasks.map((t) => t.id)).toEqual([task.id]);
        expect(body.totalSize).toBe(1);

        const denied = await bufCurl(server.grpcUrl, "todo.task.v1.TaskService/ListTasks", {});
        expect(denied.exitCode).not.toBe(0);
        expect(denied.stderr).toContain("unauthenticated");
      }, 30_000);

      test("curl: Connect JSON over HTTP/1.1 (SignUp, CreateTask, GetTask)", async () => {
        const email = `curl-${crypto.randomUUID()}@example.com`;
        const up = await curlConnect(server.httpUrl, "todo.identity.v1.AuthService/SignUp", {
          email,
          password: "curl password",
          timeZone: "America/New_York",
        });
        expect(up.status).toBe(200);
        expect(up.contentType).toStartWith("application/json");
        const token = up.json.accessToken as string;
        expect(token.split(".")).toHaveLength(3);

        const created = await curlConnect(
          server.httpUrl,
          "todo.task.v1.TaskService/CreateTask",
          { task: { title: "Sent by curl", dueTime: "2030-01-02T09:00:00Z", tags: ["Web"] } },
          token,
        );
        expect(created.status).toBe(200);
        const task = created.json.task as Record<string, unknown>;
        expect(task.timeZone).toBe("America/New_York");
        expect(task.dueTime).toBe("2030-01-02T09:00:00Z");

        const got = await curlConnect(
          server.httpUrl,
          "todo.task.v1.TaskService/GetTask",
          { id: task.id },
          token,
        );
        expect(got.status).toBe(200);
        expect((got.json.task as Record<string, unknown>).title).toBe("Sent by curl");
      }, 30_000);

      test("curl: Connect errors are HTTP statuses with a JSON code", async () => {
        const badFilter = await curlConnect(
          server.httpUrl,
          "todo.task.v1.TaskService/ListTasks",
          { filter: "priority >= (HIGH" },
          alice.token,
        );
        expect(badFilter.status).toBe(400);
        expect(badFilter.json.code).toBe("invalid_argument");
        expect(badFilter.json.message).toStartWith("filter:");

        const noToken = await curlConnect(server.httpUrl, "todo.task.v1.TaskService/ListTasks", {});
        expect(noToken.status).toBe(401);
        expect(noToken.json.code).toBe("unauthenticated");

        const garbage = await curlConnect(
          server.httpUrl,
          "todo.task.v1.TaskService/ListTasks",
          {},
          "not.a.jwt",
        );
        expect(garbage.status).toBe(401);
        expect(garbage.json.code).toBe("unauthenticated");
      }, 30_000);

      test("gRPC-web over HTTP/1.1 (connect-node createGrpcWebTransport)", async () => {
        const user = await signUpUser(server, { protocol: "grpc-web", name: "web" });
        const { task } = await user.tasks.createTask({
          task: { title: "Sent by gRPC-web", tags: ["browser"] },
        });
        const { tasks } = await user.tasks.listTasks({ filter: "tags:browser" });
        expect(tasks.map((t) => t.id)).toEqual([task?.id as string]);
        const me = await user.auth.getCurrentUser({});
        expect(me.user?.email).toBe(user.email);
      });

      test("Connect over h2c answers on the gRPC port too", async () => {
        const user = await signUpUser(server, { protocol: "connect-h2", name: "h2" });
        const { task } = await user.tasks.createTask({ task: { title: "Sent by Connect over h2c" } });
        expect((await user.tasks.getTask({ id: task?.id as string })).task?.title).toBe(
          "Sent by Connect over h2c",
        );
      });

      test("the HTTP/1.1 port serves the web page at /", async () => {
        const res = await fetch(`${server.httpUrl}/`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toStartWith("text/html");
        expect(await res.text()).toContain("<html");
      });
    });

    describe("two users", () => {
      let mine: Task;

      beforeAll(async () => {
        mine = (
          await alice.tasks.createTask({
            task: {
              title: "Alice's secret plan",
              description: "only Alice may see this",
              priority: Priority.MEDIUM,
              dueTime: inAWeek(),
            },
          })
        ).task as Task;
      });

      test("another user's task is NOT_FOUND for every RPC that takes an id, and nothing changes", async () => {
        const id = mine.id;
        const calls: [string, () => Promise<unknown>][] = [
          ["GetTask", () => bob.tasks.getTask({ id })],
          [
            "UpdateTask",
            () => bob.tasks.updateTask({ task: { id, title: "hijacked" }, updateMask: { paths: ["title"] } }),
          ],
          ["UpdateTask (no mask)", () => bob.tasks.updateTask({ task: { id, title: "hijacked" } })],
          ["DeleteTask", () => bob.tasks.deleteTask({ id })],
          ["CompleteTask", () => bob.tasks.completeTask({ id })],
          ["ReopenTask", () => bob.tasks.reopenTask({ id })],
        ];
        for (const [name, call] of calls) {
          const err = await rejection(call);
          expect([name, err.code]).toEqual([name, Code.NotFound]);
          expect(err.message).not.toContain("Alice");
        }
        const after = (await alice.tasks.getTask({ id })).task as Task;
        expect(after.title).toBe("Alice's secret plan");
        expect(after.status).toBe(TaskStatus.OPEN);
        expect(after.etag).toBe(mine.etag);
        expect(after.updateTime).toEqual(mine.updateTime);
      });

      test("lists, searches and filters see only the caller's own tasks", async () => {
        const theirs = await bob.tasks.listTasks({ query: "secret plan" });
        expect(theirs.tasks).toHaveLength(0);
        const all = await bob.tasks.listTasks({ pageSize: 1000 });
        expect(all.tasks.some((t) => t.id === mine.id)).toBe(false);
        const ours = await alice.tasks.listTasks({ query: "secret plan" });
        expect(ours.tasks.map((t) => t.id)).toContain(mine.id);
      });

      test("a task id of a missing task is NOT_FOUND, a malformed one INVALID_ARGUMENT", async () => {
        expect((await rejection(() => alice.tasks.getTask({ id: crypto.randomUUID() }))).code).toBe(
          Code.NotFound,
        );
        const err = await rejection(() => alice.tasks.getTask({ id: "not-an-id" }));
        expect(err.code).toBe(Code.InvalidArgument);
        expect(violatedFields(err)).toEqual(["id"]);
      });

      test("without a valid token every TaskService and TagService call is UNAUTHENTICATED", async () => {
        const id = mine.id;
        for (const token of [undefined, "garbage", `${alice.token.slice(0, -4)}AAAA`]) {
          const transport = server.transport("grpc", token);
          const tasks = createClient(TaskService, transport);
          const tags = createClient(TagService, transport);
          const calls: [string, () => Promise<unknown>][] = [
            ["CreateTask", () => tasks.createTask({ task: { title: "x" } })],
            ["GetTask", () => tasks.getTask({ id })],
            ["ListTasks", () => tasks.listTasks({})],
            [
              "UpdateTask",
              () => tasks.updateTask({ task: { id, title: "x" }, updateMask: { paths: ["title"] } }),
            ],
            ["DeleteTask", () => tasks.deleteTask({ id })],
            ["CompleteTask", () => tasks.completeTask({ id })],
            ["ReopenTask", () => tasks.reopenTask({ id })],
            ["ListTags", () => tags.listTags({})],
            ["CreateTag", () => tags.createTag({ tag: { name: "x" } })],
          ];
          for (const [name, call] of calls) {
            expect([name, token, (await rejection(call)).code]).toEqual([name, token, Code.Unauthenticated]);
          }
        }
        expect((await alice.tasks.getTask({ id })).task?.etag).toBe(mine.etag);
      });

      test("a token signed with another key is UNAUTHENTICATED", async () => {
        const [header, payload] = alice.token.split(".");
        const forged = `${header}.${payload}.${Buffer.from("x".repeat(32)).toString("base64url")}`;
        const err = await rejection(() =>
          createClient(TaskService, server.transport("grpc", forged)).listTasks({}),
        );
        expect(err.code).toBe(Code.Unauthenticated);
      });
    });

    describe("tags", () => {
      let carol: TestUser;
      let work: Task[];
      let home: Task;

      beforeAll(async () => {
        carol = await signUpUser(server, { protocol: "grpc", name: "carol" });
        work = [];
        for (const title of ["Write the report", "Review the budget"]) {
          work.push((await carol.tasks.createTask({ task: { title, tags: ["Work", "home"] } })).task as Task);
        }
        home = (await carol.tasks.createTask({ task: { title: "Water the plants", tags: ["home"] } }))
          .task as Task;
      });

      const countsOf = async (user: TestUser) =>
        Object.fromEntries((await user.tags.listTags({})).tags.map((t) => [t.name, t.taskCount]));

      test("ListTags counts the tasks carrying each tag (eventually)", async () => {
        await untilPasses(async () => expect(await countsOf(carol)).toEqual({ Work: 2, home: 3 }));
        expect(Object.keys(await countsOf(bob))).not.toContain("Work");
      }, 15_000);

      test("another user cannot rename or delete the tag (NOT_FOUND)", async () => {
        const tag = (await carol.tags.listTags({})).tags.find((t) => t.name === "Work");
        expect(tag).toBeDefined();
        const id = tag?.id as string;
        const rename = await rejection(() =>
          bob.tags.updateTag({ tag: { id, name: "Stolen" }, updateMask: { paths: ["name"] } }),
        );
        expect(rename.code).toBe(Code.NotFound);
        expect((await rejection(() => bob.tags.deleteTag({ id }))).code).toBe(Code.NotFound);
        expect(await countsOf(carol)).toEqual({ Work: 2, home: 3 });
      });

      test("UpdateTag renames the tag on every task carrying it", async () => {
        const tag = (await carol.tags.listTags({})).tags.find((t) => t.name === "Work");
        const { tag: renamed } = await carol.tags.updateTag({
          tag: { id: tag?.id as string, name: "Office", color: "#ff8800" },
          updateMask: { paths: ["name", "color"] },
        });
        expect(renamed?.name).toBe("Office");
        expect(renamed?.color).toBe("#ff8800");
        await untilPasses(async () => {
          const { tasks } = await carol.tasks.listTasks({ filter: "tags:office", orderBy: "title" });
          expect(tasks.map((t) => [t.title, t.tags])).toEqual([
            ["Review the budget", ["Office", "home"]],
            ["Write the report", ["Office", "home"]],
          ]);
        });
        expect((await carol.tasks.listTasks({ filter: "tags:work" })).tasks).toHaveLength(0);
        expect((await carol.tasks.getTask({ id: home.id })).task?.tags).toEqual(["home"]);
        expect(await countsOf(carol)).toEqual({ Office: 2, home: 3 });
      }, 15_000);

      test("DeleteTag removes the tag from its tasks", async () => {
        const tag = (await carol.tags.listTags({})).tags.find((t) => t.name === "home");
        await carol.tags.deleteTag({ id: tag?.id as string });
        await untilPasses(async () => {
          const { tasks } = await carol.tasks.listTasks({ orderBy: "title" });
          expect(tasks.map((t) => [t.title, t.tags])).toEqual([
            ["Review the budget", ["Office"]],
            ["Water the plants", []],
            ["Write the report", ["Office"]],
          ]);
        });
        expect(await countsOf(carol)).toEqual({ Office: 2 });
        expect((await carol.tasks.getTask({ id: work[0]?.id as string })).task?.tags).toEqual(["Office"]);
      }, 15_000);
    });

    describe("bad input over the wire", () => {
      const dueTime = inAWeek;

      async function expectInvalid(call: () => Promise<unknown>, field: string): Promise<ConnectError> {
        const err = await rejection(call);
        expect(err.code).toBe(Code.InvalidArgument);
        expect(violatedFields(err)).toContain(field);
        expect(err.rawMessage).toContain(field);
        return err;
      }

      test("a malformed RRULE or an unknown time zone is INVALID_ARGUMENT naming the field; nothing is written", async () => {
        const before = (await alice.tasks.listTasks({})).totalSize;
        await expectInvalid(
          () =>
            alice.tasks.createTask({
              task: {
                title: "bad rule",
                dueTime: dueTime(),
                recurrence: { rrule: "FREQ=SOMETIMES", anchor: RecurrenceAnchor.SCHEDULE },
              },
            }),
          "task.recurrence.rrule",
        );
        await expectInvalid(
          () =>
            alice.tasks.createTask({
              task: { title: "bad rule", dueTime: dueTime(), recurrence: { rrule: "FREQ=WEEKLY;BYDAY=XX" } },
            }),
          "task.recurrence.rrule",
        );
        await expectInvalid(
          () => alice.tasks.createTask({ task: { title: "bad zone", timeZone: "Mars/Olympus_Mons" } }),
          "task.time_zone",
        );
        await expectInvalid(
          () =>
            alice.tasks.createTask({
              task: {
                title: "reminder",
                reminders: [{ trigger: { case: "beforeDue", value: { seconds: 600n } } }],
              },
            }),
          "task.reminders[0].before_due",
        );
        await expectInvalid(() => alice.tasks.createTask({ task: { title: "x".repeat(501) } }), "task.title");
        expect((await alice.tasks.listTasks({})).totalSize).toBe(before);
      });

      test("an update with an unknown time zone is refused and changes nothing", async () => {
        const { task } = await alice.tasks.createTask({ task: { title: "zoned", timeZone: "Europe/Paris" } });
        await expectInvalid(
          () =>
            alice.tasks.updateTask({
              task: { id: task?.id as string, timeZone: "Europe/Atlantis" },
              updateMask: { paths: ["time_zone"] },
            }),
          "task.time_zone",
        );
        const after = (await alice.tasks.getTask({ id: task?.id as string })).task;
        expect(after?.timeZone).toBe("Europe/Paris");
        expect(after?.etag).toBe(task?.etag as string);
      });

      test("SignUp with an unknown time zone is INVALID_ARGUMENT naming time_zone", async () => {
        const auth = createClient(AuthService, server.transport("connect"));
        await expectInvalid(
          () =>
            auth.signUp({
              email: `tz-${crypto.randomUUID()}@example.com`,
              password: "pw pw pw pw",
              timeZone: "Nowhere/City",
            }),
          "time_zone",
        );
      });

      test("a bad filter says where it broke; a bad order_by names order_by", async () => {
        const err = await expectInvalid(
          () => alice.tasks.listTasks({ filter: "priority >= HIGH AND" }),
          "filter",
        );
        expect(err.rawMessage.length).toBeGreaterThan("filter: ".length);
        await expectInvalid(() => alice.tasks.listTasks({ orderBy: "colour desc" }), "order_by");
      });
    });
  });
}
