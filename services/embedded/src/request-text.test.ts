/**
 * Issue 13 §1: text is refused at the contract, in one place, for every string field of every
 * request (found from the descriptors, see request-fields.ts of @todo/testkit): control characters (line breaks only
 * where the field is `multiline`), invalid UTF-8 bytes in JSON and in binary bodies (Connect and
 * gRPC), and unpaired surrogate escapes — each INVALID_ARGUMENT naming the field, never an internal
 * error from PostgreSQL. Unknown JSON enum names and fields are refused too.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromJson, type JsonObject, toBinary } from "@bufbuild/protobuf";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import {
  apiServices,
  type RawOutcome,
  type RawProtocol,
  type RequestStringField,
  rawCall,
  requestStringFields,
  signUpUser,
  startTestApp,
  type TestApp,
  type TestUser,
} from "@todo/testkit";

let server: TestApp;
let user: TestUser;
let fields: RequestStringField[];

beforeAll(async () => {
  server = await startTestApp("pglite");
  user = await signUpUser(server, { protocol: "connect" });
  fields = requestStringFields(await apiServices());
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const MARK = "qqqq";
/** `bytes` with the first MARK replaced by FF FE and two letters (same length, so lengths stay right). */
function withInvalidUtf8(bytes: Uint8Array): Uint8Array {
  const mark = new TextEncoder().encode(MARK);
  for (let i = 0; i + mark.length <= bytes.length; i++) {
    if (mark.every((b, j) => bytes[i + j] === b)) {
      const out = bytes.slice();
      out.set([0xff, 0xfe, 0x41, 0x41], i);
      return out;
    }
  }
  throw new Error("marker not found in the encoded request");
}

function encodeJson(field: RequestStringField, value: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(field.json(value)));
}
function encodeBinary(field: RequestStringField, value: string): Uint8Array {
  return toBinary(field.method.input, fromJson(field.method.input, field.json(value) as JsonObject));
}

async function send(field: RequestStringField, protocol: RawProtocol, body: Uint8Array) {
  return rawCall({
    protocol,
    baseUrl: protocol === "grpc" ? server.grpcUrl : server.httpUrl,
    method: field.method,
    body,
    token: user.token,
  });
}

/** Notes in `wrong` when `out` is not INVALID_ARGUMENT with a message containing (or matching) `says`. */
function checkRefused(
  wrong: string[],
  label: string,
  field: RequestStringField,
  out: RawOutcome,
  says: string | RegExp,
): void {
  const said = typeof says === "string" ? out.message.includes(says) : says.test(out.message);
  if (out.code !== "invalid_argument" || !said)
    wrong.push(`${label} ${field.method.name} ${field.path}: ${out.code} ${out.message}`);
}

