import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import type { ListTagsRequest } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { createTokenService, type Principal, principalOf, type TokenService } from "./auth";
import {
  createActingAs,
  createInProcessTransport,
  createRemoteTransport,
  createServiceClient,
  createServiceTransport,
  IN_PROCESS_CALL_HEADER,
  serviceTargetFromEnv,
} from "./clients";
import { defineService, type RunningServer, startServer } from "./server";

const real = createTokenService({
  secret: "clients-test-secret-0123456789abcdefghij",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 300,
});
/** The real token service, counting its verifications. */
let verified = 0;
const tokens: TokenService = {
  issue: (p) => real.issue(p),
  verify: (t) => {
    verified += 1;
    return real.verify(t);
  },
};

const BOB: Principal = { userId: "0190a000-0000-7000-8000-00000000000b", email: "", timeZone: "Asia/Tokyo" };

const ALICE: Principal = {
  userId: "0190a000-0000-7000-8000-00000000000a",
  email: "",
  timeZone: "Europe/Berlin",
};

/**
 * A stand-in service: ListTags answers with who called, what `x-extra` header arrived, and (in
 * `nextPageToken`) whether a bearer token and the in-process hand-over header reached the handler.
 */
const registration = defineService(
  TagService,
  {
    async listTags(_req, ctx) {
      const p = principalOf(ctx);
      return {
        tags: [{ id: p.userId, name: p.timeZone, color: ctx.requestHeader.get("x-extra") ?? "" }],
        nextPageToken: [
          ctx.requestHeader.has("authorization"),
          ctx.requestHeader.has(IN_PROCESS_CALL_HEADER),
        ].join(","),
      };
    },
    async createTag() {
      throw new ConnectError("not here", Code.Unimplemented);
    },
    async updateTag() {
      throw new ConnectError("not here", Code.Unimplemented);
    },
    async deleteTag() {
      throw new ConnectError("not here", Code.Unimplemented);
    },
  },
  {
    ListTags: (m: Message) =>
      (m as ListTagsRequest).pageSize < 0
        ? [{ field: "page_size", description: "must not be negative" }]
        : [],
  },
);

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({
    name: "clients-test",
    services: [registration],
    tokens,
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
  });
});
afterAll(async () => {
  await server?.close();
});

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (err) {
    return ConnectError.from(err).code;
  }
}

/** What every transport must do: authenticate as the given user, validate, and carry errors. */
async function checkTransport(transport: Transport): Promise<void> {
  const client = createServiceClient(TagService, transport);
  const actingAs = createActingAs(tokens);
  expect(await codeOf(client.listTags({}))).toBe(Code.Unauthenticated);
  const res = await client.listTags({}, await actingAs(ALICE));
  expect(res.tags[0]?.id).toBe(ALICE.userId);
  expect(res.tags[0]?.name).toBe("Europe/Berlin");
  expect(await codeOf(client.listTags({ pageSize: -1 }, await actingAs(ALICE)))).toBe(Code.InvalidArgument);
  expect(await codeOf(client.createTag({ tag: { name: "x" } }, await actingAs(ALICE)))).toBe(
    Code.Unimplemented,
  );
}

