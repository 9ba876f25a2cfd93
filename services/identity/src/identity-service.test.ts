import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { BadRequestSchema } from "@todo/gen/google/rpc/error_details_pb";
import { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import {
  createAuthInterceptor,
  createErrorInterceptor,
  createTokenService,
  createValidationInterceptor,
} from "@todo/platform";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { createAuthService } from "./identity-service";
import { createIdentityStore, migrateIdentity } from "./store";
import { authValidators } from "./validation";

const tokens = createTokenService({
  secret: "identity-test-secret-0123456789-abcdef",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 3600,
});

let db: TestDatabase;
let client: ReturnType<typeof createClient<typeof AuthService>>;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateIdentity(db.sql);
  const transport = createRouterTransport(
    (router) =>
      router.service(AuthService, createAuthService({ store: createIdentityStore(db.sql), tokens })),
    {
      router: {
        interceptors: [
          createErrorInterceptor("test"),
          createAuthInterceptor(tokens, [
            "todo.identity.v1.AuthService.SignUp",
            "todo.identity.v1.AuthService.SignIn",
          ]),
          createValidationInterceptor(new Map([[AuthService, authValidators]])),
        ],
      },
    },
  );
  client = createClient(AuthService, transport);
});

afterAll(async () => {
  await db.drop();
});

async function rejection(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail");
}

async function countUsers(): Promise<number> {
  const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from identity.users`;
  return row?.n ?? -1;
}

describe("AuthService", () => {
  test("sign up returns a token for the new user, with defaults filled in", async () => {
    const res = await client.signUp({ email: "  Ada@Example.com ", password: "correct horse", timeZone: "" });
    expect(res.user?.email).toBe("ada@example.com");
    expect(res.user?.displayName).toBe("ada");
    expect(res.user?.timeZone).toBe("UTC");
    const principal = await tokens.verify(res.accessToken);
    expect(principal.userId).toBe(res.user?.id as string);
    expect(Number(res.expireTime?.seconds)).toBeGreaterThan(Date.now() / 1000 + 3500);
  });

  test("the time zone is stored in its canonical spelling", async () => {
    const res = await client.signUp({
      email: "tz@example.com",
      password: "password1",
      timeZone: "europe/berlin",
    });
    expect(res.user?.timeZone).toBe("Europe/Berlin");
    expect((await tokens.verify(res.accessToken)).timeZone).toBe("Europe/Berlin");
  });

  test("an address already in use is ALREADY_EXISTS, ignoring case", async () => {
    const before = await countUsers();
    const err = await rejection(client.signUp({ email: "ADA@example.com", password: "another password" }));
    expect(err.code).toBe(Code.AlreadyExists);
    expect(await countUsers()).toBe(before);
  });

  test("bad input names each field and writes nothing", async () => {
    const before = await countUsers();
    const err = await rejection(
      client.signUp({ email: "not-an-address", password: "short", timeZone: "Mars/Olympus" }),
    );
    expect(err.code).toBe(Code.InvalidArgument);
    const fields = err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field));
    expect(fields.sort()).toEqual(["email", "password", "time_zone"]);
    expect(err.rawMessage).toContain("Mars/Olympus");
    expect(await countUsers()).toBe(before);
    const missing = await rejection(client.signUp({ password: "long enough" }));
    expect(missing.code).toBe(Code.InvalidArgument);
    expect(missing.rawMessage).toContain("email");
  });

  test("sign in with the right password; a wrong password or address gets the same answer", async () => {
    const ok = await client.signIn({ email: "ada@example.com", password: "correct horse" });
    expect(ok.user?.email).toBe("ada@example.com");
    const wrongPassword = await rejection(
      client.signIn({ email: "ada@example.com", password: "wrong horse" }),
    );
    const unknown = await rejection(
      client.signIn({ email: "nobody@example.com", password: "correct horse" }),
    );
    expect(wrongPassword.code).toBe(Code.Unauthenticated);
    expect(unknown.code).toBe(Code.Unauthenticated);
    expect(wrongPassword.rawMessage).toBe(unknown.rawMessage);
  });

  test("passwords are stored as Argon2id hashes", async () => {
    const [row] = await db.sql<{ password_hash: string }[]>`
      select password_hash from identity.users where email = 'ada@example.com'`;
    expect(row?.password_hash.startsWith("$argon2id$")).toBe(true);
    expect(row?.password_hash).not.toContain("correct horse");
  });

  test("GetCurrentUser needs a valid token", async () => {
    const { accessToken, user } = await client.signIn({
      email: "ada@example.com",
      password: "correct horse",
    });
    const me = await client.getCurrentUser({}, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.user?.id).toBe(user?.id as string);
    const none = await rejection(client.getCurrentUser({}));
    expect(none.code).toBe(Code.Unauthenticated);
    const forged = await rejection(
      client.getCurrentUser({}, { headers: { authorization: `Bearer ${accessToken.slice(0, -4)}AAAA` } }),
    );
    expect(forged.code).toBe(Code.Unauthenticated);
  });

  test("tokens from another issuer, audience or key, or expired, are refused", async () => {
    const principal = {
      userId: "0190f0c2-0000-7000-8000-000000000000",
      email: "x@example.com",
      timeZone: "UTC",
    };
    const base = {
      secret: "identity-test-secret-0123456789-abcdef",
      issuer: "todo",
      audience: "todo-api",
      ttlSeconds: 60,
    };
    for (const other of [
      createTokenService({ ...base, issuer: "someone-else" }),
      createTokenService({ ...base, audience: "another-api" }),
      createTokenService({ ...base, secret: "a-completely-different-secret-0123456789" }),
    ]) {
      const { token } = await other.issue(principal);
      await expect(tokens.verify(token)).rejects.toThrow();
    }
    const expired = createTokenService({ ...base, ttlSeconds: -120 });
    const { token } = await expired.issue(principal);
    const err = await rejection(client.getCurrentUser({}, { headers: { authorization: `Bearer ${token}` } }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toContain("expired");
  });
});
