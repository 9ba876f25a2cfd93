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
import { withSessionCheck } from "@todo/platform/serving";
import { createTestDatabase, type TestDatabase } from "@todo/platform/testing";
import { createAuthService, createIdentitySessionCheck } from "./identity-service";
import { createRateLimiter, type RateLimitSettings } from "./rate-limit";
import { createIdentityStore, migrateIdentity } from "./store";
import { authValidators } from "./validation";

/** Signs and verifies signatures only. */
const signer = createTokenService({
  secret: "identity-test-secret-0123456789-abcdef",
  issuer: "todo",
  audience: "todo-api",
  ttlSeconds: 3600,
});
const limitSettings: RateLimitSettings = {
  signInPerAccount: 10,
  signInPerAddress: 100,
  signUpPerAddress: 100,
  windowSeconds: 900,
};

let db: TestDatabase;
/** The service's own token service: signatures, then the session check against its tables. */
let tokens: ReturnType<typeof withSessionCheck>;
let client: ReturnType<typeof createClient<typeof AuthService>>;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrateIdentity(db.sql);
  const store = createIdentityStore(db.sql);
  // A long cache: what SignOut does to it must not depend on time running out.
  tokens = withSessionCheck(signer, createIdentitySessionCheck(store), { ttlMs: 60_000, staleMs: 0 });
  const limits = { limiter: createRateLimiter(db.sql, limitSettings), settings: limitSettings };
  const transport = createRouterTransport(
    (router) => router.service(AuthService, createAuthService({ store, tokens, limits })),
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
      password: "a quiet zebra",
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
      await expect(signer.verify(token)).rejects.toThrow();
    }
    const expired = createTokenService({ ...base, ttlSeconds: -120 });
    const { token } = await expired.issue(principal);
    const err = await rejection(client.getCurrentUser({}, { headers: { authorization: `Bearer ${token}` } }));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(err.rawMessage).toContain("expired");
  });
});

describe("weak passwords (NIST SP 800-63B)", () => {
  test("common passwords, in any case, and the e-mail address are INVALID_ARGUMENT naming password", async () => {
    const before = await countUsers();
    for (const [email, password] of [
      ["weak1@example.com", "password"],
      ["weak2@example.com", "12345678"],
      ["weak3@example.com", "Password1"],
      ["weak4@example.com", "QWERTYUIOP"],
      ["grace.hopper@example.com", "grace.hopper"],
      ["grace.hopper@example.com", "Grace.Hopper@Example.com"],
    ] as const) {
      const err = await rejection(client.signUp({ email, password }));
      expect(err.code).toBe(Code.InvalidArgument);
      const violations = err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations);
      expect(violations.map((v) => v.field)).toEqual(["password"]);
      expect(err.rawMessage).toStartWith("password: ");
    }
    expect(await countUsers()).toBe(before);
    // No composition rules: eight lower-case letters that are not common are fine.
    const ok = await client.signUp({ email: "plain@example.com", password: "zebrafog" });
    expect(ok.user?.email).toBe("plain@example.com");
  });
});

describe("sessions", () => {
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  test("a well-signed token for a user that never existed is UNAUTHENTICATED", async () => {
    for (const principal of [
      { userId: "0190f0c2-0000-7000-8000-000000000001", email: "ghost@example.com", timeZone: "UTC" },
      {
        userId: "0190f0c2-0000-7000-8000-000000000002",
        email: "g@example.com",
        timeZone: "UTC",
        sessionId: "0190f0c2-0000-7000-8000-000000000003",
      },
      { userId: "not-a-uuid", email: "g@example.com", timeZone: "UTC" },
    ]) {
      const { token } = await signer.issue(principal);
      expect((await signer.verify(token)).userId).toBe(principal.userId);
      const err = await rejection(client.getCurrentUser({}, bearer(token)));
      expect(err.code).toBe(Code.Unauthenticated);
      expect(err.rawMessage).toContain("sign in again");
    }
  });

  test("SignOut ends this token's session at once here; other sessions live on", async () => {
    await client.signUp({ email: "leaver@example.com", password: "leaving on a jet plane" });
    const a = await client.signIn({ email: "leaver@example.com", password: "leaving on a jet plane" });
    const b = await client.signIn({ email: "leaver@example.com", password: "leaving on a jet plane" });
    expect((await client.getCurrentUser({}, bearer(a.accessToken))).user?.email).toBe("leaver@example.com");
    const out = await client.signOut({}, bearer(a.accessToken));
    expect(out.endedSessions).toBe(1);
    const refused = await rejection(client.getCurrentUser({}, bearer(a.accessToken)));
    expect(refused.code).toBe(Code.Unauthenticated);
    expect((await client.getCurrentUser({}, bearer(b.accessToken))).user?.email).toBe("leaver@example.com");
    // Signing out everywhere ends the rest.
    expect((await client.signOut({ allSessions: true }, bearer(b.accessToken))).endedSessions).toBe(2);
    expect((await rejection(client.getCurrentUser({}, bearer(b.accessToken)))).code).toBe(
      Code.Unauthenticated,
    );
  });

  test("another replica's cache refuses a signed-out or deleted account's token within its TTL", async () => {
    const ttlMs = 300;
    const replica = withSessionCheck(signer, createIdentitySessionCheck(createIdentityStore(db.sql)), {
      ttlMs,
      staleMs: 0,
    });
    const up = await client.signUp({ email: "replica@example.com", password: "two places at once" });
    expect((await replica.verify(up.accessToken)).email).toBe("replica@example.com");
    await client.signOut({}, bearer(up.accessToken));
    // Still remembered as valid there (the TTL has not run out) ...
    expect((await replica.verify(up.accessToken)).email).toBe("replica@example.com");
    await Bun.sleep(ttlMs + 50);
    // ... and refused once it has.
    expect(ConnectError.from(await replica.verify(up.accessToken).catch((e) => e)).code).toBe(
      Code.Unauthenticated,
    );

    // Deleting the account ends its sessions (on delete cascade) and so its tokens.
    const gone = await client.signIn({ email: "ada@example.com", password: "correct horse" });
    expect((await replica.verify(gone.accessToken)).email).toBe("ada@example.com");
    await db.sql`delete from identity.users where email = 'ada@example.com'`;
    await Bun.sleep(ttlMs + 50);
    expect(ConnectError.from(await replica.verify(gone.accessToken).catch((e) => e)).code).toBe(
      Code.Unauthenticated,
    );
  });

  test("a token with no session cannot sign out, and SignOut needs a token", async () => {
    await client.signUp({ email: "acting@example.com", password: "acting on my behalf" });
    const me = await client.signIn({ email: "acting@example.com", password: "acting on my behalf" });
    const { token } = await signer.issue({
      userId: me.user?.id as string,
      email: "acting@example.com",
      timeZone: "UTC",
    });
    // Accepted (the account exists) ...
    expect((await client.getCurrentUser({}, bearer(token))).user?.email).toBe("acting@example.com");
    // ... but it names no session to end.
    expect((await rejection(client.signOut({}, bearer(token)))).code).toBe(Code.FailedPrecondition);
    expect((await rejection(client.signOut({}))).code).toBe(Code.Unauthenticated);
  });
});

