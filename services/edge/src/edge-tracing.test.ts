/**
 * The edge's spans (tracing-http.ts), with the in-memory exporter of `useTestTracing`: a forwarded
 * RPC is a SERVER span continuing the caller's `traceparent`, and the service behind it — a real
 * Connect server with the platform's tracing interceptor — makes its RPC span the edge span's child;
 * a routed plain path the same; an unreachable service fails the span; health checks and the web
 * app's files make none; with tracing off nothing is made and the caller's header passes unchanged.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTracingInterceptor } from "@todo/platform";
import {
  isChildOf,
  SpanKind,
  SpanStatusCode,
  type TestTracing,
  useTestTracing,
} from "@todo/platform/testing";
import { type Edge, startEdge } from "./edge";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const CALLER = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

let tracing: TestTracing;
let edge: Edge;
let service: http.Server;
let plain: http.Server;
/** The `traceparent` each upstream request arrived with. */
const seen: (string | undefined)[] = [];

const portOf = (s: http.Server) => (s.address() as AddressInfo).port;
const listen = (s: http.Server) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));

beforeAll(async () => {
  tracing = useTestTracing();
  const rpc = connectNodeAdapter({
    interceptors: [createTracingInterceptor("task")],
    routes: (router) =>
      router.service(TaskService, { getTask: (req) => ({ task: { id: req.id, title: "Traced" } }) }),
  });
  service = http.createServer((req, res) => {
    // The edge's own health checks of its backends (backend-health.ts) are not forwarded requests.
    if (!req.url?.startsWith("/grpc.health.v1.Health/"))
      seen.push(req.headers.traceparent as string | undefined);
    rpc(req, res);
  });
  plain = http.createServer((req, res) => {
    seen.push(req.headers.traceparent as string | undefined);
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("mcp");
  });
  await Promise.all([listen(service), listen(plain)]);
  edge = await startEdge({
    host: "127.0.0.1",
    port: 0,
    routes: {
      "todo.task.v1.TaskService": `http://127.0.0.1:${portOf(service)}`,
      "todo.tag.v1.TagService": "http://127.0.0.1:1",
      "/mcp": `http://127.0.0.1:${portOf(plain)}`,
    },
    fallback: (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html>");
    },
  });
});

afterAll(async () => {
  tracing?.stop();
  await edge?.close();
  service?.close();
  plain?.close();
});

beforeEach(() => {
  tracing = useTestTracing();
  seen.length = 0;
});

const url = () => `http://127.0.0.1:${edge.port}`;
const withCaller: Interceptor = (next) => (req) => {
  req.header.set("traceparent", CALLER);
  return next(req);
};

describe("forwarded requests", () => {
  test("an RPC: a SERVER span under the caller's, and the service's RPC span under it", async () => {
    const tasks = createClient(
      TaskService,
      createConnectTransport({ baseUrl: url(), httpVersion: "1.1", interceptors: [withCaller] }),
    );
    expect((await tasks.getTask({ id: "t1" })).task?.title).toBe("Traced");
    const span = await tracing.until(
      "the edge span",
      (s) => s.name === "POST /todo.task.v1.TaskService/GetTask",
    );
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(span.attributes).toEqual({
      "http.request.method": "POST",
      "url.path": "/todo.task.v1.TaskService/GetTask",
      "url.scheme": "http",
      "http.route": "/todo.task.v1.TaskService/GetTask",
      "http.response.status_code": 200,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);

    const rpc = await tracing.until(
      "the service's span",
      (s) => s.name === "todo.task.v1.TaskService/GetTask",
    );
    expect(rpc.kind).toBe(SpanKind.SERVER);
    expect(isChildOf(rpc, span)).toBe(true);
    expect(seen).toEqual([`00-${TRACE_ID}-${span.spanContext().spanId}-01`]);
  });

  test("a routed plain path: `http.route` is the route; without a caller's context the span is a root", async () => {
    const res = await fetch(`${url()}/mcp?session=abc`, { method: "POST", body: "{}" });
    expect(await res.text()).toBe("mcp");
    const span = await tracing.until("the edge span", (s) => s.name === "POST /mcp");
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes).toMatchObject({
      "url.path": "/mcp",
      "http.route": "/mcp",
      "http.response.status_code": 200,
    });
    expect(seen).toEqual([`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`]);
  });

  test("an unreachable service: 503, and the span fails with the connection error", async () => {
    const res = await fetch(`${url()}/todo.tag.v1.TagService/ListTags`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: CALLER },
      body: "{}",
    });
    expect(res.status).toBe(503);
    const span = await tracing.until(
      "the edge span",
      (s) => s.name === "POST /todo.tag.v1.TagService/ListTags",
    );
    expect(span.attributes).toMatchObject({ "http.response.status_code": 503, "error.type": "ECONNREFUSED" });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.map((e) => e.name)).toEqual(["exception"]);
  });
});

describe("no span", () => {
  test("for health checks and the web app's files", async () => {
    expect((await fetch(`${url()}/healthz`, { headers: { traceparent: CALLER } })).status).toBe(200);
    const check = await fetch(`${url()}/grpc.health.v1.Health/Check`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: CALLER },
      body: "{}",
    });
    expect(check.status).toBe(200);
    expect(await (await fetch(`${url()}/index.html`, { headers: { traceparent: CALLER } })).text()).toBe(
      "<!doctype html>",
    );
    // A forwarded request after them, so their (absent) spans would have ended first.
    await fetch(`${url()}/mcp`, { method: "POST", body: "{}" });
    await tracing.until("the edge span", (s) => s.name === "POST /mcp");
    expect(tracing.spans().map((s) => s.name)).toEqual(["POST /mcp"]);
  });

  test("with tracing off: nothing made, and the caller's traceparent is forwarded as it came", async () => {
    tracing.stop();
    const res = await fetch(`${url()}/mcp`, { method: "POST", headers: { traceparent: CALLER }, body: "{}" });
    expect(res.status).toBe(200);
    expect(seen).toEqual([CALLER]);
    expect(tracing.spans()).toEqual([]);
  });
});
