/**
 * One reminder's trace, end to end, in a real Jaeger: the services run as processes (run mode 2,
 * tests/integration/system.ts) with the standard OTEL_* variables pointing at Jaeger's OTLP/HTTP
 * receiver, and a client's CreateTask (sent with its own W3C traceparent, as an instrumented client
 * would) with a reminder due in two seconds must come back from Jaeger's query API as ONE trace:
 *
 *   task       SERVER   todo.task.v1.TaskService/CreateTask          (parent: the client's span)
 *   task       PRODUCER send task-events                            (the outbox relay, Kafka)
 *   scheduler  CONSUMER process task-events                         (the scheduler's consumer)
 *   scheduler  INTERNAL fire reminder                               (the reminder job)
 *   scheduler  PRODUCER send reminders
 *   notification CONSUMER process reminders                         (the delivery into the inbox)
 *   notification CLIENT  INSERT notification.notifications
 *   notification CLIENT  POST                                        (the delivery worker's webhook call)
 *
 * with every span's parent in the trace except the root's, and the messaging attributes on each
 * Kafka hop. The user has a webhook channel pointing at a receiver in this process
 * (`@todo/testkit/webhook`), which must get the `POST` span's `traceparent`. The Dapr run mode's trace is tracing-dapr.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { startWebhookReceiver, type WebhookReceiver } from "@todo/testkit/webhook";
import { type RunningJaeger, startJaeger } from "../../scripts/lib/observability-servers.ts";
import {
  createTracedReminder,
  otelEnvironment,
  type TraceSpan,
  type TraceTree,
  waitForTrace,
} from "./jaeger-trace";
import { TestSystem } from "./system";

let jaeger: RunningJaeger;
let system: TestSystem;
let receiver: WebhookReceiver;

beforeAll(async () => {
  jaeger = await startJaeger();
  receiver = startWebhookReceiver();
  system = await TestSystem.create({ label: "trace", env: otelEnvironment(jaeger) });
  await Promise.all([
    ...(["identity", "task", "scheduler"] as const).map((s) => system.start(s)),
    // The receiver listens on 127.0.0.1.
    system.start("notification", { NOTIFY_ALLOW_PRIVATE_TARGETS: "true" }),
  ]);
  await system.kafka.detectNamespace();
}, 180_000);

afterAll(async () => {
  await system?.close();
  await jaeger?.stop();
  receiver?.stop();
}, 60_000);

/** The one span named `name` in `service`; fails with the tree when there is none or several. */
function only(tree: TraceTree, name: string, service: string): TraceSpan {
  const found = tree.find(name, service);
  if (found.length !== 1) throw new Error(`${found.length} × ${service} ${name} in:\n${tree.print()}`);
  return found[0] as TraceSpan;
}

