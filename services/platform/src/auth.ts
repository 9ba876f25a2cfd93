/**
 * Authentication: access tokens are HS256 JWTs (`jose`) with issuer, audience and expiry pinned. One
 * interceptor verifies the `authorization: Bearer` header on every call except the public methods and
 * puts the caller in the request's context values; handlers read it with `principalOf`.
 */
import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";

/** The authenticated caller. */
export interface Principal {
  readonly userId: string;
  readonly email: string;
  /** The user's IANA time zone: the default for their tasks and for reading the dates they type. */
  readonly timeZone: string;
  /**
   * The ISO weekday the user's week starts on, 1 (Monday) to 7 (Sunday), from the `wk` claim;
   * absent in tokens issued before the claim existed (read as Monday).
   */
  readonly weekStart?: number | undefined;
  /**
   * The session the token belongs to (its `sid` claim), ended by AuthService.SignOut. Tokens that a
   * service issues to act for a user (clients.ts `createActingAs`) have none.
   */
  readonly sessionId?: string | undefined;
}

/** Issues and verifies access tokens. */
export interface TokenService {
  issue(principal: Principal): Promise<{ token: string; expireTime: Date }>;
  /**
   * The caller `token` proves. Throws when it is not valid: a `ConnectError` with the code and
   * message for the caller (a session check, session-check.ts), anything else meaning "invalid".
   */
  verify(token: string): Promise<Principal>;
  /** Drops what is remembered about `token` (after its session ended), where anything is. */
  forget?(token: string): void;
}

/** Token settings. The secret must be at least 32 bytes; it comes from the environment or a secret store. */
export interface TokenOptions {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

const ALGORITHM = "HS256";

/** How many verified tokens are remembered, so a client's repeated calls skip the HMAC check. */
const VERIFIED_CACHE_SIZE = 10_000;

/** Creates the token service for `options`. */
export function createTokenService(options: TokenOptions): TokenService {
  if (Buffer.byteLength(options.secret) < 32) throw new Error("JWT_SECRET must be at least 32 bytes long");
  const key = new TextEncoder().encode(options.secret);
  // token → what it proved and until when; a token's claims never change, only time runs out.
  const verified = new Map<string, { principal: Principal; expMs: number }>();
  return {
    async issue(principal) {
      const expireTime = new Date((Math.floor(Date.now() / 1000) + options.ttlSeconds) * 1000);
      const claims = {
        email: principal.email,
        tz: principal.timeZone,
        ...(principal.weekStart ? { wk: principal.weekStart } : {}),
        ...(principal.sessionId ? { sid: principal.sessionId } : {}),
      };
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
        .setSubject(principal.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expireTime.getTime() / 1000))
        .sign(key);
      return { token, expireTime };
    },
    async verify(token) {
      const hit = verified.get(token);
      if (hit && hit.expMs > Date.now()) return hit.principal;
      if (hit) verified.delete(token);
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ["sub", "exp"],
      });
      const { sub, email, tz, sid, wk } = payload;
      if (
        typeof sub !== "string" ||
        typeof email !== "string" ||
        typeof tz !== "string" ||
        (sid !== undefined && typeof sid !== "string") ||
        (wk !== undefined && !(Number.isInteger(wk) && (wk as number) >= 1 && (wk as number) <= 7))
      ) {
        throw new joseErrors.JWTClaimValidationFailed("missing claims", payload);
      }
      const principal: Principal = {
        userId: sub,
        email,
        timeZone: tz,
        ...(wk !== undefined ? { weekStart: wk as number } : {}),
        ...(sid ? { sessionId: sid } : {}),
      };
      if (verified.size >= VERIFIED_CACHE_SIZE) {
        const oldest = verified.keys().next().value;
        if (oldest !== undefined) verified.delete(oldest);
      }
      verified.set(token, { principal, expMs: (payload.exp as number) * 1000 });
      return principal;
    },
  };
}

/** Where the auth interceptor leaves the caller for the handlers. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "principal" });

/** The caller of an authenticated method; UNAUTHENTICATED when there is none. */
export function principalOf(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(principalKey);
  if (!principal)
    throw new ConnectError("sign in first: this call needs an access token", Code.Unauthenticated);
  return principal;
}

/**
 * Verifies the bearer token of every call except `publicMethods` (full names such as
 * `todo.identity.v1.AuthService.SignIn`, or whole services such as `grpc.health.v1.Health`).
 * `handedOver` is given only by the in-process transport (clients.ts): the caller it returns for a
 * request is taken as authenticated, without a token. Network listeners never pass it.
 */
export function createAuthInterceptor(
  tokens: TokenService,
  publicMethods: readonly string[],
  handedOver?: (header: Headers) => Principal | undefined,
): Interceptor {
  const open = new Set(publicMethods);
  return (next) => async (req) => {
    if (open.has(req.service.typeName) || open.has(`${req.service.typeName}.${req.method.name}`)) {
      return next(req);
    }
    // In-process calls (clients.ts) hand the caller over without a token; listeners pass no `handedOver`.
    const handed = handedOver?.(req.header);
    if (handed) {
      req.contextValues.set(principalKey, handed);
      return next(req);
    }
    const header = req.header.get("authorization");
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new ConnectError(
        "missing access token: send `authorization: Bearer <access_token>` from SignIn or SignUp",
        Code.Unauthenticated,
      );
    }
    let principal: Principal;
    try {
      principal = await tokens.verify(match[1]);
    } catch (cause) {
      // A session check's own answer (signed out, or identity unreachable) goes out as it is.
      if (cause instanceof ConnectError) throw cause;
      const expired = cause instanceof joseErrors.JWTExpired;
      throw new ConnectError(
        expired ? "access token expired: sign in again" : "invalid access token: sign in again",
        Code.Unauthenticated,
        undefined,
        undefined,
        cause,
      );
    }
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}
