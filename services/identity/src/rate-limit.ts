/**
 * Rate limits for SignIn and SignUp, so passwords cannot be guessed at speed: fixed-window counters
 * in `identity.rate_limits`, in PostgreSQL because every replica of the identity service (and the
 * embedded mode's PGlite, with one process) must count against the same numbers. Each attempt
 * takes a slot first — one upsert that returns the new count, so 100 parallel attempts get 100
 * distinct counts and at most `limit` of them pass — and a sign-in that succeeds gives its slot
 * back, so the limits count failed attempts. Over a limit the answer is RESOURCE_EXHAUSTED with a
 * `google.rpc.RetryInfo` detail and a `Retry-After` header (seconds), until the window ends.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { RetryInfoSchema } from "@todo/gen/google/rpc/error_details_pb";
import { envInt, type Sql } from "@todo/platform";

/** The limits; a limit of 0 turns that limit off. */
export interface RateLimitSettings {
  /** Failed sign-ins per account (e-mail address, whether or not it has an account) per window. */
  readonly signInPerAccount: number;
  /** Failed sign-ins per client address per window. */
  readonly signInPerAddress: number;
  /** Sign-ups (successful or not) per client address per window. */
  readonly signUpPerAddress: number;
  /** The window, in seconds. */
  readonly windowSeconds: number;
}

/**
 * `SIGN_IN_ACCOUNT_LIMIT` (10), `SIGN_IN_ADDRESS_LIMIT` (100), `SIGN_UP_ADDRESS_LIMIT` (100) and
 * `RATE_LIMIT_WINDOW_SECONDS` (900: 15 minutes).
 */
export function rateLimitSettingsFromEnv(): RateLimitSettings {
  return {
    signInPerAccount: envInt("SIGN_IN_ACCOUNT_LIMIT", 10, 0, 1_000_000),
    signInPerAddress: envInt("SIGN_IN_ADDRESS_LIMIT", 100, 0, 1_000_000),
    signUpPerAddress: envInt("SIGN_UP_ADDRESS_LIMIT", 100, 0, 1_000_000),
    windowSeconds: envInt("RATE_LIMIT_WINDOW_SECONDS", 900, 1, 86_400),
  };
}

/** One counter an attempt is charged to. */
export interface LimitKey {
  /** The row's key, such as `signin-account:ada@example.com`. */
  readonly key: string;
  /** How many attempts the window allows (0: unlimited, not counted). */
  readonly limit: number;
  /** Says what was limited, in the error message ("sign-in attempts for this account"). */
  readonly what: string;
}

/** Counts attempts against limits. */
export interface RateLimiter {
  /**
   * Charges one attempt to each key; throws RESOURCE_EXHAUSTED when any is over its limit (the
   * attempt stays charged: hammering does not help, and the window still ends on time).
   */
  take(keys: readonly LimitKey[]): Promise<void>;
  /** Gives back the attempt `take` charged (a sign-in that succeeded). */
  refund(keys: readonly LimitKey[]): Promise<void>;
  /** Deletes up to `limit` counters whose window has ended; returns how many. */
  sweep(limit: number): Promise<number>;
}

/** Creates the limiter on `sql`. */
export function createRateLimiter(sql: Sql, settings: RateLimitSettings): RateLimiter {
  const window = settings.windowSeconds;
  return {
    async take(keys) {
      let waitMs = 0;
      let over: LimitKey | undefined;
      for (const k of keys) {
        if (k.limit <= 0) continue;
        // One statement: a new or expired window starts at 1, else the count goes up by one. The
        // row lock serializes concurrent attempts on one key.
        const [row] = await sql<{ hits: number; remaining_ms: number }[]>`
          insert into identity.rate_limits as r (key, window_start, hits)
          values (${k.key}, clock_timestamp(), 1)
          on conflict (key) do update set
            window_start = case when r.window_start <= clock_timestamp() - make_interval(secs => ${window})
              then clock_timestamp() else r.window_start end,
            hits = case when r.window_start <= clock_timestamp() - make_interval(secs => ${window})
              then 1 else r.hits + 1 end
          returning hits,
            (extract(epoch from r.window_start + make_interval(secs => ${window}) - clock_timestamp())
              * 1000)::float8 as remaining_ms`;
        if (row && row.hits > k.limit && row.remaining_ms > waitMs) {
          waitMs = row.remaining_ms;
          over = k;
        }
      }
      if (over) throw tooMany(over, waitMs);
    },
    async refund(keys) {
      for (const k of keys) {
        if (k.limit <= 0) continue;
        await sql`update identity.rate_limits set hits = greatest(hits - 1, 0) where key = ${k.key}`;
      }
    },
    async sweep(limit) {
      const rows = await sql`
        delete from identity.rate_limits where key in (
          select key from identity.rate_limits
          where window_start <= clock_timestamp() - make_interval(secs => ${window})
          limit ${limit}
        ) returning 1`;
      return rows.length;
    },
  };
}

/** The RESOURCE_EXHAUSTED error for `key`, retry after `waitMs` (rounded up to whole seconds). */
function tooMany(key: LimitKey, waitMs: number): ConnectError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const when = seconds >= 120 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
  return new ConnectError(
    `too many ${key.what}: try again in ${when}`,
    Code.ResourceExhausted,
    // Connect sends error metadata as response headers (gRPC: trailers): HTTP clients get Retry-After.
    { "retry-after": String(seconds) },
    [
      {
        desc: RetryInfoSchema,
        value: create(RetryInfoSchema, { retryDelay: durationFromMs(seconds * 1000) }),
      },
    ],
  );
}