describe("a reminder's trace (services mode, Kafka)", () => {
  test("CreateTask → task-events → scheduler → reminder job → reminders → inbox → webhook: one trace, parented hop by hop", async () => {
    const { token } = await system.signUp();
    const inbox = system.client("notification", NotificationService, token);
    const hook = `${receiver.url}/hook`;
    await inbox.createChannel({ channel: { target: { case: "webhook", value: { url: hook } } } });
    const { task, client } = await createTracedReminder({
      taskGrpcUrl: `http://127.0.0.1:${system.service("task").grpcPort}`,
      token,
      inbox,
      inMs: 2000,
    });

    // Every process exports its spans on its own schedule: wait until nothing but the root lacks its
    // parent (the scheduler's job spans may arrive after the notification's), as the Dapr test does.
    const tree = await waitForTrace(
      jaeger,
      client.traceId,
      (t) =>
        t.orphans.length === 1 &&
        t
          .find("process reminders", "todo-notification")
          .some(
            (p) =>
              t
                .find("INSERT notification.notifications", "todo-notification")
                .some((i) => t.descends(i, p)) &&
              t.find("POST", "todo-notification").some((d) => d.parentId === p.spanId),
          ),
    );
    console.log(`the reminder's trace: ${tree.spans.length} spans\n${tree.print()}`);

    // One root, the task service's SERVER span, whose parent is the client's span; no other orphan.
    const create = only(tree, "todo.task.v1.TaskService/CreateTask", "todo-task");
    expect(create.kind).toBe("server");
    expect(tree.orphans).toEqual([create]);
    expect(create.parentId).toBe(client.spanId);
    expect(create.tags).toMatchObject({
      "rpc.system.name": "grpc",
      "rpc.method": "todo.task.v1.TaskService/CreateTask",
      "rpc.status_code": "OK",
    });
    const services = new Set(tree.spans.map((s) => s.service));
    for (const s of ["todo-task", "todo-scheduler", "todo-notification"]) expect(services).toContain(s);

    // task → scheduler over Kafka: the relay's send, the scheduler's process under it.
    const sendTaskEvents = only(tree, "send task-events", "todo-task");
    expect(tree.descends(sendTaskEvents, create)).toBe(true);
    expect(sendTaskEvents.kind).toBe("producer");
    expect(sendTaskEvents.tags).toMatchObject({
      "messaging.system": "kafka",
      "messaging.destination.name": "task-events",
      "messaging.operation.type": "send",
      "messaging.kafka.message.key": task.id,
    });
    const processTaskEvents = only(tree, "process task-events", "todo-scheduler");
    expectKafkaProcess(processTaskEvents, sendTaskEvents, "task-events", "scheduler");

    // The reminder job continues the trace it was scheduled in; its event goes out on `reminders`.
    const fire = only(tree, "fire reminder", "todo-scheduler");
    expect(fire.parentId).toBe(processTaskEvents.spanId);
    expect(String(fire.tags["todo.job.name"])).toStartWith(`reminder/${task.id}/`);
    const sendReminders = only(tree, "send reminders", "todo-scheduler");
    expect(tree.descends(sendReminders, fire)).toBe(true);
    expect(sendReminders.tags).toMatchObject({
      "messaging.system": "kafka",
      "messaging.operation.type": "send",
    });

    // The delivery: the notification service's consumer writes the inbox entry under it.
    const processReminders = only(tree, "process reminders", "todo-notification");
    expectKafkaProcess(processReminders, sendReminders, "reminders", "notification");
    const insert = tree
      .find("INSERT notification.notifications", "todo-notification")
      .find((s) => tree.descends(s, processReminders));
    expect(insert?.tags).toMatchObject({ "db.system.name": "postgresql", "db.operation.name": "INSERT" });
    expect(String(insert?.tags["db.query.text"])).toContain("insert into notification.notifications");

    // The webhook delivery: the worker's CLIENT span continues the consumer's span (stored with the
    // pending delivery), and the receiver got that span's context.
    const post = only(tree, "POST", "todo-notification");
    expect(post.kind).toBe("client");
    expect(post.parentId).toBe(processReminders.spanId);
    expect(post.tags).toMatchObject({
      "http.request.method": "POST",
      "url.full": hook,
      "server.address": "127.0.0.1",
      "server.port": Number(new URL(receiver.url).port),
      "http.response.status_code": 200,
      "todo.notification.channel": "webhook",
      "todo.notification.outcome": "succeeded",
      "todo.notification.delivery.attempt": 1,
    });
    const request = await receiver.until("the webhook request", (r) => r.path === "/hook");
    expect(request.headers.get("traceparent")).toBe(`00-${tree.traceId}-${post.spanId}-01`);
    expect(tree.pathTo(post).map((s) => `${s.service} ${s.name}`)).toEqual(
      expect.arrayContaining([
        "todo-task todo.task.v1.TaskService/CreateTask",
        "todo-scheduler fire reminder",
      ]),
    );

    // The whole way down, service by service.
    const path = tree.pathTo(insert as TraceSpan).map((s) => `${s.service} ${s.name}`);
    expect(path.filter((p) => !p.includes(" postgresql") && !/ (BEGIN|COMMIT)$/.test(p))).toEqual(
      expect.arrayContaining([
        "todo-task todo.task.v1.TaskService/CreateTask",
        "todo-task send task-events",
        "todo-scheduler process task-events",
        "todo-scheduler fire reminder",
        "todo-scheduler send reminders",
        "todo-notification process reminders",
      ]),
    );
  }, 90_000);
});

/** A Kafka `process` span: the direct child of `send`, with the messaging attributes of a consumer. */
function expectKafkaProcess(process: TraceSpan, send: TraceSpan, topic: string, group: string): void {
  expect(process.kind).toBe("consumer");
  expect(process.parentId).toBe(send.spanId);
  expect(process.tags).toMatchObject({
    "messaging.system": "kafka",
    "messaging.destination.name": topic,
    "messaging.operation.type": "process",
    "messaging.consumer.group.name": group,
  });
  // The record the consumer read is the one the producer wrote.
  expect(process.tags["messaging.destination.partition.id"]).toBe(
    send.tags["messaging.destination.partition.id"] as string,
  );
  expect(process.tags["kafka.offset"]).toBe(send.tags["kafka.offset"] as number);
}
