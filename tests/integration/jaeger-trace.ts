/**
 * Reading one trace out of a real Jaeger (its query API, `RunningJaeger.trace` in
 * scripts/lib/observability-servers.ts) as a tree the tests can check: each span with its service,
 * kind, attributes and parent; the spans whose parent is missing from the trace; and a printed
 * tree for failure messages, so a broken hop shows where it broke.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { NotificationService } from "@todo/gen/todo/notification/v1/notification_service_pb";
import type { Task } from "@todo/gen/todo/task/v1/task_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import type { JaegerTrace, RunningJaeger } from "../../scripts/lib/observability-servers.ts";
import { bearer, eventually } from "./system";

/** One span of a trace, flattened. */
export interface TraceSpan {
  readonly spanId: string;
  readonly name: string;
  /** `service.name` of the process that made it (`todo-task`, `task` for its sidecar). */
  readonly service: string;
  /** `server`, `client`, `producer`, `consumer` or `internal`. */
  readonly kind: string;
  /** The parent span's id (a `CHILD_OF` reference in this trace), if any. */
  readonly parentId: string | undefined;
  /** Span ids this span links to (`FOLLOWS_FROM`), possibly in other traces. */
  readonly links: readonly string[];
  readonly tags: Readonly<Record<string, unknown>>;
  /** Microseconds since the epoch. */
  readonly startTime: number;
}

/** A trace as a tree. */
export interface TraceTree {
  readonly traceId: string;
  readonly spans: readonly TraceSpan[];
  readonly byId: ReadonlyMap<string, TraceSpan>;
  /** Spans whose parent is not in the trace (the root's parent may be the caller's, never exported). */
  readonly orphans: readonly TraceSpan[];
  /** The spans in `service` (all when omitted) named `name` (a string, or a test on the name). */
  find(name: string | RegExp, service?: string): TraceSpan[];
  /** Whether `ancestor` is `span`'s parent, grandparent, …. */
  descends(span: TraceSpan, ancestor: TraceSpan): boolean;
  /** The spans from the root down to `span`. */
  pathTo(span: TraceSpan): TraceSpan[];
  /** The tree as indented text: `service kind name`. */
  print(): string;
}

/** Makes the tree of a trace Jaeger returned. */
export function traceTree(trace: JaegerTrace): TraceTree {
  const spans: TraceSpan[] = trace.spans.map((s) => {
    const tags = Object.fromEntries(s.tags.map((t) => [t.key, t.value]));
    const parent = s.references.find((r) => r.refType === "CHILD_OF" && r.traceID === s.traceID);
    return {
      spanId: s.spanID,
      name: s.operationName,
      service: trace.processes[s.processID]?.serviceName ?? "?",
      kind: typeof tags["span.kind"] === "string" ? (tags["span.kind"] as string) : "internal",
      parentId: parent?.spanID,
      links: s.references.filter((r) => r.refType === "FOLLOWS_FROM").map((r) => r.spanID),
      tags,
      startTime: s.startTime,
    };
  });
  spans.sort((a, b) => a.startTime - b.startTime);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const orphans = spans.filter((s) => s.parentId === undefined || !byId.has(s.parentId));
  const pathTo = (span: TraceSpan) => {
    const path = [span];
    for (let p = span.parentId && byId.get(span.parentId); p; p = p.parentId && byId.get(p.parentId))
      path.unshift(p);
    return path;
  };
  const print = () => {
    const children = new Map<string | undefined, TraceSpan[]>();
    for (const s of spans) {
      const key = s.parentId && byId.has(s.parentId) ? s.parentId : undefined;
      children.set(key, [...(children.get(key) ?? []), s]);
    }
    const lines: string[] = [];
    const walk = (parent: string | undefined, depth: number) => {
      for (const s of children.get(parent) ?? []) {
        lines.push(`${"  ".repeat(depth)}${s.service} ${s.kind} ${s.name}`);
        walk(s.spanId, depth + 1);
      }
    };
    walk(undefined, 0);
    return lines.join("\n");
  };
  return {
    traceId: trace.traceID,
    spans,
    byId,
    orphans,
    find: (name, service) =>
      spans.filter(
        (s) =>
          (typeof name === "string" ? s.name === name : name.test(s.name)) &&
          (service === undefined || s.service === service),
      ),
    descends: (span, ancestor) => pathTo(span).includes(ancestor) && span !== ancestor,
    pathTo,
    print,
  };
}

/**
 * Polls Jaeger for the trace `traceId` until `complete` says it has everything the test waits for
 * (spans arrive in batches, from several processes); throws after `timeoutMs` with the tree as it
 * was, so the failure shows what did arrive.
 */
export async function waitForTrace(
  jaeger: RunningJaeger,
  traceId: string,
  complete: (tree: TraceTree) => boolean,
  timeoutMs = 30_000,
): Promise<TraceTree> {
  let last: TraceTree | undefined;
  try {
    return await eventually(
      `the trace ${traceId}`,
      async () => {
        const trace = await jaeger.trace(traceId);
        last = trace && traceTree(trace);
        return last && complete(last) ? last : undefined;
      },
      timeoutMs,
      250,
    );
  } catch (err) {
    throw new Error(`${String(err)}; it had:\n${last?.print() ?? "(nothing)"}`);
  }
}

/** A random W3C trace id and parent span id, and the `traceparent` a client would send with them. */
export function clientTraceContext(): { traceId: string; spanId: string; traceparent: string } {
  const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/**
 * The OTEL_* environment of a service exporting its spans — only spans — to `jaeger` over OTLP/HTTP,
 * every trace sampled and each batch sent within 0.2 s.
 */
export function otelEnvironment(jaeger: RunningJaeger): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    OTEL_TRACES_SAMPLER: "parentbased_always_on",
    OTEL_BSP_SCHEDULE_DELAY: "200",
    OTEL_METRICS_EXPORTER: "none",
    OTEL_LOGS_EXPORTER: "none",
  };
}

/**
 * What a traced client does: CreateTask (gRPC to the task service at `taskGrpcUrl`, acting with
 * `token`) with a reminder due `inMs` from now (rounded up to a second), sent with a `traceparent`
 * of its own; then waits until the reminder is in `inbox`. Returns the task and the client's trace
 * context (the trace to look up).
 */
export async function createTracedReminder(opts: {
  readonly taskGrpcUrl: string;
  readonly token: string;
  readonly inbox: Client<typeof NotificationService>;
  readonly inMs: number;
}): Promise<{ task: Task; client: ReturnType<typeof clientTraceContext> }> {
  const client = clientTraceContext();
  const traceparent: Interceptor = (next) => (req) => {
    req.header.set("traceparent", client.traceparent);
    return next(req);
  };
  const tasks = createClient(
    TaskService,
    createGrpcTransport({ baseUrl: opts.taskGrpcUrl, interceptors: [bearer(opts.token), traceparent] }),
  );
  const fireAt = new Date(Math.ceil((Date.now() + opts.inMs) / 1000) * 1000);
  const { task } = await tasks.createTask({
    task: { title: "Trace me", reminders: [{ trigger: { case: "at", value: timestampFromDate(fireAt) } }] },
  });
  if (!task) throw new Error("CreateTask returned no task");
  await eventually(
    "the reminder in the inbox",
    async () => (await opts.inbox.listNotifications({})).notifications.some((n) => n.taskId === task.id),
    30_000,
  );
  return { task, client };
}
