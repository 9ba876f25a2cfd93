import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { create, createFileRegistry, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "@todo/gen/grpc/health/v1/health_pb";
import * as v1 from "@todo/gen/grpc/reflection/v1/reflection_pb";
import * as v1alpha from "@todo/gen/grpc/reflection/v1alpha/reflection_pb";
import { TaskSchema, TaskStatusSchema } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createHealthRegistry, createHealthService } from "./health";
import { reflectionServices, registerReflection } from "./reflection";

type Request = NonNullable<MessageInitShape<typeof v1.ServerReflectionRequestSchema>["messageRequest"]>;

const transport = createRouterTransport((router) => {
  registerReflection(router, [TaskService, Health]);
});
const client = createClient(v1.ServerReflection, transport);

/** Send `requests` on one reflection stream and collect the answers, in order. */
async function reflect(requests: Request[], host = ""): Promise<v1.ServerReflectionResponse[]> {
  async function* input() {
    for (const messageRequest of requests)
      yield create(v1.ServerReflectionRequestSchema, { host, messageRequest });
  }
  const out: v1.ServerReflectionResponse[] = [];
  for await (const response of client.serverReflectionInfo(input())) out.push(response);
  return out;
}

/** The file names of a file-descriptor answer, in order (fails on any other answer). */
function fileNames(response: v1.ServerReflectionResponse | undefined): string[] {
  if (response?.messageResponse.case !== "fileDescriptorResponse") {
    throw new Error(`expected files, got ${JSON.stringify(response?.messageResponse)}`);
  }
  return response.messageResponse.value.fileDescriptorProto.map(
    (b) => fromBinary(FileDescriptorProtoSchema, b).name,
  );
}

function errorCode(response: v1.ServerReflectionResponse | undefined): number | undefined {
  return response?.messageResponse.case === "errorResponse"
    ? response.messageResponse.value.errorCode
    : undefined;
}

const symbol = (value: string): Request => ({ case: "fileContainingSymbol", value });

