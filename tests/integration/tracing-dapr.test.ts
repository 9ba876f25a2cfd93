/**
 * The reminder's trace in the Dapr run mode (tests/integration/dapr-system.ts): every service beside
 * a real `daprd`, whose own tracing (the Dapr Configuration's `spec.tracing`, samplingRate "1",
 * `otel.endpointAddress` at Jaeger's OTLP/HTTP receiver, written by scripts/lib/dapr-run.ts) goes to
 * the same Jaeger as the services' spans. The sidecars' spans must JOIN the trace, not start a
 * second one:
 *
 *   todo-task     send task-events            (bus-dapr: POST /v1.0/publish with `traceparent`)
 *   task          /v1.0/publish/…task-events   (the task sidecar; it rewrites the CloudEvent's traceparent)
 *   scheduler     pubsub/…task-events          (the scheduler sidecar's delivery)
 *   todo-scheduler AppCallback/OnTopicEvent → process task-events → fire reminder → send reminders
 *   scheduler     /v1.0/publish/…reminders
 *   notification  pubsub/…reminders
 *   todo-notification AppCallback/OnTopicEvent → process reminders → INSERT notification.notifications
 *   todo-notification POST                     (the webhook delivery, to a receiver in this process)
 *
 * The Dapr job that triggers the reminder carries no trace context (the Jobs API has none): the
 * trace crosses it in our own jobs table (`scheduler.jobs.traceparent`), and the trigger — the
 * OnJobEventAlpha1 callback, a trace of its own — is a link of the `fire reminder` span
 * (docs/tracing.md, "Dapr").
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import { startWebhookReceiver, type WebhookReceiver } from "@todo/testkit/webhook";
import { type RunningJaeger, startJaeger } from "../../scripts/lib/observability-servers.ts";
import { DaprTestSystem } from "./dapr-system";
import {
  createTracedReminder,
  otelEnvironment,
  type TraceSpan,
  type TraceTree,
  waitForTrace,
} from "./jaeger-trace";
import { eventually } from "./system";

let jaeger: RunningJaeger;
let system: DaprTestSystem;
let receiver: WebhookReceiver;

beforeAll(async () => {
  jaeger = await startJaeger();
  receiver = startWebhookReceiver();
  system = await DaprTestSystem.create({
    label: "tracedapr",
    // The sidecars' OTLP/HTTP endpoint (host:port) and samplingRate "1".
    otlpHost: new URL(jaeger.otlpHttpUrl).host,
    // The webhook receiver listens on 127.0.0.1.
    env: { ...otelEnvironment(jaeger), NOTIFY_ALLOW_PRIVATE_TARGETS: "true" },
  });
  await system.startAll();
}, 300_000);

afterAll(async () => {
  await system?.close();
  await jaeger?.stop();
  receiver?.stop();
}, 60_000);

const CALLBACK = "dapr.proto.runtime.v1.AppCallback/OnTopicEvent";

/** The one child of `parent` in `service` whose name matches; fails with the tree otherwise. */
function childOf(tree: TraceTree, parent: TraceSpan, service: string, name: string | RegExp): TraceSpan {
  const found = tree.find(name, service).filter((s) => s.parentId === parent.spanId);
  if (found.length !== 1) {
    throw new Error(
      `${found.length} × ${service} ${name} under ${parent.service} ${parent.name} in:\n${tree.print()}`,
    );
  }
  return found[0] as TraceSpan;
}

