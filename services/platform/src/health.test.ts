import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import {
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
} from "@todo/gen/grpc/health/v1/health_pb";
import { createHealthRegistry, createHealthService, Health, type HealthRegistry } from "./health";

const TASKS = "todo.task.v1.TaskService";
const TAGS = "todo.tag.v1.TagService";

/** A registry wrapper that counts live subscriptions, to prove Watch cleans up after itself. */
function counting(registry: HealthRegistry): HealthRegistry & { live(): number } {
  let live = 0;
  return Object.assign(Object.create(registry) as HealthRegistry, {
    subscribe: (...args: Parameters<HealthRegistry["subscribe"]>) => {
      live++;
      const stop = registry.subscribe(...args);
      let stopped = false;
      return () => {
        if (!stopped) live--;
        stopped = true;
        stop();
      };
    },
    live: () => live,
  });
}

function clientFor(registry: HealthRegistry) {
  const transport = createRouterTransport((router) => {
    router.service(Health, createHealthService(registry));
  });
  return createClient(Health, transport);
}

/** Pull the next message of a stream, failing instead of hanging when none comes in time. */
async function next<T>(iterator: AsyncIterator<T>, ms = 2000): Promise<IteratorResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no stream message within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([iterator.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function statusOf(iterator: AsyncIterator<HealthCheckResponse>): Promise<Status> {
  const result = await next(iterator);
  if (result.done) throw new Error("stream ended early");
  return result.value.status;
}

describe("createHealthRegistry", () => {
  test("starts every named service and the overall server SERVING; others are unknown", () => {
    const registry = createHealthRegistry([TASKS, TAGS]);
    expect(registry.get("")).toBe("SERVING");
    expect(registry.get(TASKS)).toBe("SERVING");
    expect(registry.get(TAGS)).toBe("SERVING");
    expect(registry.get("nope.v1.Nope")).toBeUndefined();
    expect(new Map(registry.entries())).toEqual(
      new Map([
        ["", "SERVING"],
        [TASKS, "SERVING"],
        [TAGS, "SERVING"],
      ]),
    );
  });

  test("listeners hear real changes only; shutdown flips everything and freezes the state", () => {
    const registry = createHealthRegistry([TASKS]);
    const heard: string[] = [];
    let shutdowns = 0;
    const stop = registry.subscribe(
      (service, status) => heard.push(`${service}=${status}`),
      () => shutdowns++,
    );
    registry.set(TASKS, "SERVING"); // no change
    registry.set(TASKS, "NOT_SERVING");
    registry.set("new.v1.Service", "SERVING"); // becomes known
    expect(registry.get("new.v1.Service")).toBe("SERVING");
    expect(registry.isShutdown).toBe(false);

    registry.shutdown();
    expect(registry.isShutdown).toBe(true);
    expect(shutdowns).toBe(1);
    expect(registry.get("")).toBe("NOT_SERVING");
    expect(registry.get(TASKS)).toBe("NOT_SERVING");
    expect(registry.get("new.v1.Service")).toBe("NOT_SERVING");
    expect(heard).toEqual([
      `${TASKS}=NOT_SERVING`,
      "new.v1.Service=SERVING",
      "=NOT_SERVING",
      "new.v1.Service=NOT_SERVING",
    ]);

    registry.set(TASKS, "SERVING"); // ignored after shutdown
    expect(registry.get(TASKS)).toBe("NOT_SERVING");
    registry.shutdown(); // idempotent
    expect(shutdowns).toBe(1);

    stop();
    registry.set("x", "SERVING");
    expect(heard).toHaveLength(4);
  });
});

describe("Health service (Connect, in memory)", () => {
  test("Check answers the overall server, known services, and NOT_FOUND for unknown ones", async () => {
    const registry = createHealthRegistry([TASKS]);
    const client = clientFor(registry);
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await client.check({ service: TASKS })).status).toBe(Status.SERVING);
    registry.set(TASKS, "NOT_SERVING");
    expect((await client.check({ service: TASKS })).status).toBe(Status.NOT_SERVING);

    const error = await client.check({ service: "nope.v1.Nope" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.NotFound);
  });

  test("List snapshots every service", async () => {
    const registry = createHealthRegistry([TASKS, TAGS]);
    registry.set(TAGS, "NOT_SERVING");
    const { statuses } = await clientFor(registry).list({});
    expect(Object.fromEntries(Object.entries(statuses).map(([name, r]) => [name, r.status]))).toEqual({
      "": Status.SERVING,
      [TASKS]: Status.SERVING,
      [TAGS]: Status.NOT_SERVING,
    });
  });

  test("Watch sends the current status, then each change, and stops when the client cancels", async () => {
    const registry = counting(createHealthRegistry([TASKS]));
    const abort = new AbortController();
    const stream = clientFor(registry).watch({ service: TASKS }, { signal: abort.signal });
    const iterator = stream[Symbol.asyncIterator]();

    expect(await statusOf(iterator)).toBe(Status.SERVING);
    expect(registry.live()).toBe(1);
    registry.set(TAGS, "NOT_SERVING"); // another service: not sent
    registry.set(TASKS, "NOT_SERVING");
    expect(await statusOf(iterator)).toBe(Status.NOT_SERVING);
    registry.set(TASKS, "SERVING");
    expect(await statusOf(iterator)).toBe(Status.SERVING);

    abort.abort();
    const ended = await next(iterator).catch((e: unknown) => e);
    expect(ended instanceof ConnectError ? ended.code : ended).toBe(Code.Canceled);
    // The handler saw the cancellation and unsubscribed.
    for (let i = 0; i < 50 && registry.live() > 0; i++) await Bun.sleep(10);
    expect(registry.live()).toBe(0);
  });

  test("Watch of an unknown service says SERVICE_UNKNOWN, then reports it once it becomes known", async () => {
    const registry = createHealthRegistry([]);
    const abort = new AbortController();
    const iterator = clientFor(registry)
      .watch({ service: TASKS }, { signal: abort.signal })
      [Symbol.asyncIterator]();
    expect(await statusOf(iterator)).toBe(Status.SERVICE_UNKNOWN);
    registry.set(TASKS, "NOT_SERVING");
    expect(await statusOf(iterator)).toBe(Status.NOT_SERVING);
    abort.abort();
  });

  test("shutdown sends NOT_SERVING to watchers and ends their streams", async () => {
    const registry = counting(createHealthRegistry([TASKS]));
    const iterator = clientFor(registry).watch({ service: "" })[Symbol.asyncIterator]();
    expect(await statusOf(iterator)).toBe(Status.SERVING);
    registry.shutdown();
    expect(await statusOf(iterator)).toBe(Status.NOT_SERVING);
    expect((await next(iterator)).done).toBe(true);
    expect(registry.live()).toBe(0);
    expect((await clientFor(registry).check({ service: TASKS })).status).toBe(Status.NOT_SERVING);
  });
});

describe("Health over real gRPC (h2c server, @grpc/grpc-js client)", () => {
  const registry = counting(createHealthRegistry([TASKS]));
  const server = http2.createServer(
    connectNodeAdapter({
      routes: (router) => {
        router.service(Health, createHealthService(registry));
      },
    }),
  );
  let client: grpc.Client;
  let baseUrl = "";

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const check = (service: string) =>
    new Promise<HealthCheckResponse>((resolve, reject) => {
      client.makeUnaryRequest<HealthCheckRequest, HealthCheckResponse>(
        "/grpc.health.v1.Health/Check",
        (request) => Buffer.from(toBinary(HealthCheckRequestSchema, request)),
        (bytes) => fromBinary(HealthCheckResponseSchema, bytes),
        create(HealthCheckRequestSchema, { service }),
        { deadline: Date.now() + 5000 },
        (error, response) => (error || !response ? reject(error) : resolve(response)),
      );
    });

  test("Check answers SERVING, then NOT_SERVING, and NOT_FOUND for an unknown service", async () => {
    expect((await check("")).status).toBe(Status.SERVING);
    expect((await check(TASKS)).status).toBe(Status.SERVING);
    registry.set(TASKS, "NOT_SERVING");
    expect((await check(TASKS)).status).toBe(Status.NOT_SERVING);
    const error = (await check("nope.v1.Nope").catch((e: unknown) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.NOT_FOUND);
  });

  test("Watch streams changes over HTTP/2 and the handler lets go when the client cancels", async () => {
    const connect = createClient(Health, createGrpcTransport({ baseUrl }));
    const abort = new AbortController();
    const iterator = connect.watch({ service: "" }, { signal: abort.signal })[Symbol.asyncIterator]();
    expect(await statusOf(iterator)).toBe(Status.SERVING);
    registry.set("", "NOT_SERVING");
    expect(await statusOf(iterator)).toBe(Status.NOT_SERVING);
    expect(registry.live()).toBe(1);
    abort.abort();
    for (let i = 0; i < 100 && registry.live() > 0; i++) await Bun.sleep(10);
    expect(registry.live()).toBe(0);
  });
});
