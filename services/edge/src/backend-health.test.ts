/**
 * The edge's Health follows its backends (backend-health.ts): real Connect servers with their own
 * health registries behind the edge's routes, flipped between NOT_SERVING, SERVING and stopped,
 * and the edge's answers over Connect follow within a check interval.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import { HealthCheckResponse_ServingStatus as Status } from "@todo/gen/grpc/health/v1/health_pb";
import {
  createHealthRegistry,
  createHealthService,
  Health,
  type HealthRegistry,
} from "@todo/platform/serving";
import { eventually } from "../../../tests/integration/system.ts";
import { type Edge, startEdge } from "./edge";

/** A backend answering only grpc.health.v1.Health from `registry`, over Connect on HTTP/1.1. */
async function startBackend(registry: HealthRegistry) {
  const server = http.createServer(
    connectNodeAdapter({ routes: (router) => router.service(Health, createHealthService(registry)) }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const taskHealth = createHealthRegistry([]);
const tagHealth = createHealthRegistry([]);
let task: Awaited<ReturnType<typeof startBackend>>;
let tag: Awaited<ReturnType<typeof startBackend>>;
let edge: Edge;

beforeAll(async () => {
  taskHealth.set("", "NOT_SERVING");
  task = await startBackend(taskHealth);
  tag = await startBackend(tagHealth);
  edge = await startEdge({
    host: "127.0.0.1",
    port: 0,
    routes: {
      "todo.task.v1.TaskService": task.url,
      "todo.task.v1.SearchService": task.url,
      "todo.tag.v1.TagService": tag.url,
      "/mcp": tag.url,
    },
    fallback: (_req, res) => res.end(),
    backendCheckIntervalMs: 50,
  });
});

afterAll(async () => {
  await edge.close();
  await task.close();
  await tag.close();
});

const health = () =>
  createClient(
    Health,
    createConnectTransport({ baseUrl: `http://127.0.0.1:${edge.port}`, httpVersion: "1.1" }),
  );
const statusOf = async (service = "") => (await health().check({ service })).status;
const becomes = (what: string, service: string, status: Status) =>
  eventually(what, async () => (await statusOf(service)) === status, 5_000, 25);

test("NOT_SERVING while one backend is not ready; each service as its backend says", async () => {
  await becomes("tag SERVING", "todo.tag.v1.TagService", Status.SERVING);
  expect(await statusOf("todo.task.v1.TaskService")).toBe(Status.NOT_SERVING);
  expect(await statusOf("todo.task.v1.SearchService")).toBe(Status.NOT_SERVING);
  expect(await statusOf("")).toBe(Status.NOT_SERVING);
});

test("SERVING once every backend is, and back to NOT_SERVING when one goes down", async () => {
  taskHealth.set("", "SERVING");
  await becomes("the edge SERVING", "", Status.SERVING);
  expect(await statusOf("todo.task.v1.SearchService")).toBe(Status.SERVING);
  await tag.close();
  await becomes("the edge NOT_SERVING after the tag backend stopped", "", Status.NOT_SERVING);
  expect(await statusOf("todo.tag.v1.TagService")).toBe(Status.NOT_SERVING);
  expect(await statusOf("todo.task.v1.TaskService")).toBe(Status.SERVING);
});

test("path routes are forwarded, not health-checked by name", async () => {
  const err = await health()
    .check({ service: "/mcp" })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(String(err)).toContain("not_found");
});