describe("clients", () => {
  test("in-process: the server's auth and validation apply", async () => {
    await checkTransport(createInProcessTransport({ services: [registration], tokens }));
  });

  test("remote over gRPC (h2c)", async () => {
    await checkTransport(createRemoteTransport({ url: `http://127.0.0.1:${server.grpcPort}` }));
  });

  test("remote over Connect on HTTP/1.1", async () => {
    await checkTransport(
      createRemoteTransport({ url: `http://127.0.0.1:${server.httpPort}`, protocol: "connect" }),
    );
  });

  test("extra headers reach the callee (for example dapr-app-id)", async () => {
    const client = createServiceClient(TagService, {
      remote: { url: `http://127.0.0.1:${server.grpcPort}`, headers: { "x-extra": "sidecar" } },
    });
    const res = await client.listTags({}, await createActingAs(tokens)(ALICE));
    expect(res.tags[0]?.color).toBe("sidecar");
  });

  test("the target comes from <NAME>_SERVICE_URL and _PROTOCOL, else in-process", async () => {
    const inProcess = { services: [registration], tokens };
    const saved = { url: process.env.TAG_SERVICE_URL, protocol: process.env.TAG_SERVICE_PROTOCOL };
    try {
      delete process.env.TAG_SERVICE_URL;
      delete process.env.TAG_SERVICE_PROTOCOL;
      expect(serviceTargetFromEnv("tag", inProcess)).toEqual({ inProcess });
      expect(() => serviceTargetFromEnv("tag")).toThrow(/TAG_SERVICE_URL/);
      process.env.TAG_SERVICE_URL = `http://127.0.0.1:${server.httpPort}`;
      process.env.TAG_SERVICE_PROTOCOL = "connect";
      const target = serviceTargetFromEnv("tag", inProcess);
      expect(target).toEqual({ remote: { url: `http://127.0.0.1:${server.httpPort}`, protocol: "connect" } });
      await checkTransport(createServiceTransport(target));
      process.env.TAG_SERVICE_PROTOCOL = "carrier-pigeon";
      expect(() => serviceTargetFromEnv("tag", inProcess)).toThrow(/TAG_SERVICE_PROTOCOL/);
    } finally {
      for (const [key, value] of [
        ["TAG_SERVICE_URL", saved.url],
        ["TAG_SERVICE_PROTOCOL", saved.protocol],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(() => createServiceTransport({})).toThrow(/no service target/);
    expect(() => createRemoteTransport({ url: "https://example.com" })).toThrow(/http:\/\//);
  });

  test("acting-as tokens are reused per user until shortly before they expire", async () => {
    let issued = 0;
    const counting: TokenService = {
      issue: (p) => {
        issued += 1;
        return tokens.issue(p);
      },
      verify: (t) => tokens.verify(t),
    };
    const reuse = createActingAs(counting);
    const a1 = await reuse(ALICE, { timeoutMs: 1234 });
    const a2 = await reuse(ALICE);
    await reuse({ ...ALICE, userId: "0190b000-0000-7000-8000-00000000000b" });
    expect(issued).toBe(2);
    expect(a1.timeoutMs).toBe(1234);
    expect(new Headers(a1.headers).get("authorization")).toBe(new Headers(a2.headers).get("authorization"));
    expect(await tokens.verify(new Headers(a1.headers).get("authorization")?.slice(7) as string)).toEqual(
      ALICE,
    );
    // A token closer to expiry than renewBeforeMs is replaced.
    const renew = createActingAs(counting, { renewBeforeMs: 10 * 60_000 });
    await renew(ALICE);
    await renew(ALICE);
    expect(issued).toBe(4);
  });

  test("in-process, acting as a user verifies no token and is scoped to that user", async () => {
    const client = createServiceClient(
      TagService,
      createInProcessTransport({ services: [registration], tokens }),
    );
    const actingAs = createActingAs(tokens);
    const before = verified;
    const res = await client.listTags({}, await actingAs(BOB));
    expect(verified).toBe(before);
    expect(res.tags[0]?.id).toBe(BOB.userId);
    expect(res.tags[0]?.name).toBe("Asia/Tokyo");
    expect(res.nextPageToken).toBe("false,false"); // neither the token nor the hand-over id arrives
    // A forged hand-over header is dropped; without acting-as options there is no caller.
    const forged = { headers: { [IN_PROCESS_CALL_HEADER]: crypto.randomUUID() } };
    expect(await codeOf(client.listTags({}, forged))).toBe(Code.Unauthenticated);
    expect(await codeOf(client.listTags({}))).toBe(Code.Unauthenticated);
  });

  test("over the network the hand-over header is ignored and acting-as tokens are verified", async () => {
    for (const protocol of ["grpc", "connect"] as const) {
      const port = protocol === "grpc" ? server.grpcPort : server.httpPort;
      const remote = createServiceClient(TagService, {
        remote: { url: `http://127.0.0.1:${port}`, protocol },
      });
      const forged = { headers: { [IN_PROCESS_CALL_HEADER]: crypto.randomUUID() } };
      expect(await codeOf(remote.listTags({}, forged))).toBe(Code.Unauthenticated);
      const before = verified;
      const res = await remote.listTags({}, await createActingAs(tokens)(BOB));
      expect(verified).toBe(before + 1);
      expect(res.tags[0]?.id).toBe(BOB.userId);
      expect(res.nextPageToken).toBe("true,false");
    }
  });
});