describe("reflection (Connect, in memory)", () => {
  test("lists the given services and the reflection services, once each", async () => {
    const [response] = await reflect([{ case: "listServices", value: "*" }]);
    expect(response?.messageResponse.case).toBe("listServicesResponse");
    const names =
      response?.messageResponse.case === "listServicesResponse" ? response.messageResponse.value.service : [];
    expect(names.map((s) => s.name)).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "todo.task.v1.TaskService",
    ]);
    expect(reflectionServices().map((s) => s.typeName)).toEqual([
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });

  test("a service's file comes first with all transitive dependencies, and they link into a registry", async () => {
    const [response] = await reflect([symbol("todo.task.v1.TaskService")]);
    const names = fileNames(response);
    expect(names[0]).toBe("todo/task/v1/task_service.proto");
    expect(new Set(names).size).toBe(names.length);
    for (const needed of [
      "todo/task/v1/task.proto",
      "google/api/field_behavior.proto",
      "google/protobuf/descriptor.proto",
      "google/protobuf/field_mask.proto",
      "google/protobuf/timestamp.proto",
      "google/protobuf/duration.proto",
    ]) {
      expect(names).toContain(needed);
    }

    // The bytes are complete FileDescriptorProtos: they build a registry that knows the service and its types.
    const files =
      response?.messageResponse.case === "fileDescriptorResponse"
        ? response.messageResponse.value.fileDescriptorProto.map((b) =>
            fromBinary(FileDescriptorProtoSchema, b),
          )
        : [];
    // Link them dependencies first (a FileDescriptorSet must be in that order); a missing import throws.
    const byName = new Map(files.map((file) => [file.name, file]));
    const ordered: FileDescriptorProto[] = [];
    const visit = (name: string): void => {
      const file = byName.get(name);
      if (!file || ordered.includes(file)) return;
      for (const dependency of file.dependency) visit(dependency);
      ordered.push(file);
    };
    for (const name of byName.keys()) visit(name);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
    expect(registry.getService("todo.task.v1.TaskService")?.methods.map((m) => m.name)).toEqual(
      TaskService.methods.map((m) => m.name),
    );
    expect(registry.getMessage("todo.task.v1.Task")?.fields.map((f) => f.name)).toEqual(
      TaskSchema.fields.map((f) => f.name),
    );
  });

  test("within one stream each dependency is sent once; the requested file always is", async () => {
    const responses = await reflect([
      symbol("todo.task.v1.TaskService"),
      symbol("todo.task.v1.Task"),
      symbol("todo.task.v1.TaskService.GetTask"),
      { case: "fileByFilename", value: "google/protobuf/timestamp.proto" },
    ]);
    expect(fileNames(responses[0]).length).toBeGreaterThan(3);
    expect(fileNames(responses[1])).toEqual(["todo/task/v1/task.proto"]);
    expect(fileNames(responses[2])).toEqual(["todo/task/v1/task_service.proto"]);
    expect(fileNames(responses[3])).toEqual(["google/protobuf/timestamp.proto"]);

    // A new stream starts afresh.
    const [again] = await reflect([symbol("todo.task.v1.Task")]);
    expect(fileNames(again)).toEqual(
      expect.arrayContaining(["todo/task/v1/task.proto", "google/protobuf/timestamp.proto"]),
    );
  });

  test("finds methods, messages, fields, enums, enum values and nested types", async () => {
    const field = TaskSchema.fields[0]?.name ?? "";
    const value = TaskStatusSchema.values[1]?.name ?? "";
    const responses = await reflect([
      symbol("todo.task.v1.TaskService.CreateTask"),
      symbol("todo.task.v1.CreateTaskRequest"),
      symbol(`todo.task.v1.Task.${field}`),
      symbol("todo.task.v1.TaskStatus"),
      symbol(`todo.task.v1.${value}`),
      symbol("grpc.health.v1.HealthCheckResponse.ServingStatus"),
      symbol("grpc.health.v1.HealthListResponse.StatusesEntry"),
      symbol(".grpc.health.v1.Health.Watch"),
      symbol("google.api.field_behavior"),
      symbol("google.protobuf.Timestamp"),
    ]);
    expect(responses.map((r) => fileNames(r)[0])).toEqual([
      "todo/task/v1/task_service.proto",
      "todo/task/v1/task_service.proto",
      "todo/task/v1/task.proto",
      "todo/task/v1/task.proto",
      "todo/task/v1/task.proto",
      "grpc/health/v1/health.proto",
      "grpc/health/v1/health.proto",
      "grpc/health/v1/health.proto",
      "google/api/field_behavior.proto",
      "google/protobuf/timestamp.proto",
    ]);
  });

  test("unknown things are NOT_FOUND error responses and the stream goes on", async () => {
    const responses = await reflect([
      symbol("todo.task.v1.Nope"),
      symbol("todo.task.v1.TaskService.Nope"),
      { case: "fileByFilename", value: "nope.proto" },
      // A real file, but not one the registered services need.
      { case: "fileByFilename", value: "todo/tag/v1/tag.proto" },
      {
        case: "fileContainingExtension",
        value: { containingType: "todo.task.v1.Task", extensionNumber: 100 },
      },
      { case: "allExtensionNumbersOfType", value: "todo.task.v1.Nope" },
      { case: undefined },
      symbol("todo.task.v1.Task"),
    ]);
    expect(responses.map(errorCode)).toEqual([
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.InvalidArgument,
      undefined,
    ]);
    expect(fileNames(responses[7])[0]).toBe("todo/task/v1/task.proto");
  });

  test("extensions: by extendee and number, and all numbers of a type", async () => {
    const responses = await reflect([
      {
        case: "fileContainingExtension",
        value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 1052 },
      },
      { case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" },
      { case: "allExtensionNumbersOfType", value: "todo.task.v1.Task" },
      {
        case: "fileContainingExtension",
        value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 51001 },
      },
    ]);
    expect(fileNames(responses[0])[0]).toBe("google/api/field_behavior.proto");
    // field_behavior (1052) and our own (todo.validation.v1.multiline, 51001: the in-house range).
    expect(responses[1]?.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "google.protobuf.FieldOptions" },
    });
    const numbers =
      responses[1]?.messageResponse.case === "allExtensionNumbersResponse"
        ? [...responses[1].messageResponse.value.extensionNumber].sort((a, b) => a - b)
        : [];
    expect(numbers).toEqual([1052, 51001]);
    expect(fileNames(responses[3])[0]).toBe("todo/validation/v1/text.proto");
    expect(responses[2]?.messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: { baseTypeName: "todo.task.v1.Task", extensionNumber: [] },
    });
  });

  test("echoes the host and the original request", async () => {
    const [response] = await reflect([symbol("todo.task.v1.Nope")], "example:443");
    expect(response?.validHost).toBe("example:443");
    expect(response?.originalRequest?.messageRequest).toEqual({
      case: "fileContainingSymbol",
      value: "todo.task.v1.Nope",
    });
  });

  test("v1alpha answers the same way", async () => {
    const alpha = createClient(v1alpha.ServerReflection, transport);
    async function* input() {
      yield create(v1alpha.ServerReflectionRequestSchema, {
        messageRequest: { case: "listServices", value: "" },
      });
      yield create(v1alpha.ServerReflectionRequestSchema, {
        messageRequest: { case: "fileContainingSymbol", value: "todo.task.v1.TaskService" },
      });
    }
    const responses: v1alpha.ServerReflectionResponse[] = [];
    for await (const response of alpha.serverReflectionInfo(input())) responses.push(response);
    const [list, file] = responses;
    expect(
      list?.messageResponse.case === "listServicesResponse" && list.messageResponse.value.service.length,
    ).toBe(4);
    const first =
      file?.messageResponse.case === "fileDescriptorResponse"
        ? file.messageResponse.value.fileDescriptorProto[0]
        : undefined;
    expect(first && fromBinary(FileDescriptorProtoSchema, first).name).toBe(
      "todo/task/v1/task_service.proto",
    );
  });
});

