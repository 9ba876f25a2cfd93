/**
 * Session checks: a signed access token is accepted only while its account exists and its session
 * has not been ended (AuthService.SignOut). The signature alone cannot say that — a token for an
 * account deleted since, or for a user that never existed in this database (same key, another
 * environment), verifies fine — so every service asks the identity service, the only owner of
 * accounts and sessions, and remembers the answer per token for a short time.
 *
 * Why this and not events or a shared table (docs/identity.md): no service reads another's tables
 * (ARCHITECTURE.md §1), and a "user deleted" event cannot refuse a user that never existed. One
 * cached `AuthService.GetCurrentUser` call per token per TTL (30 s by default) per process costs
 * almost nothing next to the calls it guards, and a signed-out token stops working everywhere
 * within that TTL. The identity service itself checks its own tables (the same cache in front).
 *
 * When the identity service cannot be reached, a token it accepted within the last
 * `staleSeconds` (5 min by default) is still accepted, so a short identity outage does not sign
 * everybody out; other tokens get UNAVAILABLE, never a silent pass.
 */
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { AuthService } from "@todo/gen/todo/identity/v1/auth_service_pb";
import type { Principal, TokenService } from "./auth";
import { envInt } from "./config";

/**
 * Whether the session of `principal` (proved by `token`) is still valid: true to accept, false to
 * refuse with UNAUTHENTICATED. Throws when it cannot tell (the identity service is unreachable).
 */
export type SessionCheck = (principal: Principal, token: string) => Promise<boolean>;

/** How long answers are remembered. */
export interface SessionCacheOptions {
  /** How long an answer (valid or not) is reused before asking again, in ms; 0 asks every time. */
  readonly ttlMs: number;
  /** How long a "valid" answer may be reused while the check fails (identity unreachable), in ms. */
  readonly staleMs: number;
  /** How many tokens are remembered; the oldest is dropped first. Default 10 000. */
  readonly maxEntries?: number;
}

/** `AUTH_SESSION_CACHE_SECONDS` (default 30) and `AUTH_SESSION_STALE_SECONDS` (default 300). */
export function sessionCacheOptionsFromEnv(): SessionCacheOptions {
  return {
    ttlMs: envInt("AUTH_SESSION_CACHE_SECONDS", 30, 0, 3600) * 1000,
    staleMs: envInt("AUTH_SESSION_STALE_SECONDS", 300, 0, 86_400) * 1000,
  };
}

/** The message of a token whose session is over. */
export const SESSION_ENDED =
  "this access token's session has ended (signed out, or the account no longer exists): sign in again";

interface Verdict {
  readonly valid: boolean;
  readonly atMs: number;
}

/**
 * `tokens` with the session check in front of every `verify` (after the signature and claims are
 * verified): a refused session is UNAUTHENTICATED, an unanswerable check UNAVAILABLE. Answers are
 * cached per token; `forget(token)` drops one (the identity service does after SignOut, so there it
 * takes effect at once). Concurrent verifications of one token share one check.
 */
export function withSessionCheck(
  tokens: TokenService,
  check: SessionCheck,
  options: SessionCacheOptions,
): TokenService {
  const maxEntries = options.maxEntries ?? 10_000;
  const verdicts = new Map<string, Verdict>();
  const pending = new Map<string, Promise<boolean>>();
  const remember = (token: string, verdict: Verdict) => {
    verdicts.delete(token);
    if (verdicts.size >= maxEntries) {
      const oldest = verdicts.keys().next().value;
      if (oldest !== undefined) verdicts.delete(oldest);
    }
    verdicts.set(token, verdict);
  };
  const ask = (principal: Principal, token: string): Promise<boolean> => {
    let answer = pending.get(token);
    if (!answer) {
      answer = check(principal, token).finally(() => pending.delete(token));
      pending.set(token, answer);
    }
    return answer;
  };
  return {
    issue: (principal) => tokens.issue(principal),
    async verify(token) {
      const principal = await tokens.verify(token);
      const now = Date.now();
      const known = verdicts.get(token);
      let valid: boolean;
      if (known && now - known.atMs < options.ttlMs) valid = known.valid;
      else {
        try {
          valid = await ask(principal, token);
        } catch (cause) {
          if (known?.valid && now - known.atMs < options.staleMs) return principal;
          throw new ConnectError(
            "cannot check the access token right now (the identity service is unreachable): try again shortly",
            Code.Unavailable,
            undefined,
            undefined,
            cause,
          );
        }
        remember(token, { valid, atMs: Date.now() });
      }
      if (!valid) throw new ConnectError(SESSION_ENDED, Code.Unauthenticated);
      return principal;
    },
    forget(token) {
      verdicts.delete(token);
      tokens.forget?.(token);
    },
  };
}

/**
 * A session check that asks the identity service: `AuthService.GetCurrentUser` carrying the token
 * itself, which identity answers only for a live account and session. UNAUTHENTICATED means the
 * session is over; any other failure means "cannot tell" (the caller's cache decides).
 */
export function remoteSessionCheck(
  auth: Pick<Client<typeof AuthService>, "getCurrentUser">,
  timeoutMs = 3000,
): SessionCheck {
  return async (_principal, token) => {
    try {
      await auth.getCurrentUser(
        {},
        { headers: new Headers({ authorization: `Bearer ${token}` }), timeoutMs },
      );
      return true;
    } catch (err) {
      if (ConnectError.from(err).code === Code.Unauthenticated) return false;
      throw err;
    }
  };
}
