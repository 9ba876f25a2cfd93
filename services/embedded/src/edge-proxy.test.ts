/**
 * The edge of the separate-services modes, in front of a real server: Connect and gRPC-web over
 * HTTP/1.1 pass through (unary and server streaming — WatchTasks as a browser would use it), paths
 * that are not RPCs get the web app, and an unreachable service is UNAVAILABLE.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { type Edge, startEdge } from "@todo/edge";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { ChangeType } from "@todo/gen/todo/task/v1/task_change_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { bearer, startTestApp, type TestApp } from "@todo/testkit";

let server: TestApp;
let edge: Edge;

beforeAll(async () => {
  server = await startTestApp("postgres");
  edge = await startEdge({
    host: "127.0.0.1",
    port: 0,
    routes: {
      "todo.identity.v1.AuthService": server.httpUrl,
      "todo.task.v1.TaskService": server.httpUrl,
      "todo.tag.v1.TagService": "http://127.0.0.1:1", // nothing listens there
    },
    fallback: (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>web app</title>");
    },
  });
});

afterAll(async () => {
  await edge.close();
  await server.close();
});

const edgeUrl = () => `http://127.0.0.1:${edge.port}`;

test("unary Connect and gRPC-web calls, and a WatchTasks stream over HTTP/1.1, pass through", async () => {
  const connect = createConnectTransport({ baseUrl: edgeUrl(), httpVersion: "1.1" });
  const { accessToken } = await createClient(AuthService, connect).signUp({
    email: `edge-${crypto.randomUUID()}@example.com`,
    password: "edge proxy horse battery",
  });
  const tasks = createClient(
    TaskService,
    createConnectTransport({ baseUrl: edgeUrl(), httpVersion: "1.1", interceptors: [bearer(accessToken)] }),
  );
  const viaGrpcWeb = createClient(
    TaskService,
    createGrpcWebTransport({ baseUrl: edgeUrl(), httpVersion: "1.1", interceptors: [bearer(accessToken)] }),
  );

  const controller = new AbortController();
  const stream = tasks.watchTasks({}, { signal: controller.signal });
  const received = (async () => {
    for await (const res of stream) {
      if (res.change) return res.change;
    }
    return undefined;
  })();
  await Bun.sleep(200); // let the stream register before the change
  const created = await viaGrpcWeb.createTask({ task: { title: "Through the edge" } });
  const change = await Promise.race([received, Bun.sleep(5000).then(() => undefined)]);
  controller.abort();
  expect(change?.type).toBe(ChangeType.CREATED);
  expect(change?.task?.id).toBe(created.task?.id as string);
  expect((await tasks.getTask({ id: created.task?.id as string })).task?.title).toBe("Through the edge");
});

test("errors keep their codes through the edge", async () => {
  const tasks = createClient(TaskService, createConnectTransport({ baseUrl: edgeUrl(), httpVersion: "1.1" }));
  const err = await tasks.listTasks({}).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(err?.code).toBe(Code.Unauthenticated);
});

test("non-RPC paths get the web app; an unreachable service is UNAVAILABLE", async () => {
  const page = await fetch(`${edgeUrl()}/tasks?view=today`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("web app");
  const res = await fetch(`${edgeUrl()}/todo.tag.v1.TagService/ListTags`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect(res.status).toBe(503);
  expect(((await res.json()) as { code: string }).code).toBe("unavailable");
});
