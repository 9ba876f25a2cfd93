/**
 * `todo.identity.v1.AuthService`: accounts, sessions and access tokens. Passwords are hashed with
 * Argon2id (`Bun.password`); a wrong e-mail address and a wrong password get the same answer, after
 * the same amount of work, so the API does not reveal which addresses have accounts. SignIn and
 * SignUp are rate limited per account and client address (rate-limit.ts). Every token from SignUp
 * or SignIn names a session row; SignOut deletes it, and every service's session check
 * (platform session-check.ts, answered here by `createIdentitySessionCheck`) then refuses the token.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { type User, UserSchema } from "@todo/gen/todo/identity/v1/user_pb";
import { canonicalTimeZone, createLogger, principalOf, type TokenService } from "@todo/platform";
import type { SessionCheck } from "@todo/platform/serving";
import { clientAddress } from "@todo/platform/serving";
import type { LimitKey, RateLimiter, RateLimitSettings } from "./rate-limit";
import type { IdentityStore, ProfilePatch, UserRow } from "./store";

/** What the service needs. */
export interface IdentityServiceDeps {
  readonly store: IdentityStore;
  readonly tokens: TokenService;
  /** The sign-in and sign-up limits, and where attempts are counted. */
  readonly limits: { readonly limiter: RateLimiter; readonly settings: RateLimitSettings };
  /** How many proxies in front append to `X-Forwarded-For` (client-address.ts); default 0. */
  readonly trustedProxyHops?: number;
}

const HASH = { algorithm: "argon2id" } as const;
/** Verified against when the address is unknown, so both failures cost the same. */
const decoyHash = Bun.password.hash("decoy password that matches nothing", HASH);
/** Expired sessions and rate-limit rows are swept at most this often, by whichever call comes next. */
const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 1000;

function toUser(row: UserRow): User {
  return create(UserSchema, {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    timeZone: row.time_zone,
    weekStart: row.week_start,
    createTime: timestampFromDate(row.create_time),
  });
}

/** The session check of the identity service itself: its own tables. */
export function createIdentitySessionCheck(store: IdentityStore): SessionCheck {
  return (principal) => store.sessionLive(principal.userId, principal.sessionId);
}

