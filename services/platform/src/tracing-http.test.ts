/**
 * HTTP spans (tracing-http.ts) with the in-memory exporter of `useTestTracing`: what `url.full`
 * keeps of a URL, the method normalisation, a CLIENT span's answers and failures, and nothing while
 * tracing is off. The SERVER span is exercised through the edge (services/edge/src/edge-tracing.test.ts)
 * and the webhook CLIENT span through the delivery worker (services/notification/src/delivery-tracing.test.ts).
 */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { httpMethodAttributes, redactedUrl, startHttpClientSpan, startHttpServerSpan } from "./tracing-http";
import { type TestTracing, useTestTracing } from "./tracing-testing";

let tracing: TestTracing;

beforeEach(() => {
  tracing = useTestTracing();
});

afterAll(() => tracing?.stop());

describe("redactedUrl", () => {
  test("drops user info, query and fragment, and hides long path segments", () => {
    expect(redactedUrl(new URL("https://user:pw@hooks.example.com:8443/in/abc?token=s3cret#x"))).toBe(
      "https://hooks.example.com:8443/in/abc",
    );
    expect(
      redactedUrl(new URL("https://hooks.slack.com/services/T0123/B0456/abcdefghijklmnopqrstuvwx")),
    ).toBe("https://hooks.slack.com/services/T0123/B0456/REDACTED");
    expect(redactedUrl(new URL("http://127.0.0.1:8080"))).toBe("http://127.0.0.1:8080/");
  });
});

test("an unknown method is _OTHER, the original beside it", () => {
  expect(httpMethodAttributes("post")).toEqual({ "http.request.method": "POST" });
  expect(httpMethodAttributes("PURGE")).toEqual({
    "http.request.method": "_OTHER",
    "http.request.method_original": "PURGE",
  });
});

describe("CLIENT spans", () => {
  test("the child of a stored traceparent; 4xx fails with the status as error.type; a retry counts", () => {
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const span = startHttpClientSpan({
      method: "POST",
      url: new URL("https://hooks.example.com/in?key=s3cret"),
      traceparent: parent,
      attempt: 3,
      attributes: { "todo.test": "yes" },
    });
    expect(span?.traceparent).toStartWith("00-4bf92f3577b34da6a3ce929d0e0e4736-");
    span?.finish({ status: 410 });
    const [s] = tracing.spans();
    expect(s?.name).toBe("POST");
    expect(s?.kind).toBe(SpanKind.CLIENT);
    expect(s?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(s?.attributes).toEqual({
      "http.request.method": "POST",
      "url.full": "https://hooks.example.com/in",
      "server.address": "hooks.example.com",
      "server.port": 443,
      "http.request.resend_count": 2,
      "todo.test": "yes",
      "http.response.status_code": 410,
      "error.type": "410",
    });
    expect(s?.status).toEqual({ code: SpanStatusCode.ERROR, message: "HTTP 410" });
  });

  test("no answer: error.type is the system error code, with an exception event", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    startHttpClientSpan({ method: "POST", url: new URL("http://127.0.0.1:9/") })?.finish({ err });
    const [s] = tracing.spans();
    expect(s?.attributes["error.type"]).toBe("ECONNREFUSED");
    expect(s?.attributes["server.port"]).toBe(9);
    expect(s?.events.map((e) => e.name)).toEqual(["exception"]);
    expect(s?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

test("SERVER spans fail on 5xx, not on 4xx", () => {
  for (const code of [404, 502]) {
    const span = startHttpServerSpan({ method: "GET", headers: {}, path: "/x", route: "/x" });
    span?.status(code);
    span?.end();
  }
  const [notFound, badGateway] = tracing.spans();
  expect(notFound?.kind).toBe(SpanKind.SERVER);
  expect(notFound?.status.code).toBe(SpanStatusCode.UNSET);
  expect(notFound?.attributes["error.type"]).toBeUndefined();
  expect(badGateway?.status.code).toBe(SpanStatusCode.ERROR);
  expect(badGateway?.attributes["error.type"]).toBe("502");
});

test("with tracing off, no span", () => {
  tracing.stop();
  expect(startHttpServerSpan({ method: "GET", headers: {}, path: "/", route: "/" })).toBeUndefined();
  expect(startHttpClientSpan({ method: "POST", url: new URL("http://127.0.0.1/") })).toBeUndefined();
  expect(tracing.spans()).toEqual([]);
});
