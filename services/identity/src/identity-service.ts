/**
 * `todo.identity.v1.AuthService`: accounts and access tokens. Passwords are hashed with Argon2id
 * (`Bun.password`); a wrong e-mail address and a wrong password get the same answer, after the same
 * amount of work, so the API does not reveal which addresses have accounts.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import { type User, UserSchema } from "@todo/gen/todo/identity/v1/user_pb";
import { canonicalTimeZone, principalOf, type TokenService } from "@todo/platform";
import type { IdentityStore, UserRow } from "./store";

/** What the service needs. */
export interface IdentityServiceDeps {
  readonly store: IdentityStore;
  readonly tokens: TokenService;
}

const HASH = { algorithm: "argon2id" } as const;
/** Verified against when the address is unknown, so both failures cost the same. */
const decoyHash = Bun.password.hash("decoy password that matches nothing", HASH);

function toUser(row: UserRow): User {
  return create(UserSchema, {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    timeZone: row.time_zone,
    createTime: timestampFromDate(row.create_time),
  });
}

/** Creates the AuthService implementation. */
export function createAuthService(deps: IdentityServiceDeps): ServiceImpl<typeof AuthService> {
  const session = async (row: UserRow) => {
    const { token, expireTime } = await deps.tokens.issue({
      userId: row.id,
      email: row.email,
      timeZone: row.time_zone,
    });
    return { accessToken: token, user: toUser(row), expireTime: timestampFromDate(expireTime) };
  };
  return {
    async signUp(req) {
      const email = req.email.trim().toLowerCase();
      const timeZone =
        req.timeZone.trim() === "" ? "UTC" : (canonicalTimeZone(req.timeZone.trim()) as string);
      const displayName = req.displayName.trim() || (email.split("@")[0] ?? email);
      const row = await deps.store.insertUser({
        id: Bun.randomUUIDv7(),
        email,
        password_hash: await Bun.password.hash(req.password, HASH),
        display_name: displayName,
        time_zone: timeZone,
      });
      if (!row)
        throw new ConnectError("an account with this e-mail address already exists", Code.AlreadyExists);
      return session(row);
    },
    async signIn(req) {
      const row = await deps.store.findByEmail(req.email.trim().toLowerCase());
      const ok = await Bun.password.verify(req.password, row?.password_hash ?? (await decoyHash));
      if (!row || !ok) throw new ConnectError("wrong e-mail address or password", Code.Unauthenticated);
      return session(row);
    },
    async getCurrentUser(_req, ctx) {
      const principal = principalOf(ctx);
      const row = await deps.store.findById(principal.userId);
      if (!row)
        throw new ConnectError("the account of this access token no longer exists", Code.Unauthenticated);
      return { user: toUser(row) };
    },
  };
}
