import { describe, expect, test } from "bun:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { Health } from "@todo/gen/grpc/health/v1/health_pb";
import postgres from "postgres";
import { isDatabaseUnavailable } from "./db-unavailable";
import { createErrorInterceptor } from "./telemetry";

const withCode = (code: string, cause?: unknown) =>
  Object.assign(new Error(`failed: ${code}`, { cause }), { code });

describe("isDatabaseUnavailable", () => {
  test("a refused, lost or timed-out connection, and a server shutting down, are unavailable", () => {
    for (const code of ["ECONNREFUSED", "CONNECTION_CLOSED", "CONNECT_TIMEOUT", "57P01", "57P03", "08006"]) {
      expect(isDatabaseUnavailable(withCode(code))).toBe(true);
    }
    expect(isDatabaseUnavailable(new Error("wrapped", { cause: withCode("ECONNRESET") }))).toBe(true);
  });

  test("a bad statement, a constraint or a plain error is not", () => {
    for (const code of ["23505", "42P01", "22P02", "ERR_SOMETHING"]) {
      expect(isDatabaseUnavailable(withCode(code))).toBe(false);
    }
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable("not an error")).toBe(false);
  });

  test("a real client pointed at a closed port fails with an unavailable error", async () => {
    const sql = postgres("postgres://todo:todo@127.0.0.1:1/todo", {
      connect_timeout: 2,
      max: 1,
      onnotice: () => {},
    });
    const err = await sql`select 1`.then(
      () => undefined,
      (e: unknown) => e,
    );
    await sql.end({ timeout: 1 });
    expect(isDatabaseUnavailable(err)).toBe(true);
  });
});

test("the error interceptor answers an unreachable database as UNAVAILABLE, anything else as INTERNAL", async () => {
  const sql = postgres("postgres://todo:todo@127.0.0.1:1/todo", {
    connect_timeout: 2,
    max: 1,
    onnotice: () => {},
  });
  const transport = createRouterTransport(
    (router) =>
      router.service(Health, {
        async check(req) {
          if (req.service === "db") await sql`select 1`;
          throw new Error("a bug");
        },
      }),
    { router: { interceptors: [createErrorInterceptor("db-unavailable-test")] } },
  );
  const health = createClient(Health, transport);
  const codeOf = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (e: unknown) => ConnectError.from(e).code,
    );
  expect(await codeOf(health.check({ service: "db" }))).toBe(Code.Unavailable);
  expect(await codeOf(health.check({ service: "other" }))).toBe(Code.Internal);
  await sql.end({ timeout: 1 });
});

test("a database error after the caller went away is CANCELED, not an unavailable database", async () => {
  const interceptor = createErrorInterceptor("db-unavailable-test");
  const gone = new AbortController();
  gone.abort();
  const call = (signal: AbortSignal) =>
    interceptor(async () => {
      throw withCode("CONNECTION_DESTROYED"); // e.g. the stream's connection, ended as the call ended
    })({ signal, service: Health, method: Health.method.check } as never).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e).code,
    );
  expect(await call(gone.signal)).toBe(Code.Canceled);
  // With the caller still there, the same error is an unreachable database.
  expect(await call(new AbortController().signal)).toBe(Code.Unavailable);
});
