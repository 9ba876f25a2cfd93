/**
 * The edge's health: `GET /healthz` and `grpc.health.v1.Health` over Connect are answered by the
 * edge itself (never forwarded, even when a route claims the health service) — `/healthz` for the
 * edge alone, Health for the services behind it (backend-health.test.ts) — and a closed edge stops
 * answering. An oversize body is refused before it is read (request-limits.ts).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import http from "node:http";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "@todo/gen/grpc/health/v1/health_pb";
import { bodyMaxBytes } from "@todo/platform/serving";
import { type Edge, startEdge } from "./edge";

let edge: Edge;
const url = () => `http://127.0.0.1:${edge.port}`;

beforeAll(async () => {
  edge = await startEdge({
    host: "127.0.0.1",
    port: 0,
    // A route for the health service itself: the edge must still answer for its own health.
    routes: {
      "grpc.health.v1.Health": "http://127.0.0.1:1",
      "todo.task.v1.TaskService": "http://127.0.0.1:1",
    },
    fallback: (_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("web app");
    },
  });
});

afterAll(() => edge.close());

test("GET /healthz answers 200 ok, and other paths still reach the fallback", async () => {
  const res = await fetch(`${url()}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("ok");
  expect(res.headers.get("cache-control")).toBe("no-store");
  const other = await fetch(`${url()}/healthz/more`);
  expect(await other.text()).toBe("web app");
});

test("grpc.health.v1.Health/Check over Connect JSON answers for the system: NOT_SERVING while a backend is down", async () => {
  const res = await fetch(`${url()}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect(res.status).toBe(200);
  // Nothing listens behind the task service's route (backend-health.test.ts has live backends).
  expect(await res.json()).toEqual({ status: "NOT_SERVING" });
});

test("Connect and gRPC-web clients see the routed service NOT_SERVING; an unrouted one is NOT_FOUND", async () => {
  for (const transport of [
    createConnectTransport({ baseUrl: url(), httpVersion: "1.1" }),
    createGrpcWebTransport({ baseUrl: url(), httpVersion: "1.1" }),
  ]) {
    const health = createClient(Health, transport);
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    expect((await health.check({ service: "todo.task.v1.TaskService" })).status).toBe(
      HealthCheckResponse_ServingStatus.NOT_SERVING,
    );
    const err = await health.check({ service: "todo.tag.v1.TagService" }).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(err?.code).toBe(Code.NotFound);
  }
});

test("RPCs of other services are still forwarded (and fail as UNAVAILABLE when nothing listens)", async () => {
  const res = await fetch(`${url()}/todo.task.v1.TaskService/ListTasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect(res.status).toBe(503);
  expect(((await res.json()) as { code: string }).code).toBe("unavailable");
});

test("a body whose content-length is over the limit is 413 before it is read or forwarded", async () => {
  const limit = bodyMaxBytes();
  const send = (type: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request(`${url()}/todo.task.v1.TaskService/CreateTask`, {
        method: "POST",
        headers: { "content-type": type, "content-length": String(200 * 1024 * 1024) },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          req.destroy();
        });
      });
      req.on("error", reject);
      req.write("{"); // one byte of the announced 200 MB: the answer must not wait for the rest
    });
  const connect = await send("application/json");
  expect(connect.status).toBe(413);
  expect(JSON.parse(connect.body)).toEqual({
    code: "resource_exhausted",
    message: `the request body is ${200 * 1024 * 1024} bytes; the most a request may have is ${limit} bytes`,
  });
  const grpcWeb = await send("application/grpc-web+proto");
  expect(grpcWeb.status).toBe(200);
  expect(grpcWeb.headers["grpc-status"]).toBe("8");
});

test("a closed edge no longer answers", async () => {
  const second = await startEdge({ host: "127.0.0.1", port: 0, routes: {}, fallback: (_q, r) => r.end() });
  const port = second.port;
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  await second.close();
  expect(
    await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => "answered",
      () => "refused",
    ),
  ).toBe("refused");
});