describe("reflection over real gRPC (h2c server, buf curl)", () => {
  const buf = join(import.meta.dir, "../../../node_modules/.bin/buf");
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) => {
        router.service(Health, createHealthService(createHealthRegistry([TaskService.typeName])));
        registerReflection(router, [TaskService, Health]);
      },
    }),
  );
  let url = "";

  beforeAll(async () => {
    if (!existsSync(buf)) throw new Error(`buf not found at ${buf}: run bun install at the repo root`);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function bufCurl(...args: string[]): Promise<string> {
    const proc = Bun.spawn([buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) throw new Error(`buf curl ${args.join(" ")} exited ${code}: ${stderr}`);
    return stdout;
  }

  const expectedMethods = [
    "grpc.health.v1.Health/Check",
    "grpc.health.v1.Health/List",
    "grpc.health.v1.Health/Watch",
    "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ...TaskService.methods.map((m) => `todo.task.v1.TaskService/${m.name}`),
  ].sort();

  test("--list-methods discovers every method through v1 reflection", async () => {
    const lines = (await bufCurl("--list-methods", url)).trim().split("\n");
    expect(lines.sort()).toEqual(expectedMethods);
  });

  test("--list-methods works through v1alpha reflection too", async () => {
    const lines = (await bufCurl("--reflect-protocol", "grpc-v1alpha", "--list-methods", url))
      .trim()
      .split("\n");
    expect(lines.sort()).toEqual(expectedMethods);
  });

  test("calls Health/Check with the schema taken from reflection", async () => {
    expect(JSON.parse(await bufCurl(`${url}/grpc.health.v1.Health/Check`))).toEqual({ status: "SERVING" });
    const tasks = await bufCurl(
      "-d",
      '{"service":"todo.task.v1.TaskService"}',
      `${url}/grpc.health.v1.Health/Check`,
    );
    expect(JSON.parse(tasks)).toEqual({ status: "SERVING" });
  });
});
