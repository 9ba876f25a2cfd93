/**
 * The sign-in and sign-up rate limits, through a real server (so requests have a client address)
 * on a real PostgreSQL. The window is a few seconds here so that "after the window" needs no wait
 * of 15 minutes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { RetryInfoSchema } from "@todo/gen/google/rpc/error_details_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { createTokenService, defineService, type RunningServer, startServer } from "@todo/platform";
import { withSessionCheck } from "@todo/platform/serving";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { createAuthService, createIdentitySessionCheck } from "./identity-service";
import { createRateLimiter, type RateLimitSettings } from "./rate-limit";
import { createIdentityStore, migrateIdentity } from "./store";
import { authValidators } from "./validation";

/** Long enough for ten Argon2id checks on a busy machine, short enough to wait out. */
const WINDOW_SECONDS = 10;
let db: TestDatabase;
const servers: RunningServer[] = [];

/**
 * Starts the identity service alone on free ports with these limits, on counters of its own (the
 * servers share one database, and every test client's address is 127.0.0.1).
 */
async function startIdentity(settings: RateLimitSettings, trustedProxyHops = 0): Promise<RunningServer> {
  await db.sql`delete from identity.rate_limits`;
  const store = createIdentityStore(db.sql);
  const tokens = withSessionCheck(
    createTokenService({
      secret: "rate-limit-test-secret-0123456789-abcdef",
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: 600,
    }),
    createIdentitySessionCheck(store),
    { ttlMs: 1000, staleMs: 0 },
  );
  const limits = { limiter: createRateLimiter(db.sql, settings), settings };
  const server = await startServer({
    name: "identity-test",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    tokens,
    publicMethods: ["todo.identity.v1.AuthService.SignUp", "todo.identity.v1.AuthService.SignIn"],
    services: [
      defineService(
        AuthService,
        createAuthService({ store, tokens, limits, trustedProxyHops }),
        authValidators,
      ),
    ],
  });
  servers.push(server);
  return server;
}

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

