/**
 * Test helper for the one-process server: starts `startApp` on free ports against PGlite or a real
 * PostgreSQL, and gives tests every kind of client the server must answer — connect-node's gRPC
 * (h2c), Connect (HTTP/1.1) and gRPC-web (HTTP/1.1) transports, `@grpc/grpc-js`, `buf curl` and plain
 * `curl` — so the end-to-end suites talk to it only through real sockets.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type {
  DescMessage,
  DescMethodUnary,
  DescService,
  MessageInitShape,
  MessageShape,
} from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type Client,
  type ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { type App, type AppConfig, startApp } from "@todo/embedded";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { TagService } from "@todo/gen/todo/tag/v1/tag_service_pb";
import { TaskService } from "@todo/gen/todo/task/v1/task_service_pb";
import { createTestDatabase } from "@todo/platform/testing";

/** The repository root (for `node_modules/.bin/buf` and subprocesses). */
export const repoRoot = resolve(import.meta.dir, "..", "..", "..");

/** Which database a test app runs on. */
export type DatabaseKind = "pglite" | "postgres";

/** A running app plus the addresses and transports tests use. */
export interface TestApp {
  readonly app: App;
  readonly kind: DatabaseKind;
  /** `http://127.0.0.1:<PORT>`: Connect, gRPC-web and the web page over HTTP/1.1. */
  readonly httpUrl: string;
  /** `http://127.0.0.1:<GRPC_PORT>`: gRPC and Connect over h2c. */
  readonly grpcUrl: string;
  /** `127.0.0.1:<GRPC_PORT>`, as grpc-js wants it. */
  readonly grpcAddress: string;
  /** A transport of the given protocol, optionally sending `authorization: Bearer <token>`. */
  transport(protocol: Protocol, token?: string): Transport;
  close(): Promise<void>;
}

/** The client protocols the server speaks. */
export type Protocol = "grpc" | "connect-h2" | "connect" | "grpc-web";

/** Options of {@link startTestApp}. */
export interface TestAppOptions {
  /** PGlite data directory; `memory://` (the default) keeps nothing. Ignored for PostgreSQL. */
  readonly dataDir?: string;
  /** A PostgreSQL URL to reuse instead of creating a fresh test database. */
  readonly databaseUrl?: string;
}

/** The signing key every test app shares, so a token survives a restart of the same data. */
export const TEST_JWT_SECRET = "embedded-test-secret-0123456789-abcdefghijklmnop";

/** An interceptor that sends the access token. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/**
 * Starts the whole app on free ports. For `postgres` it needs `DATABASE_URL` (set by `bun run test`)
 * and fails loudly without it; the fresh database it creates is dropped by `close()`.
 */
export async function startTestApp(kind: DatabaseKind, options: TestAppOptions = {}): Promise<TestApp> {
  let databaseUrl: string | undefined;
  let dropDatabase: () => Promise<void> = async () => {};
  if (kind === "postgres") {
    if (options.databaseUrl) databaseUrl = options.databaseUrl;
    else {
      // createTestDatabase throws, saying how to fix it, when DATABASE_URL is unset: never skipped.
      const db = await createTestDatabase();
      databaseUrl = db.url;
      dropDatabase = () => db.drop();
    }
  }
  const config: AppConfig = {
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    dataDir: options.dataDir ?? "memory://",
    databaseUrl,
    jwtSecret: TEST_JWT_SECRET,
    jwtTtlSeconds: 3600,
    // No built web app: the server answers `/` with its placeholder page.
    webDist: join(tmpdir(), "todo-no-web-dist"),
  };
  const app = await startApp(config);
  const httpUrl = `http://127.0.0.1:${app.server.httpPort}`;
  const grpcUrl = `http://127.0.0.1:${app.server.grpcPort}`;
  return {
    app,
    kind,
    httpUrl,
    grpcUrl,
    grpcAddress: `127.0.0.1:${app.server.grpcPort}`,
    transport(protocol, token) {
      const interceptors = token ? [bearer(token)] : [];
      return protocol === "grpc"
        ? createGrpcTransport({ baseUrl: grpcUrl, interceptors })
        : protocol === "connect-h2"
          ? createConnectTransport({ baseUrl: grpcUrl, httpVersion: "2", interceptors })
          : protocol === "connect"
            ? createConnectTransport({ baseUrl: httpUrl, httpVersion: "1.1", interceptors })
            : createGrpcWebTransport({ baseUrl: httpUrl, httpVersion: "1.1", interceptors });
    },
    async close() {
      await app.close();
      await dropDatabase();
    },
  };
}

/** A signed-up user with clients for every service over one protocol. */
export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly password: string;
  readonly token: string;
  readonly auth: Client<typeof AuthService>;
  readonly tasks: Client<typeof TaskService>;
  readonly tags: Client<typeof TagService>;
}

let userCounter = 0;

