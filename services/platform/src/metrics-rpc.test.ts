/**
 * RPC server metrics through a real server (`startServer`, both listeners) and real clients (gRPC
 * over h2c, Connect over HTTP/1.1): every call is counted in `rpc.server.call.duration` under its
 * method, protocol and status code — server errors with `error.type`, client errors without —
 * unary calls in flight are counted while they run, and a server stream counts as open until its
 * client goes away, then records its lifetime. Values are compared as deltas, since other test
 * files of the process record into the same provider.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "@todo/gen/grpc/health/v1/health_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { createTokenService } from "./auth";
import { createInProcessTransport } from "./clients";
import { type Exposition, sumOf, type TestMetrics, useTestMetrics } from "./metrics-testing";
import { defineService, type RunningServer, startServer } from "./server";

const tokens = createTokenService({
  secret: "metrics-test-secret-0123456789abcdef",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 300,
});
let metrics: TestMetrics;
let server: RunningServer;
let release: () => void = () => {};
let entered: () => void = () => {};

beforeAll(async () => {
  metrics = useTestMetrics();
  server = await startServer({
    name: "metrics-test",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    tokens,
    publicMethods: ["todo.tag.v1.TagService"],
    services: [
      defineService(TagService, {
        listTags: async () => {
          throw new Error("the database is on fire"); // → INTERNAL through the error interceptor
        },
        createTag: async () => {
          throw new ConnectError("a tag of that name exists", Code.AlreadyExists);
        },
        updateTag: async () => {
          entered();
          await new Promise<void>((resolve) => {
            release = resolve;
          });
          return {};
        },
        deleteTag: async () => ({}),
      }),
    ],
  });
});

afterAll(async () => {
  await server?.close();
});

const grpc = () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpcPort}` });
const connect = () =>
  createConnectTransport({ baseUrl: `http://127.0.0.1:${server.httpPort}`, httpVersion: "1.1" });

const CALLS = "rpc_server_call_duration_seconds_count";
const count = (e: Exposition, method: string, labels: Record<string, string> = {}) =>
  sumOf(e, CALLS, { rpc_method: method, ...labels });

test("every call is counted by method, protocol and code; server errors carry error.type", async () => {
  const before = await metrics.scrape();
  await createClient(Health, grpc()).check({});
  const health = createClient(Health, connect());
  await health.check({});
  // (Errors over Connect: connect-node's gRPC client on Bun does not see trailers-only answers.)
  await expect(health.check({ service: "no.such.Service" })).rejects.toMatchObject({ code: Code.NotFound });
  const tags = createClient(TagService, connect());
  await expect(tags.listTags({})).rejects.toMatchObject({ code: Code.Internal });
  await expect(tags.createTag({ tag: { name: "x" } })).rejects.toMatchObject({ code: Code.AlreadyExists });
  await tags.deleteTag({ id: "0193a1b2-0000-7000-8000-000000000000" });
  const after = await metrics.scrape();

  const delta = (method: string, labels: Record<string, string>) =>
    count(after, method, labels) - count(before, method, labels);
  const CHECK = "grpc.health.v1.Health/Check";
  expect(delta(CHECK, { rpc_system_name: "grpc", rpc_status_code: "OK" })).toBe(1);
  expect(delta(CHECK, { rpc_system_name: "connectrpc", rpc_status_code: "OK" })).toBe(1);
  expect(delta(CHECK, { rpc_system_name: "connectrpc", rpc_status_code: "NOT_FOUND" })).toBe(1);
  expect(
    delta("todo.tag.v1.TagService/ListTags", {
      rpc_system_name: "connectrpc",
      rpc_status_code: "INTERNAL",
      error_type: "INTERNAL",
    }),
  ).toBe(1);
  expect(delta("todo.tag.v1.TagService/CreateTag", { rpc_status_code: "ALREADY_EXISTS" })).toBe(1);
  expect(
    delta("todo.tag.v1.TagService/DeleteTag", { rpc_system_name: "connectrpc", rpc_status_code: "OK" }),
  ).toBe(1);

  // Client mistakes are not errors of the service: no error_type on them.
  const notFound = after.samples.find(
    (s) => s.name === CALLS && s.labels.rpc_method === CHECK && s.labels.rpc_status_code === "NOT_FOUND",
  );
  expect(notFound?.labels.error_type).toBeUndefined();
  // A unary call took some time and landed in a bucket no larger than the whole test took.
  expect(sumOf(after, "rpc_server_call_duration_seconds_sum", { rpc_method: CHECK })).toBeGreaterThan(0);
});

test("unary calls in flight are counted while they run", async () => {
  const METHOD = "todo.tag.v1.TagService/UpdateTag";
  const tags = createClient(TagService, grpc());
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const call = tags.updateTag({ tag: { id: "0193a1b2-0000-7000-8000-000000000000", name: "x" } });
  await inside;
  const during = await metrics.scrape();
  expect(sumOf(during, "todo_rpc_server_active_requests", { rpc_method: METHOD })).toBe(1);
  release();
  await call;
  const after = await metrics.scrape();
  expect(sumOf(after, "todo_rpc_server_active_requests", { rpc_method: METHOD })).toBe(0);
  expect(
    count(after, METHOD, { rpc_status_code: "OK" }) - count(during, METHOD, { rpc_status_code: "OK" }),
  ).toBe(1);
});

test("a server stream is open until its client goes away, then records its lifetime", async () => {
  const WATCH = "grpc.health.v1.Health/Watch";
  const STREAMS = "todo_rpc_server_stream_duration_seconds_count";
  const before = await metrics.scrape();
  const abort = new AbortController();
  const stream = createClient(Health, grpc()).watch({}, { signal: abort.signal })[Symbol.asyncIterator]();
  expect((await stream.next()).done).toBe(false); // SERVING
  const open = await metrics.until(
    (e) => sumOf(e, "todo_rpc_server_open_streams", { rpc_method: WATCH }) === 1,
    "the stream to count as open",
  );
  expect(sumOf(open, STREAMS, { rpc_method: WATCH })).toBe(sumOf(before, STREAMS, { rpc_method: WATCH }));
  // Watch streams are not unary calls: they stay out of rpc.server.call.duration.
  expect(count(open, WATCH)).toBe(0);

  abort.abort();
  await stream.next().catch(() => undefined);
  const closed = await metrics.until(
    (e) => sumOf(e, "todo_rpc_server_open_streams", { rpc_method: WATCH }) === 0,
    "the stream to close",
  );
  expect(
    sumOf(closed, STREAMS, { rpc_method: WATCH, rpc_status_code: "CANCELLED" }) -
      sumOf(before, STREAMS, { rpc_method: WATCH, rpc_status_code: "CANCELLED" }),
  ).toBe(1);
});

test("in-process calls (the embedded mode's router transport) are measured like remote ones", async () => {
  const METHOD = "todo.tag.v1.TagService/DeleteTag";
  const transport = createInProcessTransport({
    tokens,
    publicMethods: ["todo.tag.v1.TagService"],
    services: [defineService(TagService, { deleteTag: async () => ({}) } as never)],
  });
  const before = await metrics.scrape();
  await createClient(TagService, transport).deleteTag({ id: "0193a1b2-0000-7000-8000-000000000000" });
  await expect(createClient(TagService, transport).deleteTag({ id: "" })).rejects.toMatchObject({
    code: Code.InvalidArgument,
  });
  const after = await metrics.scrape();
  const labels = { rpc_system_name: "connectrpc" };
  expect(
    count(after, METHOD, { ...labels, rpc_status_code: "OK" }) -
      count(before, METHOD, { ...labels, rpc_status_code: "OK" }),
  ).toBe(1);
  expect(
    count(after, METHOD, { rpc_status_code: "INVALID_ARGUMENT" }) -
      count(before, METHOD, { rpc_status_code: "INVALID_ARGUMENT" }),
  ).toBe(1);
});