describe("a reminder's trace (Dapr mode: pub/sub and a Dapr job)", () => {
  test("the sidecars' spans join the services' trace, hop by hop, from CreateTask to the inbox", async () => {
    const { token } = await system.signUp();
    const inbox = system.client("notification", NotificationService, token);
    const hook = `${receiver.url}/hook`;
    await inbox.createChannel({ channel: { target: { case: "webhook", value: { url: hook } } } });
    const { task, client } = await createTracedReminder({
      taskGrpcUrl: `http://127.0.0.1:${(await system.portsOf("task")).grpc}`,
      token,
      inbox,
      inMs: 3000,
    });

    // The sidecars export in batches of their own: wait until every span has its parent.
    const tree = await waitForTrace(
      jaeger,
      client.traceId,
      (t) =>
        t.orphans.length === 1 &&
        t.find("INSERT notification.notifications", "todo-notification").length > 0 &&
        t.find("POST", "todo-notification").length > 0,
      40_000,
    );
    console.log(`the reminder's trace through Dapr: ${tree.spans.length} spans\n${tree.print()}`);

    const [create] = tree.find("todo.task.v1.TaskService/CreateTask", "todo-task");
    if (!create) throw new Error(`no CreateTask span in:\n${tree.print()}`);
    expect(tree.orphans).toEqual([create]);
    expect(create.parentId).toBe(client.spanId);

    // Spans of the services and of their sidecars (service.name = the Dapr app id), in ONE trace.
    const services = new Set(tree.spans.map((s) => s.service));
    for (const s of ["todo-task", "todo-scheduler", "todo-notification", "task", "scheduler", "notification"])
      expect(services).toContain(s);
    const sidecarSpans = tree.spans.filter((s) => s.tags["otel.scope.name"] === "dapr-diagnostics");
    expect(sidecarSpans.length).toBeGreaterThanOrEqual(4);

    // task → scheduler through Dapr pub/sub.
    const sendTaskEvents = childOf(tree, create, "todo-task", "send task-events");
    expect(sendTaskEvents.tags).toMatchObject({
      "messaging.system": "dapr",
      "messaging.destination.name": "task-events",
      "messaging.operation.type": "send",
    });
    const publishTaskEvents = childOf(
      tree,
      sendTaskEvents,
      "task",
      /^\/v1\.0\/publish\/pubsub\/.*task-events$/,
    );
    expect(publishTaskEvents.tags["dapr.status_code"]).toBe("204");
    const deliverTaskEvents = childOf(tree, publishTaskEvents, "scheduler", /^pubsub\/.*task-events$/);
    const schedulerCallback = childOf(tree, deliverTaskEvents, "todo-scheduler", CALLBACK);
    const processTaskEvents = childOf(tree, schedulerCallback, "todo-scheduler", "process task-events");
    expect(processTaskEvents.tags).toMatchObject({
      "messaging.system": "dapr",
      "messaging.operation.type": "process",
      "messaging.consumer.group.name": "scheduler",
    });

    // The reminder job: scheduled in the process span, fired later by a Dapr job trigger (a link).
    const fire = childOf(tree, processTaskEvents, "todo-scheduler", "fire reminder");
    expect(String(fire.tags["todo.job.name"])).toStartWith(`reminder/${task.id}/`);
    expect(fire.links).toHaveLength(1);
    const trigger = await jaeger.trace(await traceOfSpan(fire.links[0] as string));
    expect(trigger?.spans.map((s) => s.operationName)).toContain(
      "dapr.proto.runtime.v1.AppCallbackAlpha/OnJobEventAlpha1",
    );

    // scheduler → notification through Dapr pub/sub: the delivery into the inbox.
    const sendReminders = tree.find("send reminders", "todo-scheduler").find((s) => tree.descends(s, fire));
    if (!sendReminders) throw new Error(`no send reminders under the fire span in:\n${tree.print()}`);
    const publishReminders = childOf(
      tree,
      sendReminders,
      "scheduler",
      /^\/v1\.0\/publish\/pubsub\/.*reminders$/,
    );
    const deliverReminders = childOf(tree, publishReminders, "notification", /^pubsub\/.*reminders$/);
    const notificationCallback = childOf(tree, deliverReminders, "todo-notification", CALLBACK);
    const processReminders = childOf(tree, notificationCallback, "todo-notification", "process reminders");
    expect(processReminders.tags["messaging.consumer.group.name"]).toBe("notification");
    const insert = tree
      .find("INSERT notification.notifications", "todo-notification")
      .find((s) => tree.descends(s, processReminders));
    expect(insert?.tags["db.system.name"]).toBe("postgresql");

    // The webhook delivery continues the consumer's span, and its receiver got the span's context.
    const post = childOf(tree, processReminders, "todo-notification", "POST");
    expect(post.tags).toMatchObject({ "url.full": hook, "http.response.status_code": 200 });
    const request = await receiver.until("the webhook request", (r) => r.path === "/hook");
    expect(request.headers.get("traceparent")).toBe(`00-${tree.traceId}-${post.spanId}-01`);
  }, 120_000);
});

/**
 * The trace id of the span `spanId` (a link's target, in a trace of its own): Jaeger's search by
 * service, since its API looks traces up by trace id only.
 */
async function traceOfSpan(spanId: string): Promise<string> {
  return eventually(
    `the trace holding span ${spanId}`,
    async () => {
      const traces = await jaeger.traces("todo-scheduler", { limit: 200, lookback: "10m" });
      return traces.find((t) => t.spans.some((s) => s.spanID === spanId))?.traceID;
    },
    20_000,
    500,
  );
}