/** Creates the AuthService implementation. */
export function createAuthService(deps: IdentityServiceDeps): ServiceImpl<typeof AuthService> {
  const log = createLogger("identity");
  const { limiter, settings } = deps.limits;
  const hops = deps.trustedProxyHops ?? 0;
  let lastSweep = 0;
  const sweepNow = () => {
    if (Date.now() - lastSweep < SWEEP_INTERVAL_MS) return;
    lastSweep = Date.now();
    void Promise.all([deps.store.sweepSessions(SWEEP_BATCH), limiter.sweep(SWEEP_BATCH)]).catch((err) =>
      log.warn("sweeping expired sessions and rate limits failed", { err }),
    );
  };
  const addressOf = (ctx: HandlerContext) => clientAddress(ctx.values, ctx.requestHeader, hops);
  /** A token for a new session of `row`. */
  const session = async (row: UserRow, sessionId: string | undefined) => {
    const { token, expireTime } = await deps.tokens.issue({
      userId: row.id,
      email: row.email,
      timeZone: row.time_zone,
      weekStart: row.week_start,
      sessionId,
    });
    return { accessToken: token, user: toUser(row), expireTime: timestampFromDate(expireTime) };
  };
  return {
    async signUp(req, ctx) {
      sweepNow();
      const address = addressOf(ctx);
      if (address) {
        await limiter.take([
          {
            key: `signup-address:${address}`,
            limit: settings.signUpPerAddress,
            what: "sign-ups from this address",
          },
        ]);
      }
      const email = req.email.trim().toLowerCase();
      const timeZone =
        req.timeZone.trim() === "" ? "UTC" : (canonicalTimeZone(req.timeZone.trim()) as string);
      const displayName = req.displayName.trim() || (email.split("@")[0] ?? email);
      const sessionId = Bun.randomUUIDv7();
      const user = {
        id: Bun.randomUUIDv7(),
        email,
        password_hash: await Bun.password.hash(req.password, HASH),
        display_name: displayName,
        time_zone: timeZone,
      };
      // The session row lasts as long as its token; issue first to learn the expiry.
      const res = await session({ ...user, week_start: 1, create_time: new Date() }, sessionId);
      const row = await deps.store.insertUser(user, { id: sessionId, expireTime: expiryOf(res) });
      if (!row)
        throw new ConnectError("an account with this e-mail address already exists", Code.AlreadyExists);
      return { ...res, user: toUser(row) };
    },
    async signIn(req, ctx) {
      sweepNow();
      const email = req.email.trim().toLowerCase();
      const address = addressOf(ctx);
      const keys: LimitKey[] = [
        {
          key: `signin-account:${email}`,
          limit: settings.signInPerAccount,
          what: "sign-in attempts for this account",
        },
        ...(address
          ? [
              {
                key: `signin-address:${address}`,
                limit: settings.signInPerAddress,
                what: "sign-in attempts from this address",
              },
            ]
          : []),
      ];
      // The slot is taken before the password is checked, so parallel guesses cannot overtake it.
      await limiter.take(keys);
      const row = await deps.store.findByEmail(email);
      const ok = await Bun.password.verify(req.password, row?.password_hash ?? (await decoyHash));
      if (!row || !ok) throw new ConnectError("wrong e-mail address or password", Code.Unauthenticated);
      await limiter.refund(keys);
      const sessionId = Bun.randomUUIDv7();
      const res = await session(row, sessionId);
      await deps.store.insertSession({ id: sessionId, userId: row.id, expireTime: expiryOf(res) });
      return res;
    },
    async getCurrentUser(_req, ctx) {
      const principal = principalOf(ctx);
      const row = await deps.store.findById(principal.userId);
      if (!row)
        throw new ConnectError("the account of this access token no longer exists", Code.Unauthenticated);
      return { user: toUser(row) };
    },
    async updateUser(req, ctx) {
      const principal = principalOf(ctx);
      // A service's short-lived acting-as token must not be turned into a full-length one.
      if (!principal.sessionId) {
        throw new ConnectError(
          "this access token has no session (a service issued it to act for you); sign in to change your profile",
          Code.FailedPrecondition,
        );
      }
      const paths = new Set(req.updateMask?.paths ?? []);
      const user = req.user;
      // The validation interceptor has checked the mask and the values (validation.ts).
      const patch: ProfilePatch = {
        ...(paths.has("display_name") ? { display_name: user?.displayName.trim() } : {}),
        ...(paths.has("time_zone") ? { time_zone: canonicalTimeZone(user?.timeZone.trim() ?? "") } : {}),
        ...(paths.has("week_start") ? { week_start: user?.weekStart } : {}),
      };
      const row = await deps.store.updateProfile(principal.userId, patch);
      if (!row)
        throw new ConnectError("the account of this access token no longer exists", Code.Unauthenticated);
      const { accessToken, expireTime } = await session(row, principal.sessionId);
      return { user: toUser(row), accessToken, expireTime };
    },
    async signOut(req, ctx) {
      const principal = principalOf(ctx);
      if (!req.allSessions && !principal.sessionId) {
        throw new ConnectError(
          "this access token has no session to end (a service issued it to act for you); it expires on its own",
          Code.FailedPrecondition,
        );
      }
      const ended = await deps.store.endSessions(
        principal.userId,
        req.allSessions ? undefined : principal.sessionId,
      );
      const token = /^Bearer\s+(\S+)$/i.exec(ctx.requestHeader.get("authorization") ?? "")?.[1];
      if (token) deps.tokens.forget?.(token);
      return { endedSessions: ended };
    },
  };
}

/** The expiry of a SignUp/SignIn answer. */
function expiryOf(res: { expireTime: { seconds: bigint } }): Date {
  return new Date(Number(res.expireTime.seconds) * 1000);
}
