/**
 * The Dapr adapters' own logic, without a sidecar: reading the sidecar settings and secret references, the event envelope
 * both ways, the callback registry's dispatch and token check, the job names, and the Postgres
 * scheduler's `externalTimer` mode the Dapr job scheduler builds on (real PostgreSQL). The adapters
 * against real sidecars are tested in tests/integration/dapr.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import {
  AppCallback,
  TopicEventResponse_TopicEventResponseStatus as Status,
  TopicEventRequestSchema,
} from "@todo/gen/dapr/proto/runtime/v1/appcallback_pb";
import { fromStructuredJson, toStructuredJson } from "./cloudevent-json";
import { daprSidecarFromEnv, readDaprSecret } from "./dapr";
import { cloudEventFromDapr, createDaprCallbacks } from "./dapr-callback";
import type { CloudEvent } from "./events";
import { daprJobName, jobNameFromDapr } from "./jobs-dapr";
import { createPostgresJobScheduler, ensureJobs } from "./jobs-postgres";
import { fromKafkaRecord } from "./kafka-envelope";
import { createTestDatabase, type TestDatabase } from "./testing";

const event: CloudEvent = {
  id: "0190e9a0-0000-7000-8000-000000000001",
  source: "/todo/task",
  type: "todo.task.v1.created",
  subject: "task-1",
  time: new Date("2026-11-26T10:00:00.000Z"),
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  dataContentType: "application/protobuf",
  dataSchema: "todo.events.v1.TaskCreated",
  data: new Uint8Array([8, 1, 18, 3, 97, 98, 99]),
  extensions: { dlqattempts: "3" },
};

describe("the sidecar settings", () => {
  test("are absent without DAPR_HTTP_PORT, complete with it, and refuse nonsense", () => {
    expect(daprSidecarFromEnv({})).toBeUndefined();
    expect(
      daprSidecarFromEnv({
        DAPR_HTTP_PORT: "3501",
        DAPR_GRPC_PORT: "50201",
        DAPR_API_TOKEN: "t",
        APP_API_TOKEN: "a",
      }),
    ).toEqual({
      httpUrl: "http://127.0.0.1:3501",
      httpPort: 3501,
      grpcPort: 50201,
      pubsub: "pubsub",
      broadcastPubsub: "pubsub-broadcast",
      apiToken: "t",
      appToken: "a",
    });
    expect(() => daprSidecarFromEnv({ DAPR_HTTP_PORT: "3501" })).toThrow("DAPR_GRPC_PORT");
    expect(() => daprSidecarFromEnv({ DAPR_HTTP_PORT: "x", DAPR_GRPC_PORT: "1" })).toThrow("port number");
  });
});

describe("secret references", () => {
  // What a secret store answers for a secret name: a Kubernetes Secret's data keys, or one value.
  const stores: Record<string, Record<string, string>> = {
    "todo-db-app": { uri: "postgres://app@db/app", password: "p", username: "app" },
    "jwt-secret": { "jwt-secret": "k".repeat(32) },
    single: { value: "only" },
  };
  const client = {
    secret: { get: async (_store: string, name: string) => stores[name] ?? {} },
  } as unknown as Parameters<typeof readDaprSecret>[0];

  test("pick a key with <secret>/<key>, the same-named key, or the only one", async () => {
    expect(await readDaprSecret(client, "secretstore", "todo-db-app/uri")).toBe("postgres://app@db/app");
    expect(await readDaprSecret(client, "secretstore", "jwt-secret")).toBe("k".repeat(32));
    expect(await readDaprSecret(client, "secretstore", "single")).toBe("only");
  });

  test("name what is missing instead of guessing among several keys", async () => {
    await expect(readDaprSecret(client, "secretstore", "todo-db-app")).rejects.toThrow(
      "the Dapr secret store secretstore has no value for todo-db-app",
    );
    await expect(readDaprSecret(client, "secretstore", "todo-db-app/url")).rejects.toThrow("todo-db-app/url");
    await expect(readDaprSecret(client, "secretstore", "absent")).rejects.toThrow("absent");
  });
});

describe("the event envelope through Dapr", () => {
  test("is a structured CloudEvent carrying every attribute and the bytes in data_base64", () => {
    expect(toStructuredJson(event)).toEqual({
      specversion: "1.0",
      id: event.id,
      source: "/todo/task",
      type: "todo.task.v1.created",
      subject: "task-1",
      time: "2026-11-26T10:00:00.000Z",
      datacontenttype: "application/protobuf",
      dataschema: "todo.events.v1.TaskCreated",
      traceparent: event.traceparent ?? "",
      dlqattempts: "3",
      data_base64: Buffer.from(event.data).toString("base64"),
    });
  });

  test("reads back as the same event, also with what a sidecar adds, and refuses what is not one", () => {
    const written = { ...toStructuredJson(event), traceid: "x", topic: "task-events", pubsubname: "pubsub" };
    expect(fromStructuredJson(written)).toEqual(event);
    expect(() => fromStructuredJson({ ...written, datacontenttype: "application/json" })).toThrow(
      "datacontenttype",
    );
    expect(() => fromStructuredJson({ ...written, id: undefined })).toThrow("no id");
    expect(() => fromStructuredJson([1])).toThrow("JSON object");
  });

  test("is read by the direct Kafka adapter too (a record a sidecar wrote: no headers, JSON value)", () => {
    const value = Buffer.from(JSON.stringify({ ...toStructuredJson(event), traceid: "x", topic: "t" }));
    expect(fromKafkaRecord({}, value)).toEqual(event);
    expect(() => fromKafkaRecord({}, Buffer.from("{not json"))).toThrow("not JSON");
  });

  test("comes back from a sidecar's delivery as the same event", () => {
    const delivered = create(TopicEventRequestSchema, {
      id: event.id,
      source: event.source,
      type: event.type,
      specVersion: "1.0",
      dataContentType: "application/protobuf",
      data: event.data,
      topic: "task-events",
      pubsubName: "pubsub",
      // What daprd passes on: our attributes, plus its own bookkeeping.
      extensions: {
        subject: "task-1",
        time: "2026-11-26T10:00:00.000Z",
        dataschema: "todo.events.v1.TaskCreated",
        traceparent: event.traceparent ?? "",
        traceid: event.traceparent ?? "",
        pubsubname: "pubsub",
        topic: "task-events",
        dlqattempts: "3",
      },
    });
    expect(cloudEventFromDapr(delivered)).toEqual(event);
  });
});

describe("the callback registry", () => {
  test("dispatches events by component and topic, asks to retry failures, and checks the token", async () => {
    const callbacks = createDaprCallbacks({ appToken: "secret" });
    const seen: string[] = [];
    callbacks.onTopic("pubsub", "task-events", async (e) => {
      if (e.subject === "poison") throw new Error("cannot handle");
      seen.push(e.id);
    });
    expect(() => callbacks.onTopic("pubsub", "task-events", async () => {})).toThrow("already registered");
    // The registrations served through Connect's in-memory transport, as a sidecar would call them.
    const transport = createRouterTransport((router) => {
      for (const r of callbacks.registrations()) r.register(router);
    });
    const app = createClient(AppCallback, transport);
    const deliver = async (subject: string, topic = "task-events", token = "secret") =>
      (
        await app.onTopicEvent(
          { id: subject, topic, pubsubName: "pubsub", extensions: { subject } },
          { headers: { "dapr-api-token": token } },
        )
      ).status;
    expect(await deliver("ok")).toBe(Status.SUCCESS);
    expect(await deliver("poison")).toBe(Status.RETRY);
    expect(await deliver("ok", "other-topic")).toBe(Status.RETRY);
    expect(deliver("ok", "task-events", "wrong")).rejects.toThrow("sidecar");
    expect(seen).toEqual(["ok"]);
    // Lists answer without the token (daprd 1.18 asks without it).
    expect((await app.listTopicSubscriptions({})).subscriptions).toEqual([]);
  });
});

describe("Dapr job names", () => {
  test("are URL-safe, scoped by schema, and map back", () => {
    const name = "reminder/0190e9a0-0000-7000/occ 1%";
    const dapr = daprJobName("scheduler", name);
    expect(dapr).toMatch(/^scheduler--[A-Za-z0-9_-]+$/);
    expect(jobNameFromDapr("scheduler", dapr)).toBe(name);
    expect(jobNameFromDapr("other", dapr)).toBeUndefined();
  });
});

describe("the Postgres job scheduler with an external timer", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  test("keeps no timer of its own: a job coming due waits until it is asked to fire", async () => {
    await ensureJobs(db.sql, "ext_timer");
    const jobs = createPostgresJobScheduler({
      sql: db.sql,
      schema: "ext_timer",
      externalTimer: true,
      listen: false,
    });
    const fired: string[] = [];
    jobs.start(async (_tx, job) => {
      fired.push(job.name);
    });
    try {
      await jobs.schedule(undefined, "soon", new Date(Date.now() + 500), "s");
      await jobs.schedule(undefined, "later", new Date(Date.now() + 60_000), "l");
      await Bun.sleep(2000);
      expect(fired).toEqual([]);
      expect(await jobs.fireDue()).toBe(1);
      expect(fired).toEqual(["soon"]);
      const left = await db.sql<{ name: string }[]>`select name from ext_timer.jobs`;
      expect(left.map((r) => r.name)).toEqual(["later"]);
      // Woken without a time (after a commit that scheduled a due job), it fires what is due.
      await jobs.schedule(undefined, "now", new Date(Date.now() - 10), "n");
      await Bun.sleep(300);
      expect(fired).toEqual(["soon", "now"]);
    } finally {
      await jobs.stop();
    }
  });
});
