import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { createTokenService } from "./auth";
import { createRemoteTransport, createServiceClient } from "./clients";
import { defineService, type RunningServer, startServer } from "./server";
import { platformTracer, setTracingEnabled } from "./tracing";
import { isChildOf, type TestTracing, useTestTracing } from "./tracing-testing";

const tokens = createTokenService({
  secret: "tracing-rpc-test-secret-0123456789abcdef",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 300,
});

const LIST = "todo.tag.v1.TagService/ListTags";
const CREATE = "todo.tag.v1.TagService/CreateTag";
const DELETE = "todo.tag.v1.TagService/DeleteTag";

let tracing: TestTracing;
let back: RunningServer;
let front: RunningServer;

/** A tag service: `back` answers; `front`'s ListTags calls `back`'s CreateTag (a second hop). */
function tagService(next?: () => ReturnType<typeof createServiceClient<typeof TagService>>) {
  return defineService(TagService, {
    async listTags() {
      if (next) await next().createTag({ tag: { name: "from-front" } });
      return { tags: [], nextPageToken: "" };
    },
    async createTag(req) {
      return { tag: { id: "t1", name: req.tag?.name ?? "" } };
    },
    async updateTag() {
      throw new ConnectError("no such tag", Code.NotFound);
    },
    async deleteTag() {
      throw new Error("the disk is on fire");
    },
  });
}

const serve = (name: string, service: ReturnType<typeof tagService>) =>
  startServer({
    name,
    services: [service],
    tokens,
    publicMethods: ["todo.tag.v1.TagService"],
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
  });

beforeAll(async () => {
  tracing = useTestTracing();
  back = await serve("back", tagService());
  const backClient = createServiceClient(TagService, {
    remote: { url: `http://127.0.0.1:${back.grpcPort}` },
  });
  front = await serve(
    "front",
    tagService(() => backClient),
  );
});
afterAll(async () => {
  await front?.close();
  await back?.close();
  tracing?.stop();
});

/** Runs `fn` inside a fresh root span; returns that span's context. */
async function inRootSpan(fn: () => Promise<unknown>) {
  const root = platformTracer().startSpan("test root");
  try {
    await context.with(trace.setSpan(context.active(), root), fn);
  } finally {
    root.end();
  }
  return root.spanContext();
}

const ofKind = (kind: SpanKind, name: string) =>
  tracing.spans().filter((s) => s.kind === kind && s.name === name);

describe("RPC spans", () => {
  test("client → server → client → server over gRPC: one trace, each span the child of the one before", async () => {
    tracing.reset();
    const client = createServiceClient(TagService, { remote: { url: `http://127.0.0.1:${front.grpcPort}` } });
    const root = await inRootSpan(() => client.listTags({}));
    await tracing.until("the back server's span", (s) => s.name === CREATE && s.kind === SpanKind.SERVER);

    const [listClient] = ofKind(SpanKind.CLIENT, LIST);
    const [listServer] = ofKind(SpanKind.SERVER, LIST);
    const [createClient] = ofKind(SpanKind.CLIENT, CREATE);
    const [createServer] = ofKind(SpanKind.SERVER, CREATE);
    if (!listClient || !listServer || !createClient || !createServer) throw new Error("a span is missing");
    expect(isChildOf(listClient, root)).toBe(true);
    expect(isChildOf(listServer, listClient)).toBe(true);
    // The server's context came over the wire: its parent is remote.
    expect(listServer.parentSpanContext?.isRemote).toBe(true);
    expect(isChildOf(createClient, listServer)).toBe(true);
    expect(isChildOf(createServer, createClient)).toBe(true);
    // The root and the four RPC spans, nothing else.
    expect(tracing.traceOf(root.traceId)).toHaveLength(5);

    expect(listServer.attributes).toMatchObject({
      "rpc.system.name": "grpc",
      "rpc.method": LIST,
      "rpc.status_code": "OK",
      "rpc.service": "todo.tag.v1.TagService",
      "rpc.grpc.status_code": 0,
    });
    expect(listClient.attributes).toMatchObject({
      "rpc.system.name": "grpc",
      "rpc.method": LIST,
      "rpc.status_code": "OK",
      "server.address": "127.0.0.1",
      "server.port": front.grpcPort,
    });
    expect(listServer.status.code).toBe(SpanStatusCode.UNSET);
  });

  test("over Connect on HTTP/1.1 the same, with rpc.system.name connectrpc", async () => {
    tracing.reset();
    const client = createServiceClient(TagService, {
      remote: { url: `http://127.0.0.1:${back.httpPort}`, protocol: "connect" },
    });
    const root = await inRootSpan(() => client.createTag({ tag: { name: "x" } }));
    const server = await tracing.until("the server span", (s) => s.kind === SpanKind.SERVER);
    const [clientSpan] = ofKind(SpanKind.CLIENT, CREATE);
    if (!clientSpan) throw new Error("no client span");
    expect(isChildOf(clientSpan, root)).toBe(true);
    expect(isChildOf(server, clientSpan)).toBe(true);
    expect(server.attributes["rpc.system.name"]).toBe("connectrpc");
    expect(clientSpan.attributes["rpc.system.name"]).toBe("connectrpc");
  });

  test("a caller with no SDK of ours: the server continues the W3C traceparent header it sent", async () => {
    tracing.reset();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await fetch(`http://127.0.0.1:${back.httpPort}/${CREATE}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify({ tag: { name: "curl" } }),
    });
    expect(res.status).toBe(200);
    const server = await tracing.until("the server span", (s) => s.kind === SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(traceId);
    expect(server.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
  });

  test("a server error fails both spans with error.type; NOT_FOUND only sets the status code", async () => {
    tracing.reset();
    const client = createServiceClient(TagService, { remote: { url: `http://127.0.0.1:${back.grpcPort}` } });
    await expect(client.deleteTag({ id: "t1" })).rejects.toThrow();
    await expect(client.updateTag({ tag: { id: "t1", name: "y" } })).rejects.toThrow();
    await tracing.until("both server spans", () => ofKind(SpanKind.SERVER, DELETE).length === 1);
    for (const span of [...ofKind(SpanKind.SERVER, DELETE), ...ofKind(SpanKind.CLIENT, DELETE)]) {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes["rpc.status_code"]).toBe("INTERNAL");
      expect(span.attributes["error.type"]).toBe("INTERNAL");
      // The message a user gets, not the internals ("the disk is on fire" stays in the log).
      expect(span.status.message).toBe("internal error");
      expect(span.events.map((e) => e.name)).toContain("exception");
    }
    const updates = tracing.spans().filter((s) => s.name === "todo.tag.v1.TagService/UpdateTag");
    expect(updates).toHaveLength(2);
    for (const span of updates) {
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes["rpc.status_code"]).toBe("NOT_FOUND");
      expect(span.attributes["error.type"]).toBeUndefined();
    }
  });

  test("with tracing off no span is made and no traceparent is sent", async () => {
    tracing.reset();
    setTracingEnabled(false);
    try {
      const seen: (string | null)[] = [];
      const client = createServiceClient(
        TagService,
        createRemoteTransport({
          url: `http://127.0.0.1:${front.grpcPort}`,
          interceptors: [
            (next) => (req) => {
              seen.push(req.header.get("traceparent"));
              return next(req);
            },
          ],
        }),
      );
      await client.listTags({});
      expect(seen).toEqual([null]);
    } finally {
      setTracingEnabled(true);
    }
    expect(tracing.spans()).toEqual([]);
  });
});
