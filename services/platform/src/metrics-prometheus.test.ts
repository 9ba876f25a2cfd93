/**
 * The exposition format: names follow the OpenTelemetry → Prometheus rules (unit suffix, `_total`),
 * and what the serializer writes from a real SDK collection parses as valid Prometheus text with the
 * values recorded, escaping included. The parser itself rejects what Prometheus would reject.
 */
import { describe, expect, test } from "bun:test";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { DataPointType, MeterProvider } from "@opentelemetry/sdk-metrics";
import { createPullReader } from "./metrics";
import { prometheusLabel, prometheusName, serializePrometheus } from "./metrics-prometheus";
import { parsePrometheusText, samplesOf, sumOf } from "./metrics-testing";

const descriptor = (name: string, unit: string) => ({ name, unit, description: "", valueType: 1 });

describe("prometheusName", () => {
  test.each([
    ["rpc.server.call.duration", "s", DataPointType.HISTOGRAM, false, "rpc_server_call_duration_seconds"],
    [
      "messaging.client.sent.messages",
      "{message}",
      DataPointType.SUM,
      true,
      "messaging_client_sent_messages_total",
    ],
    ["process.cpu.time", "s", DataPointType.SUM, true, "process_cpu_time_seconds_total"],
    ["process.memory.usage", "By", DataPointType.SUM, false, "process_memory_usage_bytes"],
    ["db.client.connection.count", "{connection}", DataPointType.SUM, false, "db_client_connection_count"],
    ["todo.outbox.oldest_age", "s", DataPointType.GAUGE, false, "todo_outbox_oldest_age_seconds"],
    ["nodejs.eventloop.delay.p99", "s", DataPointType.GAUGE, false, "nodejs_eventloop_delay_p99_seconds"],
    ["system.memory.utilization", "1", DataPointType.GAUGE, false, "system_memory_utilization_ratio"],
    ["http.requests", "1", DataPointType.SUM, true, "http_requests_total"],
    ["already.in_seconds", "s", DataPointType.GAUGE, false, "already_in_seconds"],
    ["jobs.total", "{job}", DataPointType.SUM, true, "jobs_total"],
    ["net.io", "By/s", DataPointType.GAUGE, false, "net_io_bytes_per_second"],
    ["weird--name..x", "ms", DataPointType.HISTOGRAM, false, "weird_name_x_milliseconds"],
  ])("%s (%s)", (name, unit, dataPointType, isMonotonic, expected) => {
    expect(prometheusName({ descriptor: descriptor(name, unit), dataPointType, isMonotonic })).toBe(
      expected as string,
    );
  });

  test("label names", () => {
    expect(prometheusLabel("rpc.method")).toBe("rpc_method");
    expect(prometheusLabel("messaging.destination.partition.id")).toBe("messaging_destination_partition_id");
    expect(prometheusLabel("9lives")).toBe("key_9lives");
  });
});

describe("serializePrometheus", () => {
  test("a real collection round-trips through the parser", async () => {
    const reader = createPullReader();
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ "service.name": "svc", "service.instance.id": 'a"b\\c' }),
      readers: [reader],
    });
    const meter = provider.getMeter("t");
    const histogram = meter.createHistogram("t.call.duration", {
      unit: "s",
      description: "calls\nover two lines",
      advice: { explicitBucketBoundaries: [0.1, 1] },
    });
    histogram.record(0.05, { method: "A/B", code: "OK" });
    histogram.record(0.5, { method: "A/B", code: "OK" });
    histogram.record(5, { method: "A/B", code: "OK" });
    histogram.record(0.2, { method: 'quote"and\\slash\nnewline', code: "INTERNAL" });
    meter.createCounter("t.sent", { unit: "{message}" }).add(3, { topic: "x" });
    meter.createUpDownCounter("t.active", { unit: "{request}" }).add(-2);
    meter
      .createObservableGauge("t.age", { unit: "s" })
      .addCallback((r) => r.observe(1.5, { schema: "task" }));

    const { resourceMetrics } = await reader.collect();
    const text = serializePrometheus(resourceMetrics);
    const parsed = parsePrometheusText(text);

    expect(parsed.types.get("t_call_duration_seconds")).toBe("histogram");
    expect(parsed.types.get("t_sent_total")).toBe("counter");
    expect(parsed.types.get("t_active")).toBe("gauge");
    expect(parsed.types.get("t_age_seconds")).toBe("gauge");
    expect(parsed.help.get("t_call_duration_seconds")).toBe("calls\nover two lines");

    const ok = { method: "A/B", code: "OK" };
    expect(
      samplesOf(parsed, "t_call_duration_seconds_bucket", ok).map((s) => [s.labels.le, s.value]),
    ).toEqual([
      ["0.1", 1],
      ["1", 2],
      ["+Inf", 3],
    ]);
    expect(sumOf(parsed, "t_call_duration_seconds_count", ok)).toBe(3);
    expect(sumOf(parsed, "t_call_duration_seconds_sum", ok)).toBeCloseTo(5.55, 10);
    expect(sumOf(parsed, "t_call_duration_seconds_count", { method: 'quote"and\\slash\nnewline' })).toBe(1);
    expect(sumOf(parsed, "t_sent_total", { topic: "x" })).toBe(3);
    expect(sumOf(parsed, "t_active")).toBe(-2);
    expect(sumOf(parsed, "t_age_seconds", { schema: "task" })).toBe(1.5);
    const [target] = samplesOf(parsed, "target_info");
    expect(target?.labels).toMatchObject({ service_name: "svc", service_instance_id: 'a"b\\c' });
    await provider.shutdown();
  });
});

describe("parsePrometheusText rejects what Prometheus would", () => {
  test.each([
    ["a sample before its TYPE", "x 1\n"],
    ["a bad metric name", "# TYPE 1x gauge\n1x 1\n"],
    ["an unquoted label value", "# TYPE x gauge\nx{a=b} 1\n"],
    ["a bad value", "# TYPE x gauge\nx one\n"],
    ["a series twice", '# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n'],
    [
      "buckets that shrink",
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n',
    ],
    ["+Inf unlike _count", '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\nh_sum 1\n'],
  ])("%s", (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});
