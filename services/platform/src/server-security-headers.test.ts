/**
 * `startServer`'s HTTP/1.1 listener sends the API security headers on every RPC answer — a
 * success, an authentication error, an oversize body's 413 — and its web app fallback replaces them
 * with the page's set (security-headers.ts).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { createTokenService } from "./auth";
import { bodyMaxBytes } from "./request-limits";
import { API_CSP, apiSecurityHeaders, cspHash } from "./security-headers";
import { defineService, type RunningServer, startServer } from "./server";
import { createWebHandler } from "./static-web";

let server: RunningServer;
let web: string;
const url = (path: string) => `http://127.0.0.1:${server.httpPort}${path}`;

beforeAll(async () => {
  web = mkdtempSync(join(tmpdir(), "todo-server-sec-"));
  writeFileSync(join(web, "index.html"), "<!doctype html><script>window.t=1</script><div id=root></div>");
  server = await startServer({
    name: "security-headers-test",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    tokens: createTokenService({
      secret: "security-headers-test-secret-0123456789",
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: 300,
    }),
    services: [defineService(TagService, { listTags: async () => ({ tags: [] }) } as never)],
    fallback: createWebHandler(web, { tls: { trustForwardedProto: false } }),
  });
});

afterAll(async () => {
  await server.close();
  rmSync(web, { recursive: true, force: true });
});

/** Every header of the API set, as sent. */
const apiHeadersOf = (res: Response) =>
  Object.fromEntries(Object.keys(apiSecurityHeaders()).map((name) => [name, res.headers.get(name)]));

test("RPC answers carry the API set: health, an unauthenticated call, an oversize body", async () => {
  const json = { "content-type": "application/json" };
  const answers = [
    await fetch(url("/grpc.health.v1.Health/Check"), { method: "POST", headers: json, body: "{}" }),
    await fetch(url("/todo.tag.v1.TagService/ListTags"), { method: "POST", headers: json, body: "{}" }),
    await fetch(url("/todo.tag.v1.TagService/ListTags"), {
      method: "POST",
      headers: { ...json, "content-length": String(bodyMaxBytes() + 1) },
      body: "x".repeat(bodyMaxBytes() + 1),
    }),
  ];
  expect(answers.map((r) => r.status)).toEqual([200, 401, 413]);
  for (const res of answers) {
    expect(apiHeadersOf(res)).toEqual({ ...apiSecurityHeaders() });
    expect(res.headers.get("content-security-policy")).toBe(API_CSP);
    await res.arrayBuffer();
  }
});

test("the web app fallback sends the page's policy instead", async () => {
  const res = await fetch(url("/"));
  expect(res.status).toBe(200);
  expect(res.headers.get("content-security-policy")).toContain(`script-src 'self' ${cspHash("window.t=1")}`);
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
});
