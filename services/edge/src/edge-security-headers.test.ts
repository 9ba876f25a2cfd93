/**
 * The edge's security headers (security-headers.ts): its own answers (`/healthz`, health over
 * Connect, the 503 of an unreachable service), a forwarded answer whose service sent none, and the
 * web app served by its fallback (the same handler as `bun start`'s, with the page's policy). HSTS
 * follows `X-Forwarded-Proto` only when `TRUST_FORWARDED_PROTO` is set.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { API_CSP, createWebHandler, cspHash, HSTS } from "@todo/platform/serving";
import { type Edge, startEdge } from "./edge";

let edge: Edge;
let upstream: http.Server;
let web: string;
const url = (path: string) => `http://127.0.0.1:${edge.port}${path}`;

/** Starts an edge with the web app in `web`, a plain upstream for TaskService, nothing for TagService. */
async function start(): Promise<Edge> {
  const { port } = upstream.address() as AddressInfo;
  return await startEdge({
    host: "127.0.0.1",
    port: 0,
    routes: {
      "todo.task.v1.TaskService": `http://127.0.0.1:${port}`,
      "todo.tag.v1.TagService": "http://127.0.0.1:1",
    },
    fallback: createWebHandler(web, { tls: { trustForwardedProto: false } }),
  });
}

beforeAll(async () => {
  web = mkdtempSync(join(tmpdir(), "todo-edge-sec-"));
  writeFileSync(join(web, "index.html"), "<!doctype html><script>window.e=1</script><div id=root></div>");
  // A service that sends no security headers of its own.
  upstream = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((ok) => upstream.listen(0, "127.0.0.1", ok));
  edge = await start();
});

afterAll(async () => {
  await edge.close();
  upstream.close();
  rmSync(web, { recursive: true, force: true });
});

const post = (path: string, headers: Record<string, string> = {}) =>
  fetch(url(path), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}",
  });

test("the edge's own answers, a forwarded answer and a 503 carry the API set", async () => {
  const answers = [
    await fetch(url("/healthz")),
    await post("/grpc.health.v1.Health/Check"),
    await post("/todo.task.v1.TaskService/ListTasks"),
    await post("/todo.tag.v1.TagService/ListTags"),
  ];
  expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 503]);
  for (const res of answers) {
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toBe(API_CSP);
    expect(res.headers.get("strict-transport-security")).toBeNull();
    await res.arrayBuffer();
  }
});

test("the web app from the fallback carries the page's policy with its script's hash", async () => {
  for (const path of ["/", "/tags"]) {
    const res = await fetch(url(path));
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain(`script-src 'self' ${cspHash("window.e=1")}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    await res.arrayBuffer();
  }
});

describe("with TRUST_FORWARDED_PROTO=true", () => {
  let trusting: Edge;
  beforeAll(async () => {
    process.env.TRUST_FORWARDED_PROTO = "true";
    try {
      trusting = await start();
    } finally {
      delete process.env.TRUST_FORWARDED_PROTO;
    }
  });
  afterAll(() => trusting.close());

  test("HSTS on answers to X-Forwarded-Proto: https, not on plain http ones", async () => {
    const at = (path: string) => `http://127.0.0.1:${trusting.port}${path}`;
    const https = await fetch(at("/healthz"), { headers: { "x-forwarded-proto": "https" } });
    expect(https.headers.get("strict-transport-security")).toBe(HSTS);
    const plain = await fetch(at("/healthz"));
    expect(plain.headers.get("strict-transport-security")).toBeNull();
    // The untrusting edge ignores the header.
    const ignored = await fetch(url("/healthz"), { headers: { "x-forwarded-proto": "https" } });
    expect(ignored.headers.get("strict-transport-security")).toBeNull();
  });
});
