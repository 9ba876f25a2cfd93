import { afterEach, describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import {
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { TagDeletedSchema, TagRenamedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import {
  deadLetterTopic,
  EventTypes,
  eventContext,
  fromCloudEvent,
  isEventOf,
  Topics,
  toCloudEvent,
} from "./events";

/** A minimal W3C propagator standing in for the one the OpenTelemetry SDK registers. */
const w3c: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const sc = trace.getSpanContext(ctx);
    if (!sc || !isSpanContextValid(sc)) return;
    setter.set(carrier, "traceparent", `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags.toString(16)}`);
  },
  extract(ctx, carrier, getter) {
    const value = getter.get(carrier, "traceparent");
    const m =
      typeof value === "string" ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value) : null;
    if (!m?.[1] || !m[2] || !m[3]) return ctx;
    return trace.setSpanContext(ctx, {
      traceId: m[1],
      spanId: m[2],
      traceFlags: Number.parseInt(m[3], 16),
      isRemote: true,
    });
  },
  fields: () => ["traceparent"],
};

afterEach(() => propagation.disable());

const renamed = { userId: "u1", tagId: "t1", oldName: "work", newName: "Job" };

describe("CloudEvent packing", () => {
  test("round-trips a protobuf message with the CloudEvents attributes", () => {
    const time = new Date("2030-01-02T03:04:05.678Z");
    const event = toCloudEvent(TagRenamedSchema, renamed, {
      source: "todo/tag",
      type: EventTypes.tagRenamed,
      subject: "t1",
      time,
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event).toMatchObject({
      source: "todo/tag",
      type: "todo.tag.v1.renamed",
      subject: "t1",
      time,
      dataContentType: "application/protobuf",
      dataSchema: "todo.events.v1.TagRenamed",
    });
    expect(event.traceparent).toBeUndefined();
    expect(isEventOf(TagRenamedSchema, event)).toBe(true);
    expect(isEventOf(TagDeletedSchema, event)).toBe(false);
    const back = fromCloudEvent(TagRenamedSchema, event);
    expect(back).toEqual(create(TagRenamedSchema, renamed));
  });

  test("gives every event its own id unless one is given", () => {
    const attrs = { source: "s", type: "t", subject: "x" };
    const a = toCloudEvent(TagRenamedSchema, renamed, attrs);
    const b = toCloudEvent(TagRenamedSchema, renamed, attrs);
    expect(a.id).not.toBe(b.id);
    expect(toCloudEvent(TagRenamedSchema, renamed, { ...attrs, id: "fixed" }).id).toBe("fixed");
  });

  test("refuses to unpack data of another message type", () => {
    const event = toCloudEvent(TagRenamedSchema, renamed, { source: "s", type: "t", subject: "x" });
    expect(() => fromCloudEvent(TagDeletedSchema, event)).toThrow(/carries todo.events.v1.TagRenamed/);
  });

  test("carries the active W3C trace context and restores it for the consumer", () => {
    propagation.setGlobalPropagator(w3c);
    const spanContext = {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: TraceFlags.SAMPLED,
    };
    const ctx = trace.setSpanContext(ROOT_CONTEXT, spanContext);
    const event = toCloudEvent(TagRenamedSchema, renamed, {
      source: "s",
      type: "t",
      subject: "x",
      context: ctx,
    });
    expect(event.traceparent).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    const restored = trace.getSpanContext(eventContext(event));
    expect(restored).toMatchObject({ ...spanContext, isRemote: true });
  });

  test("an event without a trace yields the root context", () => {
    propagation.setGlobalPropagator(w3c);
    const event = toCloudEvent(TagRenamedSchema, renamed, { source: "s", type: "t", subject: "x" });
    expect(event.traceparent).toBeUndefined();
    expect(trace.getSpanContext(eventContext(event))).toBeUndefined();
  });

  test("names the topics and their dead-letter twins", () => {
    expect(Object.values(Topics)).toEqual(["task-events", "tag-events", "reminders", "task-updates"]);
    expect(deadLetterTopic(Topics.taskEvents)).toBe("task-events.dlq");
  });
});