let server: RunningServer;
let auth: ReturnType<typeof createClient<typeof AuthService>>;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateIdentity(db.sql);
  server = await startIdentity({
    signInPerAccount: 10,
    signInPerAddress: 1000,
    signUpPerAddress: 1000,
    windowSeconds: WINDOW_SECONDS,
  });
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpcPort}` }));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await db.drop();
});

describe("sign-in rate limits", () => {
  test("the 11th rapid attempt is refused, even with the right password, and accepted after the window", async () => {
    const email = "guessed@example.com";
    const password = "the right one at last";
    await auth.signUp({ email, password });
    for (let i = 1; i <= 10; i++) {
      const err = await failure(auth.signIn({ email, password: `wrong guess ${i}` }));
      expect(err.code).toBe(Code.Unauthenticated);
    }
    const eleventh = await failure(auth.signIn({ email, password: "wrong guess 11" }));
    expect(eleventh.code).toBe(Code.ResourceExhausted);
    expect(eleventh.rawMessage).toMatch(
      /^too many sign-in attempts for this account: try again in \d+ seconds$/,
    );
    const [retry] = eleventh.findDetails(RetryInfoSchema);
    const delayMs = retry?.retryDelay ? durationMs(retry.retryDelay) : 0;
    expect(delayMs).toBeGreaterThan(0);
    expect(delayMs).toBeLessThanOrEqual(WINDOW_SECONDS * 1000);
    // The right password does not get through while the window lasts.
    expect((await failure(auth.signIn({ email, password }))).code).toBe(Code.ResourceExhausted);
    await Bun.sleep(delayMs + 100);
    const ok = await auth.signIn({ email, password });
    expect(ok.user?.email).toBe(email);
  }, 30_000);

  test("100 parallel wrong attempts: at most the limit reach the password check", async () => {
    const email = "stormed@example.com";
    await auth.signUp({ email, password: "a storm of guesses" });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => failure(auth.signIn({ email, password: `parallel guess ${i}` }))),
    );
    const codes = results.map((e) => e.code);
    const checked = codes.filter((c) => c === Code.Unauthenticated).length;
    const refused = codes.filter((c) => c === Code.ResourceExhausted).length;
    expect(checked).toBeLessThanOrEqual(10);
    expect(checked + refused).toBe(100);
    // The count in the database says the same: every attempt was charged.
    const [row] = await db.sql<{ hits: number }[]>`
      select hits from identity.rate_limits where key = ${`signin-account:${email}`}`;
    expect(row?.hits).toBe(100);
  }, 60_000);

  test("over HTTP the answer is 429 with Retry-After", async () => {
    const email = "http-guessed@example.com";
    await auth.signUp({ email, password: "plain old http here" });
    const post = () =>
      fetch(`http://127.0.0.1:${server.httpPort}/todo.identity.v1.AuthService/SignIn`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password: "not it" }),
      });
    for (let i = 0; i < 10; i++) expect((await post()).status).toBe(401);
    const res = await post();
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
    const body = (await res.json()) as { code: string; details?: { type: string }[] };
    expect(body.code).toBe("resource_exhausted");
    expect(body.details?.map((d) => d.type)).toContain("google.rpc.RetryInfo");
  }, 30_000);

  test("per address: X-Forwarded-For counts only behind a trusted proxy, and only its entry", async () => {
    const behindProxy = await startIdentity(
      { signInPerAccount: 100, signInPerAddress: 5, signUpPerAddress: 1000, windowSeconds: 60 },
      1,
    );
    const from = (xff: string) =>
      createClient(
        AuthService,
        createConnectTransport({
          baseUrl: `http://127.0.0.1:${behindProxy.httpPort}`,
          httpVersion: "1.1",
          interceptors: [
            (next) => (req) => {
              req.header.set("x-forwarded-for", xff);
              return next(req);
            },
          ],
        }),
      );
    // Five accounts guessed from one address; the client-written entries on the left are ignored.
    for (let i = 0; i < 5; i++) {
      const client = from(`10.9.9.${i}, 203.0.113.7`);
      expect(
        (await failure(client.signIn({ email: `victim${i}@example.com`, password: "guess" }))).code,
      ).toBe(Code.Unauthenticated);
    }
    const sixth = await failure(
      from("10.0.0.1, 203.0.113.7").signIn({ email: "victim9@example.com", password: "guess" }),
    );
    expect(sixth.code).toBe(Code.ResourceExhausted);
    expect(sixth.rawMessage).toContain("from this address");
    // Another client behind the same proxy is not affected.
    const other = await failure(
      from("203.0.113.8").signIn({ email: "victim9@example.com", password: "guess" }),
    );
    expect(other.code).toBe(Code.Unauthenticated);

    // Without a trusted proxy the header is ignored: every one of these is the connection's address.
    const direct = await startIdentity(
      { signInPerAccount: 100, signInPerAddress: 3, signUpPerAddress: 1000, windowSeconds: 60 },
      0,
    );
    const codes: Code[] = [];
    for (let i = 0; i < 4; i++) {
      const client = createClient(
        AuthService,
        createConnectTransport({
          baseUrl: `http://127.0.0.1:${direct.httpPort}`,
          httpVersion: "1.1",
          interceptors: [
            (next) => (req) => {
              req.header.set("x-forwarded-for", `198.51.100.${i}`);
              return next(req);
            },
          ],
        }),
      );
      codes.push((await failure(client.signIn({ email: `direct${i}@example.com`, password: "guess" }))).code);
    }
    expect(codes).toEqual([
      Code.Unauthenticated,
      Code.Unauthenticated,
      Code.Unauthenticated,
      Code.ResourceExhausted,
    ]);
  }, 60_000);

  test("sign-ups are limited per address", async () => {
    const strict = await startIdentity(
      { signInPerAccount: 10, signInPerAddress: 100, signUpPerAddress: 2, windowSeconds: 60 },
      0,
    );
    const client = createClient(
      AuthService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${strict.grpcPort}` }),
    );
    await client.signUp({ email: "first@example.com", password: "first of many" });
    await client.signUp({ email: "second@example.com", password: "second of many" });
    const third = await failure(client.signUp({ email: "third@example.com", password: "third of many" }));
    expect(third.code).toBe(Code.ResourceExhausted);
    expect(third.rawMessage).toContain("sign-ups from this address");
    const [row] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from identity.users where email = 'third@example.com'`;
    expect(row?.n).toBe(0);
  }, 30_000);

  test("windows that ended are swept", async () => {
    const limiter = createRateLimiter(db.sql, {
      signInPerAccount: 10,
      signInPerAddress: 10,
      signUpPerAddress: 10,
      windowSeconds: 1,
    });
    await limiter.take([{ key: "sweep-me", limit: 10, what: "things" }]);
    await Bun.sleep(1100);
    expect(await limiter.sweep(10_000)).toBeGreaterThanOrEqual(1);
    const rows = await db.sql`select 1 from identity.rate_limits where key = 'sweep-me'`;
    expect(rows.length).toBe(0);
  });
});