describe("UpdateUser", () => {
  const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  test("a new account's week starts on Monday; the mask's fields change and a fresh token carries them", async () => {
    const up = await client.signUp({ email: "profile@example.com", password: "a patient otter" });
    expect(up.user?.weekStart).toBe(1);
    expect((await tokens.verify(up.accessToken)).weekStart).toBe(1);
    const res = await client.updateUser(
      {
        user: { displayName: "  Ada L. ", timeZone: "america/new_york", weekStart: 7 },
        updateMask: { paths: ["time_zone", "week_start"] },
      },
      auth(up.accessToken),
    );
    expect(res.user?.timeZone).toBe("America/New_York");
    expect(res.user?.weekStart).toBe(7);
    expect(res.user?.displayName).toBe("profile"); // not in the mask: unchanged
    const principal = await tokens.verify(res.accessToken);
    expect(principal).toMatchObject({ timeZone: "America/New_York", weekStart: 7 });
    expect(principal.sessionId).toBe((await tokens.verify(up.accessToken)).sessionId as string);
    const again = await client.signIn({ email: "profile@example.com", password: "a patient otter" });
    expect(again.user).toMatchObject({ timeZone: "America/New_York", weekStart: 7 });
    const named = await client.updateUser(
      { user: { displayName: "  Ada L. " }, updateMask: { paths: ["display_name"] } },
      auth(res.accessToken),
    );
    expect(named.user).toMatchObject({ displayName: "Ada L.", weekStart: 7 });
  });

  test("bad values and masks are INVALID_ARGUMENT naming the field, and change nothing", async () => {
    const up = await client.signUp({ email: "badprofile@example.com", password: "a restless heron" });
    const cases: [Parameters<typeof client.updateUser>[0], string][] = [
      { user: { timeZone: "Mars/Olympus" }, updateMask: { paths: ["time_zone"] } },
      { user: { weekStart: 8 }, updateMask: { paths: ["week_start"] } },
      { user: { weekStart: 0 }, updateMask: { paths: ["week_start"] } },
      { user: { displayName: "   " }, updateMask: { paths: ["display_name"] } },
      { user: { email: "x@example.com" }, updateMask: { paths: ["email"] } },
      { user: {}, updateMask: { paths: [] } },
    ].map((req, i) => [
      req,
      [
        "user.time_zone",
        "user.week_start",
        "user.week_start",
        "user.display_name",
        "update_mask",
        "update_mask",
      ][i] as string,
    ]);
    for (const [req, field] of cases) {
      const err = await rejection(client.updateUser(req, auth(up.accessToken)));
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field))).toEqual(
        [field],
      );
    }
    const me = await client.getCurrentUser({}, auth(up.accessToken));
    expect(me.user).toMatchObject({ email: "badprofile@example.com", timeZone: "UTC", weekStart: 1 });
  });

  test("needs a token with a session", async () => {
    const up = await client.signUp({ email: "actingprofile@example.com", password: "a curious badger" });
    const acting = await signer.issue({
      userId: up.user?.id as string,
      email: "actingprofile@example.com",
      timeZone: "UTC",
    });
    const err = await rejection(
      client.updateUser(
        { user: { weekStart: 3 }, updateMask: { paths: ["week_start"] } },
        auth(acting.token),
      ),
    );
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(
      (await rejection(client.updateUser({ user: {}, updateMask: { paths: ["week_start"] } }))).code,
    ).toBe(Code.Unauthenticated);
  });
});
