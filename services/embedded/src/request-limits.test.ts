/**
 * Issue 13 §1: read limits. `bun start` (main.ts as a child process, on PostgreSQL so its memory is
 * the server's and not PGlite's) accepts the largest legal request, answers an oversize one with
 * RESOURCE_EXHAUSTED / 413 before reading it, and stays under 300 MB resident while 20 clients each
 * stream a 200 MB body at it at once, over Connect (HTTP/1.1, chunked) and gRPC (h2c).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import http from "node:http";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { DEFAULT_READ_MAX_BYTES } from "@todo/platform/serving";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { LIMITS } from "@todo/task";
import { openGrpcCall, removeDir, startMainProcess, tempDir } from "@todo/testkit";

const HTTP_URL = /HTTP\/1\.1\):\s+(http:\/\/\S+)/;
const GRPC_URL = /\(h2c\):\s+(http:\/\/\S+)/;
const CREATE_TASK = "/todo.task.v1.TaskService/CreateTask";

let db: TestDatabase;
let child: Bun.Subprocess;
let httpUrl: string;
let grpcUrl: string;
let token: string;
const dataDir = tempDir("todo-limits");

beforeAll(async () => {
  db = await createTestDatabase();
  const started = await startMainProcess(dataDir, [HTTP_URL, GRPC_URL], { DATABASE_URL: db.url });
  child = started.child;
  httpUrl = HTTP_URL.exec(started.output())?.[1] as string;
  grpcUrl = GRPC_URL.exec(started.output())?.[1] as string;
  const auth = createClient(AuthService, createConnectTransport({ baseUrl: httpUrl, httpVersion: "1.1" }));
  const res = await auth.signUp({
    email: `limits-${crypto.randomUUID()}@example.com`,
    password: "limits password",
  });
  token = res.accessToken;
}, 60_000);
afterAll(async () => {
  child?.kill("SIGKILL");
  await child?.exited;
  await db?.drop();
  removeDir(dataDir);
});

/** The server's resident memory now, in MB (from /proc, so it is the child's, not this process's). */
function serverRssMb(): number {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

/** Every UTF-16 unit of `s` as a `\uXXXX` escape: the longest JSON spelling of a string. */
function escapeAll(s: string): string {
  return [...s]
    .flatMap((c) => (c.length === 2 ? [c.charCodeAt(0), c.charCodeAt(1)] : [c.charCodeAt(0)]))
    .map((u) => `\\u${u.toString(16).padStart(4, "0")}`)
    .join("");
}

/** CreateTask with every field at its limit, every character a 12-byte surrogate-pair escape. */
function largestCreateTask(): string {
  const wide = (n: number, first = "") => first + "😀".repeat(n - [...first].length);
  const str = (s: string) => `"${escapeAll(s)}"`;
  const tags = Array.from({ length: LIMITS.tags }, (_, i) =>
    str(wide(LIMITS.tag, String.fromCodePoint(0x1f400 + i))),
  );
  const days = Array.from({ length: 31 }, (_, i) => i + 1).join(",");
  const rrule = `FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYMONTHDAY=${days};BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=${Array.from({ length: 24 }, (_, i) => i).join(",")}`;
  const reminders = Array.from(
    { length: LIMITS.reminders },
    (_, i) => `{"beforeDue":"${i * 3600 + 1}.000000001s"}`,
  );
  return (
    `{"task":{"title":${str(wide(LIMITS.title))},"description":${str(wide(LIMITS.description))},` +
    `"priority":"PRIORITY_URGENT","tags":[${tags.join(",")}],"dueTime":"2031-12-31T23:59:59.999999999Z",` +
    `"timeZone":${str("America/Argentina/Buenos_Aires")},"recurrence":{"rrule":${str(rrule)},` +
    `"anchor":"RECURRENCE_ANCHOR_COMPLETION"},"reminders":[${reminders.join(",")}]},` +
    `"requestId":${str(wide(LIMITS.requestId))}}`
  );
}

describe("read limits", () => {
  test("the largest legal request fits the limit and is accepted", async () => {
    const body = largestCreateTask();
    const bytes = new TextEncoder().encode(body).byteLength;
    console.log(`largest legal CreateTask: ${bytes} bytes of JSON; limit ${DEFAULT_READ_MAX_BYTES}`);
    expect(bytes).toBeGreaterThan(140_000);
    expect(bytes).toBeLessThan(DEFAULT_READ_MAX_BYTES);
    const res = await fetch(`${httpUrl}${CREATE_TASK}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body,
    });
    const answer = (await res.json()) as { task?: { description: string; tags: string[] }; message?: string };
    expect(answer.message).toBeUndefined();
    expect([...(answer.task?.description ?? "")].length).toBe(LIMITS.description);
    expect(answer.task?.tags.length).toBe(LIMITS.tags);
  });

  test("a content-length over the limit is 413 before the body is sent", async () => {
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(`${httpUrl}${CREATE_TASK}`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(200 * 1024 * 1024) },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, text });
          req.destroy();
        });
      });
      req.on("error", reject);
      req.write("{"); // headers and one byte: the answer must not wait for the other 200 MB
    });
    expect(status).toBe(413);
    expect(JSON.parse(text)).toMatchObject({ code: "resource_exhausted" });
    expect(JSON.parse(text).message).toContain(`the most a request may have is`);
  });

  test("20 bodies of 200 MB at once, streamed over Connect and gRPC: refused, server under 300 MB", async () => {
    const MB = 1024 * 1024;
    const chunk = new Uint8Array(MB).fill(0x61);
    const before = serverRssMb();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, serverRssMb());
    }, 10);
    const connect = async () => {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (sent++ >= 200) c.close();
          else c.enqueue(chunk);
        },
      });
      const res = await fetch(`${httpUrl}${CREATE_TASK}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body,
        duplex: "half",
      } as RequestInit);
      return ((await res.json()) as { code: string }).code;
    };
    const grpc = async () => {
      const { stream, outcome } = openGrpcCall(grpcUrl, CREATE_TASK, { authorization: `Bearer ${token}` });
      const header = new Uint8Array(5);
      new DataView(header.buffer).setUint32(1, 200 * MB); // a message announced as 200 MB
      stream.write(header);
      let sent = 0;
      const pump = () => {
        while (sent < 200 && !stream.destroyed) {
          sent++;
          if (!stream.write(chunk)) return void stream.once("drain", pump);
        }
        if (!stream.destroyed) stream.end();
      };
      stream.on("error", () => {}); // the server's cancel after its answer
      pump();
      return (await outcome).code;
    };
    const started = performance.now();
    const codes = await Promise.all([
      ...Array.from({ length: 20 }, connect),
      ...Array.from({ length: 20 }, grpc),
    ]);
    clearInterval(sampler);
    const ms = performance.now() - started;
    console.log(
      `40 oversize bodies (20 Connect, 20 gRPC, 200 MB each) refused in ${ms.toFixed(0)} ms; ` +
        `server RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB`,
    );
    expect(codes.slice(0, 20)).toEqual(Array(20).fill("resource_exhausted"));
    expect(codes.slice(20)).toEqual(Array(20).fill("resource_exhausted"));
    expect(peak).toBeLessThan(300);
  }, 120_000);
});
