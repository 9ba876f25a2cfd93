import { describe, expect, test } from "bun:test";
import { TagRenamedSchema } from "@todo/gen/todo/events/v1/tag_events_pb";
import { type CloudEvent, fromCloudEvent, toCloudEvent } from "./events";
import { CeHeaders, fromKafkaRecord, MalformedEventError, toKafkaHeaders } from "./kafka-envelope";

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

function sample(extra: Partial<CloudEvent> = {}): CloudEvent {
  return {
    ...toCloudEvent(
      TagRenamedSchema,
      { userId: "u1", tagId: "t1", oldName: "work", newName: "job" },
      { source: "/todo/tag", type: "todo.tag.v1.renamed", subject: "t1", id: "ev-1" },
    ),
    time: new Date("2026-03-29T00:59:59.999Z"),
    ...extra,
  };
}

/** What kafkajs hands a consumer: header values as Buffers. */
function asReceived(headers: Record<string, string>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));
}

describe("CloudEvents binary mode on Kafka", () => {
  test("every attribute becomes a header, and comes back unchanged", () => {
    const event = sample({ traceparent, extensions: { origin: "import", dlqattempts: "2" } });
    const headers = toKafkaHeaders(event);
    expect(headers).toEqual({
      ce_specversion: "1.0",
      ce_id: "ev-1",
      ce_source: "/todo/tag",
      ce_type: "todo.tag.v1.renamed",
      ce_subject: "t1",
      ce_time: "2026-03-29T00:59:59.999Z",
      "content-type": "application/protobuf",
      ce_dataschema: "todo.events.v1.TagRenamed",
      ce_traceparent: traceparent,
      traceparent,
      ce_origin: "import",
      ce_dlqattempts: "2",
    });
    const back = fromKafkaRecord(asReceived(headers), Buffer.from(event.data));
    expect(back).toEqual(event);
    expect(fromCloudEvent(TagRenamedSchema, back).newName).toBe("job");
  });

  test("no traceparent header without a trace; a bare W3C traceparent header is accepted", () => {
    const headers = toKafkaHeaders(sample());
    expect(headers[CeHeaders.traceparent]).toBeUndefined();
    expect(headers[CeHeaders.w3cTraceparent]).toBeUndefined();
    expect(fromKafkaRecord(asReceived(headers), Buffer.from([])).traceparent).toBeUndefined();
    const withW3c = fromKafkaRecord(asReceived({ ...headers, traceparent }), Buffer.from([]));
    expect(withW3c.traceparent).toBe(traceparent);
  });

  test("an empty subject and an empty value survive; string and array header values are read", () => {
    const headers: Record<string, string | string[]> = { ...toKafkaHeaders(sample({ subject: "" })) };
    headers.ce_id = ["ev-1", "ignored-duplicate"];
    const back = fromKafkaRecord(headers, null);
    expect(back.subject).toBe("");
    expect(back.id).toBe("ev-1");
    expect(back.data).toEqual(new Uint8Array(0));
  });

  test("extension names that are not CloudEvents attribute names are refused", () => {
    for (const name of ["Upper", "with-dash", "id", "a".repeat(21)]) {
      expect(() => toKafkaHeaders(sample({ extensions: { [name]: "x" } }))).toThrow("cannot be");
    }
  });

  test("records that are not binary-mode protobuf CloudEvents are malformed", () => {
    const good = toKafkaHeaders(sample());
    const cases: Record<string, string>[] = [
      {},
      { ...good, ce_specversion: "0.3" },
      { ...good, "content-type": "application/cloudevents+json" },
      { ...good, ce_time: "yesterday" },
      Object.fromEntries(Object.entries(good).filter(([k]) => k !== "ce_id")),
      Object.fromEntries(Object.entries(good).filter(([k]) => k !== "ce_dataschema")),
    ];
    for (const headers of cases) {
      expect(() => fromKafkaRecord(asReceived(headers), Buffer.from("x"))).toThrow(MalformedEventError);
    }
  });
});
