/** fieldViolations on errors that crossed an (in-memory) wire, and the API the package re-exports. */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { fieldViolations } from "./errors.js";
import { createTodoClient } from "./index.js";

test("fieldViolations reads the BadRequest detail the server attached, and is [] for anything else", async () => {
  const client = createTodoClient({
    transport: createRouterTransport((r) =>
      r.service(TaskService, {
        createTask() {
          throw new ConnectError("task.title: is required", Code.InvalidArgument, undefined, [
            {
              desc: BadRequestSchema,
              value: create(BadRequestSchema, {
                fieldViolations: [
                  { field: "task.title", description: "is required" },
                  { field: "task.recurrence.rrule", description: "is not an RRULE" },
                ],
              }),
            },
          ]);
        },
      }),
    ),
  });
  const error = await client.tasks.createTask({ task: {} }).catch((e: unknown) => e);
  expect(fieldViolations(error)).toEqual([
    { field: "task.title", description: "is required" },
    { field: "task.recurrence.rrule", description: "is not an RRULE" },
  ]);
  expect(fieldViolations(new ConnectError("gone", Code.NotFound))).toEqual([]);
  expect(fieldViolations(new Error("not a ConnectError"))).toEqual([]);
  expect(fieldViolations(undefined)).toEqual([]);
});

test("api.ts re-exports every generated file of the six services", () => {
  const gen = join(import.meta.dir, "..", "..", "..", "gen", "todo");
  const expected = ["assistant", "identity", "notification", "scheduler", "tag", "task"].flatMap((svc) =>
    readdirSync(join(gen, svc, "v1"))
      .filter((f) => f.endsWith("_pb.ts"))
      .map((f) => `@todo/gen/todo/${svc}/v1/${f.slice(0, -3)}`),
  );
  const api = readFileSync(join(import.meta.dir, "api.ts"), "utf8");
  const exported = [...api.matchAll(/^export \* from "([^"]+)";$/gm)].map((m) => m[1]);
  expect(exported.sort()).toEqual(expected.sort());
});