describe("every request string field", () => {
  test("the walk finds the fields the issue names, and more", () => {
    const paths = new Set(fields.map((f) => `${f.method.name}:${f.path}`));
    for (const p of [
      "CreateTask:task.title",
      "CreateTask:task.description",
      "CreateTask:request_id",
      "CreateTask:task.tags[0]",
      "CreateTask:task.reminders[0].id",
      "UpdateTask:update_mask.paths[0]",
      "Chat:message",
      "SignUp:email",
      "SignUp:display_name",
      "SignUp:password",
      "SignIn:password",
      "ListTasks:query",
      "CreateChannel:channel.webhook.url",
    ]) {
      expect(paths).toContain(p);
    }
    expect(fields.length).toBeGreaterThan(50);
    expect(fields.filter((f) => f.multiline).map((f) => `${f.method.name}:${f.path}`)).toEqual(
      expect.arrayContaining(["CreateTask:task.description", "Chat:message", "ListTasks:filter"]),
    );
  });

  test("NUL is INVALID_ARGUMENT naming the field, over Connect JSON, Connect binary and gRPC", async () => {
    const wrong: string[] = [];
    for (const field of fields) {
      for (const protocol of ["connect-json", "connect-proto", "grpc"] as const) {
        const body =
          protocol === "connect-json" ? encodeJson(field, "a\u0000b") : encodeBinary(field, "a\u0000b");
        const out = await send(field, protocol, body);
        checkRefused(
          wrong,
          protocol,
          field,
          out,
          `${field.path}: must not contain the control character U+0000`,
        );
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  test("other control characters are refused; line breaks only where the field is multi-line", async () => {
    const wrong: string[] = [];
    for (const field of fields) {
      for (const [char, name] of [
        ["\u0007", "U+0007"],
        ["\u001b", "U+001B"],
        ["\u007f", "U+007F"],
        ["\u0085", "U+0085"],
      ] as const) {
        const out = await send(field, "connect-json", encodeJson(field, `a${char}b`));
        checkRefused(
          wrong,
          name,
          field,
          out,
          `${field.path}: must not contain the control character ${name}`,
        );
      }
      const breaks = await send(field, "connect-json", encodeJson(field, "a\tb\nc\r\nd"));
      const refused = breaks.message.includes(`${field.path}: must not contain the control character`);
      if (refused === field.multiline)
        wrong.push(
          `line breaks ${field.method.name} ${field.path} (multiline ${field.multiline}): ${breaks.message}`,
        );
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  test("invalid UTF-8 bytes are INVALID_ARGUMENT in JSON bodies and in binary ones (Connect and gRPC)", async () => {
    const wrong: string[] = [];
    for (const field of fields) {
      const json = await send(field, "connect-json", withInvalidUtf8(encodeJson(field, MARK)));
      checkRefused(wrong, "json", field, json, "the request body is not valid UTF-8");
      for (const protocol of ["connect-proto", "grpc"] as const) {
        const out = await send(field, protocol, withInvalidUtf8(encodeBinary(field, MARK)));
        checkRefused(wrong, protocol, field, out, `${field.path}: is not valid UTF-8`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  test("an unpaired surrogate escape in JSON is INVALID_ARGUMENT", async () => {
    const wrong: string[] = [];
    for (const field of fields) {
      const body = new TextEncoder().encode(JSON.stringify(field.json(MARK)).replace(MARK, "a\\ud800b"));
      checkRefused(
        wrong,
        "surrogate",
        field,
        await send(field, "connect-json", body),
        /invalid UTF8|not valid UTF-8/,
      );
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});

describe("NUL where the issue found it reaching PostgreSQL", () => {
  test("a description with NUL is refused, one with tabs and newlines is stored as sent", async () => {
    const nul = await user.tasks
      .createTask({ task: { title: "ok", description: "x\u0000y" } })
      .catch((e) => e);
    expect(String(nul)).toContain("task.description: must not contain the control character U+0000");
    const text = "line 1\n\tline 2\r\nline 3";
    const created = await user.tasks.createTask({ task: { title: "multi-line", description: text } });
    expect((await user.tasks.getTask({ id: created.task?.id ?? "" })).task?.description).toBe(text);
  });
});

describe("strict JSON", () => {
  const createTask = TaskService.method.createTask;
  const call = (json: unknown) =>
    rawCall({
      protocol: "connect-json",
      baseUrl: server.httpUrl,
      method: createTask,
      body: new TextEncoder().encode(JSON.stringify(json)),
      token: user.token,
    });

  test("an unknown enum name is INVALID_ARGUMENT, like an unknown number", async () => {
    for (const task of [
      { title: "t", priority: "PRIORITY_MEGA" },
      { title: "t", status: "TASK_STATUS_SOMEDAY" },
      {
        title: "t",
        dueTime: "2030-01-01T09:00:00Z",
        recurrence: { rrule: "FREQ=DAILY", anchor: "RECURRENCE_ANCHOR_MOON" },
      },
    ]) {
      const out = await call({ task });
      expect(out.code).toBe("invalid_argument");
      expect(out.message).toMatch(/cannot decode enum todo\.task\.v1\.\w+ from JSON/);
    }
    const ok = await call({ task: { title: "known enum name", priority: "PRIORITY_HIGH" } });
    expect(ok.code).toBe("ok");
  });

  test("an unknown JSON field is INVALID_ARGUMENT naming it", async () => {
    const out = await call({ task: { title: "t", colour: "red" } });
    expect(out.code).toBe("invalid_argument");
    expect(out.message).toContain('key "colour" is unknown');
    const top = await call({ task: { title: "t" }, requestID: "x" });
    expect(top.message).toContain('key "requestID" is unknown');
  });
});