/** Signs up a fresh user (unique e-mail) and returns clients carrying its token. */
export async function signUpUser(
  server: TestApp,
  options: { protocol?: Protocol; timeZone?: string; name?: string } = {},
): Promise<TestUser> {
  const protocol = options.protocol ?? "grpc";
  const email = `${options.name ?? "user"}-${++userCounter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const password = "correct horse battery staple";
  const res = await createClient(AuthService, server.transport(protocol)).signUp({
    email,
    password,
    displayName: options.name ?? "Test User",
    timeZone: options.timeZone ?? "Europe/Berlin",
  });
  const transport = server.transport(protocol, res.accessToken);
  return {
    id: res.user?.id ?? "",
    email,
    password,
    token: res.accessToken,
    auth: createClient(AuthService, transport),
    tasks: createClient(TaskService, transport),
    tags: createClient(TagService, transport),
  };
}

/** The field paths of the `google.rpc.BadRequest` violations attached to an error. */
export function violatedFields(err: ConnectError): string[] {
  return err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
}

/** Runs `fn` and returns the error it throws; fails when it does not throw. */
export async function rejection<E = ConnectError>(fn: () => Promise<unknown>): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return err as E;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** A fresh temporary directory; remove it with {@link removeDir}. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

/** Removes a directory tree, ignoring a missing one. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `bun services/embedded/src/main.ts` as a child, and everything it printed so far. */
export interface MainProcess {
  readonly child: Bun.Subprocess<"ignore", "pipe", "pipe">;
  /** stdout and stderr so far. */
  output(): string;
}

/**
 * Reads a child's stdout and stderr as they come and returns what they wrote so far (the last
 * `maxChars` characters when given), for waiting on its start-up lines and for error messages.
 */
export function collectOutput(
  child: { readonly stdout: ReadableStream<Uint8Array>; readonly stderr: ReadableStream<Uint8Array> },
  maxChars?: number,
): () => string {
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (maxChars !== undefined && text.length > maxChars) text = text.slice(-maxChars);
    }
  };
  void pump(child.stdout);
  void pump(child.stderr);
  return () => text;
}

/**
 * Starts main.ts on free ports with the embedded store in `dataDir` (dropping the test run's
 * DATABASE_URL, JWT_SECRET, WEB_DIST and OTEL_* so it generates its own key), plus `env`, and waits
 * until its output matches every pattern of `ready` (30 s at most).
 */
export async function startMainProcess(
  dataDir: string,
  ready: readonly RegExp[],
  env: Record<string, string> = {},
): Promise<MainProcess> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !["DATABASE_URL", "JWT_SECRET", "WEB_DIST"].includes(k) && !k.startsWith("OTEL_"))
      childEnv[k] = v;
  }
  Object.assign(childEnv, { PORT: "0", GRPC_PORT: "0", HOST: "127.0.0.1", TODO_DATA_DIR: dataDir }, env);
  const child = Bun.spawn([process.execPath, join(repoRoot, "services", "embedded", "src", "main.ts")], {
    cwd: repoRoot,
    env: childEnv,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = collectOutput(child);
  const deadline = Date.now() + 30_000;
  while (!ready.every((r) => r.test(output()))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`main.ts did not start (exit ${child.exitCode}):\n${output()}`);
    }
    await Bun.sleep(50);
  }
  return { child, output };
}

// ---------------------------------------------------------------------------------------------
// @grpc/grpc-js: an independent gRPC implementation, with protobuf-es doing the (de)serialising.

/** A grpc-js failure: the gRPC status code and message. */
export interface GrpcJsError extends Error {
  readonly code: grpc.status;
  readonly details: string;
  readonly metadata: grpc.Metadata;
}

/** A plain grpc-js channel to the h2c port (no TLS); close it with `close()`. */
export function grpcJsClient(address: string): grpc.Client {
  return new grpc.Client(address, grpc.credentials.createInsecure());
}

/** Calls a unary method through grpc-js, sending `authorization: Bearer <token>` when given. */
export function grpcJsUnary<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  service: DescService,
  method: DescMethodUnary<I, O>,
  request: MessageInitShape<I>,
  token?: string,
): Promise<MessageShape<O>> {
  const metadata = new grpc.Metadata();
  if (token) metadata.set("authorization", `Bearer ${token}`);
  const message = create(method.input, request);
  return new Promise((resolvePromise, reject) => {
    client.makeUnaryRequest(
      `/${service.typeName}/${method.name}`,
      (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, b),
      message,
      metadata,
      { deadline: Date.now() + 10_000 },
      (err, value) => (err ? reject(err) : resolvePromise(value as MessageShape<O>)),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Command-line clients.

/** What a finished command printed. */
export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (stdin closed), killing it after `timeoutMs`. */
export async function run(cmd: string[], timeoutMs = 15_000): Promise<CommandResult> {
  const child = Bun.spawn(cmd, { cwd: repoRoot, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}

/**
 * `buf curl --protocol grpc --http2-prior-knowledge` against the h2c port, using the server's
 * reflection for the schema. `path` is `todo.task.v1.TaskService/ListTasks`.
 */
export function bufCurl(
  grpcUrl: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<CommandResult> {
  const cmd = [
    join(repoRoot, "node_modules", ".bin", "buf"),
    "curl",
    "--protocol",
    "grpc",
    "--http2-prior-knowledge",
    "-d",
    JSON.stringify(body),
  ];
  if (token) cmd.push("-H", `authorization: Bearer ${token}`);
  cmd.push(`${grpcUrl}/${path}`);
  return run(cmd);
}

/** A plain `curl` Connect unary call with a JSON body over HTTP/1.1: the HTTP status and the parsed body. */
export async function curlConnect(
  httpUrl: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; contentType: string; json: Record<string, unknown> }> {
  const cmd = [
    "curl",
    "-sS",
    "--http1.1",
    "-H",
    "content-type: application/json",
    "-d",
    JSON.stringify(body),
  ];
  if (token) cmd.push("-H", `authorization: Bearer ${token}`);
  cmd.push("-w", "\n%{http_code} %{content_type}", `${httpUrl}/${path}`);
  const result = await run(cmd);
  if (result.exitCode !== 0) throw new Error(`curl failed (${result.exitCode}): ${result.stderr}`);
  const cut = result.stdout.lastIndexOf("\n");
  const [status, contentType = ""] = result.stdout.slice(cut + 1).split(" ");
  return {
    status: Number(status),
    contentType,
    json: JSON.parse(result.stdout.slice(0, cut)) as Record<string, unknown>,
  };
}
